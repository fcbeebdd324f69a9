"""A drill signed in with the security key, end to end on the real stack.

The break glass account gets the tests' software key registered through Graph (the emulator
verifies the attestation). In the drill, the approve dialog's "Use security key" path has the
key sign the emulator's challenge after its PIN; the token's ``amr`` then says ``fido`` and the
drill records "Portal-ready sign-in (passkey)" as passed. The signed log carries the item and
the method. (A password-only drill's warning is screen logic, on fakes in
``test_drill_screen_fakes``; its check runs on the emulator in ``test_key_signin.py``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consented import consented
from fakes_setup import FakeKeys
from soft_authenticator import SoftKey
from textual.widgets import Button, Input, Select, Static

from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ledger.store import DrillLog
from bgwizard.passkeys.service import PasskeyGraph, enrol_key
from bgwizard.profile.model import Profile
from bgwizard.screens.approve import ApproveDialog
from bgwizard.screens.drill.checklist import DrillScreen
from bgwizard.screens.drill.items import ManualItem
from bgwizard.screens.drill.sign_dialog import SignDialog
from bgwizard.secret import Secret
from bgwizard.tui.app import BgWizardApp
from ui.drill_pilot import fill_before, item_status
from ui.test_drill_screen import PASSPHRASE, _app, _profile, _until

PIN = "48151623"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with consented(Emulator()) as emulator:
        yield emulator


async def _register_key(emu: Emulator, profile: Profile) -> SoftKey:
    from service_support import ADMIN, FAST, profile_for, sign_in

    admin = await sign_in(emu, ADMIN)
    graph = GraphDirectory(profile_for(emu), admin.credential(), retry=FAST)
    key = SoftKey(pin=PIN)
    try:
        account = profile.accounts[0]
        passkeys = PasskeyGraph(graph.connection)
        await enrol_key(passkeys, key, user_id=account.object_id, label="BG key 1", pin=Secret(PIN))
    finally:
        await graph.close()
    return key


async def _open(app: BgWizardApp, pilot: Any, key: SoftKey) -> DrillScreen:
    services = app.services  # the real Container: the drill's checks sign in through msal
    screen = DrillScreen(
        app.profile,
        services.drill,
        services.recorder,
        approver=services.demo,
        clock=app.clock,
        keys=FakeKeys([key]),
    )
    app.push_screen(screen)
    await _until(pilot, lambda: app.screen is screen and bool(screen.query("#verdict")))
    screen.query_one("#account", Select).value = app.profile.accounts[0].upn
    await pilot.pause()
    fill_before(screen)
    screen.query_one("#serial", Input).value = "CUR1-0002"
    await pilot.press("f5")
    await _until(pilot, lambda: screen.prompt is not None)
    assert "security key" in str(screen.query_one("#device-code", Static).render())
    screen.query_one("#approve", Button).press()
    await _until(pilot, lambda: isinstance(app.screen, ApproveDialog))
    return screen


async def _finish(app: BgWizardApp, pilot: Any, screen: DrillScreen) -> None:
    await _until(pilot, lambda: item_status(screen, "audit_rules") != "pending")
    await pilot.press("f8")
    await _until(pilot, lambda: item_status(screen, "signin_evidence") != "pending")
    manual = {m.spec.id: m for m in screen.query(ManualItem)}
    manual["alert"].fill(answer=True, time="09:16")
    manual["sheet_returned"].fill(answer=True, seal="SEAL-778")
    await pilot.press("f9")
    await _until(pilot, lambda: isinstance(app.screen, SignDialog))
    await pilot.press(*PASSPHRASE, "enter")
    await _until(pilot, lambda: screen.recorded is not None)


async def test_a_drill_signed_in_with_the_security_key(emu: Emulator, tmp_path: Path) -> None:
    profile = await _profile(emu, tmp_path)
    profile.drill.operator = "alice@contoso.example"
    key = await _register_key(emu, profile)
    app, _ = _app(emu, profile)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await _open(app, pilot, key)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        await _until(pilot, lambda: app.focused is not None and app.focused.id == "password")
        dialog.query_one("#key-pin", Input).focus()
        await _until(pilot, lambda: app.focused is not None and app.focused.id == "key-pin")
        await pilot.press(*"11112222", "enter")  # the wrong PIN: the key refuses, nothing signed
        error = dialog.query_one("#approve-error", Static)
        await _until(pilot, lambda: "PIN is wrong" in str(error.render()))
        assert key.counter == 0 and app.screen is dialog
        await _until(pilot, lambda: app.focused is not None and app.focused.id == "key-pin")
        await pilot.press(*PIN)
        dialog.query_one("#use-key", Button).press()
        await _until(pilot, lambda: app.screen is screen)
        assert dialog.method == "security key" and key.counter == 1
        await _finish(app, pilot, screen)
        drill = screen.drill
        assert drill is not None
        assert drill.outcome == "pass", {i.id: i.detail for i in drill.failures()}
        portal = drill.item("portal_signin")
        assert portal.status == "pass" and portal.evidence["method"] == "FIDO2 security key"
        row = str(screen.query_one("#row-portal_signin", Static).render())
        assert row.startswith("✔ Portal-ready sign-in (passkey) — pass")
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "Drill result: PASS" in verdict and "⚠" not in verdict
    items = {i["id"]: i for i in DrillLog(Path(profile.drill_log)).entries()[-1].data["items"]}
    assert items["portal_signin"]["status"] == "pass"
    assert items["signin"]["evidence"]["method"] == "FIDO2 security key"
