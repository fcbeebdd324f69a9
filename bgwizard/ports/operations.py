"""Ports of the running journeys: audit, drill, the signed log, runbook, monitoring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity
from bgwizard.profile.model import BreakGlassAccount
from bgwizard.secret import Secret

if TYPE_CHECKING:
    # Only named in signatures: importing them at start-up would load fido2, reportlab, the
    # ledger, set-up and monitoring modules the home screen does not need (see ``Container``).
    from bgwizard.audit.model import AuditReport
    from bgwizard.drill.model import Drill, ItemResult, RecordedDrill
    from bgwizard.ledger.chain import JsonValue, Verification
    from bgwizard.monitoring.arm import ExportFile
    from bgwizard.monitoring.diagnostics import DiagnosticSettingsReport
    from bgwizard.runbook.model import RenderedRunbook, RunbookDocument


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

    def export_files(
        self,
        accounts: Iterable[BreakGlassAccount],
        *,
        exclusion_group_id: str = "",
        rmau_id: str = "",
    ) -> list[ExportFile]:
        """Every export file for the accounts, naming the exclusion group and RMAU when given.

        Raises ``MonitoringError`` on bad accounts or a malformed object id.
        """
        ...

    def save(
        self, files: Sequence[ExportFile], out_dir: Path, *, force: bool = False
    ) -> list[Path]:
        """Write the files into ``out_dir`` and return their paths (blocking).

        Files of the export that exist are replaced only with ``force`` (else
        ``ExportFilesExist``).
        """
        ...

    async def check_diagnostic_settings(self) -> DiagnosticSettingsReport:
        """Whether AuditLogs and both sign-in logs reach a workspace; never raises."""
        ...
