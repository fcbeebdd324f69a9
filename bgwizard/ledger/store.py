"""The signed drill log on disk: the only module that appends to it.

Appends are atomic and durable: under an exclusive lock the whole log plus the new line is
written to a temporary file in the same directory, fsync'd, renamed over the log, and the
directory is fsync'd. A crash at any point leaves either the old log or the new one, never a
torn line. Before appending, the log is verified; a log that does not verify is never extended
(``LogRefused`` says why and how to start a new, linked log).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import platformdirs

from bgwizard.errors import LedgerError, LogError, LogRefused, SignerNotTrusted
from bgwizard.inputs import MiB, read_input, read_text_input
from bgwizard.ledger.chain import (
    GENESIS,
    Entry,
    JsonValue,
    Signer,
    Verification,
    change_problem,
    encode_line,
    key_fingerprint,
    line_hash,
    new_entry,
    parse_allowed_signers,
    parse_line,
    signer_change,
    verify_lines,
)
from bgwizard.ledger.sshsig import SigningKey, verify
from bgwizard.profile.model import Profile

APP_NAME: Final = "bgwizard"

INPUT_LIMIT: Final = 64 * MiB
"""The largest log or allowed_signers file read (a drill log grows ~2 KiB a quarter)."""


def _data_dir(training: bool) -> Path:
    base = Path(platformdirs.user_data_dir(APP_NAME))
    return base / "training" if training else base


def default_log_path(training: bool = False) -> Path:
    """The drill log in the user's data directory (training drills keep their own)."""
    return _data_dir(training) / "drill-log.jsonl"


def profile_log_path(profile: Profile) -> Path:
    """The profile's drill log, or the default location (a separate one in training)."""
    return Path(profile.drill_log) if profile.drill_log else default_log_path(profile.demo)


def default_key_path(training: bool = False) -> Path:
    """The operator's signing key in the user's data directory (a separate one for training)."""
    return _data_dir(training) / "drill-signing-key"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def read_allowed_signers(path: Path) -> list[Signer]:
    """Read an ``allowed_signers`` file.

    Raises:
        LogError: the file cannot be read.
    """
    text = read_text_input(path, what="allowed_signers file", limit=INPUT_LIMIT, error=LogError)
    return parse_allowed_signers(text)


class DrillLog:
    """One signed log file (JSON Lines)."""

    def __init__(
        self,
        path: Path,
        clock: Callable[[], dt.datetime] = _utcnow,
        pinned: Iterable[Signer] | None = None,
    ) -> None:
        """Open (not read) a log.

        Args:
            path: the log file.
            clock: the time source for new entries (UTC-aware).
            pinned: the signers trusted to have started the log (see ``verify_lines``); None
                takes its first signer as found. Product code reads the profile's log through
                ``bgwizard.ledger.anchored.ProfileLog``, which always pins.
        """
        self.path = path
        self._clock = clock
        self.pinned = None if pinned is None else frozenset(pinned)

    def exists(self) -> bool:
        """Whether the log file exists."""
        return self.path.exists()

    def _read_lines(self) -> list[bytes]:
        if not os.path.lexists(self.path):
            raise LogError(f"There is no drill log at {self.path}.")
        return _read_log(self.path).split(b"\n")

    def verify(self, allowed: Sequence[Signer] | None = None) -> Verification:
        """Check chain and every signature.

        Raises:
            LogError: the file cannot be read.
        """
        pins = self.pinned if allowed is None else allowed
        return verify_lines(self._read_lines(), verify, pins)

    def entries(self) -> list[Entry]:
        """The entries of a log that verifies.

        Raises:
            LogRefused: the log does not verify.
        """
        lines = self._read_lines()
        result = verify_lines(lines, verify, self.pinned)
        if not result.ok:
            raise LogRefused(self.path, result)
        return [parse_line(line).entry for line in lines[:-1]]

    def start(
        self,
        key: SigningKey,
        operator: str,
        previous: Path | None = None,
        note: str = "",
        closed: Verification | None = None,
    ) -> Entry:
        """Create the log with its ``log-start`` entry, linked to ``previous`` when given.

        The link records the previous file, how many entries verified there, the hash of its
        last good line, and why it was closed.

        Raises:
            LogError: the log already exists, or cannot be written.
        """
        if self.exists():
            raise LogError(f"{self.path} already exists; a new log needs a new file name.")
        data: dict[str, JsonValue] = {"note": note}
        if previous is not None:
            data["previous"] = _link(previous, closed or _closed(previous, self.pinned))
        return self._append(key, operator, "log-start", data, create=True)

    def append(
        self, key: SigningKey, operator: str, kind: str, data: dict[str, JsonValue]
    ) -> Entry:
        """Sign and append one entry to a log that verifies (created when missing).

        Raises:
            LogRefused: the log does not verify.
            LogError: the entry is invalid or the file cannot be written.
        """
        if not self.exists():
            self.start(key, operator, note="first entry of this drill log")
        return self._append(key, operator, kind, data, create=False)

    def _append(
        self, key: SigningKey, operator: str, kind: str, data: dict[str, JsonValue], create: bool
    ) -> Entry:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise LogError(f"Cannot create the folder of {self.path}: {exc.strerror}.") from exc
        with self._locked():
            self._remove_stale_temporaries()
            old = b"" if create else _read_log(self.path)
            seq, prev = 1, GENESIS
            if not create:
                result = verify_lines(old.split(b"\n"), verify, self.pinned)
                if not result.ok:
                    raise LogRefused(self.path, result)
                _check_signer(self.path, result, Signer(operator, key.public_line), self.pinned)
                if kind == "signers":
                    _check_change(result, data)
                seq, prev = result.entries + 1, result.head
            try:
                entry = new_entry(
                    seq=seq, prev=prev, now=self._clock(), kind=kind,
                    operator=operator, key=key.public_line, data=data,
                )  # fmt: skip
            except LedgerError as exc:
                raise LogError(str(exc)) from exc
            self._replace(old + encode_line(entry, key.sign(entry.message())) + b"\n")
        return entry

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise LogError(f"Cannot lock the drill log {self.path}: {exc.strerror}.") from exc
        with os.fdopen(fd, "r+b") as lock:
            os.fchmod(lock.fileno(), 0o600)  # a lock file left 0644 by an older version
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _remove_stale_temporaries(self) -> None:
        # Left by a process killed mid-append; the log itself was never touched.
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    def _replace(self, content: bytes) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise LogError(f"Cannot write the drill log {self.path}: {exc.strerror}.") from exc

    def line_hashes(self) -> list[str]:
        """SHA-256 of every line, in order (each one a head the log had after that append).

        Raises:
            LogError: the file cannot be read.
        """
        return [line_hash(line) for line in self._read_lines() if line]

    def signers(self) -> list[Signer]:
        """Distinct (operator, key) pairs of the entries that verify, in order of first use.

        Raises:
            LogError: the file cannot be read.
        """
        return list(self.verify().signers)


def _read_log(path: Path) -> bytes:
    """The log's bytes: a regular file of at most ``INPUT_LIMIT`` (never a FIFO or device)."""
    return read_input(path, what="drill log", limit=INPUT_LIMIT, error=LogError)


def _check_signer(
    path: Path, result: Verification, signer: Signer, pinned: frozenset[Signer] | None
) -> None:
    """Refuse an append by a key the log does not trust now, or that is not pinned."""
    who = f"{signer.operator} (key {key_fingerprint(signer.key)})"
    if signer not in result.active or (pinned is not None and signer not in pinned):
        keys = {s.key for s in result.active}
        hint = "sign as the name pinned for that key" if signer.key in keys else (
            "a trusted signer adds it first (bgwizard log signers add), or sign with a trusted key"
        )  # fmt: skip
        raise SignerNotTrusted(f"{who} is not a trusted signer of {path}: {hint}.")


def _check_change(result: Verification, data: dict[str, JsonValue]) -> None:
    """Refuse a signer change that cannot apply (already trusted, not trusted, the last one)."""
    try:
        problem = change_problem(result.active, signer_change(data))
    except LedgerError as exc:
        raise LogError(f"The signer change is invalid: {exc}.") from exc
    if problem:
        raise LogError(f"Refusing the signer change: {problem}.")


def _closed(previous: Path, pinned: Iterable[Signer] | None) -> Verification:
    try:
        return DrillLog(previous, pinned=pinned).verify()
    except LogError as exc:
        return Verification(0, 1, str(exc).rstrip("."))


def _link(previous: Path, result: Verification) -> dict[str, JsonValue]:
    return {
        "file": str(previous),
        "entries_verified": result.entries,
        "head": result.head,
        "closed_because": result.describe(),
    }


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "DrillLog",
    "default_key_path",
    "default_log_path",
    "line_hash",
    "read_allowed_signers",
]
