"""The drill screen's outcomes on fakes (tests/fakes_drill.py): what it shows, records and signs
when the sign-in or a check fails. The token is judged by the real, pure checks
(``bgwizard.drill.checks``); the checks that read the tenant are canned. Moved from
``test_drill_screen`` and ``test_drill_passkey``, which keep the passing drill end to end on the
emulator; the failing checks themselves run on the emulator in
``tests/services/test_drill_service.py`` and ``test_key_signin.py``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fakes import SIZE, AppFactory, FakeDemoApprover, FakeServices, sample_profile, settle
from fakes_drill import (
    FakeDrillChecker,
    FakeDrillChecksFactory,
    FakeLogRecorder,
    bg_identity,
    real_recorder,
)
from fakes_setup import FakeKeys
from soft_authenticator import SoftKey
from textual.widgets import Button, Input, Select, Static

from bgwizard.drill.model import failed
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import Profile, SheetRecord
from bgwizard.screens.approve import ApproveDialog
from bgwizard.screens.drill.checklist import DrillScreen
from bgwizard.screens.drill.items import ManualItem
from bgwizard.screens.drill.sign_dialog import SignDialog
from bgwizard.tui.app import BgWizardApp
from ui.drill_pilot import fill_before, item_status

BG_PASSWORD = "Sheet-Pass-2026-Qm4tRz8w"
PASSPHRASE = "training passphrase 1"


def _profile(tmp_path: Path) -> Profile:
    """The sample tenant; the first account has a retired and a current sheet."""
    profile = sample_profile()
    profile.accounts[0].sheets = [
        SheetRecord("OLD1-0001", dt.date(2025, 10, 1), retired=dt.date(2026, 1, 2)),
        SheetRecord("CUR1-0002", dt.date(2026, 1, 2)),
    ]
    profile.drill_log = str(tmp_path / "drill-log.jsonl")
    profile.signer_key = str(tmp_path / "drill-key")
    profile.drill.operator = "alice@contoso.example"
    profile.last_drill = None
    return profile


def _fakes(
    fakes: FakeServices, profile: Profile, *, global_admin: bool = True
) -> FakeDrillChecksFactory:
    """Drill checks whose sign-in the demo approver approves with the sheet's password."""
    drill = fakes.drill = FakeDrillChecksFactory()
    account = profile.accounts[0]
    identity = bg_identity(account, global_admin=global_admin)
    fakes.demo = FakeDemoApprover(drill.auth, {account.upn: BG_PASSWORD}, {account.upn: identity})
    fakes.recorder = FakeLogRecorder(signer="alice")
    fakes.keys = FakeKeys()
    return drill


async def _drill(
    app: BgWizardApp,
    pilot: Any,
    *,
    serial: str,
    password: str = BG_PASSWORD,
    alert: bool = True,
    before_sign_in: Any = None,
) -> DrillScreen:
    """The whole drill as the operator goes through it, approving in the demo dialog."""
    app.action_open_journey("drill")
    await settle(pilot, lambda: bool(app.screen.query("#verdict")))
    screen = app.screen
    assert isinstance(screen, DrillScreen)
    upn = app.profile.accounts[0].upn
    screen.query_one("#account", Select).value = upn
    await pilot.pause()
    fill_before(screen)
    screen.query_one("#serial", Input).value = serial
    await pilot.press("f5")
    await settle(pilot, lambda: screen.prompt is not None)
    assert upn in str(screen.query_one("#device-code", Static).render())
    if before_sign_in is not None:
        before_sign_in(screen)
    screen.query_one("#approve", Button).press()
    await settle(pilot, lambda: isinstance(app.screen, ApproveDialog))
    await settle(pilot, lambda: app.focused is not None and app.focused.id == "password")
    await pilot.press(*password, "enter")
    if password != BG_PASSWORD:
        error = app.screen.query_one("#approve-error", Static)
        # No wait_for_complete here: the drill's sign-in keeps waiting, as on Microsoft's page.
        await settle(pilot, lambda: "wrong" in str(error.render()).lower())
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
        await pilot.press("f7")
    await app.workers.wait_for_complete()
    await settle(pilot, lambda: item_status(screen, "audit_rules") != "pending")
    await pilot.press("f8")
    await app.workers.wait_for_complete()
    await settle(pilot, lambda: item_status(screen, "signin_evidence") != "pending")
    manual = {m.spec.id: m for m in screen.query(ManualItem)}
    manual["alert"].fill(answer=alert, time="09:16" if alert else "")
    manual["sheet_returned"].fill(answer=True, seal="SEAL-778")
    screen.query_one("#notes", Input).value = "training drill"
    await pilot.press("f9")
    await settle(pilot, lambda: isinstance(app.screen, SignDialog))
    await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
    await pilot.press(*PASSPHRASE, "enter")
    await app.workers.wait_for_complete()
    await settle(pilot, lambda: screen.recorded is not None)
    return screen


async def test_wrong_password_fails_the_drill(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    drill = _fakes(fakes, profile)
    real_recorder(fakes, profile)  # the failed drill is signed into a real log; no last_drill
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _drill(app, pilot, serial="CUR1-0002", password="Not-The-Sheet-1!")
        assert fakes.demo is not None and [a[2] for a in fakes.demo.attempts] == [False]
        assert drill.auth.cancelled == drill.auth.prompts  # F7 stopped waiting for the sign-in
        result = screen.drill
        assert result is not None and result.outcome == "fail"
        assert item_status(screen, "signin") == "fail"
        assert "Rotate the password" in result.item("signin").fix
        assert item_status(screen, "token_account") == "not_run"
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "Drill result: FAIL" in verdict and "signin: Rotate the password" in verdict
    entries = DrillLog(Path(profile.drill_log)).entries()
    assert entries[-1].data["result"] == "fail"
    assert fakes.profiles.profile.last_drill is None and profile.last_drill is None


async def test_retired_serial_and_missed_alert_fail(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    _fakes(fakes, profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _drill(app, pilot, serial="OLD1-0001", alert=False)
        drill = screen.drill
        assert drill is not None and drill.outcome == "fail"
        assert {f.id for f in drill.failures()} == {"serial", "alert"}
        assert "retired on 2026-01-02" in drill.item("serial").detail
        assert item_status(screen, "global_admin") == "pass"


async def test_global_admin_removed_before_the_drill_fails(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    _fakes(fakes, profile, global_admin=False)  # the token's wids lack Global Administrator
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _drill(app, pilot, serial="CUR1-0002")
        drill = screen.drill
        assert drill is not None and drill.outcome == "fail"
        assert item_status(screen, "token_account") == "pass"
        assert item_status(screen, "global_admin") == "fail"
        assert "set-up step 'Global Administrator'" in drill.item("global_admin").fix


async def test_account_excluded_from_no_policy_fails(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    drill = _fakes(fakes, profile)
    detail = "Not excluded from this enabled policy: CA000-Global (rule ca.direct_exclusion)."

    def audit_fails(screen: DrillScreen) -> None:
        checker: FakeDrillChecker = drill.made[0]
        checker.during[1] = failed("audit_rules", detail)

    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _drill(app, pilot, serial="CUR1-0002", before_sign_in=audit_fails)
        result = screen.drill
        assert result is not None and result.outcome == "fail"
        assert {f.id for f in result.failures()} == {"audit_rules"}
        assert "Not excluded from this enabled policy" in result.item("audit_rules").detail
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "audit_rules: Run the audit and fix each finding it lists." in verdict


async def test_a_password_drill_warns_that_the_portals_refuse_it(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    _fakes(fakes, profile)
    key = SoftKey(pin="48151623")
    fakes.keys = FakeKeys([key])  # plugged in, but the operator types the password
    recorder = fakes.recorder
    assert isinstance(recorder, FakeLogRecorder)
    app = make_app(fakes, profile)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await _drill(app, pilot, serial="CUR1-0002")
        drill = screen.drill
        assert drill is not None and drill.outcome == "pass"
        portal = drill.item("portal_signin")
        assert portal.status == "warn"
        assert portal.detail == "Password only: the admin portals will refuse it."
        row = str(screen.query_one("#row-portal_signin", Static).render())
        assert row.startswith("⚠ Portal-ready sign-in (passkey) — warning: Password only")
        assert "Fix: Register a FIDO2 security key" in row
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "⚠ portal_signin: Password only: the admin portals will refuse it." in verdict
    assert key.counter == 0
    items = {i["id"]: i for i in recorder.entries[-1].data["items"]}  # type: ignore[union-attr]
    assert items["portal_signin"]["status"] == "warn"
    assert items["signin"]["evidence"]["method"] == "password"
