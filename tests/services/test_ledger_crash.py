"""A process killed while appending never corrupts the log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ledger_support import build_log, pinned_key

from bgwizard.ledger.store import DrillLog

_APPENDER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {support!r})
    from pathlib import Path
    from ledger_support import pinned_key
    from bgwizard.ledger.store import DrillLog

    mode, path = sys.argv[1], Path(sys.argv[2])
    real_write, real_replace = os.write, os.replace

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def half_write(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        die()

    def replace_then_die(src, dst):
        die()

    if mode == "mid-write":
        os.write = half_write
    elif mode == "before-rename":
        os.replace = replace_then_die
    log = DrillLog(path)
    print("ready", flush=True)
    while True:
        log.append(pinned_key(1), "alice@contoso.example", "drill", {{"result": "pass"}})
    """
)


def _run_appender(tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "appender.py"
    script.write_text(_APPENDER.format(support=str(Path(__file__).parent)))
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(tmp_path / "log.jsonl")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["mid-write", "before-rename"])
def test_killed_at_the_write_leaves_the_old_log(tmp_path: Path, mode: str) -> None:
    log = build_log(tmp_path / "log.jsonl", 3)
    before = log.path.read_bytes()
    proc = _run_appender(tmp_path, mode)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert log.path.read_bytes() == before
    assert log.verify().ok
    log.append(pinned_key(1), "alice@contoso.example", "drill", {"after": "crash"})
    assert log.verify().entries == 4
    assert not list(tmp_path.glob(".log.jsonl.*.tmp"))


def test_killed_at_random_moments_always_verifies(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 1)
    counts = []
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31):
        proc = _run_appender(tmp_path, "free-running")
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(delay)  # the kill must land at an arbitrary point of an append
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        result = DrillLog(log.path).verify()
        assert result.ok, result.describe()
        counts.append(result.entries)
    assert counts == sorted(counts) and counts[-1] > 1
