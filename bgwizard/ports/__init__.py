"""Every Protocol the TUI and the CLI see, one per role, and ``Services``, the bundle of them.

``bgwizard.container.Container`` implements ``Services`` with the real services; tests give the
app in-memory fakes (``tests/fakes*.py``). Screens import their ports from here and never a
service module (import-linter keeps it so). The ports live in three modules by journey; the
roles the services themselves need (``ProfileStore``, ``TokenSource``, ``SeparateSignIn``)
are defined in their feature's pure model and re-exported here, so no feature imports ports.
"""

from __future__ import annotations

from typing import Protocol

from bgwizard.auth.identity import SeparateSignIn, TokenSource
from bgwizard.ports.operations import (
    AuditRunner,
    DrillChecker,
    DrillChecksFactory,
    LogRecorder,
    MonitoringActions,
    RunbookMaker,
)
from bgwizard.ports.setup import (
    KeyFinder,
    PasskeyRegistrar,
    RotationActions,
    SetupActions,
    SheetMaker,
    SignInVerifying,
)
from bgwizard.ports.signin import (
    Authenticator,
    DemoApprover,
    DirectoryGateway,
    KeyApprover,
)
from bgwizard.profile.model import ProfileStore

__all__ = [
    "AuditRunner",
    "Authenticator",
    "DemoApprover",
    "DirectoryGateway",
    "DrillChecker",
    "DrillChecksFactory",
    "KeyApprover",
    "KeyFinder",
    "LogRecorder",
    "MonitoringActions",
    "PasskeyRegistrar",
    "ProfileStore",
    "RotationActions",
    "RunbookMaker",
    "SeparateSignIn",
    "Services",
    "SetupActions",
    "SheetMaker",
    "SignInVerifying",
    "TokenSource",
]


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
