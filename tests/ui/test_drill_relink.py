"""Signing a drill into a log that no longer verifies: refused, then a new linked log."""

from __future__ import annotations

import sys
from pathlib import Path

from fakes import SIZE, AppFactory, FakeServices, sample_profile, settle
from fakes_drill import FakeDrillChecksFactory, real_recorder
from textual.widgets import Button, Select, Static

from bgwizard.ledger.sshsig import create_key
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import PinnedSigner
from bgwizard.screens.drill.checklist import DrillScreen
from bgwizard.screens.drill.sign_dialog import SignDialog
from bgwizard.secret import Secret

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from ledger_support import build_log, pinned_key

PASSPHRASE = "relink passphrase"


async def test_refused_log_offers_a_linked_log(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    old = build_log(tmp_path / "drill-log.jsonl", 3)
    old.path.write_bytes(old.path.read_bytes().replace(b"pass", b"PASS", 1))
    before = old.path.read_bytes()
    create_key(tmp_path / "key", Secret(PASSPHRASE), "alice")
    profile = sample_profile()
    profile.drill_log, profile.signer_key = str(old.path), str(tmp_path / "key")
    profile.drill.operator = "alice"
    profile.drill.signers = [PinnedSigner("alice@contoso.example", pinned_key(1).public_line)]
    fakes.drill = FakeDrillChecksFactory()
    real_recorder(fakes, profile)  # the refusal and the linked log are checked on real files
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_journey("drill")
        await settle(pilot, lambda: bool(app.screen.query("#verdict")))
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        screen.query_one("#account", Select).value = profile.accounts[0].upn
        await pilot.pause()
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, SignDialog))
        dialog = app.screen
        await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
        await pilot.press(*PASSPHRASE, "enter")
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: dialog.query_one("#relink").display)
        error = str(dialog.query_one("#sign-error", Static).render())
        assert "Refusing to append" in error and "entry 2 fails" in error
        assert old.path.read_bytes() == before
        dialog.query_one("#passphrase").value = PASSPHRASE  # type: ignore[attr-defined]
        dialog.query_one("#relink", Button).press()
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: screen.recorded is not None)
        assert screen.drill is not None and screen.drill.outcome == "fail"
        verdict = str(screen.query_one("#verdict", Static).render())
        assert "Drill result: FAIL" in verdict and "drill-log-2.jsonl" in verdict
    new = DrillLog(tmp_path / "drill-log-2.jsonl")
    kinds = [(e.kind, e.seq) for e in new.entries()]
    assert kinds == [("log-start", 1), ("drill", 2)]
    assert fakes.profiles.profile.drill_log == str(new.path)
    assert fakes.profiles.profile.last_drill == sample_profile().last_drill
