"""The service interfaces screens depend on. Implementations live beside this module;
tests give the app in-memory fakes (``tests/fakes.py``) with the same shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity, TenantInfo
from bgwizard.profile.model import Profile
from bgwizard.secret import Secret


class Authenticator(Protocol):
    """Signs people in with msal (device code) and hands out tokens for Graph."""

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


class ProfileStore(Protocol):
    """Loads and saves the profile atomically."""

    def load(self) -> Profile:
        """Read the profile (a new empty one when the file does not exist yet)."""
        ...

    def save(self, profile: Profile) -> None:
        """Write the profile atomically with mode 0600."""
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


@dataclass
class Services:
    """The bundle the composition root (``__main__``) builds and hands to the app."""

    auth: Authenticator
    directory: DirectoryGateway
    profiles: ProfileStore
    demo: DemoApprover | None = None
    """Set only in demo mode, where the emulator stands in for Microsoft's sign-in page."""
