"""Who is signed in, the prompt a device code sign-in shows, and the sign-in roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

GLOBAL_ADMIN_ROLE_ID: Final = "62e90394-69f5-4237-9190-012177145e10"


@dataclass(frozen=True)
class DeviceCodePrompt:
    """What the user needs to finish a device code sign-in in a browser."""

    user_code: str
    verification_uri: str
    message: str
    expires_at: dt.datetime
    login_hint: str | None = None
    """The account the sign-in is meant for (break glass verification), if any."""


@dataclass(frozen=True)
class PageAnswers:
    """What the person enters and chooses on the pages."""

    username: str
    password: str
    consent: str = "accept"
    """``accept`` or ``decline`` on the consent page."""
    for_tenant: bool = False
    """Tick "Consent on behalf of your organization" (shown to administrators only)."""
    second_factor: bool = True
    """Approve the emulated Authenticator push when the page asks."""


@dataclass(frozen=True)
class SignedInIdentity:
    """The identity behind an access token, read from its claims."""

    object_id: str
    tenant_id: str
    upn: str
    display_name: str = ""
    role_ids: tuple[str, ...] = ()
    """Directory role template ids from the ``wids`` claim."""
    scopes: tuple[str, ...] = ()
    """Delegated scopes (``scp``) or application roles (``roles``)."""
    app_only: bool = False
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def is_global_admin(self) -> bool:
        """Whether the token carries the Global Administrator role."""
        return GLOBAL_ADMIN_ROLE_ID in self.role_ids


@dataclass(frozen=True)
class TenantInfo:
    """The tenant as Graph describes it."""

    tenant_id: str
    display_name: str
    initial_domain: str
    """The ``*.onmicrosoft.com`` domain marked ``isInitial``."""


class TokenSource(Protocol):
    """Anything that hands out access tokens, blocking (``MsalAuthenticator``; call it from a
    thread). The one definition for the Graph credential and the ARM token."""

    def token(self, scopes: tuple[str, ...] = ...) -> tuple[str, int]:
        """An access token for ``scopes`` (default: Graph) and its expiry as a Unix time.

        Raises:
            AuthError: nobody is signed in, or the session can no longer be refreshed.
        """
        ...


class SeparateSignIn(Protocol):
    """A device code sign-in of its own, apart from the admin's (``MsalAuthenticator.separate()``).

    The drill's checks and the set-up's sign-in verification both use this one role.
    """

    async def start_device_code(self, login_hint: str | None = None) -> DeviceCodePrompt:
        """Start a device code sign-in."""
        ...

    async def finish_device_code(self, prompt: DeviceCodePrompt) -> SignedInIdentity:
        """Wait for it to complete."""
        ...

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting."""
        ...

    def sign_out(self) -> None:
        """Forget the account's tokens."""
        ...

    def credential(self) -> Any:
        """An async token credential for msgraph-sdk (its type lives in azure-core)."""
        ...
