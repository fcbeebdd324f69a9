"""Recording a drill (or a rotation, or a real use) in the signed log, and the signing key.

Blocking (files, bcrypt, fsync): call from a thread worker. The profile remembers where the
log and the key are, and ``last_drill`` — moved forward only by a drill that passed, so a
failed drill never resets the 90-day clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

# RecordedDrill lives with the model (screens show it); re-exported for the callers of old.
from bgwizard.drill.model import Drill, RecordedDrill
from bgwizard.errors import LogRefused
from bgwizard.ledger.chain import Entry, JsonValue, Verification
from bgwizard.ledger.sshsig import (
    SigningKey,
    create_key,
    key_needs_passphrase,
    load_key,
)
from bgwizard.ledger.store import DrillLog, default_key_path, profile_log_path
from bgwizard.profile.model import Profile, ProfileStore
from bgwizard.secret import Secret


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DrillRecorder:
    """Signs and appends drill entries; keeps the profile's log, key and last-drill fields."""

    def __init__(
        self, profile: Profile, store: ProfileStore, clock: Callable[[], dt.datetime] = _utcnow
    ) -> None:
        """Args: profile: edited in place and saved through ``store``; clock: UTC now."""
        self.profile, self._store, self._clock = profile, store, clock

    @property
    def log_path(self) -> Path:
        """The profile's drill log, or the default location (a separate one in training)."""
        return profile_log_path(self.profile)

    @property
    def key_path(self) -> Path:
        """The profile's signing key, or the default location."""
        if self.profile.signer_key:
            return Path(self.profile.signer_key)
        return default_key_path(training=self.profile.demo)

    @property
    def last_signer(self) -> str:
        """The signer name used last time ('' on the first drill)."""
        return self.profile.drill.operator

    def _check_head(self, log: DrillLog) -> None:
        """Refuse a log that lost the last entry this profile wrote (cut off at its end)."""
        head = self.profile.drill.head
        if not head or not log.exists() or head in log.line_hashes():
            return
        result = log.verify()
        if not result.ok:
            raise LogRefused(log.path, result)
        reason = (
            f"the last entry this profile recorded (head {head[:12]}…) is gone: "
            "entries were cut off the end"
        )
        raise LogRefused(
            log.path,
            Verification(result.entries, result.entries + 1, reason, result.signers, result.head),
        )

    def key_exists(self, path: Path | None = None) -> bool:
        """Whether the signing key file exists."""
        return (path or self.key_path).exists()

    def key_needs_passphrase(self, path: Path | None = None) -> bool:
        """Whether the signing key is encrypted."""
        return key_needs_passphrase(path or self.key_path)

    def unlock(
        self, passphrase: Secret | None, path: Path | None = None, comment: str = ""
    ) -> SigningKey:
        """Load the key at ``path`` (default: the profile's), creating it when missing.

        Raises:
            SignerKeyError: wrong passphrase, not Ed25519, or it cannot be created.
        """
        target = path or self.key_path
        if target.exists():
            key = load_key(target, passphrase)
        else:
            key = create_key(target, passphrase or Secret(""), comment or "bgwizard drill log")
        self.profile.signer_key = str(target)
        return key

    def log_state(self) -> Verification | None:
        """The log's verification, or None when there is no log yet."""
        log = DrillLog(self.log_path, self._clock)
        return log.verify() if log.exists() else None

    def record(self, drill: Drill, key: SigningKey, operator: str) -> RecordedDrill:
        """Append the drill to the log and update the profile (saved).

        Raises:
            LogRefused: the log does not verify (nothing appended).
            LogError: the entry or the file could not be written.
            ProfileError: the profile could not be saved.
        """
        log = DrillLog(self.log_path, self._clock)
        self._check_head(log)
        entry = log.append(key, operator, "drill", drill.to_log_data())
        if drill.outcome == "pass":
            self.profile.last_drill = drill.started.date()
        head = self._remember(operator)
        return RecordedDrill(entry, head, log.path, self.profile.next_drill_due())

    def record_event(
        self, kind: str, data: dict[str, JsonValue], key: SigningKey, operator: str
    ) -> Entry:
        """Append a ``rotation``, ``use`` (post-mortem), ``key-change`` or ``note`` entry.

        Raises:
            LogRefused: the log does not verify.
            LogError: the entry or the file could not be written.
        """
        return self._append_event(kind, data, key, operator).entry

    def _append_event(
        self, kind: str, data: dict[str, JsonValue], key: SigningKey, operator: str
    ) -> RecordedDrill:
        log = DrillLog(self.log_path, self._clock)
        self._check_head(log)
        entry = log.append(key, operator, kind, data)
        head = self._remember(operator)
        return RecordedDrill(entry, head, log.path, self.profile.next_drill_due())

    def _unlock_for(
        self, signer: str, key_path: Path, passphrase: Secret | None, relink: bool
    ) -> SigningKey:
        key = self.unlock(passphrase, key_path, comment=signer)
        if relink:
            self.start_linked_log(key, signer)
        return key

    def sign_drill(
        self,
        drill: Drill,
        signer: str,
        key_path: Path,
        passphrase: Secret | None,
        *,
        relink: bool = False,
    ) -> RecordedDrill:
        """Unlock (or create) the key at ``key_path``, then append ``drill`` as ``signer``.

        One call for the signing dialog's worker, so the key never leaves this module.

        Args:
            drill: the finished drill.
            signer: the principal named in ``allowed_signers``.
            key_path: the signing key (created, encrypted with ``passphrase``, when missing).
            passphrase: the key's passphrase (None for an unencrypted key).
            relink: first start a new log linked to the current one (which was refused).

        Raises:
            SignerKeyError: wrong passphrase, not Ed25519, or it cannot be created.
            LogRefused: the log does not verify (nothing appended).
            LogError: the entry or the file could not be written.
            ProfileError: the profile could not be saved.
        """
        key = self._unlock_for(signer, key_path, passphrase, relink)
        return self.record(drill, key, signer)

    def sign_event(
        self,
        kind: str,
        data: dict[str, JsonValue],
        signer: str,
        key_path: Path,
        passphrase: Secret | None,
        *,
        relink: bool = False,
    ) -> RecordedDrill:
        """Like ``sign_drill`` for a ``rotation``, ``use``, ``key-change`` or ``note`` entry.

        Raises:
            SignerKeyError: wrong passphrase, not Ed25519, or it cannot be created.
            LogRefused: the log does not verify (nothing appended).
            LogError: the entry or the file could not be written.
        """
        key = self._unlock_for(signer, key_path, passphrase, relink)
        return self._append_event(kind, data, key, signer)

    def start_linked_log(self, key: SigningKey, operator: str) -> Path:
        """Start a new log linked to the current one (which is kept, untouched, as evidence).

        Returns:
            The new log's path (now the profile's ``drill_log``).

        Raises:
            LogError: the new log could not be written.
        """
        old = self.log_path
        new = _next_free(old)
        DrillLog(new, self._clock).start(
            key, operator, previous=old, note=f"continues {old.name}, which failed verification"
        )
        self.profile.drill_log = str(new)
        self._remember(operator)
        return new

    def _remember(self, operator: str) -> str:
        """Save where the log is, who signed, and its head (to notice a cut-off end later)."""
        self.profile.drill_log = str(self.log_path)
        head = DrillLog(self.log_path).verify().head
        self.profile.drill = replace(self.profile.drill, operator=operator, head=head)
        self._store.save(self.profile)
        return head


def _next_free(path: Path) -> Path:
    stem = path.stem.rsplit("-", 1)[0] if path.stem.rsplit("-", 1)[-1].isdigit() else path.stem
    number = 2
    while (candidate := path.with_name(f"{stem}-{number}{path.suffix}")).exists():
        number += 1
    return candidate
