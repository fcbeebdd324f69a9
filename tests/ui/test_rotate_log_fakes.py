"""A completed rotation is signed into the log, on the real stack (emulator, msal, msgraph-sdk):
new sheet read back, password reset through Graph, sign-in verified, then the ``rotation`` entry
(reason, retired and new serials) signed and verified with ``ssh-keygen -Y verify``. A log that
does not verify refuses the entry, the rotation stays done, and a linked log takes it."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FROZEN_NOW, AppFactory, FakeServices, frozen_clock, sample_profile
from fakes_setup import FakeKeys, FakeVerifier
from textual.widgets import Button, Input, Static

from bgwizard.drill.record import DrillRecorder
from bgwizard.emulator import Emulator
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import BreakGlassAccount, SheetRecord
from bgwizard.profile.store import TomlProfileStore
from bgwizard.rotation.journal import Rotated
from bgwizard.screens.drill.log_event import EventSignDialog
from bgwizard.screens.rotate import RotateScreen
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

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from ledger_support import build_log, ssh_keygen_verify

UPN = "svc-iam-recovery02@contosologistics.onmicrosoft.com"
OLD_SERIAL = "S-OLD2-0001"
PASSPHRASE = "rotation passphrase 1"
REASON = "real use, INC-4711"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(state_dir=tmp_path / "emu") as emulator:
        yield emulator


async def _prepared(emu: Emulator, tmp_path: Path) -> Stack:
    """A set-up account (GA, one sheet), the admin signed in, the log and key in tmp_path."""
    stack, oid = await admin_and_account(emu, tmp_path, UPN, "Old-P4ss-9x")
    profile = stack.profile
    profile.accounts = [
        BreakGlassAccount(UPN, object_id=oid, sheets=[SheetRecord(OLD_SERIAL, dt.date(2026, 1, 5))])
    ]
    profile.drill_log = str(tmp_path / "drill-log.jsonl")
    profile.signer_key = str(tmp_path / "signing-key")
    profile.drill.operator = "alice"
    stack.store.save(profile)
    return stack


def _status(app: Any) -> str:
    return str(app.screen.query_one("#rotate-status", Static).render())


async def _rotate_and_verify(stack: Stack, pilot: Any) -> RotateScreen:
    """Rotate with a reason; return once the sign-in verified and the signing dialog is up."""
    app = stack.app
    app.action_open_journey("rotate")
    await until(pilot, on(app, "RotateScreen"))
    screen = app.screen
    assert isinstance(screen, RotateScreen)
    assert not screen.query_one("#sign-rotation").display
    screen.query_one("#reason", Input).value = REASON
    await press(pilot, "#new-sheet")
    await make_sheet(stack, pilot)
    await until(pilot, on(app, "RotateScreen"))
    await until(pilot, lambda: "was reset" in _status(app))
    await press(pilot, "#verify-start")
    await approve_in_dialog(stack, pilot, UPN, stack.papers[UPN])
    await until(pilot, lambda: isinstance(app.screen, EventSignDialog))
    return screen


async def _type_passphrase(stack: Stack, pilot: Any) -> EventSignDialog:
    return await _type_passphrase_stackless(stack.app, pilot)


async def _type_passphrase_stackless(app: Any, pilot: Any) -> EventSignDialog:
    dialog = app.screen
    assert isinstance(dialog, EventSignDialog)
    await until(pilot, lambda: _shown(dialog, ".title"))  # pushed, maybe not composed yet
    assert str(dialog.query_one(".title", Static).render()) == "Sign the rotation into the log"
    await until(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
    await pilot.press(*PASSPHRASE, "enter")
    return dialog


def _saved_serials(stack: Stack) -> tuple[list[str], list[str]]:
    saved = TomlProfileStore(stack.store.path).load().accounts[0]
    return [s.serial for s in saved.sheets if s.retired], list(saved.current_serials)


async def test_a_verified_rotation_is_signed_into_the_log(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_printer(tmp_path, monkeypatch)
    stack = await _prepared(emu, tmp_path)
    app = stack.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _rotate_and_verify(stack, pilot)
            await _type_passphrase(stack, pilot)
            await until(pilot, lambda: screen.recorded is not None)
            assert app.screen is screen
            assert "Rotation complete and signed as entry 2 of" in _status(app)
            assert not screen.query_one("#sign-rotation").display
    finally:
        await stack.directory.close()
    retired, current = _saved_serials(stack)
    assert retired == [OLD_SERIAL] and len(current) == 1
    log = DrillLog(Path(stack.profile.drill_log))
    entries = log.entries()
    assert [e.kind for e in entries] == ["log-start", "rotation"]
    data = entries[1].data
    assert data["account"] == UPN and data["account_id"] == stack.profile.accounts[0].object_id
    assert data["retired_serials"] == [OLD_SERIAL] and data["new_serials"] == current
    assert data["reason"] == REASON and entries[1].operator == "alice"
    signers = "".join(s.allowed_signers_line() + "\n" for s in log.signers())
    assert ssh_keygen_verify(log.path, tmp_path, signers) == [0, 0]
    assert stack.papers[UPN] not in log.path.read_text()


async def test_a_refused_log_leaves_the_rotation_done_and_a_linked_log_takes_it(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_printer(tmp_path, monkeypatch)
    stack = await _prepared(emu, tmp_path)
    old = build_log(Path(stack.profile.drill_log), 3)
    old.path.write_bytes(old.path.read_bytes().replace(b"pass", b"PASS", 1))
    before = old.path.read_bytes()
    app = stack.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _rotate_and_verify(stack, pilot)
            dialog = await _type_passphrase(stack, pilot)
            await until(pilot, lambda: _shown(dialog, "#relink"))
            assert "Refusing to append" in str(dialog.query_one("#sign-error", Static).render())
            await pilot.press("escape")
            await until(pilot, on(app, "RotateScreen"))
            said = _status(app)
            assert said.startswith("Rotation complete but not in the signed log: Entry 2 fails")
            assert "'Start a new linked log'" in said
            assert _saved_serials(stack)[0] == [OLD_SERIAL]
            assert old.path.read_bytes() == before
            await press(pilot, "#sign-rotation")
            await until(pilot, lambda: isinstance(app.screen, EventSignDialog))
            dialog = await _type_passphrase(stack, pilot)
            await until(pilot, lambda: _shown(dialog, "#relink"))
            dialog.query_one("#passphrase", Input).value = PASSPHRASE
            dialog.query_one("#relink", Button).press()
            await until(pilot, lambda: screen.recorded is not None)
            assert "drill-log-2.jsonl" in _status(app)
    finally:
        await stack.directory.close()
    new = DrillLog(tmp_path / "drill-log-2.jsonl")
    assert [e.kind for e in new.entries()] == ["log-start", "rotation"]
    assert TomlProfileStore(stack.store.path).load().drill_log == str(new.path)
    signers = "".join(s.allowed_signers_line() + "\n" for s in new.signers())
    assert ssh_keygen_verify(new.path, tmp_path, signers) == [0, 0]


async def test_a_rotation_without_a_reason_asks_for_one_before_signing(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = sample_profile()
    profile.drill_log = str(tmp_path / "drill-log.jsonl")
    profile.signer_key = str(tmp_path / "signing-key")
    profile.drill.operator = "alice"
    upn = profile.accounts[0].upn
    # The real recorder on tmp_path (the log is what this test checks); fakes for the rest.
    fakes.recorder = DrillRecorder(profile, fakes.profiles, clock=frozen_clock)
    fakes.verifier, fakes.keys = FakeVerifier(), FakeKeys()
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_journey("rotate")
        await until(pilot, on(app, "RotateScreen"))
        screen = app.screen
        assert isinstance(screen, RotateScreen)
        screen.rotated = (Rotated(upn, "NEW1-0002", ("OLD1-0001",)), FROZEN_NOW)
        screen.query_one("#sign-rotation").display = True
        await press(pilot, "#sign-rotation")
        assert _status(app).startswith("Rotation complete. To sign it into the log: A rotation")
        assert app.focused is screen.query_one("#reason", Input)
        await pilot.press(*"lost sheet")
        await press(pilot, "#sign-rotation")
        await until(pilot, lambda: isinstance(app.screen, EventSignDialog))
        await pilot.press("escape")
        await until(pilot, on(app, "RotateScreen"))
        assert _status(app).startswith("Rotation complete but not signed into the log yet")
        await press(pilot, "#sign-rotation")
        await until(pilot, lambda: isinstance(app.screen, EventSignDialog))
        dialog = await _type_passphrase_stackless(app, pilot)
        await until(pilot, lambda: screen.recorded is not None)
        assert dialog is not app.screen
    entry = DrillLog(Path(profile.drill_log)).entries()[-1]
    assert entry.kind == "rotation" and entry.data["reason"] == "lost sheet"
    assert entry.data["when"] == "2026-11-27T10:00:00Z"
    assert (entry.data["retired_serials"], entry.data["new_serials"]) == (
        ["OLD1-0001"],
        ["NEW1-0002"],
    )


def _shown(dialog: Any, selector: str) -> bool:
    """Whether ``selector`` is mounted in ``dialog`` and displayed (it may not be composed yet)."""
    found = dialog.query(selector)
    return bool(found) and bool(found.first().display)
