"""The profile's signed log, anchored by the profile: pinned signers and the remembered head.

Every product reader and writer of the log goes through ``ProfileLog`` (the audit's drill
source, the drill, rotation and use recorders, ``bgwizard log``, the runbook), so one place
decides what counts:

- **Pinned signers.** The profile's ``[[drill.signers]]`` are the keys trusted to sign. The
  first entry of a new log, whatever its kind, pins its signer's key there. More signers are
  added (or retired) only by a ``signers`` entry signed by a key already trusted
  (``change_signer``). An entry by any other key fails verification, so it never reaches an
  audit rule. A profile from before pinning trusts the first signer of the log its remembered
  head anchors, and pins it at its next append.
- **The head.** The profile remembers the SHA-256 of the last line it wrote. A log that no longer
  holds that line lost entries off its end; a missing log when a head is remembered is an error
  (a new log is started only on purpose, linked to the lost one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bgwizard.errors import LogError, LogRefused
from bgwizard.ledger.chain import (
    Entry,
    JsonValue,
    Signer,
    Verification,
    signer_change_data,
)
from bgwizard.ledger.sshsig import SigningKey
from bgwizard.ledger.store import DrillLog, profile_log_path
from bgwizard.profile.model import Profile, ProfileStore


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pinned_signers(profile: Profile) -> frozenset[Signer]:
    """The signers ``profile`` pins (``[[drill.signers]]``)."""
    return frozenset(Signer.of(pinned) for pinned in profile.drill.signers)


class ProfileLog:
    """The profile's log (or another log judged with the profile's pins)."""

    def __init__(
        self,
        profile: Profile,
        store: ProfileStore | None = None,
        *,
        path: Path | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        """Open (not read) the log.

        Args:
            profile: pins the signers and remembers the head; edited in place by appends.
            store: saves the profile after each append (None: read only).
            path: another log to judge with the profile's pins (its head is then not compared).
            clock: time source for new entries.
        """
        self.profile, self._store, self._clock = profile, store, clock
        own = profile_log_path(profile)
        self.path = path or own
        self._own = _same(self.path, own)

    @property
    def log(self) -> DrillLog:
        """The file, verified with the pins."""
        return DrillLog(self.path, self._clock, self.pins())

    def exists(self) -> bool:
        """Whether the log file exists."""
        return self.path.exists()

    @property
    def head(self) -> str:
        """The head the profile remembers for this log ('' when none, or another log)."""
        return self.profile.drill.head if self._own else ""

    def pins(self) -> frozenset[Signer]:
        """The pinned signers (a pre-pinning profile: the first signer its head anchors)."""
        pins = pinned_signers(self.profile)
        if pins or not self.head or not self.exists():
            return pins
        try:
            found = DrillLog(self.path).verify()
        except LogError:
            return frozenset()
        return frozenset(found.trusted[:1]) if self.head in found.hashes else frozenset()

    def state(self) -> Verification | None:
        """The verification with pins and head; None when there is no log and none is expected.

        Raises:
            LogError: the file cannot be read.
        """
        if not self.exists():
            if not self.head:
                return None
            reason = (
                f"the log file is missing, but the profile remembers its head {self.head} "
                "(restore it from a backup)"
            )
            return Verification(0, 1, reason)
        result = self.log.verify()
        if result.ok and self.head and self.head not in result.hashes:
            return result.failing(
                f"the last entry this profile recorded (head {self.head}) is gone: entries were "
                "cut off the end, or this is another log"
            )
        return result

    def verify(self) -> Verification:
        """Like ``state``, but a log that is not there is an error.

        Raises:
            LogError: no log, or it cannot be read.
        """
        result = self.state()
        if result is None:
            raise LogError(f"There is no drill log at {self.path}.")
        return result

    def entries(self) -> list[Entry]:
        """The entries, when the whole log verifies with the pins and the head (none: no log).

        Raises:
            LogRefused: it does not verify, or it is missing while a head is remembered.
            LogError: it cannot be read.
        """
        result = self.state()
        if result is None:
            return []
        if not result.ok:
            raise LogRefused(self.path, result)
        return self.log.entries()

    def append(
        self, key: SigningKey, operator: str, kind: str, data: dict[str, JsonValue]
    ) -> tuple[Entry, str]:
        """Sign and append one entry (a new log, pinning ``key``, when none exists yet).

        Returns:
            The entry and the new head (remembered in the profile, saved).

        Raises:
            LogRefused: the log does not verify (or is missing while a head is remembered).
            SignerNotTrusted: ``key`` as ``operator`` is not a trusted signer of the log.
            LogError: the entry is invalid or the file cannot be written.
            ProfileError: the profile could not be saved.
        """
        return self._append(key, operator, kind, data, None)

    def change_signer(
        self, key: SigningKey, operator: str, action: str, signer: Signer, reason: str
    ) -> tuple[Entry, str]:
        """Add or retire ``signer``: a ``signers`` entry signed by ``key`` (already trusted).

        An added signer is pinned in the profile too. A retired one stays pinned (its entries
        stay valid); the log refuses its later entries.

        Raises:
            LedgerError: bad action, name, key or reason.
            LogRefused, SignerNotTrusted, LogError, ProfileError: as ``append``.
        """
        data = signer_change_data(action, signer, reason)
        if not self.exists():
            raise LogError(f"There is no drill log at {self.path} to add or retire signers in.")
        return self._append(key, operator, "signers", data, signer if action == "add" else None)

    def _append(
        self,
        key: SigningKey,
        operator: str,
        kind: str,
        data: dict[str, JsonValue],
        pin: Signer | None,
    ) -> tuple[Entry, str]:
        state = self.state()
        if state is not None and not state.ok:
            raise LogRefused(self.path, state)
        pins = set(self.pins())
        if state is None:
            DrillLog(self.path, self._clock).start(key, operator, note="first entry of this log")
            pins.add(Signer(operator, key.public_line))
        entry = DrillLog(self.path, self._clock, pins | ({pin} if pin else set())).append(
            key, operator, kind, data
        )
        return entry, self._remember(operator, pins | ({pin} if pin else set()))

    def start_linked(self, key: SigningKey, operator: str) -> Path:
        """Start a new log linked to this one (kept untouched as evidence); pins ``key``.

        Returns:
            The new log's path (now the profile's ``drill_log``).

        Raises:
            LogError: the new log could not be written.
            ProfileError: the profile could not be saved.
        """
        old, closed = self.path, self.state()
        new = _next_free(old)
        note = f"continues {old.name}, which failed verification"
        DrillLog(new, self._clock).start(key, operator, previous=old, note=note, closed=closed)
        self.profile.drill_log = str(new)
        self.path, self._own = new, True
        self._remember(operator, set(self.pins()) | {Signer(operator, key.public_line)})
        return new

    def _remember(self, operator: str, pins: set[Signer]) -> str:
        """Save where the log is, who signed, its head and the pins."""
        head = DrillLog(self.path).verify().head
        pinned = list(self.profile.drill.signers)
        pinned += [s.pinned() for s in sorted(pins, key=_order) if s.pinned() not in pinned]
        self.profile.drill_log = str(self.path)
        self.profile.drill = replace(
            self.profile.drill, operator=operator, head=head, signers=pinned
        )
        if self._store is not None:
            self._store.save(self.profile)
        return head


def _same(one: Path, other: Path) -> bool:
    """Whether two paths name the same file (``~``, relative parts and links resolved)."""
    return one.expanduser().resolve() == other.expanduser().resolve()


def _order(signer: Signer) -> tuple[str, str]:
    return signer.operator, signer.key


def _next_free(path: Path) -> Path:
    stem = path.stem.rsplit("-", 1)[0] if path.stem.rsplit("-", 1)[-1].isdigit() else path.stem
    number = 2
    while (candidate := path.with_name(f"{stem}-{number}{path.suffix}")).exists():
        number += 1
    return candidate
