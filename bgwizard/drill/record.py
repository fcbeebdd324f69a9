"""Recording a drill (or a rotation, or a real use) in the signed log, and the signing key.

Blocking (files, bcrypt, fsync): call from a thread worker. The profile remembers where the
log and the key are, and ``last_drill`` — moved forward only by a drill that passed, so a
failed drill never resets the 90-day clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

# RecordedDrill lives with the model (screens show it); re-exported for the callers of old.
from bgwizard.drill.model import Drill, RecordedDrill
from bgwizard.ledger.anchored import ProfileLog
from bgwizard.ledger.chain import Entry, JsonValue, Verification
from bgwizard.ledger.sshsig import (
    SigningKey,
    create_key,
    key_needs_passphrase,
    load_key,
)
from bgwizard.ledger.store import default_key_path, profile_log_path
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

    def _log(self) -> ProfileLog:
        """The profile's log: pinned signers and remembered head (``bgwizard.ledger.anchored``)."""
        return ProfileLog(self.profile, self._store, clock=self._clock)

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
        """The log's verification (pins and head), or None when there is no log yet."""
        return self._log().state()

    def record(self, drill: Drill, key: SigningKey, operator: str) -> RecordedDrill:
        """Append the drill to the log and update the profile (saved).

        Raises:
            LogRefused: the log does not verify (nothing appended).
            LogError: the entry or the file could not be written.
            ProfileError: the profile could not be saved.
        """
        log = self._log()
        entry, head = log.append(key, operator, "drill", drill.to_log_data())
        if drill.outcome == "pass":
            self.profile.last_drill = drill.started.date()
            self._store.save(self.profile)
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
        log = self._log()
        entry, head = log.append(key, operator, kind, data)
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
        return self._log().start_linked(key, operator)
