"""Issue 13 §4: at least 150 bad command lines, each one sentence on stderr and exit 2.

On main this corpus found tracebacks (ports, FIFOs, devices, non-UTF-8 files, folders for files,
deep JSON) and hangs (a FIFO or ``/dev/zero`` as an input file). The corpus runs in one child
process (``cli_corpus_runner.py``) that calls ``bgwizard.cli.main.main`` for each command line
with a SIGALRM watchdog, so a hang is counted rather than stopping the run. A few command lines
also run through the real console entry point, as a user types them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_corpus import bad_inputs, busy_port, write_cases

RUNNER = Path(__file__).parent / "cli_corpus_runner.py"
MIN_CASES = 150


def _env(tmp_path: Path) -> dict[str, str]:
    """No real profile, log or config: every default location points into ``tmp_path``."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")]),
    )
    return env


def _problems(result: dict[str, Any]) -> str:
    """What is wrong with one result; '' when it is one sentence and exit 2."""
    if result["hang"]:
        return "hang"
    if result["traceback"]:
        return "traceback: " + result["traceback"].strip().splitlines()[-1]
    lines = [line for line in result["stderr"].splitlines() if line.strip()]
    if "Traceback" in result["stderr"] or "internal error" in result["stderr"]:
        return "traceback (or the last-resort internal error) on stderr"
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr: {result['stderr'][:300]!r}"
    if not lines[0].rstrip().endswith((".", "See --help.")):
        return f"not a sentence: {lines[0]!r}"
    if result["argv"][:2] in (["log", "verify"], ["log", "show"]) and " fails: " in lines[0]:
        # A file that is not a drill log is a log that does not verify: exit 1, one sentence.
        return "" if result["code"] == 1 else f"exit {result['code']}: {lines[0]}"
    if result["code"] != 2:
        return f"exit {result['code']}: {lines[0]}"
    return ""


def test_every_bad_command_line_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    sock, port = busy_port()
    with sock:
        cases = write_cases(tmp_path, port)
        run = subprocess.run(
            [sys.executable, str(RUNNER), str(cases)],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
            cwd=tmp_path,
            timeout=900,
            check=False,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    assert len(results) >= MIN_CASES
    bad = {" ".join(r["argv"]): p for r in results if (p := _problems(r))}
    hangs = sum(r["hang"] for r in results)
    tracebacks = sum(bool(r["traceback"]) for r in results)
    summary = f"{len(results)} tried, {tracebacks} tracebacks, {hangs} hangs, {len(bad)} bad"
    print(summary)
    assert not bad, summary + "\n" + "\n".join(f"{k}\n    {v}" for k, v in bad.items())


@pytest.mark.parametrize(
    "args",
    [
        ["emulator", "--tenant", "{fifo}"],
        ["log", "verify", "{zero}"],
        ["demo", "--port", "70000"],
        ["--profile", "{latin1}"],
        ["emulator", "--state-dir", "{binary}"],
    ],
)
def test_the_console_script_says_one_sentence(tmp_path: Path, args: list[str]) -> None:
    files = {k: str(v) for k, v in bad_inputs(tmp_path / "in").items()}
    argv = [a.format(**files) for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "bgwizard", *argv],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
