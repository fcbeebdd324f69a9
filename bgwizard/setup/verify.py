"""Verifying a break glass sign-in: the account signs in through a browser (device code, with
its UPN as login hint) on an authenticator of its own, and its token must be for that account,
carry Global Administrator in ``wids`` and be able to read Conditional Access policies.

The administrator's sign-in is untouched (``MsalAuthenticator.separate()``); the break glass
session is signed out again when the check is over.
"""

from __future__ import annotations

from collections.abc import Callable

from bgwizard.auth.identity import DeviceCodePrompt, SeparateSignIn
from bgwizard.errors import AuthError
from bgwizard.graph.client import DEFAULT_RETRY, RetryPolicy
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.model import Profile
from bgwizard.setup.results import VerifiedSignIn


class SignInVerifier:
    """One break glass verification at a time."""

    def __init__(
        self,
        profile: Profile,
        new_session: Callable[[], SeparateSignIn],
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        """Verify sign-ins to ``profile``'s tenant.

        Args:
            profile: Graph URL and CA bundle.
            new_session: makes a separate, signed-out authenticator
                (``admin_auth.separate``).
            retry: Graph retry settings (tests shorten them).
        """
        self._profile = profile
        self._new_session = new_session
        self._retry = retry
        self._session: SeparateSignIn | None = None

    async def start(self, upn: str) -> DeviceCodePrompt:
        """Start a device code sign-in meant for ``upn`` on a fresh session.

        Raises:
            AuthError: the sign-in service refused to start.
            NetworkDown: it could not be reached.
        """
        self.close()
        self._session = self._new_session()
        return await self._session.start_device_code(login_hint=upn)

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting for the sign-in."""
        if self._session is not None:
            self._session.cancel(prompt)

    async def finish(self, prompt: DeviceCodePrompt) -> VerifiedSignIn:
        """Wait for the sign-in, then read the CA policies with the account's own token.

        Raises:
            AuthError: the sign-in failed or another account signed in.
            SignInCancelled: ``cancel`` was called.
            PermissionMissing: the token cannot read Conditional Access policies.
            BgWizardError: any other failure.
        """
        session = self._session
        if session is None:
            raise AuthError("That sign-in was not started here; start again.")
        identity = await session.finish_device_code(prompt)
        directory = GraphDirectory(self._profile, session.credential(), retry=self._retry)
        try:
            policies = await directory.list_ca_policies()
        finally:
            await directory.close()
        return VerifiedSignIn(identity, len(policies))

    def close(self) -> None:
        """Sign the break glass session out (its tokens are forgotten)."""
        session, self._session = self._session, None
        if session is not None:
            session.sign_out()
