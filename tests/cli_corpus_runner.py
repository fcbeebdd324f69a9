"""Run bad command lines through ``bgwizard.cli.main.main`` in one process; print JSON results.

Usage: ``python tests/cli_corpus_runner.py CASES.json`` where the file holds a list of argument
lists. For each: the exit code, stderr, whether an exception escaped ``main`` (a traceback a
user would see) and whether it ran past ``HANG_SECONDS`` (a hang, cut by SIGALRM). One process
for the whole corpus keeps it to seconds; a hang cannot stop the rest.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import signal
import sys
import traceback
from types import FrameType
from typing import Any

HANG_SECONDS = 20
AS_LIMIT = 4 * 1024**3


class Hang(BaseException):
    """Raised by SIGALRM in the middle of whatever blocked."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def run_one(argv: list[str]) -> dict[str, Any]:
    from bgwizard.cli.main import main

    err, out = io.StringIO(), io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    result: dict[str, Any] = {"argv": argv, "code": None, "traceback": "", "hang": False}
    try:
        try:
            signal.alarm(HANG_SECONDS)
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                result["code"] = main(argv)
        finally:
            signal.alarm(0)  # the alarm may still fire here: the handlers below count it
    except Hang:
        result["hang"] = True
    except SystemExit as exc:
        result["code"] = exc.code
    except BaseException:
        result["traceback"] = traceback.format_exc()
    result["stderr"] = err.getvalue()
    return result


class ReachedTui(Exception):
    """A bad command line got as far as starting the TUI (it should have stopped before)."""


def _no_tui(*args: Any, **kwargs: Any) -> None:
    raise ReachedTui("the TUI would have started")


def main() -> None:
    # A read without a size cap must fail here with MemoryError, never push a shared
    # machine into the OOM killer.
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    signal.signal(signal.SIGALRM, _alarm)
    from bgwizard.tui.app import BgWizardApp

    BgWizardApp.run = _no_tui  # type: ignore[method-assign]
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)
    results = [run_one(argv) for argv in cases]
    sys.__stdout__.write(json.dumps(results))


if __name__ == "__main__":
    main()
