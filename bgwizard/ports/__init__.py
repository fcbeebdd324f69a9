"""The service interfaces screens depend on. Implementations live beside this module;
tests give the app in-memory fakes (``tests/fakes.py``) with the same shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity, TenantInfo
from bgwizard.auth.identity import SeparateSignIn as SeparateSignIn
from bgwizard.auth.identity import TokenSource as TokenSource
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.profile.model import ProfileStore as ProfileStore
from bgwizard.secret import Secret

if TYPE_CHECKING:
    # Only named in signatures: importing them at start-up would load fido2, reportlab, the
    # ledger, set-up and monitoring modules the home screen does not need (see ``Container``).
    from bgwizard.audit.model import AuditReport
    from bgwizard.drill.model import Drill, ItemResult, RecordedDrill
    from bgwizard.ledger.chain import JsonValue, Verification
    from bgwizard.monitoring.arm import ExportFile
    from bgwizard.monitoring.diagnostics import DiagnosticSettingsReport
    from bgwizard.passkeys.device import Enrolment, KeyDevice
    from bgwizard.passkeys.policy import Fido2Policy
    from bgwizard.rotation.journal import Rotated
    from bgwizard.runbook.model import RenderedRunbook, RunbookDocument
    from bgwizard.setup.ca_plan import CaPlan
    from bgwizard.setup.journal import SetupJournal, StepId
    from bgwizard.setup.names import NameIssue
    from bgwizard.setup.results import (
        CaResult,
        CreateResult,
        MethodsReview,
        RoleResult,
        VerifiedSignIn,
    )
    from bgwizard.sheets.model import PinSheet, ReadBack, RenderedSheet, SheetContent, Spooler
    from bgwizard.sheets.password import PasswordPolicy


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


# -- set-up: sheets, tenant changes, rotation, verification, security keys ------------------
# One Protocol per role, with exactly the methods the screens call.


class SheetMaker(Protocol):
    """Paper credential and PIN sheets: make, print, save, read back (``SheetService``)."""

    def warm_up(self) -> None:
        """Import the PDF library and load the fonts, so the first draw is quick (blocking)."""
        ...

    def new_password(self, policy: PasswordPolicy | None = None) -> Secret:
        """A fresh random password."""
        ...

    def build(
        self,
        profile: Profile,
        account: BreakGlassAccount,
        password: Secret,
        *,
        locations: Sequence[str] | None = None,
        include_qr: bool | None = None,
        test_page: bool = False,
    ) -> SheetContent:
        """Lay out a new sheet (new serial) for ``account``."""
        ...

    def render(self, content: SheetContent, paper: str = "a4") -> RenderedSheet:
        """Draw the credential sheet's PDF in memory (blocking).

        Raises:
            SheetError: unknown paper size, or the PDF library failed.
        """
        ...

    def render_pin(self, sheet: PinSheet, paper: str = "a4") -> RenderedSheet:
        """Draw a security key's PIN sheet in memory (blocking).

        Raises:
            SheetError: unknown paper size, or the PDF library failed.
        """
        ...

    def spooler(self) -> Spooler | None:
        """The print spooler found, or None (then the screen offers saving to a file)."""
        ...

    def print_sheet(self, sheet: RenderedSheet) -> str:
        """Send the sheet to the default printer; the spooler's job id (blocking).

        Raises:
            PrintError: no spooler, or it refused the job.
        """
        ...

    def save_sheet(self, sheet: RenderedSheet, path: str | Path) -> Path:
        """Save the PDF to a new file, mode 0600.

        Raises:
            PrintError: the file exists or cannot be written.
        """
        ...

    def check(self, content: SheetContent, typed: Sequence[str]) -> ReadBack:
        """Compare a typed read-back with the sheet, line by line."""
        ...

    def confirm(
        self, account: BreakGlassAccount, content: SheetContent, *, retire_current: bool = False
    ) -> SheetRecord:
        """Record a printed, read-back sheet on ``account`` (the caller saves the profile)."""
        ...


class SetupActions(Protocol):
    """Every tenant-changing step of the set-up wizard, journaled in the profile
    (``SetupService``, with the Conditional Access step of ``CaStep``).

    Every method that calls Graph may raise ``BgWizardError`` with one sentence.
    """

    @property
    def journal(self) -> SetupJournal:
        """The profile's set-up journal (which step and account is done)."""
        ...

    @property
    def backups(self) -> list[str]:
        """Conditional Access backup files written by this profile, oldest first."""
        ...

    async def record(self, step: StepId, upn: str | None = None) -> None:
        """Journal ``step`` (for ``upn``) and save the profile."""
        ...

    async def connect(self, identity: SignedInIdentity) -> list[str]:
        """Check the administrator and learn the tenant; what the admin lacks (empty: go on)."""
        ...

    async def check_names(self, upns: Sequence[str]) -> list[NameIssue]:
        """The naming rules, and each name looked up in the tenant."""
        ...

    async def choose_names(self, upns: Sequence[str], custodians: Sequence[str] = ()) -> None:
        """Put the chosen accounts in the profile and journal the names step."""
        ...

    async def lost_passwords(self, in_memory: Sequence[str]) -> list[str]:
        """Accounts sent back to the sheet step because their password was lost in a restart."""
        ...

    async def create_account(self, upn: str, password: Secret | None) -> CreateResult:
        """Create the account unless it exists; re-read it and correct its properties."""
        ...

    async def ensure_global_admin(self, upn: str) -> RoleResult:
        """Make Global Administrator permanent and active at ``/``; re-read it."""
        ...

    async def plan_ca(self) -> CaPlan:
        """Read every Conditional Access policy and plan the direct exclusions."""
        ...

    async def apply_ca(self, plan: CaPlan) -> CaResult:
        """Back up, PATCH and re-read every policy of ``plan``, then journal the step."""
        ...

    async def restore_ca(self, path: Path) -> list[str]:
        """Put back the policies of a backup file; their display names."""
        ...

    async def accept_sign_in(self, upn: str, identity: SignedInIdentity, policies: int) -> None:
        """Journal a verified sign-in once its token checked out."""
        ...

    async def review_methods(self) -> list[MethodsReview]:
        """Every account's registered methods and the warnings about them."""
        ...

    async def finish(self) -> None:
        """Journal the methods review and the summary, and save."""
        ...


class RotationActions(Protocol):
    """Password rotation of a break glass account (``RotationService``)."""

    async def reset(
        self, upn: str, password: Secret, record: SheetRecord, locations: Sequence[str]
    ) -> Rotated:
        """Journal the rotation, set ``password`` through Graph, make ``record`` current.

        Raises:
            RotationError: the account is not known to the profile or not created.
            BgWizardError: the profile could not be saved, or Graph refused the reset.
        """
        ...

    async def complete(self, upn: str) -> Rotated:
        """Record a pending rotation as done, after a sign-in with the new sheet.

        Raises:
            RotationError: nothing is pending, or the tenant still has the old password.
        """
        ...

    def check_sign_in(self, upn: str, identity: SignedInIdentity) -> list[str]:
        """Problems with the verification sign-in after a rotation (empty when fine)."""
        ...


class SignInVerifying(Protocol):
    """A break glass account's own sign-in, checked (``SignInVerifier``): one at a time, on a
    session separate from the admin's, signed out again by ``close``."""

    async def start(self, upn: str) -> DeviceCodePrompt:
        """Start a device code sign-in meant for ``upn`` on a fresh session.

        Raises:
            AuthError: the sign-in service refused to start.
            NetworkDown: it could not be reached.
        """
        ...

    async def finish(self, prompt: DeviceCodePrompt) -> VerifiedSignIn:
        """Wait for the sign-in, then read the CA policies with the account's own token.

        Raises:
            AuthError: the sign-in failed or another account signed in.
            SignInCancelled: ``cancel`` was called.
            BgWizardError: any other failure (a missing permission included).
        """
        ...

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        """Stop waiting for the sign-in."""
        ...

    def close(self) -> None:
        """Sign the break glass session out (its tokens are forgotten)."""
        ...


class PasskeyRegistrar(Protocol):
    """Registers a security key on an account through Graph (``PasskeyGraph``)."""

    async def fido2_policy(self) -> Fido2Policy:
        """The Passkey (FIDO2) configuration of the authentication methods policy."""
        ...

    async def enrol(
        self,
        device: KeyDevice,
        *,
        user_id: str,
        label: str,
        pin: Secret,
        on_step: Callable[[str], None],
    ) -> Enrolment:
        """Register the key in ``device`` on ``user_id``, setting ``pin`` first if it has none.

        ``on_step`` is called with each progress step, from worker threads too.

        Raises:
            KeyDeviceError: the key refused (wrong PIN, timeout, already registered).
            PasskeyError: Entra ID refused the registration.
            BgWizardError: Graph failed.
        """
        ...


class KeyFinder(Protocol):
    """Lists the FIDO2 security keys plugged into this workstation (USB, or a software key)."""

    def list_keys(self) -> Sequence[KeyDevice]:
        """The keys plugged in now (blocking: call it in a thread).

        Raises:
            KeyDeviceError: the USB devices cannot be listed.
        """
        ...


# -- audit, drill, signed log, runbook, monitoring --------------------------------------------


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
