"""The audit screen: summary counts, the findings by severity, and each finding's details.

The audit runs in a worker through the injected ``AuditRunner`` port (``AuditService`` from the
container, a fake in tests). "Fix CA exclusions" posts ``AuditScreen.FixCaExclusions`` with the
gaps; the app routes it to the set-up wizard's Conditional Access step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Static

from bgwizard.audit.model import AuditReport, Finding, Severity
from bgwizard.errors import BgWizardError
from bgwizard.ports import AuditRunner

COUNTS: Final[tuple[tuple[Severity, str, str], ...]] = (
    ("error", "error", "errors"),
    ("warning", "warning", "warnings"),
    ("not_checked", "not checked", "not checked"),
    ("info", "info", "info"),
    ("ok", "passed", "passed"),
)
COLUMNS: Final = (("Severity", 11), ("Finding", 42), ("Account", 20), ("Policy", 24))
"""Findings table columns and widths (the details pane shows everything in full, rule id too)."""
LABELS: Final[dict[Severity, str]] = {
    "error": "ERROR",
    "warning": "warning",
    "not_checked": "NOT CHECKED",
    "info": "info",
    "not_applicable": "n/a licence",
    "ok": "ok",
}
VERDICTS: Final = {
    "pass": "Pass: every check ran and none found an error.",
    "fail": "Fail: errors were found.",
    "incomplete": "Incomplete: some checks could not run, so the audit cannot pass.",
}


@dataclass(frozen=True)
class CaGap:
    """One account missing (or only indirectly in) one policy's exclusions."""

    account: str
    upn: str
    policy_id: str
    policy_name: str
    severity: Severity


class AuditScreen(Screen[None]):
    """Runs the audit and shows what it found."""

    CSS_PATH = "audit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="audit_back", tooltip="Back to the journeys."),
        Binding("f5", "rerun", "Run again", id="audit_rerun", tooltip="Read the tenant again."),
        Binding(
            "f6",
            "fix_ca",
            "Fix CA exclusions",
            id="audit_fix_ca",
            tooltip="Open the set-up wizard's Conditional Access step for the gaps found.",
        ),
        Binding(
            "f8",
            "toggle_passed",
            "Show passed",
            id="audit_toggle_passed",
            tooltip="Also list the checks that passed.",
        ),
    ]

    report: var[AuditReport | None] = var(None)
    """The last report; None while the first audit runs (or after it failed)."""
    show_passed: var[bool] = var(False)
    """Whether checks that passed are listed too."""

    @dataclass
    class FixCaExclusions(Message):
        """The user asked to fix the Conditional Access gaps the audit found."""

        gaps: tuple[CaGap, ...]
        """Every account × policy that is not excluded directly."""

    def __init__(self, runner: AuditRunner) -> None:
        """Build the screen around ``runner``.

        Args:
            runner: runs the audit (in a worker).
        """
        super().__init__()
        self._runner = runner
        self._shown: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="audit-body"):
            yield Static("Audit of the break glass accounts", id="audit-title")
            yield Static("Reading the tenant…", id="audit-status", markup=False)
            with Horizontal(id="audit-counts"):
                for severity, _, plural in COUNTS:
                    yield Static(f"– {plural}", id=f"count-{severity}", classes=f"count {severity}")
            table: DataTable[str] = DataTable(id="findings", cursor_type="row", zebra_stripes=True)
            yield table
            with VerticalScroll(id="audit-details"):
                yield Static(
                    "Select a finding to see its evidence and the fix.", id="details", markup=False
                )
            with Horizontal(id="audit-actions"):
                yield Button("Run again", id="rerun")
                yield Button("Fix CA exclusions", id="fix-ca", variant="warning", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#findings", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self.query_one("#fix-ca").display = False  # until the audit finds a CA gap
        self.run_audit()

    # -- running ---------------------------------------------------------------------

    @work(exclusive=True, group="audit")
    async def run_audit(self) -> None:
        """Run the audit and show the report (errors become one sentence on screen)."""
        self.query_one("#audit-status", Static).update("Reading the tenant…")
        try:
            report = await self._runner.run()
        except BgWizardError as exc:
            self.query_one("#audit-status", Static).update(f"The audit could not run: {exc}")
            self.notify(str(exc), severity="error", title="Audit")
            return
        self.report = report

    def watch_report(self, report: AuditReport | None) -> None:
        if report is None:
            return
        status = self.query_one("#audit-status", Static)
        status.update(VERDICTS[report.result])
        status.set_classes(f"verdict {report.result}")
        for severity, one, many in COUNTS:
            number = report.count(severity)
            self.query_one(f"#count-{severity}", Static).update(
                f"{number} {one if number == 1 else many}"
            )
        # Offered only when there is a CA finding to fix (button and F6 alike).
        gaps = bool(self.ca_gaps())
        fix = self.query_one("#fix-ca", Button)
        fix.disabled, fix.display = not gaps, gaps
        self.refresh_bindings()
        self._fill_table()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide "Fix CA exclusions" (F6) unless the audit found a CA gap."""
        if action == "fix_ca":
            return bool(self.ca_gaps())
        return True

    def watch_show_passed(self, show: bool) -> None:
        self._fill_table()

    def _fill_table(self) -> None:
        if self.report is None or not self.is_mounted:
            return
        table = self.query_one("#findings", DataTable)
        table.clear()
        wanted = (
            "error",
            "warning",
            "not_checked",
            "info",
            "not_applicable",
            *(("ok",) if self.show_passed else ()),
        )
        self._shown = [f for f in self.report.findings if f.severity in wanted]
        for index, finding in enumerate(self._shown):
            cells = (
                LABELS[finding.severity],
                finding.message,
                finding.upn or finding.account or "tenant",
                finding.policy.display_name if finding.policy else "",
            )
            # Text, not str: names and messages may hold square brackets (never markup).
            table.add_row(*(Text(cell) for cell in cells), key=str(index))
        self._show_details(self._shown[0] if self._shown else None)

    # -- details and actions -------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#findings")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None and key.isdigit() and int(key) < len(self._shown):
            self._show_details(self._shown[int(key)])

    def _show_details(self, finding: Finding | None) -> None:
        details = self.query_one("#details", Static)
        if finding is None:
            details.update("Nothing to report.")
            return
        details.update(details_text(finding))

    def ca_gaps(self) -> tuple[CaGap, ...]:
        """The CA findings the wizard's CA step can fix (errors and warnings with a policy)."""
        if self.report is None:
            return ()
        return tuple(
            CaGap(f.account or "", f.upn, f.policy.id, f.policy.display_name, f.severity)
            for f in self.report.findings
            if f.rule == "ca.exclusion" and f.policy and f.severity in ("error", "warning")
        )

    def action_fix_ca(self) -> None:
        """Ask the app to open the set-up wizard's CA step for the gaps found."""
        gaps = self.ca_gaps()
        if not gaps:
            self.notify("No Conditional Access gap to fix.", title="Audit")
            return
        self.post_message(self.FixCaExclusions(gaps))

    def action_rerun(self) -> None:
        """Run the audit again."""
        self.run_audit()

    def action_toggle_passed(self) -> None:
        """List (or hide) the checks that passed."""
        self.show_passed = not self.show_passed

    def action_back(self) -> None:
        """Leave the audit screen."""
        self.dismiss(None)

    @on(Button.Pressed, "#rerun")
    def _rerun_pressed(self) -> None:
        self.action_rerun()

    @on(Button.Pressed, "#fix-ca")
    def _fix_pressed(self) -> None:
        self.action_fix_ca()


def details_text(finding: Finding) -> str:
    """The details pane's text for one finding (plain text, no markup).

    Args:
        finding: the finding.

    Returns:
        The lines: message, account, policy, evidence, fix.
    """
    lines = [f"{LABELS[finding.severity]} · {finding.rule}", finding.message, ""]
    if finding.account or finding.upn:
        lines.append(f"Account: {finding.upn or '?'} ({finding.account or 'not created'})")
    if finding.policy:
        lines.append(f"Policy: {finding.policy.display_name} ({finding.policy.id})")
    if finding.evidence and finding.severity != "not_checked":
        lines += ["", "Evidence:", *finding.evidence.splitlines()]
    if finding.fix:
        lines += ["", f"Fix: {finding.fix}"]
    return "\n".join(lines)
