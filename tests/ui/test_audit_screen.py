"""The audit screen with a fake ``AuditRunner`` (tests/fakes_drill.py): counts, the findings
table, details, fix CA, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fakes_drill import FakeAuditRunner
from textual.app import App
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from bgwizard.audit.model import AuditReport, Finding, PolicyRef, sort_findings
from bgwizard.errors import PermissionMissing
from bgwizard.screens.audit import AuditScreen

SIZE = (110, 36)
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
OID = "b6000001-0000-4000-8000-000000000001"
CA006 = PolicyRef("a1b2", "CA006-Global-DataProtection [Browser]")


def report(*findings: Finding) -> AuditReport:
    return AuditReport(findings=sort_findings(findings), generated=NOW, tenant_name="Contoso")


FAILING = report(
    Finding(
        "ca.exclusion",
        "error",
        "Not excluded from this enabled policy.",
        evidence="State: enabled.\nexcludeGroups: a8e55fcf.",
        fix="Add the account to the policy's excluded users.",
        account=OID,
        upn="kestrel1@contoso.onmicrosoft.com",
        policy=CA006,
    ),
    Finding("auth.strong_method", "warning", "No passkey.", account=OID, upn="kestrel1@x"),
    Finding(
        "role.global_admin", "not_checked", "Permission missing: RoleManagement.Read.Directory."
    ),
    Finding("drill.last", "info", "Drills are not checked yet."),
    Finding("accounts.count", "ok", "Two break glass accounts."),
)
INCOMPLETE = report(
    Finding("ca.read", "not_checked", "Throttled."), Finding("accounts.count", "ok", "Two.")
)


class Host(App[None]):
    """Pushes the audit screen and records the fix requests it posts."""

    def __init__(self, runner: FakeAuditRunner) -> None:
        super().__init__()
        self.runner = runner
        self.fix_requests: list[AuditScreen.FixCaExclusions] = []

    def on_mount(self) -> None:
        self.push_screen(AuditScreen(self.runner))

    def on_audit_screen_fix_ca_exclusions(self, message: AuditScreen.FixCaExclusions) -> None:
        self.fix_requests.append(message)


async def settled(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_counts_verdict_and_table_by_severity() -> None:
    app = Host(FakeAuditRunner(FAILING))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert text(app, "#audit-status").startswith("Fail")
        assert text(app, "#count-error") == "1 error"
        assert text(app, "#count-not_checked") == "1 not checked"
        assert text(app, "#count-ok") == "1 passed"
        table = app.screen.query_one("#findings", DataTable)
        assert table.row_count == 4  # passed checks are hidden
        severities = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert severities == ["ERROR", "warning", "NOT CHECKED", "info"]
        assert str(table.get_row_at(0)[3]) == "CA006-Global-DataProtection [Browser]"
        assert str(table.get_row_at(0)[1]) == "Not excluded from this enabled policy."


async def test_details_show_the_evidence_and_the_fix_of_the_highlighted_row() -> None:
    app = Host(FakeAuditRunner(FAILING))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        details = text(app, "#details")
        assert "excludeGroups: a8e55fcf." in details
        assert "Fix: Add the account" in details
        assert "Policy: CA006-Global-DataProtection [Browser] (a1b2)" in details
        app.screen.query_one("#findings", DataTable).focus()
        await pilot.press("down")
        await pilot.pause()
        assert text(app, "#details").startswith("warning · auth.strong_method")


async def test_fix_ca_posts_the_gaps_for_the_wizard() -> None:
    app = Host(FakeAuditRunner(FAILING))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert not app.screen.query_one("#fix-ca", Button).disabled
        assert app.screen.query_one("#fix-ca", Button).display
        assert "f6" in app.screen.active_bindings
        await pilot.press("f6")
        await pilot.pause()
        (request,) = app.fix_requests
        (gap,) = request.gaps
        assert (gap.account, gap.policy_id, gap.severity) == (OID, "a1b2", "error")


async def test_fix_ca_is_off_without_gaps_and_incomplete_never_reads_as_pass() -> None:
    app = Host(FakeAuditRunner(INCOMPLETE))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert text(app, "#audit-status").startswith("Incomplete")
        fix = app.screen.query_one("#fix-ca", Button)
        assert fix.disabled and not fix.display  # issue 20: not offered without a CA finding
        assert "f6" not in app.screen.active_bindings  # nor in the footer
        await pilot.press("f6")
        await pilot.pause()
        assert app.fix_requests == []


async def test_show_passed_and_run_again() -> None:
    runner = FakeAuditRunner(FAILING, INCOMPLETE)
    app = Host(runner)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert app.screen.query_one("#findings", DataTable).row_count == 5
        await pilot.press("f5")
        await settled(pilot)
        assert runner.runs == 2
        assert text(app, "#audit-status").startswith("Incomplete")


async def test_an_audit_that_cannot_run_says_why() -> None:
    error = PermissionMissing("reading Conditional Access policies", "Policy.Read.All")
    app = Host(FakeAuditRunner(error))
    notes: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=notes.append) as pilot:
        await settled(pilot)
        status = text(app, "#audit-status")
        assert status.startswith("The audit could not run: Permission missing")
        assert "Policy.Read.All" in status
        assert text(app, "#count-error") == "– errors"


def test_audit_screen_snapshot(snap_compare: Any) -> None:
    """The audit screen after a failing audit (textual-dark): title "Audit of the break glass
    accounts"; "Fail: errors were found." in red bold; the counts "1 error  1 warning
    1 not checked  1 info  1 passed"; a table with columns Severity, Finding, Account, Policy
    and four rows in order ERROR ("Not excluded from this enabled policy.", the account and
    the policy cut to the column widths), warning, NOT CHECKED, info; below, the details of
    the first row: "ERROR · ca.exclusion", the account with its object id, "Policy:
    CA006-Global-DataProtection [Browser] (a1b2)" with its square brackets shown literally,
    the two evidence lines and "Fix: Add the account to the policy's excluded users.";
    buttons "Run again" and "Fix CA exclusions"; footer with esc Back, f5 Run again, f6 Fix CA
    exclusions, f8 Show passed."""

    async def settle(pilot: Any) -> None:
        await settled(pilot)

    assert snap_compare(Host(FakeAuditRunner(FAILING)), terminal_size=SIZE, run_before=settle)
