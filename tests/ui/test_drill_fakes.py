"""The drill screen's own logic on fakes (tests/fakes_drill.py): what it records when, what it
cancels, what it signs. The checks themselves run end to end in test_drill_screen.py."""

from __future__ import annotations

from typing import Any

from fakes import SIZE, AppFactory, FakeServices, admin_identity, sample_profile, settle
from fakes_drill import FakeDrillChecksFactory, FakeLogRecorder
from textual.widgets import Input, Select, Static

from bgwizard.drill.model import failed, passed
from bgwizard.screens.drill.checklist import DrillScreen
from bgwizard.screens.drill.items import ManualItem
from bgwizard.screens.drill.sign_dialog import SignDialog
from bgwizard.tui.app import BgWizardApp
from ui.drill_pilot import item_status as _status

UPN = "bg-alpha@contosologistics.onmicrosoft.com"


def _fakes(fakes: FakeServices) -> tuple[FakeDrillChecksFactory, FakeLogRecorder]:
    drill, recorder = FakeDrillChecksFactory(), FakeLogRecorder(signer="alice")
    fakes.drill, fakes.recorder = drill, recorder
    return drill, recorder


async def _open(app: BgWizardApp, pilot: Any) -> DrillScreen:
    app.action_open_journey("drill")
    await settle(pilot, lambda: bool(app.screen.query("#verdict")))
    screen = app.screen
    assert isinstance(screen, DrillScreen)
    screen.query_one("#account", Select).value = UPN
    await pilot.pause()
    return screen


async def test_the_sign_in_records_the_serial_and_the_checks(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    drill, _ = _fakes(fakes)
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        screen.query_one("#serial", Input).value = "CUR1-0002"
        await pilot.press("f5")
        await settle(pilot, lambda: screen.prompt is not None)
        assert UPN in str(screen.query_one("#device-code", Static).render())
        assert drill.made[0].account.upn == UPN
        drill.auth.approve(admin_identity(UPN))
        await settle(pilot, lambda: _status(screen, "portal_signin") != "pending")
        assert screen.prompt is None
        assert _status(screen, "signin") == "pass" and _status(screen, "serial") != "pending"


async def test_password_failed_cancels_the_sign_in_and_fails_it(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    drill, _ = _fakes(fakes)
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("f5")
        await settle(pilot, lambda: screen.prompt is not None)
        prompt = screen.prompt
        await pilot.press("f7")
        await settle(pilot, lambda: screen.prompt is None)
        assert drill.auth.cancelled == [prompt]
        assert _status(screen, "signin") == "fail" and _status(screen, "token_account") == "not_run"
        assert "password on the sheet did not work" in screen.drill.item("signin").detail  # type: ignore[union-attr]


async def test_check_logs_needs_a_sign_in_first_then_searches_the_window(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    drill, _ = _fakes(fakes)
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert not drill.made  # nothing to search without the account's own sign-in
        await pilot.press("f5")
        await settle(pilot, lambda: screen.prompt is not None)
        checks = drill.made[0]
        checks.after = [
            failed("no_changes", "Changed a policy."),
            passed("signin_evidence", "Found."),
        ]
        drill.auth.approve(admin_identity(UPN))
        await settle(pilot, lambda: _status(screen, "portal_signin") != "pending")
        await pilot.press("f8")
        await settle(pilot, lambda: _status(screen, "signin_evidence") != "pending")
        assert _status(screen, "no_changes") == "fail"
        start, end = checks.windows[0]
        assert start < end == app.clock()


async def test_finish_signs_through_the_recorder_and_shows_the_verdict(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    drill, recorder = _fakes(fakes)
    app = make_app(fakes, sample_profile())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        {m.spec.id: m for m in screen.query(ManualItem)}["ticket"].fill(number="CHG-1042")
        screen.query_one("#notes", Input).value = "training drill"
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, SignDialog))
        await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
        await pilot.press(*"passphrase 1", "enter")
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: screen.recorded is not None)
        assert not drill.made  # never signed in: the checks were never built
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "Drill result: INCOMPLETE" in verdict or "Drill result: FAIL" in verdict
        assert "entry 1 of /fake/drill-log.jsonl" in verdict
    (entry,) = recorder.entries
    assert entry.kind == "drill" and entry.operator == "alice"
    assert entry.data["notes"] == "training drill"
    assert recorder.passphrases[0] is not None
    assert recorder.passphrases[0].reveal() == "passphrase 1"


async def test_a_refused_log_is_relinked_through_the_recorder(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    _, recorder = _fakes(fakes)
    recorder.refuse = "signature does not verify"
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, SignDialog))
        dialog = app.screen
        await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
        await pilot.press(*"passphrase 1", "enter")
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: dialog.query_one("#relink").display)
        assert "signature does not verify" in str(dialog.query_one("#sign-error", Static).render())
        assert not recorder.entries
        dialog.query_one("#passphrase", Input).value = "passphrase 1"
        dialog.query_one("#relink").press()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: screen.recorded is not None)
        assert "drill-log-2.jsonl" in str(screen.query_one("#verdict", Static).render())
    assert [e.kind for e in recorder.entries] == ["drill"]
