"""A rotation left pending (the app ended after Graph accepted the new password and before the
profile recorded it), on fakes (``FakeRotation``, ``FakeVerifier``, the real sheet service):
opening Rotate says so in one sentence and offers to finish with a sign-in with the NEW sheet,
which records the new serial, or to start again, which retires the pending serial.

The same two paths run on the emulator in ``tests/services/test_setup_rotate.py``
(``complete`` and a reset after an interrupted one); the rotation journey end to end in
``test_rotate``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fakes import AppFactory, FakeServices, sample_profile, settle
from fakes_drill import FakeLogRecorder, bg_identity
from fakes_setup import (
    FakeKeys,
    FakeRotation,
    FakeVerifier,
    press_when_ready,
    read_back_sheet,
    real_printer,
)
from textual.widgets import Button, Select, Static

from bgwizard.profile.model import BreakGlassAccount, PendingRotation, Profile, SheetRecord
from bgwizard.screens.rotation import RotateScreen
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.sheets.service import SheetService
from bgwizard.tui.app import BgWizardApp

SIZE = (120, 44)
UPN = "svc-iam-recovery03@contosologistics.onmicrosoft.com"
OID = "0b1e2c3d-3333-4000-8000-0000000000c3"
OLD_SERIAL = "S-OLD3-0001"
PENDING_SERIAL = "S-PEND-0002"


def _interrupted() -> Profile:
    """An account whose rotation was journaled and never recorded as done."""
    profile = sample_profile()
    profile.accounts = [
        BreakGlassAccount(
            UPN,
            object_id=OID,
            sheets=[SheetRecord(OLD_SERIAL, dt.date(2026, 1, 5))],
            pending_rotation=PendingRotation(PENDING_SERIAL, dt.date(2026, 11, 26), ["Safe D"]),
        )
    ]
    return profile


def _fakes(fakes: FakeServices, profile: Profile) -> tuple[FakeRotation, FakeVerifier]:
    fakes.profiles.profile = profile
    rotation = fakes.rotation = FakeRotation(profile, fakes.profiles)
    verifier = fakes.verifier = FakeVerifier()
    fakes.keys, fakes.recorder = FakeKeys(), FakeLogRecorder()
    fakes.sheets = SheetService(today=lambda: dt.date(2026, 11, 27))
    return rotation, verifier


def _text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _open_rotate(app: BgWizardApp, pilot: Any) -> RotateScreen:
    """Open Rotate and check it offers to finish or restart the pending rotation."""
    app.action_open_journey("rotate")
    await settle(pilot, lambda: isinstance(app.screen, RotateScreen) and app.screen.is_mounted)
    screen = app.screen
    assert isinstance(screen, RotateScreen)
    await pilot.pause()
    assert screen.query_one("#account", Select).value == UPN
    note = _text(app, "#pending-note")
    assert note.replace(UPN, "").count(".") == 1 and note.endswith(".")  # one sentence
    assert PENDING_SERIAL in note
    assert screen.query_one("#pending-actions").display
    labels = [str(b.label) for b in screen.query("#pending-actions Button").results(Button)]
    assert labels == ["Finish: sign in with the NEW sheet", "Start again"]
    assert not screen.query_one(VerifyPanel).display
    return screen


async def test_finishing_a_pending_rotation_records_the_new_sheet(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _interrupted()
    rotation, verifier = _fakes(fakes, profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_rotate(app, pilot)
        await press_when_ready(pilot, "#pending-finish")
        assert screen.query_one(VerifyPanel).display
        await press_when_ready(pilot, "#verify-start")
        await settle(pilot, lambda: screen.query_one(VerifyPanel).prompt is not None)
        assert verifier.started == [UPN]
        verifier.approve(bg_identity(profile.accounts[0]))
        await settle(pilot, lambda: "Rotation complete" in _text(app, "#rotate-status"))
        assert not screen.query_one("#pending-actions").display
        assert screen.rotated is not None
        assert screen.rotated[0].retired == (OLD_SERIAL,)
    assert rotation.calls == [("complete", UPN)]
    saved = fakes.profiles.profile.accounts[0]
    assert saved.current_serials == [PENDING_SERIAL] and saved.pending_rotation is None
    assert [s.serial for s in saved.sheets if s.retired] == [OLD_SERIAL]
    assert saved.locations == ["Safe D"]


async def test_starting_again_retires_the_pending_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fakes: FakeServices, make_app: AppFactory
) -> None:
    real_printer(tmp_path, monkeypatch)
    profile = _interrupted()
    rotation, _ = _fakes(fakes, profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await _open_rotate(app, pilot)
        await press_when_ready(pilot, "#pending-restart")
        upn, _password = await read_back_sheet(pilot)
        assert upn == UPN
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: "was reset" in _text(app, "#rotate-status"))
        assert PENDING_SERIAL in _text(app, "#rotate-status")
        assert not app.screen.query_one("#pending-actions").display
    assert rotation.calls == [("reset", UPN)]
    saved = fakes.profiles.profile.accounts[0]
    assert saved.pending_rotation is None and len(saved.current_serials) == 1
    assert saved.current_serials[0] not in (OLD_SERIAL, PENDING_SERIAL)
    assert sorted(s.serial for s in saved.sheets if s.retired) == [OLD_SERIAL, PENDING_SERIAL]
