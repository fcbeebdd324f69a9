"""Issue 20: the demo offers "Keep the training log" (ctrl+k, and on quit when a training log
exists), copying it with its public keys to the folder the user types."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fakes import AppFactory, FakeServices, settle

from bgwizard.demo.info import DemoInfo
from bgwizard.demo.workspace import keep_training_log
from bgwizard.ledger.sshsig import SigningKey
from bgwizard.ledger.store import DrillLog
from bgwizard.screens.keep_log import KeepLogDialog

SIZE = (100, 32)


def build_log(path: Path, entries: int) -> None:
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32), Path("/pinned/3"))
    log = DrillLog(path)
    log.start(key, "alice", note="training")
    for number in range(2, entries + 1):
        log.append(key, "alice", "note", {"n": number})


def _demo(tmp_path: Path) -> DemoInfo:
    log = tmp_path / "demo" / "training-drill-log.jsonl"
    log.parent.mkdir()
    return DemoInfo(
        "https://127.0.0.1:8443",
        keep_log=lambda folder: keep_training_log(log, folder),
        training_log=log,
    )


async def test_quit_offers_to_keep_the_training_log(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    demo = _demo(tmp_path)
    assert demo.training_log is not None
    build_log(demo.training_log, 2)
    app = make_app(fakes, demo=demo, sign_in_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: isinstance(app.screen, KeepLogDialog))
        assert app.is_running
        assert app.screen.query("#quit-anyway")
        app.screen.query_one("#keep-folder").value = str(tmp_path / "kept")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: not app.is_running)
    kept = sorted(p.name for p in (tmp_path / "kept").iterdir())
    assert kept == ["allowed_signers", "training-drill-key.pub", "training-drill-log.jsonl"]


async def test_without_a_training_log_quit_just_quits(
    tmp_path: Path, fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes, demo=_demo(tmp_path), sign_in_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("keep_training_log", ()) is True
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: not app.is_running)


async def test_keep_is_not_offered_outside_the_demo(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("keep_training_log", ()) is False
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert not isinstance(app.screen, KeepLogDialog)
