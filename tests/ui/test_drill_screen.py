"""The drill screen end to end on the real stack: emulator over HTTPS, msal, msgraph-sdk.

The break glass accounts are created through Graph as the wizard would (cloud-only, Global
Administrator, excluded from every policy); the drill signs in separately as the account with
the device code flow, approved through the production ``EmulatorApprover`` by typing the password
from the sheet; the signed log is verified with ``ssh-keygen -Y verify`` afterwards.

The failing drills (wrong password, retired serial and missed alert, Global Administrator
removed, no policy exclusion) are screen logic and run on fakes in ``test_drill_screen_fakes``;
their checks run on the emulator in ``tests/services/test_drill_service.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import SIZE, FakeProfileStore
from textual.widgets import Button, Input, Select, Static

from bgwizard.container import Container
from bgwizard.demo.approver import EmulatorApprover
from bgwizard.demo.info import DemoInfo
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import Profile
from bgwizard.screens.approve import ApproveDialog
from bgwizard.screens.drill.checklist import DrillScreen
from bgwizard.screens.drill.items import ManualItem
from bgwizard.screens.drill.sign_dialog import SignDialog
from bgwizard.tui.app import BgWizardApp
from ui.drill_pilot import fill_before, item_status

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from consented import consented
from drill_support import BG_PASSWORD, set_up_break_glass
from ledger_support import ssh_keygen_verify
from service_support import ADMIN, FAST, profile_for, sign_in

PASSPHRASE = "training passphrase 1"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with consented(Emulator()) as emulator:
        yield emulator


async def _profile(emu: Emulator, tmp_path: Path, *, exclude: bool = True) -> Profile:
    admin = await sign_in(emu, ADMIN)
    graph = GraphDirectory(profile_for(emu), admin.credential(), retry=FAST)
    try:
        setup = await set_up_break_glass(emu, graph, count=2, exclude=exclude)
    finally:
        await graph.close()
    profile = setup.profile
    profile.drill_log = str(tmp_path / "drill-log.jsonl")
    profile.signer_key = str(tmp_path / "drill-key")
    return profile


def _app(emu: Emulator, profile: Profile) -> tuple[BgWizardApp, FakeProfileStore]:
    store = FakeProfileStore(profile)
    services = Container(profile, store, demo=EmulatorApprover(emu))
    return BgWizardApp(
        services, profile, demo=DemoInfo(emu.base_url), sign_in_on_start=False
    ), store


async def _until(pilot: Any, condition: Callable[[], bool], seconds: float = 120) -> None:
    """Poll while msal and the emulator work in threads (bounded)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition(), "the drill never reached the expected state"


async def _drill(
    app: BgWizardApp, pilot: Any, *, serial: str, password: str, alert: bool = True
) -> DrillScreen:
    app.action_open_journey("drill")
    await _until(
        pilot, lambda: isinstance(app.screen, DrillScreen) and bool(app.screen.query("#verdict"))
    )
    screen = app.screen
    assert isinstance(screen, DrillScreen)
    screen.query_one("#account", Select).value = app.profile.accounts[0].upn
    await pilot.pause()
    fill_before(screen)
    screen.query_one("#serial", Input).value = serial
    await pilot.press("f5")
    await _until(pilot, lambda: screen.prompt is not None)
    assert app.profile.accounts[0].upn in str(screen.query_one("#device-code", Static).render())
    screen.query_one("#approve", Button).press()
    await _until(pilot, lambda: isinstance(app.screen, ApproveDialog))
    await _until(pilot, lambda: app.focused is not None and app.focused.id == "password")
    await pilot.press(*password, "enter")
    if password != BG_PASSWORD:
        await _until(
            pilot, lambda: "wrong" in str(app.screen.query_one("#approve-error", Static).render())
        )
        await pilot.press("escape")
        await _until(pilot, lambda: app.screen is screen)
        await pilot.press("f7")
    await _until(pilot, lambda: item_status(screen, "audit_rules") != "pending")
    await pilot.press("f8")
    await _until(pilot, lambda: item_status(screen, "signin_evidence") != "pending")
    manual = {m.spec.id: m for m in screen.query(ManualItem)}
    manual["alert"].fill(answer=alert, time="09:16" if alert else "")
    manual["sheet_returned"].fill(answer=True, seal="SEAL-778")
    screen.query_one("#notes", Input).value = "training drill"
    await pilot.press("f9")
    await _until(pilot, lambda: isinstance(app.screen, SignDialog))
    await pilot.press(*PASSPHRASE, "enter")
    await _until(pilot, lambda: screen.recorded is not None)
    return screen


async def test_full_drill_passes_and_is_signed(emu: Emulator, tmp_path: Path) -> None:
    profile = await _profile(emu, tmp_path)
    profile.drill.operator = "alice@contoso.example"
    app, store = _app(emu, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _drill(app, pilot, serial="cur1-0002", password=BG_PASSWORD)
        drill = screen.drill
        assert drill is not None
        bad = {i.id: i.detail for i in drill.failures()}
        assert drill.outcome == "pass", bad
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "Drill result: PASS" in verdict and "Next drill due" in verdict
        # Signed in with the password only: the headline itself says there is a warning.
        assert "PASS WITH 1 WARNING (⚠ below)" in verdict and "⚠ portal_signin" in verdict
    log = DrillLog(Path(profile.drill_log))
    assert f"(head {log.verify().head})" in verdict.replace("\n", "")  # all 64 hex digits
    entries = log.entries()
    assert [e.kind for e in entries] == ["log-start", "drill"]
    data = entries[1].data
    assert data["result"] == "pass" and data["account_id"] == profile.accounts[0].object_id
    assert store.profile.last_drill == app.clock().date()
    signers = "".join(s.allowed_signers_line() + "\n" for s in log.signers())
    assert ssh_keygen_verify(log.path, tmp_path, signers) == [0, 0]
