"""The demo's private folder: made at start, removed at exit — also on SIGHUP and SIGTERM — and
the folders of demos that died anyway removed at the next start.

A demo folder holds the demo profile, the emulator's CA, and (after a training drill) the
throw-away signing key and its log. Its name carries the owner's process id
(``bgwizard-demo-<pid>-<random>``), so the next ``bgwizard demo`` can tell a folder of a process
that is gone (removed) from one of a demo still running (kept). Folders named before process
ids were added (``bgwizard-demo-<random>``) are removed once a day old.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Final

from bgwizard.errors import LogError
from bgwizard.ledger.store import DrillLog

PREFIX: Final = "bgwizard-demo-"
_OWNED: Final = re.compile(rf"^{PREFIX}(\d+)-")
LEGACY_AGE: Final = 24 * 3600
"""Seconds after which a demo folder without a process id in its name counts as stale."""
SIGNALS: Final = (signal.SIGHUP, signal.SIGTERM)
"""Closing the terminal (SIGHUP) or killing the window (SIGTERM)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that id: not ours to judge
        return True
    return True


def stale_folders(base: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Demo folders in ``base`` (the temp dir) whose demo is gone.

    Only folders owned by this user count; one whose process still runs is never stale.

    Args:
        base: where demo folders are made (default: the system's temporary directory).
        now: the current time (tests).
    """
    base = base or Path(tempfile.gettempdir())
    moment = time.time() if now is None else now
    found = []
    for path in sorted(base.glob(f"{PREFIX}*")):
        try:
            info = path.lstat()
        except OSError:
            continue
        if not path.is_dir() or path.is_symlink() or info.st_uid != os.getuid():
            continue
        owner = _OWNED.match(path.name)
        if owner:
            if int(owner.group(1)) != os.getpid() and not _alive(int(owner.group(1))):
                found.append(path)
        elif moment - info.st_mtime > LEGACY_AGE:
            found.append(path)
    return found


def remove_stale(base: Path | None = None) -> list[Path]:
    """Remove the demo folders of demos that are gone; the ones removed."""
    removed = []
    for path in stale_folders(base):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


@contextlib.contextmanager
def demo_folder(base: Path | None = None) -> Iterator[Path]:
    """A new private demo folder, removed on exit, on SIGHUP and on SIGTERM.

    Stale folders of dead demos are removed first. On one of ``SIGNALS`` the folder is removed
    at once, then ``SystemExit`` unwinds the demo (the emulator stops, the terminal is
    restored); the previous handlers come back on exit.

    Args:
        base: where to make it (default: the system's temporary directory).

    Yields:
        The folder (mode 0700).
    """
    remove_stale(base)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        shutil.rmtree(path, ignore_errors=True)
        raise SystemExit(128 + signum)

    for sig in SIGNALS:
        signal.signal(sig, on_signal)
    try:
        yield path
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, _handler(handler))
        shutil.rmtree(path, ignore_errors=True)


def keep_training_log(log: Path, destination: Path) -> list[Path]:
    """Copy the demo's signed training log out of the demo folder, with its public keys.

    Writes ``training-drill-log.jsonl`` (the log as it is), ``allowed_signers`` (one line per
    signer of the entries that verify, for ``ssh-keygen -Y verify``) and the signer's
    ``.pub``; never the private key. ``docs/drill-log.md``'s walk-through then works on them.

    Args:
        log: the demo's training log.
        destination: a folder (made when missing); files there of the same names are replaced.

    Returns:
        The files written.

    Raises:
        LogError: there is no training log yet, or a file cannot be written.
    """
    drill_log = DrillLog(log)
    if not drill_log.exists():
        raise LogError("There is no training log yet: sign a drill, rotation or set-up first.")
    signers = drill_log.signers()
    lines = "".join(f"{s.allowed_signers_line()}\n" for s in signers)
    pubs = "".join(f"{s.key} {s.operator}\n" for s in signers)
    files = {
        destination / log.name: log.read_bytes(),
        destination / "allowed_signers": lines.encode("ascii"),
        destination / "training-drill-key.pub": pubs.encode("ascii"),
    }
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for path, content in files.items():
            path.write_bytes(content)
    except OSError as exc:
        raise LogError(f"Cannot write the training log to {destination}: {exc.strerror}.") from exc
    return list(files)


def _handler(
    handler: Callable[[int, FrameType | None], object] | int | None,
) -> Callable[[int, FrameType | None], object] | int:
    # getsignal() says None for a handler not installed from Python: the default is closest.
    return signal.SIG_DFL if handler is None else handler


__all__ = ["PREFIX", "demo_folder", "keep_training_log", "remove_stale", "stale_folders"]
