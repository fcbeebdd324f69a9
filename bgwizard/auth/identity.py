"""Who is signed in, and the prompt a device code sign-in shows. Pure data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

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
