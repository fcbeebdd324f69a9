"""Ports of the set-up journeys: sheets, tenant changes, rotation, verification, security keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity
from bgwizard.profile.model import BreakGlassAccount, Profile, SecurityKeyRecord, SheetRecord
from bgwizard.secret import Secret

if TYPE_CHECKING:
    # Only named in signatures: importing them at start-up would load fido2, reportlab, the
    # ledger, set-up and monitoring modules the home screen does not need (see ``Container``).
    from bgwizard.ledger.chain import JsonValue
    from bgwizard.passkeys.device import Enrolment, KeyDevice
    from bgwizard.passkeys.policy import Fido2Policy
    from bgwizard.rotation.journal import Rotated
    from bgwizard.setup.ca_plan import CaPlan
    from bgwizard.setup.journal import SetupJournal, StepId
    from bgwizard.setup.names import NameIssue
    from bgwizard.setup.results import (
        CaResult,
        CreateResult,
        EnforceResult,
        ExclusionResult,
        MethodsReview,
        PolicyResult,
        RoleResult,
        VerifiedSignIn,
    )
    from bgwizard.sheets.jobs import JobStatus, PrintJob, PrintQueue, SpoolCheck
    from bgwizard.sheets.model import PinSheet, ReadBack, RenderedSheet, SheetContent, Spooler
    from bgwizard.sheets.password import PasswordPolicy


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

    def printers(self) -> list[PrintQueue]:
        """The print system's queues, the default marked (blocking).

        Raises:
            PrintError: the scheduler is not running or cannot be reached.
        """
        ...

    def print_risks(self, queue: str | None = None) -> list[str]:
        """What to tell the operator before a secret goes to ``queue``, one sentence each
        (documents kept by the print system, a network printer, a stopped queue) (blocking).

        Raises:
            PrintError: the scheduler is not running, or ``queue`` does not exist.
        """
        ...

    def print_sheet(self, sheet: RenderedSheet, queue: str | None = None) -> PrintJob:
        """Send the sheet to ``queue`` (None: the default printer); the job made (blocking).

        Raises:
            PrintError: no spooler, it refused the job, or it named no job.
        """
        ...

    def wait_for_job(
        self, job: PrintJob, progress: Callable[[JobStatus], None] | None = None
    ) -> JobStatus:
        """Follow ``job`` until it printed, ended or needs the operator (blocking).

        Raises:
            PrintError: the scheduler cannot be reached or forgot the job.
        """
        ...

    def purge_job(self, job: PrintJob) -> SpoolCheck:
        """Cancel ``job`` if it has not ended, purge it, and check the spool folder (blocking).

        Raises:
            PrintError: the job could not be cancelled or purged.
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

    async def choose_direct_exclusion(self) -> None:
        """Keep direct exclusion (the default) and journal the exclusion step."""
        ...

    async def set_up_protected_group(
        self, name: str, *, restricted_unit: bool = False, unit_name: str = ...
    ) -> ExclusionResult:
        """Create or find the protected group holding exactly the accounts (and its RMAU)."""
        ...

    async def plan_ca(self) -> CaPlan:
        """Read every Conditional Access policy and plan the exclusions (direct or group)."""
        ...

    async def apply_ca(self, plan: CaPlan) -> CaResult:
        """Back up, PATCH and re-read every policy of ``plan``, then journal the step."""
        ...

    async def restore_ca(self, path: Path) -> list[str]:
        """Put back the policies of a backup file; their display names."""
        ...

    @property
    def security_defaults(self) -> bool | None:
        """Whether the tenant's security defaults are on (read at connect; None: unread)."""
        ...

    async def ensure_dedicated_policy(self) -> PolicyResult:
        """Create the dedicated phishing-resistant policy report-only unless it exists."""
        ...

    async def decline_dedicated_policy(self) -> None:
        """Journal the policy step without a policy."""
        ...

    def enforce_blockers(self) -> tuple[str, ...]:
        """One sentence per account that keeps the dedicated policy report-only."""
        ...

    async def enforce_dedicated_policy(self) -> EnforceResult:
        """Switch the dedicated policy on unless an account blocks it; journal the step."""
        ...

    async def accept_sign_in(self, upn: str, identity: SignedInIdentity, policies: int) -> None:
        """Journal a verified sign-in once its token checked out."""
        ...

    async def passkey_problems(self, upn: str, aaguid: str | None = None) -> list[str]:
        """The FIDO2 pre-checks for an account (its groups counted): one sentence each."""
        ...

    async def registered_key(self, upn: str) -> SecurityKeyRecord | None:
        """The account's key when in the profile and listed in Graph, else None."""
        ...

    async def record_passkey(self, upn: str, record: SecurityKeyRecord) -> None:
        """Keep a registered key's record, mark the account ``passkey``, journal the step."""
        ...

    async def record_cba(self, upn: str) -> tuple[str, ...]:
        """Record certificate-based auth when bound; the certificate user IDs (empty: none)."""
        ...

    def skip_entry(self, upn: str, reason: str) -> dict[str, JsonValue]:
        """The ``credential-skipped`` log entry to sign (raises on a reason that is no sentence)."""
        ...

    async def record_skip(self, upn: str, reason: str) -> None:
        """Record a skip whose log entry is signed, and journal the step."""
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

    async def who_can_reset(self, upn: str) -> str | None:
        """One sentence on who can reset the password when the account sits in a restricted
        management administrative unit; None otherwise (or when it could not be read)."""
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
