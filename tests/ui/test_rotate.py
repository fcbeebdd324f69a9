"""Rotation driven by Pilot on the real stack: new sheet read back, password reset through
Graph, sign-in verified with the new password; the old password no longer signs in to the
emulator, the new one does; the old serial is retired in the profile."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from consented import ALL_SCOPES, consented
from textual.widgets import Select, Static

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.profile.model import BreakGlassAccount, SheetRecord
from bgwizard.profile.store import TomlProfileStore
from bgwizard.screens.rotation import RotateScreen
from ui.setup_pilot import (
    SIZE,
    Stack,
    admin_and_account,
    approve_in_dialog,
    make_sheet,
    on,
    press,
    real_printer,
    until,
)

UPN = "svc-iam-recovery01@contosologistics.onmicrosoft.com"
OLD = "Old-Paper-Pass-2026-Kx7mRq4t"
OLD_SERIAL = "S-OLD1-0001"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emulator:
        yield emulator


async def signs_in(emu: Emulator, stack: Stack, password: str) -> bool:
    """Whether ``UPN`` can sign in with ``password`` (a device code approved at the emulator)."""
    auth = MsalAuthenticator(stack.profile, scopes=ALL_SCOPES)
    prompt = await auth.start_device_code(login_hint=UPN)
    ok = await asyncio.to_thread(emu.approve_device_code, prompt.user_code, UPN, password)
    auth.cancel(prompt)
    return ok


async def prepared(emu: Emulator, tmp_path: Path) -> Stack:
    """A set-up account (GA, old sheet) and the admin signed in."""
    stack, oid = await admin_and_account(emu, tmp_path, UPN, OLD)
    stack.profile.accounts = [
        BreakGlassAccount(UPN, object_id=oid, sheets=[SheetRecord(OLD_SERIAL, dt.date(2026, 1, 5))])
    ]
    stack.store.save(stack.profile)
    return stack


async def test_rotation_resets_and_verifies(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_printer(tmp_path, monkeypatch)
    stack = await prepared(emu, tmp_path)
    app = stack.app
    try:
        assert await signs_in(emu, stack, OLD)
        async with app.run_test(size=SIZE) as pilot:
            app.action_open_journey("rotate")
            await until(pilot, on(app, "RotateScreen"))
            assert app.screen.query_one("#account", Select).value == UPN
            await press(pilot, "#new-sheet")
            await make_sheet(stack, pilot)
            await until(pilot, on(app, "RotateScreen"))
            status = app.screen.query_one("#rotate-status", Static)
            await until(pilot, lambda: "was reset" in str(status.render()))
            assert OLD_SERIAL in str(status.render())
            await press(pilot, "#verify-start")
            await approve_in_dialog(stack, pilot, UPN, stack.papers[UPN])
            await until(pilot, on(app, "RotateScreen"))
            await until(pilot, lambda: "Rotation complete" in str(status.render()))
            assert isinstance(app.screen, RotateScreen)
        assert not await signs_in(emu, stack, OLD)
        assert await signs_in(emu, stack, stack.papers[UPN])
    finally:
        await stack.directory.close()
    saved = TomlProfileStore(stack.store.path).load().accounts[0]
    assert [s.serial for s in saved.sheets if s.retired] == [OLD_SERIAL]
    assert len(saved.current_serials) == 1 and saved.current_serials[0] != OLD_SERIAL
    assert saved.last_rotation is not None
    assert stack.papers[UPN] not in stack.store.path.read_text()
