"""A rotation left pending (the app ended after Graph accepted the new password and before the
profile recorded it), driven by Pilot on the real stack (emulator, msal, msgraph-sdk): opening
Rotate says so in one sentence and offers to finish with a sign-in with the NEW sheet, which
records the new serial, or to start again, which retires the pending serial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Select, Static

from bgwizard.emulator import Emulator
from bgwizard.profile.model import BreakGlassAccount, PendingRotation, SheetRecord
from bgwizard.profile.store import TomlProfileStore
from bgwizard.screens.rotate import RotateScreen
from bgwizard.screens.setup_wizard.verify_panel import VerifyPanel
from bgwizard.secret import Secret
from ui.setup_pilot import (
    SIZE,
    Stack,
    admin_and_account,
    approve_in_dialog,
    fake_printer,
    make_sheet,
    on,
    press,
    until,
)

UPN = "svc-iam-recovery03@contosologistics.onmicrosoft.com"
OLD_SERIAL = "S-OLD3-0001"
PENDING_SERIAL = "S-PEND-0002"
OLD = "Old-Paper-Pass-2026-Hd5vNp2c"
NEW = "New-Paper-Pass-2026-Wq8sLz3v"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(state_dir=tmp_path / "emu") as emulator:
        yield emulator


async def _interrupted(emu: Emulator, tmp_path: Path) -> Stack:
    """An account whose new password Graph accepted; the profile only journaled the rotation."""
    stack, oid = await admin_and_account(emu, tmp_path, UPN, OLD)
    await stack.directory.reset_password(oid, Secret(NEW), force_change=False)
    stack.profile.accounts = [
        BreakGlassAccount(
            UPN,
            object_id=oid,
            sheets=[SheetRecord(OLD_SERIAL, dt.date(2026, 1, 5))],
            pending_rotation=PendingRotation(PENDING_SERIAL, dt.date(2026, 11, 26), ["Safe D"]),
        )
    ]
    stack.store.save(stack.profile)
    return stack


def _text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _open_rotate(stack: Stack, pilot: Any) -> RotateScreen:
    """Open Rotate and check it offers to finish or restart the pending rotation."""
    app = stack.app
    app.action_open_journey("rotate")
    await until(pilot, on(app, "RotateScreen"))
    screen = app.screen
    assert isinstance(screen, RotateScreen)
    assert screen.query_one("#account", Select).value == UPN
    note = _text(app, "#pending-note")
    assert note.replace(UPN, "").count(".") == 1 and note.endswith(".")  # one sentence
    assert PENDING_SERIAL in note
    assert screen.query_one("#pending-actions").display
    labels = [str(b.label) for b in screen.query("#pending-actions Button").results(Button)]
    assert labels == ["Finish: sign in with the NEW sheet", "Start again"]
    assert not screen.query_one(VerifyPanel).display
    return screen


def _saved(stack: Stack) -> BreakGlassAccount:
    return TomlProfileStore(stack.store.path).load().accounts[0]


async def test_finishing_a_pending_rotation_records_the_new_sheet(
    emu: Emulator, tmp_path: Path
) -> None:
    stack = await _interrupted(emu, tmp_path)
    app = stack.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_rotate(stack, pilot)
            await press(pilot, "#pending-finish")
            assert screen.query_one(VerifyPanel).display
            await press(pilot, "#verify-start")
            await approve_in_dialog(stack, pilot, UPN, NEW)
            await until(pilot, on(app, "RotateScreen"))
            await until(pilot, lambda: "Rotation complete" in _text(app, "#rotate-status"))
            assert not screen.query_one("#pending-actions").display
            assert screen.rotated is not None
            assert screen.rotated[0].retired == (OLD_SERIAL,)
    finally:
        await stack.directory.close()
    saved = _saved(stack)
    assert saved.current_serials == [PENDING_SERIAL] and saved.pending_rotation is None
    assert [s.serial for s in saved.sheets if s.retired] == [OLD_SERIAL]
    assert saved.locations == ["Safe D"]


async def test_starting_again_retires_the_pending_sheet(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_printer(tmp_path, monkeypatch)
    stack = await _interrupted(emu, tmp_path)
    app = stack.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _open_rotate(stack, pilot)
            await press(pilot, "#pending-restart")
            await make_sheet(stack, pilot)
            await until(pilot, on(app, "RotateScreen"))
            await until(pilot, lambda: "was reset" in _text(app, "#rotate-status"))
            assert PENDING_SERIAL in _text(app, "#rotate-status")
            assert not app.screen.query_one("#pending-actions").display
    finally:
        await stack.directory.close()
    saved = _saved(stack)
    assert saved.pending_rotation is None and len(saved.current_serials) == 1
    assert saved.current_serials[0] not in (OLD_SERIAL, PENDING_SERIAL)
    assert sorted(s.serial for s in saved.sheets if s.retired) == [OLD_SERIAL, PENDING_SERIAL]
