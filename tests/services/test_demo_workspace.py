"""Issue 20, demo hygiene: the demo folder goes on exit, SIGHUP and SIGTERM (the real
``bgwizard demo`` in a pseudo-terminal, killed as a closed terminal or a killed window would);
folders of dead demos go at the next start; "Keep the training log" copies the log with its
public keys, and OpenSSH verifies the copy."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ledger_support import build_log, pinned_key, ssh_keygen_verify

from bgwizard.demo.workspace import PREFIX, demo_folder, keep_training_log, stale_folders
from bgwizard.errors import LogError

ROOT = Path(__file__).resolve().parents[2]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_folders_are_those_of_dead_demos(tmp_path: Path) -> None:
    dead = tmp_path / f"{PREFIX}{_dead_pid()}-abc"
    alive = tmp_path / f"{PREFIX}{os.getppid()}-def"  # pytest's parent: running
    mine = tmp_path / f"{PREFIX}{os.getpid()}-ghi"
    legacy_old = tmp_path / f"{PREFIX}k2j3h4"
    legacy_new = tmp_path / f"{PREFIX}q9w8e7"
    other = tmp_path / "something-else"
    for folder in (dead, alive, mine, legacy_old, legacy_new, other):
        folder.mkdir()
        (folder / "profile.toml").write_text("demo")
    day_and_more = time.time() - 25 * 3600
    os.utime(legacy_old, (day_and_more, day_and_more))
    assert stale_folders(tmp_path) == sorted([dead, legacy_old])

    with demo_folder(tmp_path) as made:
        assert made.name.startswith(f"{PREFIX}{os.getpid()}-")
        assert made.stat().st_mode & 0o777 == 0o700
        assert not dead.exists() and not legacy_old.exists()
        assert alive.exists() and mine.exists() and legacy_new.exists() and other.exists()
    assert not made.exists()


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_the_demo_removes_its_folder_when_its_terminal_closes_or_it_is_killed(
    tmp_path: Path, sig: signal.Signals
) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command line, in a terminal of its own
        os.execve(str(ROOT / ".venv" / "bin" / "bgwizard"), ["bgwizard", "demo"], env)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(f"{PREFIX}{pid}-*/profile.toml")):
            assert time.monotonic() < deadline, "the demo never made its folder"
            _drain(fd)
            time.sleep(0.1)
        (folder,) = tmp_path.glob(f"{PREFIX}{pid}-*")
        time.sleep(1)  # let the app reach its first frame
        os.kill(pid, sig)
        status = _wait(pid, fd, timeout=30)
    finally:
        os.close(fd)
    assert not folder.exists()
    assert os.waitstatus_to_exitcode(status) == 128 + sig  # it ended through our handler


def _drain(fd: int) -> None:
    import select

    while select.select([fd], [], [], 0)[0]:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def _wait(pid: int, fd: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _drain(fd)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("the demo did not end")


def test_keep_the_training_log_copies_it_with_its_public_keys(tmp_path: Path) -> None:
    log = tmp_path / "demo" / "training-drill-log.jsonl"
    log.parent.mkdir()
    with pytest.raises(LogError, match="no training log"):
        keep_training_log(log, tmp_path / "kept")
    build_log(log, 3, key=pinned_key(5))
    (log.parent / "training-drill-key").write_text("PRIVATE")
    written = keep_training_log(log, tmp_path / "kept")
    names = sorted(p.name for p in written)
    assert names == ["allowed_signers", "training-drill-key.pub", "training-drill-log.jsonl"]
    kept = tmp_path / "kept"
    assert not any("PRIVATE" in p.read_text() for p in kept.iterdir())
    signers = (kept / "allowed_signers").read_text()
    assert ssh_keygen_verify(kept / log.name, tmp_path, signers) == [0, 0, 0]
    assert (kept / "training-drill-key.pub").read_text().startswith("ssh-ed25519 ")
