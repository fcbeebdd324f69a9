"""Sign-in with msal: browser (PKCE) or device code for people, client credentials for audits.

Tokens live in msal's in-memory cache only; nothing is ever written to disk. Every
blocking msal call runs in ``asyncio.to_thread`` so the UI keeps drawing. The access
token's claims tell who signed in (``SignedInIdentity``).

Two people can be signed in at once: the administrator, and a break glass account being
verified or drilled. ``MsalAuthenticator.separate()`` gives the second one its own
application object and cache, so signing it in (and out) leaves the admin untouched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from bgwizard.auth import browser
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.auth.http import msal_options, requests_session
from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity
from bgwizard.auth.msal_errors import (
    BLOCKED_BY_CA,
    DEVICE_CODE_BLOCKED,
    aadsts_codes,
    auth_error,
    call_msal,
)
from bgwizard.auth.scopes import scopes_for
from bgwizard.auth.tokens import (
    GRAPH_SCOPES,
    MsalTokenCredential,
    expires_on,
    identity_from_claims,
    token_claims,
)
from bgwizard.errors import AuthError, SignInCancelled
from bgwizard.profile.model import Profile

if TYPE_CHECKING:
    import msal

    from bgwizard.auth.identity import PageAnswers

_SILENT_FAILED: Final = "Your sign-in has expired; sign in again."


class MsalAuthenticator:
    """A person's sign-in (browser with PKCE, or device code) through an msal public client.

    Implements ``bgwizard.ports.Authenticator``.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        client_id: str | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        """Prepare (but do not contact) the sign-in service.

        Args:
            profile: authority host, tenant, client id and CA bundle come from here.
            client_id: overrides the profile's public client id.
            scopes: the delegated Graph scopes to ask for (default: the sign-in journey's,
                ``bgwizard.auth.scopes``); ``use_scopes`` changes them per journey.
        """
        self._profile = profile
        self._client_id = client_id or profile.client_id
        self._scopes: tuple[str, ...] = scopes or scopes_for("sign-in")
        self._app: msal.PublicClientApplication | None = None
        self._app_lock = threading.Lock()
        self._flows: dict[str, dict[str, Any]] = {}
        self._cancelled: set[str] = set()
        self._account: dict[str, Any] | None = None
        self._identity: SignedInIdentity | None = None

    @property
    def identity(self) -> SignedInIdentity | None:
        """The person signed in through this authenticator, if any."""
        return self._identity

    @property
    def scopes(self) -> tuple[str, ...]:
        """The delegated scopes sign-ins and Graph tokens ask for now."""
        return self._scopes

    def browser_available(self) -> bool:
        """Whether the system browser can be used: not in the demo (no browser trusts the
        emulator's throw-away CA), not over SSH without a display."""
        return not self._profile.demo and browser.browser_available()

    def use_scopes(self, scopes: tuple[str, ...]) -> None:
        """Ask for ``scopes`` from now on (a journey starting: incremental consent).

        A token for scopes not yet consented fails with a sentence asking to sign in again;
        the next sign-in (browser) shows the consent page for exactly the missing ones.
        """
        self._scopes = tuple(scopes)

    def separate(self) -> MsalAuthenticator:
        """A second authenticator with its own cache, for a break glass account.

        It asks only for the account's own profile (``User.Read``).

        Returns:
            A new, signed-out authenticator for the same tenant and client.
        """
        return MsalAuthenticator(
            self._profile, client_id=self._client_id, scopes=scopes_for("break-glass")
        )

    async def sign_in_browser(
        self, login_hint: str | None = None, *, timeout: float = 300.0, port: int | None = None
    ) -> SignedInIdentity:
        """Sign in through the system browser (authorization code with PKCE, loopback reply).

        Args:
            login_hint: the account that is meant to sign in; any other is refused.
            timeout: seconds to wait for the browser.
            port: the loopback port (None: any free one).

        Returns:
            The identity that signed in.

        Raises:
            AuthError: refused (its reason in one sentence), or the browser never replied.
            NetworkDown: the sign-in service could not be reached.
        """
        app = await asyncio.to_thread(self._application)
        scopes = list(self._scopes)
        result = await asyncio.to_thread(
            lambda: call_msal(
                self._profile.authority,
                lambda: browser.interactive(app, scopes, login_hint, timeout, port),
            )
        )
        if "access_token" not in result:
            raise auth_error(result)
        return self._accept(result, login_hint)

    async def sign_in_in_app(
        self, answers: PageAnswers, login_hint: str | None = None
    ) -> SignedInIdentity:
        """Sign in through the emulator's sign-in page, completed over HTTP (the demo's way).

        Args:
            answers: username, password and consent choice for the page.
            login_hint: the account that is meant to sign in.

        Returns:
            The identity that signed in.

        Raises:
            AuthError: refused (its reason in one sentence).
            NetworkDown: the sign-in service could not be reached.
        """
        from bgwizard.auth.signin_page import complete

        app = await asyncio.to_thread(self._application)
        scopes = list(self._scopes)
        session = requests_session(self._profile)
        result = await asyncio.to_thread(
            lambda: call_msal(
                self._profile.authority,
                lambda: browser.in_app(app, session, scopes, login_hint, answers, complete),
            )
        )
        if "access_token" not in result:
            raise auth_error(result)
        return self._accept(result, login_hint)

    def _application(self) -> msal.PublicClientApplication:
        """Build the msal application once (this fetches OpenID discovery: blocking)."""
        with self._app_lock:
            if self._app is None:
                import msal

                profile = self._profile
                self._app = call_msal(
                    profile.authority,
                    lambda: msal.PublicClientApplication(
                        self._client_id, token_cache=msal.TokenCache(), **msal_options(profile)
                    ),
                )
            return self._app

    async def start_device_code(self, login_hint: str | None = None) -> DeviceCodePrompt:
        """Start a device code sign-in.

        Args:
            login_hint: the account that is meant to sign in; ``finish_device_code`` refuses
                any other.

        Returns:
            The code, the URL and msal's message for the user.

        Raises:
            AuthError: the sign-in service refused to start.
            NetworkDown: the sign-in service could not be reached.
        """
        flow = await asyncio.to_thread(self._initiate)
        if "user_code" not in flow:
            raise auth_error(flow)
        self._flows[flow["user_code"]] = flow
        return DeviceCodePrompt(
            user_code=flow["user_code"],
            verification_uri=str(flow.get("verification_uri") or flow.get("verification_url")),
            message=str(flow.get("message") or ""),
            expires_at=dt.datetime.fromtimestamp(flow["expires_at"], tz=dt.UTC),
            login_hint=login_hint,
        )

    def _initiate(self) -> dict[str, Any]:
        app = self._application()
        scopes = list(self._scopes)
        flow: dict[str, Any] = call_msal(
            self._profile.authority, lambda: app.initiate_device_flow(scopes=scopes)
        )
        return flow

    async def finish_device_code(self, prompt: DeviceCodePrompt) -> SignedInIdentity:
        """Wait for the user to complete the sign-in ``prompt`` started.

        Args:
            prompt: what ``start_device_code`` returned.

        Returns:
            The identity that signed in (also kept as ``identity``).

        Raises:
            SignInCancelled: ``cancel`` was called.
            AuthError: the sign-in failed, expired, or another account signed in.
            NetworkDown: the sign-in service could not be reached.
        """
        flow = self._flows.get(prompt.user_code)
        if flow is None:
            raise AuthError("That sign-in was not started here; start again.")
        try:
            result = await asyncio.to_thread(self._poll, flow)
        except asyncio.CancelledError:
            flow["expires_at"] = 0  # a cancelled worker must not leave msal polling for minutes
            raise
        finally:
            self._flows.pop(prompt.user_code, None)
        if prompt.user_code in self._cancelled:
            self._cancelled.discard(prompt.user_code)
            raise SignInCancelled("Sign-in cancelled.")
        if "access_token" not in result:
            if BLOCKED_BY_CA in aadsts_codes(result):
                raise AuthError(DEVICE_CODE_BLOCKED)
            raise auth_error(result)
        return self._accept(result, prompt.login_hint)

    def _poll(self, flow: dict[str, Any]) -> dict[str, Any]:
        app = self._application()
        result: dict[str, Any] = call_msal(
            self._profile.authority, lambda: app.acquire_token_by_device_flow(flow)
        )
        return result

    def _accept(self, result: Mapping[str, Any], login_hint: str | None) -> SignedInIdentity:
        identity = identity_from_claims(token_claims(str(result["access_token"])))
        accounts = self._accounts_of(identity)
        if login_hint and identity.upn.casefold() != login_hint.casefold():
            app = self._application()
            for account in accounts:  # only the wrong one; anyone else stays signed in
                app.remove_account(account)
            raise AuthError(
                f"Signed in as {identity.upn}, not {login_hint}; sign in again with that account."
            )
        if not accounts:
            raise AuthError("The sign-in service returned no account for the token.")
        self._account = accounts[0]
        self._identity = identity
        return identity

    def _accounts_of(self, identity: SignedInIdentity) -> list[dict[str, Any]]:
        """The cached msal accounts of ``identity`` (by UPN, else by object id)."""
        app = self._application()
        by_name: list[dict[str, Any]] = app.get_accounts(username=identity.upn)
        if by_name:
            return by_name
        return [
            a
            for a in app.get_accounts()
            if str(a.get("home_account_id", "")).startswith(identity.object_id + ".")
        ]

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting for the sign-in ``prompt`` started (msal notices within a second).

        Args:
            prompt: what ``start_device_code`` returned.
        """
        flow = self._flows.get(prompt.user_code)
        if flow is not None:
            self._cancelled.add(prompt.user_code)
            flow["expires_at"] = 0

    def sign_out(self) -> None:
        """Forget the signed-in person and every token of this authenticator."""
        if self._app is not None:
            for account in self._app.get_accounts():
                self._app.remove_account(account)
        self._account = None
        self._identity = None

    def token(self, scopes: tuple[str, ...] = GRAPH_SCOPES) -> tuple[str, int]:
        """A valid access token from the cache, refreshed when needed (blocking).

        Args:
            scopes: the scopes to ask for.

        Returns:
            The token and its expiry as a Unix time.

        Raises:
            AuthError: nobody is signed in, or the session can no longer be refreshed.
        """
        if self._account is None:
            raise AuthError("Nobody is signed in; sign in first.")
        app = self._application()
        account = self._account
        # Graph's client asks for ".default"; a person's token asks for the journey's scopes.
        wanted = list(self._scopes) if tuple(scopes) == GRAPH_SCOPES else list(scopes)
        result = call_msal(
            self._profile.authority,
            lambda: app.acquire_token_silent_with_error(wanted, account=account),
        )
        if not result or "access_token" not in result:
            raise auth_error(result) if result else AuthError(_SILENT_FAILED)
        return str(result["access_token"]), expires_on(result)

    def credential(self) -> MsalTokenCredential:
        """An azure-core style async credential for msgraph-sdk, backed by this sign-in.

        Returns:
            The credential.
        """
        return MsalTokenCredential(self)


__all__ = [
    "GRAPH_SCOPES",
    "AppOnlyAuthenticator",
    "MsalAuthenticator",
    "MsalTokenCredential",
    "identity_from_claims",
]
