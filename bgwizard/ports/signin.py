"""Ports of the session: the administrator's sign-in, the tenant, and the demo's approvals."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity, TenantInfo
from bgwizard.secret import Secret

if TYPE_CHECKING:
    # Only named in signatures: importing them at start-up would load fido2, reportlab, the
    # ledger, set-up and monitoring modules the home screen does not need (see ``Container``).
    from bgwizard.auth.identity import PageAnswers
    from bgwizard.passkeys.device import KeyDevice


class Authenticator(Protocol):
    """Signs people in with msal (browser with PKCE, or device code) and hands out tokens."""

    def browser_available(self) -> bool:
        """Whether a web browser can open here for the interactive sign-in."""
        ...

    async def sign_in_browser(self, login_hint: str | None = None) -> SignedInIdentity:
        """Sign in through the system browser (authorization code with PKCE).

        Raises:
            AuthError: refused, or the browser never replied (one sentence).
        """
        ...

    async def sign_in_in_app(
        self, answers: PageAnswers, login_hint: str | None = None
    ) -> SignedInIdentity:
        """Sign in through the emulator's page, completed over HTTP (demo only).

        Raises:
            AuthError: refused (one sentence).
        """
        ...

    def use_scopes(self, scopes: tuple[str, ...]) -> None:
        """Ask for ``scopes`` from now on: a journey starts (incremental consent)."""
        ...

    async def start_device_code(self, login_hint: str | None = None) -> DeviceCodePrompt:
        """Start a device code sign-in and return what the user must type where."""
        ...

    async def finish_device_code(self, prompt: DeviceCodePrompt) -> SignedInIdentity:
        """Wait until the user completes (or refuses) the sign-in started by ``prompt``.

        Raises:
            AuthError: the sign-in failed or expired.
            SignInCancelled: ``cancel`` was called.
        """
        ...

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting for the sign-in started by ``prompt``."""
        ...

    @property
    def identity(self) -> SignedInIdentity | None:
        """The admin signed in now, if any."""
        ...


class DirectoryGateway(Protocol):
    """Microsoft Graph as bgwizard needs it (see ``bgwizard.graph.directory``)."""

    async def warm_up(self) -> None:
        """Import msgraph and parse one response so the first real call is fast."""
        ...

    async def tenant_info(self) -> TenantInfo:
        """The organisation's id, name and initial ``*.onmicrosoft.com`` domain."""
        ...


class DemoApprover(Protocol):
    """Approves a pending device code in the emulator, as a user would in a browser (demo only)."""

    async def approve(self, user_code: str, username: str, password: Secret) -> None:
        """Approve the sign-in waiting on ``user_code`` as ``username`` with ``password``.

        Raises:
            AuthError: the password is wrong or the code is unknown or expired; the sign-in
                keeps waiting, like the real one.
        """
        ...


@runtime_checkable
class KeyApprover(DemoApprover, Protocol):
    """A demo approver that can also approve with a security key (``EmulatorApprover``)."""

    async def approve_with_key(
        self,
        user_code: str,
        username: str,
        device: KeyDevice,
        pin: Secret,
        on_touch: Callable[[], None] = ...,
    ) -> None:
        """Approve ``user_code`` as ``username`` with the key in ``device``."""
        ...
