"""Rotation of an account inside a restricted management administrative unit (RMAU), on the
real stack: the screen says who can reset its password before any sheet is made, and the
emulator's refusal comes back as one sentence naming the unit; the old password still works."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Select, Static

from bgwizard.emulator import Emulator
from ui.setup_pilot import make_sheet, on, press, real_printer, until
from ui.test_rotate import OLD, OLD_SERIAL, UPN, emu, prepared, signs_in  # noqa: F401

UNIT = "Continuity restricted unit"


async def test_an_account_in_an_rmau_is_explained_before_the_reset(
    emu: Emulator,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_printer(tmp_path, monkeypatch)
    stack = await prepared(emu, tmp_path)
    stack.profile.setup_steps_done = [f"role:{UPN}"]  # the set-up made it Global Administrator
    oid = stack.profile.accounts[0].object_id
    unit = await stack.directory.create_admin_unit(UNIT, "test")
    await stack.directory.add_admin_unit_member(unit.id, oid)
    app = stack.app
    try:
        async with app.run_test(size=(120, 50)) as pilot:
            app.action_open_journey("rotate")
            await until(pilot, on(app, "RotateScreen"))
            assert app.screen.query_one("#account", Select).value == UPN
            note = app.screen.query_one("#unit-note", Static)
            await until(pilot, lambda: note.display)
            said = str(note.render())
            assert UNIT in said and "nobody can reset" in said and "remove it" in said
            await press(pilot, "#new-sheet")
            await make_sheet(stack, pilot)
            await until(pilot, on(app, "RotateScreen"))
            status = app.screen.query_one("#rotate-status", Static)
            await until(pilot, lambda: "refused" in str(status.render()))
            refused = str(status.render())
            assert UNIT in refused and "was reset" not in refused
        assert await signs_in(emu, stack, OLD)  # nothing changed in the tenant
    finally:
        await stack.directory.close()
    assert stack.profile.accounts[0].current_serials == [OLD_SERIAL]
