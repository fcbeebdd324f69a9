"""Messages that travel between screens and the app (a screen's own ones live in the screen)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from bgwizard.auth.identity import SignedInIdentity, TenantInfo


@dataclass
class SignedIn(Message):
    """An administrator completed a device code sign-in."""

    identity: SignedInIdentity
    """Who signed in."""


@dataclass
class TenantLoaded(Message):
    """Graph described the tenant the signed-in administrator belongs to."""

    tenant: TenantInfo
    """The tenant's id, name and initial domain."""


@dataclass
class WarmedUp(Message):
    """The directory service finished its warm-up (msgraph imported and primed)."""
