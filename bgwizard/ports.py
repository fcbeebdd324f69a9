"""The service interfaces screens depend on. Implementations live beside this module;
tests give the app in-memory fakes (``tests/fakes.py``) with the same shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bgwizard.auth.identity import (
    DeviceCodePrompt,
    SignedInIdentity,
    TenantInfo,
)
from bgwizard.profile.model import BreakGlassAccount, ProfileStore
from bgwizard.secret import Secret

if TYPE_CHECKING:
    # Only named in signatures: importing them at start-up would load the PDF, ledger and
    # monitoring modules the home screen does not need (see ``Container``).
    from bgwizard.audit.model import AuditReport
    from bgwizard.drill.model import Drill, ItemResult
    from bgwizard.drill.record import RecordedDrill
    from bgwizard.ledger.chain import JsonValue, Verification
    from bgwizard.monitoring.arm import ExportFile
    from bgwizard.monitoring.diagnostics import DiagnosticSettingsReport
    from bgwizard.runbook.model import RunbookDocument
    from bgwizard.runbook.pdf import RenderedRunbook


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


# -- A2's ports: audit, drill, recorder, runbook, monitoring ------------------------------


class AuditRunner(Protocol):
    """Runs the audit and returns its report (``AuditService`` with the profile's drill log)."""

    async def run(self) -> AuditReport:
        """Read the tenant and judge it.

        Raises:
            AuthError: the sign-in was refused (every other failure is a "not checked" finding).
        """
        ...


class DrillChecker(Protocol):
    """One drill of one account: its own sign-in and the checks made with its token
    (``DrillChecks``)."""

    @property
    def identity(self) -> SignedInIdentity | None:
        """The break glass account once signed in."""
        ...

    async def start_sign_in(self) -> DeviceCodePrompt:
        """Start the device code sign-in with the account as login hint.

        Raises:
            AuthError: the sign-in service refused to start.
        """
        ...

    def cancel_sign_in(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting for the sign-in."""
        ...

    async def finish_sign_in(self, prompt: DeviceCodePrompt) -> list[ItemResult]:
        """Wait for the sign-in, then check the token.

        Raises:
            SignInCancelled: the operator cancelled.
        """
        ...

    def sign_in_failed(self, reason: str) -> list[ItemResult]:
        """The results recorded when the sign-in failed for ``reason``."""
        ...

    async def during_checks(self) -> list[ItemResult]:
        """Portal-ready sign-in, Conditional Access readable, and the audit's rules."""
        ...

    async def after_checks(self, start: dt.datetime, end: dt.datetime) -> list[ItemResult]:
        """No changes by the account in the window; the sign-in found in the logs."""
        ...

    async def close(self) -> None:
        """Sign the account out and release the HTTP client."""
        ...


class DrillChecksFactory(Protocol):
    """The drill's automatic checks for one account, each with its own sign-in."""

    def checks_for(self, account: BreakGlassAccount) -> DrillChecker:
        """Fresh checks (and a fresh, separate sign-in) for ``account``."""
        ...


class LogRecorder(Protocol):
    """Signs drills, rotations and real uses into the log (``DrillRecorder``).

    Blocking (files, bcrypt, fsync): call the signing methods from a thread worker.
    """

    @property
    def log_path(self) -> Path:
        """The signed log appended to."""
        ...

    @property
    def key_path(self) -> Path:
        """The profile's signing key (the dialog's default)."""
        ...

    @property
    def last_signer(self) -> str:
        """The signer name used last time ('' on the first entry)."""
        ...

    def key_exists(self, path: Path | None = None) -> bool:
        """Whether the signing key file exists."""
        ...

    def log_state(self) -> Verification | None:
        """The log's verification, or None when there is no log yet."""
        ...

    def sign_drill(
        self,
        drill: Drill,
        signer: str,
        key_path: Path,
        passphrase: Secret | None,
        *,
        relink: bool = False,
    ) -> RecordedDrill:
        """Unlock (or create) the key at ``key_path``, then append ``drill`` as ``signer``.

        With ``relink`` a new log linked to the refused one is started first.

        Raises:
            LogRefused: the log does not verify (nothing appended).
            BgWizardError: the key, the log or the profile could not be used.
        """
        ...

    def sign_event(
        self,
        kind: str,
        data: dict[str, JsonValue],
        signer: str,
        key_path: Path,
        passphrase: Secret | None,
        *,
        relink: bool = False,
    ) -> RecordedDrill:
        """Like ``sign_drill`` for a ``rotation`` or ``use`` entry.

        Raises:
            LogRefused: the log does not verify (nothing appended).
            BgWizardError: the key, the log or the profile could not be used.
        """
        ...


class RunbookMaker(Protocol):
    """Renders, prints and saves the offline runbook (``RunbookService``). Blocking."""

    def document(self, kind: str = "runbook") -> RunbookDocument:
        """Render ``runbook`` or ``checklist`` to Markdown.

        Raises:
            BgWizardError: unknown kind, or a template is missing or broken.
        """
        ...

    def render_pdf(self, document: RunbookDocument, paper: str = "a4") -> RenderedRunbook:
        """Draw ``document`` as a PDF in memory (raises ``RunbookError``)."""
        ...

    def print_pdf(self, rendered: RenderedRunbook) -> str:
        """Send the PDF to the printer and return what the spooler said (raises ``PrintError``)."""
        ...

    def save(self, data: bytes | str, path: str | Path) -> Path:
        """Save a PDF or Markdown to a new file (raises ``PrintError``)."""
        ...


class MonitoringActions(Protocol):
    """Alert rules export and the diagnostic-settings check (``MonitoringService``)."""

    def export_files(self, accounts: Iterable[BreakGlassAccount]) -> list[ExportFile]:
        """Every export file for the accounts (raises ``MonitoringError`` on bad accounts)."""
        ...

    def save(self, files: Sequence[ExportFile], out_dir: Path) -> list[Path]:
        """Write the files into ``out_dir`` and return their paths (blocking)."""
        ...

    async def check_diagnostic_settings(self) -> DiagnosticSettingsReport:
        """Whether SignInLogs and AuditLogs reach a workspace; never raises."""
        ...


# -- end of A2's ports --------------------------------------------------------------------


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
