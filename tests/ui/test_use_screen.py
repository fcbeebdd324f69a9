"""Recording a real use with Pilot: the post-mortem form, the signing dialog, the signed entry
(verified by ``ssh-keygen -Y verify``), a refused log and its linked successor, and the offer to
rotate afterwards."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fakes import SIZE, AppFactory, FakeServices, sample_profile, settle
from fakes_drill import real_recorder
from fakes_setup import FakeRotation
from textual.widgets import Button, Checkbox, Input, Select, Static

from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import PinnedSigner, Profile
from bgwizard.screens.drill.log_event import EventSignDialog
from bgwizard.screens.rotation import RotateScreen
from bgwizard.screens.use import UseScreen
from bgwizard.tui.app import BgWizardApp

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from ledger_support import build_log, pinned_key, ssh_keygen_verify

PASSPHRASE = "use passphrase 1"
UPN = "bg-alpha@contosologistics.onmicrosoft.com"
FORM = {
    "started": "2026-11-27 07:10",
    "ended": "2026-11-27 08:25",
    "who": "alice, approved by the CISO",
    "incident": "INC-4711",
    "reason": "the federation server was down",
    "actions": "switched the domain to managed authentication",
    "lessons": "a second federation server",
}


def _profile(tmp_path: Path) -> Profile:
    profile = sample_profile()
    profile.drill_log = str(tmp_path / "drill-log.jsonl")
    profile.signer_key = str(tmp_path / "use-key")
    profile.drill.operator = "alice"
    return profile


async def _open(app: BgWizardApp, pilot: Any, **form: str) -> UseScreen:
    app.action_open_journey("use")
    await settle(pilot, lambda: isinstance(app.screen, UseScreen) and app.screen.is_mounted)
    screen = app.screen
    assert isinstance(screen, UseScreen)
    await pilot.pause()
    assert screen.query_one("#account", Select).value == UPN
    assert screen.query_one("#ended", Input).value == "2026-11-27 10:00"
    for name, value in {**FORM, **form}.items():
        screen.query_one(f"#{name}", Input).value = value
    return screen


async def _sign(app: BgWizardApp, pilot: Any, screen: UseScreen) -> EventSignDialog:
    screen.query_one("#record", Button).press()
    await settle(
        pilot, lambda: isinstance(app.screen, EventSignDialog) and bool(app.screen.query(".title"))
    )
    dialog = app.screen
    assert isinstance(dialog, EventSignDialog)
    title = str(dialog.query_one(".title", Static).render())
    assert title == "Sign the real use into the log"
    await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
    await pilot.press(*PASSPHRASE, "enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return dialog


def _status(screen: UseScreen) -> str:
    return str(screen.query_one("#use-status", Static).render())


async def test_a_real_use_is_signed_and_rotation_is_offered(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    real_recorder(fakes, profile)  # the signed file is verified with ssh-keygen
    fakes.rotation = FakeRotation(profile, fakes.profiles)  # asked about a restricted unit
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        assert not screen.query_one("#rotate-now").display
        await _sign(app, pilot, screen)
        await settle(pilot, lambda: screen.recorded is not None)
        assert app.screen is screen
        assert "Recorded as entry 2 of" in _status(screen) and "Rotate now" in _status(screen)
        assert screen.query_one("#rotate-now").display
        screen.query_one("#rotate-now", Button).press()
        await settle(pilot, lambda: isinstance(app.screen, RotateScreen))
        rotate = app.screen
        await settle(pilot, lambda: bool(rotate.query("#reason")))
        assert rotate.query_one("#reason", Input).value == "real use, INC-4711"
        # the account list is filled after the screen mounts (a loaded machine shows it later)
        await settle(pilot, lambda: rotate.query_one("#account", Select).value == UPN)
    log = DrillLog(Path(profile.drill_log))
    entries = log.entries()
    assert [e.kind for e in entries] == ["log-start", "use"]
    data = entries[1].data
    assert data["account_id"] == profile.accounts[0].object_id
    assert (data["started"], data["ended"]) == ("2026-11-27T07:10:00Z", "2026-11-27T08:25:00Z")
    assert data["incident"] == "INC-4711" and data["password_rotated"] is False
    assert entries[1].operator == "alice"
    assert fakes.profiles.profile.drill.head == log.verify().head
    signers = "".join(s.allowed_signers_line() + "\n" for s in log.signers())
    assert ssh_keygen_verify(log.path, tmp_path, signers) == [0, 0]


async def test_a_missing_post_mortem_field_is_named_and_nothing_is_signed(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _profile(tmp_path)
    real_recorder(fakes, profile)  # the signed file is verified with ssh-keygen
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot, lessons="  ", who="")
        screen.query_one("#record", Button).press()
        await pilot.pause()
        assert app.screen is screen
        assert _status(screen) == "The post-mortem needs: who, lessons."
        screen.query_one("#who", Input).value = "alice"
        screen.query_one("#lessons", Input).value = "more"
        screen.query_one("#started", Input).value = "yesterday"
        screen.query_one("#record", Button).press()
        await pilot.pause()
        assert _status(screen).startswith("Started: type a time as YYYY-MM-DD HH:MM, UTC")
        screen.query_one("#started", Input).value = "2026-11-27 09:00"
        screen.query_one("#ended", Input).value = "2026-11-27 08:00"
        screen.query_one("#record", Button).press()
        await pilot.pause()
        assert _status(screen) == "The use cannot end before it started."
    assert not Path(profile.drill_log).exists()


async def test_a_refused_log_offers_a_linked_log_and_an_already_rotated_use(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    old = build_log(tmp_path / "drill-log.jsonl", 3)
    old.path.write_bytes(old.path.read_bytes().replace(b"pass", b"PASS", 1))
    before = old.path.read_bytes()
    profile = _profile(tmp_path)
    profile.drill.signers = [PinnedSigner("alice@contoso.example", pinned_key(1).public_line)]
    real_recorder(fakes, profile)  # the signed file is verified with ssh-keygen
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        screen.query_one("#rotated", Checkbox).value = True
        dialog = await _sign(app, pilot, screen)
        await settle(pilot, lambda: dialog.query_one("#relink").display)
        error = str(dialog.query_one("#sign-error", Static).render())
        assert "Refusing to append" in error and "entry 2 fails" in error
        assert old.path.read_bytes() == before
        dialog.query_one("#passphrase", Input).value = PASSPHRASE
        dialog.query_one("#relink", Button).press()
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: screen.recorded is not None)
        assert "drill-log-2.jsonl" in _status(screen) and "Rotate now" not in _status(screen)
        assert not screen.query_one("#rotate-now").display
    new = DrillLog(tmp_path / "drill-log-2.jsonl")
    assert [(e.kind, e.seq) for e in new.entries()] == [("log-start", 1), ("use", 2)]
    assert new.entries()[1].data["password_rotated"] is True
    assert fakes.profiles.profile.drill_log == str(new.path)
    signers = "".join(s.allowed_signers_line() + "\n" for s in new.signers())
    assert ssh_keygen_verify(new.path, tmp_path, signers) == [0, 0]
