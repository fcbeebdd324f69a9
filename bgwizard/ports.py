"""The service interfaces screens depend on. Implementations live beside this module;
tests give the app in-memory fakes (``tests/fakes.py``) with the same shape."""

from __future__ import annotations

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


# -- ports filled in by the screen rewrite (one Protocol per role; the methods the screens
# call, nothing more). Placeholders until then: each lists its owner and what it replaces.


class SheetMaker(Protocol):
    """Paper credential and PIN sheets: make, print, save (replaces ``SheetService``)."""


class SetupActions(Protocol):
    """Every tenant-changing step of the set-up wizard (replaces ``SetupService``)."""


class RotationActions(Protocol):
    """Password rotation of a break glass account (replaces ``RotationService``)."""


class SignInVerifying(Protocol):
    """A break glass account's own sign-in, checked (replaces ``SignInVerifier``)."""


class PasskeyRegistrar(Protocol):
    """Registers a security key on an account through Graph (replaces ``PasskeyGraph``)."""


class KeyFinder(Protocol):
    """Lists the FIDO2 security keys plugged into this workstation (USB, or a software key)."""


class AuditRunner(Protocol):
    """Runs the audit and returns its report (replaces ``AuditService`` in the screen)."""


class DrillChecksFactory(Protocol):
    """The drill's automatic checks for one account, with their own sign-in."""


class LogRecorder(Protocol):
    """Signs drills, rotations and real uses into the log (replaces ``DrillRecorder``)."""


class RunbookMaker(Protocol):
    """Renders, prints and saves the offline runbook (replaces ``RunbookService``)."""


class MonitoringActions(Protocol):
    """Alert rules export and the diagnostic-settings check (replaces ``MonitoringService``)."""


class Services(Protocol):
    """Every service the TUI uses, built by ``bgwizard.container.Container`` (tests: fakes).

    The app receives one ``Services`` and hands each screen only the ports it needs.
    """

    @property
    def auth(self) -> Authenticator:
        """The administrator's sign-in."""
        ...

    @property
    def directory(self) -> DirectoryGateway:
        """Tenant facts and warm-up."""
        ...

    @property
    def profiles(self) -> ProfileStore:
        """Where the profile is saved."""
        ...

    @property
    def demo(self) -> DemoApprover | None:
        """Set only in demo mode, where the emulator stands in for Microsoft's sign-in page."""
        ...

    @property
    def sheets(self) -> SheetMaker:
        """Credential and PIN sheets."""
        ...

    @property
    def setup(self) -> SetupActions:
        """The set-up wizard's tenant changes."""
        ...

    @property
    def rotation(self) -> RotationActions:
        """Password rotation."""
        ...

    @property
    def verifier(self) -> SignInVerifying:
        """Break glass sign-in verification (a session separate from the admin's)."""
        ...

    @property
    def passkeys(self) -> PasskeyRegistrar:
        """Security key registration through Graph."""
        ...

    @property
    def keys(self) -> KeyFinder:
        """The security keys plugged in."""
        ...

    @property
    def audit(self) -> AuditRunner:
        """The audit."""
        ...

    @property
    def drill(self) -> DrillChecksFactory:
        """The drill's automatic checks."""
        ...

    @property
    def recorder(self) -> LogRecorder:
        """The signed log's writer."""
        ...

    @property
    def runbook(self) -> RunbookMaker:
        """The offline runbook."""
        ...

    @property
    def monitoring(self) -> MonitoringActions:
        """Monitoring export and checks."""
        ...
