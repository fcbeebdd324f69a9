"""A completed rotation is signed into the log, on fakes of the tenant side (``FakeRotation``,
``FakeVerifier``) with the real sheet service and the real recorder: new sheet read back,
password reset, sign-in verified, then the ``rotation`` entry (reason, retired and new serials)
signed and verified with ``ssh-keygen -Y verify``. A log that does not verify refuses the entry,
the rotation stays done, and a linked log takes it.

The reset and the sign-in with the new password run on the emulator in ``test_rotate``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes import FROZEN_NOW, AppFactory, FakeServices, frozen_clock, sample_profile, settle
from fakes_drill import bg_identity, real_recorder
from fakes_setup import (
    FakeKeys,
    FakeRotation,
    FakeVerifier,
    press_when_ready,
    read_back_sheet,
    real_printer,
)
from textual.widgets import Button, Input, Static

from bgwizard.drill.record import DrillRecorder
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import BreakGlassAccount, PinnedSigner, Profile, SheetRecord
from bgwizard.rotation.journal import Rotated
from bgwizard.screens.drill.log_event import EventSignDialog
from bgwizard.screens.rotation import RotateScreen
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.sheets.service import SheetService
from bgwizard.tui.app import BgWizardApp

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from ledger_support import build_log, pinned_key, ssh_keygen_verify

SIZE = (120, 44)
UPN = "svc-iam-recovery02@contosologistics.onmicrosoft.com"
OID = "0b1e2c3d-2222-4000-8000-0000000000c2"
OLD_SERIAL = "S-OLD2-0001"
PASSPHRASE = "rotation passphrase 1"
REASON = "real use, INC-4711"


def _prepared(tmp_path: Path, fakes: FakeServices) -> tuple[Profile, FakeVerifier]:
    """A set-up account (one sheet), the log and key in tmp_path, fakes for the tenant side."""
    profile = sample_profile()
    profile.accounts = [
        BreakGlassAccount(UPN, object_id=OID, sheets=[SheetRecord(OLD_SERIAL, dt.date(2026, 1, 5))])
    ]
    profile.drill_log = str(tmp_path / "drill-log.jsonl")
    profile.signer_key = str(tmp_path / "signing-key")
    profile.drill.operator = "alice"
    fakes.profiles.profile = profile
    fakes.rotation = FakeRotation(profile, fakes.profiles)
    verifier = fakes.verifier = FakeVerifier()
    fakes.keys = FakeKeys()
    fakes.sheets = SheetService(today=lambda: FROZEN_NOW.date())
    real_recorder(fakes, profile)  # the signed entry is checked on the real file
    return profile, verifier


def _status(app: Any) -> str:
    return str(app.screen.query_one("#rotate-status", Static).render())


def _on_rotate(app: BgWizardApp) -> bool:
    return isinstance(app.screen, RotateScreen) and app.screen.is_mounted


async def _rotate_and_verify(
    app: BgWizardApp, pilot: Any, verifier: FakeVerifier
) -> tuple[RotateScreen, str]:
    """Rotate with a reason; return once the sign-in verified and the signing dialog is up.

    Returns:
        The screen and the new password as printed.
    """
    app.action_open_journey("rotate")
    await settle(pilot, lambda: _on_rotate(app))
    screen = app.screen
    assert isinstance(screen, RotateScreen)
    assert not screen.query_one("#sign-rotation").display
    screen.query_one("#reason", Input).value = REASON
    await press_when_ready(pilot, "#new-sheet")
    _, password = await read_back_sheet(pilot)
    await settle(pilot, lambda: _on_rotate(app))
    await app.workers.wait_for_complete()
    await settle(pilot, lambda: "was reset" in _status(app))
    await press_when_ready(pilot, "#verify-start")
    await settle(pilot, lambda: verifier.started == [UPN])
    verifier.approve(bg_identity(app.profile.accounts[0]))
    await settle(pilot, lambda: isinstance(app.screen, EventSignDialog))
    return screen, password


async def _type_passphrase(app: Any, pilot: Any) -> EventSignDialog:
    dialog = app.screen
    assert isinstance(dialog, EventSignDialog)
    await settle(pilot, lambda: _shown(dialog, ".title"))  # pushed, maybe not composed yet
    assert str(dialog.query_one(".title", Static).render()) == "Sign the rotation into the log"
    await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
    await pilot.press(*PASSPHRASE, "enter")
    await app.workers.wait_for_complete()
    return dialog


def _saved_serials(fakes: FakeServices) -> tuple[list[str], list[str]]:
    saved = fakes.profiles.profile.accounts[0]
    return [s.serial for s in saved.sheets if s.retired], list(saved.current_serials)


async def test_a_verified_rotation_is_signed_into_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fakes: FakeServices, make_app: AppFactory
) -> None:
    real_printer(tmp_path, monkeypatch)
    profile, verifier = _prepared(tmp_path, fakes)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen, password = await _rotate_and_verify(app, pilot, verifier)
        await _type_passphrase(app, pilot)
        await settle(pilot, lambda: screen.recorded is not None)
        assert app.screen is screen
        assert "Rotation complete and signed as entry 2 of" in _status(app)
        assert not screen.query_one("#sign-rotation").display
        # Issue 20: the completed rotation no longer offers "Sign in as …" and its buttons.
        assert not screen.query_one(VerifyPanel).display
    retired, current = _saved_serials(fakes)
    assert retired == [OLD_SERIAL] and len(current) == 1
    log = DrillLog(Path(profile.drill_log))
    entries = log.entries()
    assert [e.kind for e in entries] == ["log-start", "rotation"]
    data = entries[1].data
    assert data["account"] == UPN and data["account_id"] == OID
    assert data["retired_serials"] == [OLD_SERIAL] and data["new_serials"] == current
    assert data["reason"] == REASON and entries[1].operator == "alice"
    assert data["signed_in"] == FROZEN_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")  # the check sign-in
    signers = "".join(s.allowed_signers_line() + "\n" for s in log.signers())
    assert ssh_keygen_verify(log.path, tmp_path, signers) == [0, 0]
    assert password not in log.path.read_text()


async def test_a_refused_log_leaves_the_rotation_done_and_a_linked_log_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fakes: FakeServices, make_app: AppFactory
) -> None:
    real_printer(tmp_path, monkeypatch)
    profile, verifier = _prepared(tmp_path, fakes)
    old = build_log(Path(profile.drill_log), 3)
    profile.drill.signers = [PinnedSigner("alice@contoso.example", pinned_key(1).public_line)]
    old.path.write_bytes(old.path.read_bytes().replace(b"pass", b"PASS", 1))
    before = old.path.read_bytes()
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await _rotate_and_verify(app, pilot, verifier)
        dialog = await _type_passphrase(app, pilot)
        await settle(pilot, lambda: _shown(dialog, "#relink"))
        assert "Refusing to append" in str(dialog.query_one("#sign-error", Static).render())
        await pilot.press("escape")
        await settle(pilot, lambda: _on_rotate(app))
        said = _status(app)
        assert said.startswith("Rotation complete but not in the signed log: Entry 2 fails")
        assert "'Start a new linked log'" in said
        assert _saved_serials(fakes)[0] == [OLD_SERIAL]
        assert old.path.read_bytes() == before
        await press_when_ready(pilot, "#sign-rotation")
        await settle(pilot, lambda: isinstance(app.screen, EventSignDialog))
        dialog = await _type_passphrase(app, pilot)
        await settle(pilot, lambda: _shown(dialog, "#relink"))
        dialog.query_one("#passphrase", Input).value = PASSPHRASE
        dialog.query_one("#relink", Button).press()
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: screen.recorded is not None)
        assert "drill-log-2.jsonl" in _status(app)
    new = DrillLog(tmp_path / "drill-log-2.jsonl")
    assert [e.kind for e in new.entries()] == ["log-start", "rotation"]
    assert fakes.profiles.profile.drill_log == str(new.path)
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
    fakes.rotation = FakeRotation(profile, fakes.profiles)  # asked about a restricted unit
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_journey("rotate")
        await settle(pilot, lambda: _on_rotate(app))
        screen = app.screen
        assert isinstance(screen, RotateScreen)
        screen.rotated = (Rotated(upn, "NEW1-0002", ("OLD1-0001",)), FROZEN_NOW)
        screen.query_one("#sign-rotation").display = True
        await press_when_ready(pilot, "#sign-rotation")
        assert _status(app).startswith("Rotation complete. To sign it into the log: A rotation")
        assert app.focused is screen.query_one("#reason", Input)
        await pilot.press(*"lost sheet")
        await press_when_ready(pilot, "#sign-rotation")
        await settle(pilot, lambda: isinstance(app.screen, EventSignDialog))
        await pilot.press("escape")
        await settle(pilot, lambda: _on_rotate(app))
        assert _status(app).startswith("Rotation complete but not signed into the log yet")
        await press_when_ready(pilot, "#sign-rotation")
        await settle(pilot, lambda: isinstance(app.screen, EventSignDialog))
        dialog = await _type_passphrase(app, pilot)
        await settle(pilot, lambda: screen.recorded is not None)
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
