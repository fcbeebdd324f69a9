"""Pilot tests of the Monitoring screen: preview, copy, save to a typed directory, log check.

The screen gets the real export and the real file writer through ``FakeMonitoring``
(tests/fakes_drill.py); only the ARM check is canned
(its HTTP side is tested in tests/services/test_monitoring_service.py).
"""

from __future__ import annotations

from pathlib import Path

from fakes_drill import FakeMonitoring
from textual.app import App
from textual.widgets import Button, Input, OptionList, Static, TextArea

from bgwizard.monitoring.diagnostics import DiagnosticSettingsReport, not_checked
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.screens.monitoring import MonitoringScreen

SIZE = (120, 40)
ID_A = "aaaaaaaa-1111-4222-8333-444444444444"
ID_B = "bbbbbbbb-1111-4222-8333-444444444444"


def profile(*accounts: BreakGlassAccount) -> Profile:
    return Profile(
        accounts=list(accounts)
        or [
            BreakGlassAccount("bg-a@contoso.onmicrosoft.com", ID_A),
            BreakGlassAccount("bg-b@contoso.onmicrosoft.com", ID_B),
        ]
    )


class Host(App[None]):
    def __init__(self, screen: MonitoringScreen) -> None:
        super().__init__()
        self.monitoring = screen
        self.result: list[Path] | None = None

    def on_mount(self) -> None:
        self.push_screen(self.monitoring, callback=self._done)

    def _done(self, result: list[Path] | None) -> None:
        self.result = result


def host(
    prof: Profile | None = None,
    report: DiagnosticSettingsReport | None = None,
    default_dir: str = "",
) -> tuple[Host, FakeMonitoring]:
    service = FakeMonitoring(report)
    screen = MonitoringScreen(prof or profile(), service, default_dir=default_dir)
    return Host(screen), service


async def test_opens_on_the_first_rule_with_every_file_listed() -> None:
    app, _ = host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.monitoring
        assert screen.query_one("#monitoring-files", OptionList).option_count == 16
        preview = screen.query_one("#monitoring-preview", TextArea)
        assert preview.read_only
        assert preview.text.startswith("// bgwizard: Break glass account sign-in")
        assert ID_A in preview.text and ID_B in preview.text
        assert "signin-any.kql" in str(screen.query_one("#monitoring-file-name", Static).render())
        watches = str(screen.query_one("#monitoring-watches", Static).render())
        assert watches == (
            "Watches: SigninLogs + AADNonInteractiveUserSignInLogs — sign-ins by the accounts"
        )


async def test_moving_in_the_list_changes_the_preview() -> None:
    app, _ = host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.monitoring
        screen.query_one("#monitoring-files", OptionList).focus()
        for _ in range(7):
            await pilot.press("down")
        await pilot.pause()
        assert screen.current is not None
        assert screen.current.name == "ca-policy-updated.kql"
        watches = str(screen.query_one("#monitoring-watches", Static).render())
        assert (
            '"Update conditional access policy"' in watches and "removing an exclusion" in watches
        )
        for _ in range(5):
            await pilot.press("down")
        await pilot.pause()
        assert screen.current.name == "azure-monitor-alert-rules.json"
        assert screen.query_one("#monitoring-preview", TextArea).text == screen.current.content
        assert str(screen.query_one("#monitoring-watches", Static).render()) == ""


async def test_copy_puts_the_file_shown_on_the_clipboard() -> None:
    app, _ = host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#copy")
        await pilot.pause()
        assert app.clipboard == app.monitoring.files[0].content
        await pilot.press("ctrl+y")
        assert app.clipboard == app.monitoring.files[0].content


async def test_save_writes_every_file_to_the_typed_directory(tmp_path: Path) -> None:
    target = tmp_path / "alerts"
    app, _ = host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.monitoring
        screen.query_one("#save-dir", Input).value = str(target)
        await pilot.click("#save")
        await app.workers.wait_for_complete()
        await pilot.pause()
        names = {f.name for f in screen.files}
        assert {p.name for p in target.iterdir()} == names
        assert {p.name for p in screen.saved_paths} == names
        status = str(screen.query_one("#monitoring-status", Static).render())
        assert f"Saved 16 files to {target}" in status
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is not None and {p.name for p in app.result} == names


async def test_save_without_a_directory_asks_for_one(tmp_path: Path) -> None:
    app, _ = host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#save")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.monitoring.saved_paths == []
        assert any("Type the directory" in n.message for n in app._notifications)
        assert app.focused is app.monitoring.query_one("#save-dir", Input)


async def test_save_into_a_file_shows_the_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    app, _ = host(default_dir=str(blocker / "sub"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.monitoring.saved_paths == []
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and errors[0].message.startswith("Cannot write the monitoring files")


async def test_accounts_without_object_ids_explain_and_disable_actions() -> None:
    app, _ = host(profile(BreakGlassAccount("bg-new@contoso.onmicrosoft.com")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.monitoring
        status = str(screen.query_one("#monitoring-status", Static).render())
        assert "has no object id yet" in status
        assert screen.query_one("#copy", Button).disabled
        assert screen.query_one("#save", Button).disabled
        assert screen.query_one("#monitoring-files", OptionList).option_count == 0


GROUP = "cccccccc-1111-4222-8333-444444444444"


async def test_typed_group_id_is_named_in_the_rules_and_the_file_shown_stays() -> None:
    app, _ = host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.monitoring
        screen.query_one("#monitoring-files", OptionList).focus()
        for _ in range(9):
            await pilot.press("down")
        await pilot.pause()
        assert screen.current is not None and screen.current.name == "exclusion-group-changes.kql"
        screen.query_one("#exclusion-group", Input).focus()
        await pilot.press(*GROUP)
        await pilot.pause()
        assert screen.current.name == "exclusion-group-changes.kql"
        text = screen.query_one("#monitoring-preview", TextArea).text
        assert f'let ExclusionGroupIds = dynamic(["{GROUP}"]);' in text
        assert all(GROUP in f.content for f in screen.files if f.name.endswith(".kql"))
        assert not screen.query_one("#save", Button).disabled


async def test_a_malformed_group_id_is_an_error_and_blocks_saving(tmp_path: Path) -> None:
    app, _ = host(default_dir=str(tmp_path / "out"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.monitoring
        before = [f.content for f in screen.files]
        screen.query_one("#exclusion-group", Input).value = "BG-CA-Exclusion"
        await pilot.pause()
        status = screen.query_one("#monitoring-status", Static)
        assert str(status.render()) == (
            "The exclusion group object id 'bg-ca-exclusion' is not a GUID."
        )
        assert status.has_class("status-error")
        assert [f.content for f in screen.files] == before  # nothing lost
        assert screen.query_one("#save", Button).disabled
        screen.query_one("#exclusion-group", Input).value = GROUP
        await pilot.pause()
        assert not screen.query_one("#save", Button).disabled
        assert str(status.render()) == ""


async def test_ids_passed_in_are_prefilled() -> None:
    service = FakeMonitoring()
    app = Host(MonitoringScreen(profile(), service, exclusion_group_id=GROUP))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.monitoring.query_one("#exclusion-group", Input).value == GROUP
        assert GROUP in app.monitoring.files[0].content


async def test_log_check_shows_the_result() -> None:
    report = DiagnosticSettingsReport(
        status="missing", to_workspace={"SignInLogs": ["ws"], "AuditLogs": []}
    )
    app, service = host(report=report)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#check")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = app.monitoring.query_one("#monitoring-status", Static)
        assert service.checks == 1
        assert "Not sent to any Log Analytics workspace: AuditLogs" in str(status.render())
        assert status.has_class("status-error")


async def test_log_check_not_checked_is_a_warning_never_a_pass() -> None:
    app, _ = host(report=not_checked("the signed-in account may not read them (HTTP 403)."))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = app.monitoring.query_one("#monitoring-status", Static)
        assert str(status.render()).startswith("Diagnostic settings not checked:")
        assert status.has_class("status-warning")
