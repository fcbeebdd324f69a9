"""The signed drill log as data: entries, canonical bytes, the hash chain, and its verification.

Pure: no file, no clock, no cryptography. Each line of the log (JSON Lines) is::

    {"entry":"<canonical JSON of the entry, as a string>","sig":"-----BEGIN SSH SIGNATURE-----…"}

The ``entry`` string is exactly the message the operator signed (SSHSIG, namespace
``bgwizard-drill``), so ``jq -j .entry`` hands ``ssh-keygen -Y verify`` the signed bytes. Each entry
carries ``prev``, the SHA-256 of the previous *line* (signature included), and ``seq``, its line
number; editing, dropping, reordering or truncating a line breaks the chain at that entry. The
signature check itself is injected (``SignatureCheck``) so this module stays pure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from bgwizard.errors import LedgerError
from bgwizard.ledger.fields import (
    KEY_RE,
    MAX_DEPTH,
    MAX_TEXT,
    PRINCIPAL_RE,
    JsonValue,
    check_key,
    check_principal,
    check_text,
    depth,
    key_blob,
    key_fingerprint,
    printable,
)
from bgwizard.ledger.signers import (
    NAMESPACE,
    SIGNER_ACTIONS,
    Signer,
    SignerChange,
    allowed_signers_line,
    allowed_signers_text,
    change_problem,
    parse_allowed_signers,
    signer_change,
    signer_change_data,
)

FORMAT_VERSION: Final = 1
GENESIS: Final = "0" * 64
"""``prev`` of the first entry of a log."""
KINDS: Final = frozenset(
    {"log-start", "drill", "rotation", "use", "key-change", "note", "signers"}
).union({"setup-signin", "passkey-signin", "credential-skipped"})
"""Entry kinds: a new (maybe linked) log, a drill, a rotation, a real use, a key change (kept for
old logs; it changes no trust), a note, a signer added or retired, the sign-ins bgwizard
itself makes: set-up verification and a passkey's registration check, and an account the set-up
left without a phishing-resistant credential (with the reason)."""
MAX_LINE: Final = 1 << 20
"""Longest log line read (bytes); a longer one is not a bgwizard entry."""
_HEX64: Final = re.compile(r"^[0-9a-f]{64}$")
_TIME: Final = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

SignatureCheck = Callable[[bytes, str], str]
"""``check(message, armored_signature) -> signer public key line``; raises ``LedgerError``."""


def canonical_json(value: Mapping[str, JsonValue]) -> bytes:
    """Canonical bytes: sorted keys, no spaces, ASCII only (so every tool reproduces them).

    Raises:
        LedgerError: a float is present (their text form is not canonical across tools).
    """
    _reject_floats(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii")


def _reject_floats(value: object) -> None:
    if isinstance(value, float):
        raise LedgerError("Log entries hold no floating-point numbers; use a string.")
    if isinstance(value, Mapping):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_floats(item)


def line_hash(line: bytes) -> str:
    """SHA-256 (hex) of one log line without its newline: the next entry's ``prev``."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One log entry: what happened, who signed it, and where it sits in the chain."""

    seq: int
    """Line number in its log, from 1."""
    prev: str
    """SHA-256 of the previous line (``GENESIS`` for the first)."""
    time: str
    """UTC time of the append, ISO 8601 with ``Z``."""
    kind: str
    """One of ``KINDS``."""
    operator: str
    """Who signed: the principal of ``allowed_signers`` (``ssh-keygen -I``)."""
    key: str
    """The signer's public key, ``ssh-ed25519 AAAA…`` (no comment)."""
    data: dict[str, JsonValue] = field(default_factory=dict)
    """The record itself (checklist results, rotation facts, post-mortem fields…)."""

    def to_json(self) -> dict[str, JsonValue]:
        """The entry as the JSON object that is signed."""
        return {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "prev": self.prev,
            "time": self.time,
            "kind": self.kind,
            "operator": self.operator,
            "key": self.key,
            "data": self.data,
        }

    def message(self) -> bytes:
        """The exact bytes that are signed and stored in the line's ``entry`` field."""
        return canonical_json(self.to_json())


def new_entry(
    *,
    seq: int,
    prev: str,
    now: dt.datetime,
    kind: str,
    operator: str,
    key: str,
    data: dict[str, JsonValue],
) -> Entry:
    """Build a validated entry.

    Raises:
        LedgerError: unknown kind, bad operator, naive time, or a value that is not canonical.
    """
    if kind not in KINDS:
        raise LedgerError(f"Unknown log entry kind {kind!r}.")
    if now.tzinfo is None:
        raise LedgerError("Log entry times must carry a time zone.")
    stamp = now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    check_text(data)
    if kind == "signers":
        signer_change(data)
    entry = Entry(seq, prev, stamp, kind, check_principal(operator), check_key(key), data)
    entry.message()
    return entry


def encode_line(entry: Entry, signature: str) -> bytes:
    """The log line (without newline) for a signed entry."""
    line = {"entry": entry.message().decode("ascii"), "sig": signature}
    return json.dumps(line, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@dataclass(frozen=True)
class ParsedLine:
    """A line split into its entry, the signed bytes and the signature."""

    entry: Entry
    message: bytes
    signature: str


def parse_line(line: bytes) -> ParsedLine:
    """Split one log line.

    Raises:
        LedgerError: not JSON, missing fields, or an entry that is not in canonical form.
    """
    if len(line) > MAX_LINE:
        raise LedgerError(f"the line is longer than {MAX_LINE} bytes, so not a bgwizard log entry")
    try:
        outer = json.loads(line)
        message = outer["entry"].encode("ascii")
        signature = outer["sig"]
        inner = json.loads(message)
        entry = Entry(
            seq=inner["seq"], prev=inner["prev"], time=inner["time"], kind=inner["kind"],
            operator=inner["operator"], key=inner["key"], data=inner["data"],
        )  # fmt: skip
        _check_fields(entry)
        canonical = entry.message() == message and inner.get("v") == FORMAT_VERSION
    except LedgerError:
        raise  # a field check's own sentence (its operator name, its time...)
    except (
        ValueError, KeyError, TypeError, AttributeError, UnicodeError, RecursionError
    ) as exc:  # fmt: skip
        raise LedgerError(f"the line is not a bgwizard log entry ({type(exc).__name__})") from None
    if not canonical or not isinstance(signature, str) or encode_line(entry, signature) != line:
        raise LedgerError("the entry is not in canonical form")
    return ParsedLine(entry, message, signature)


def _check_fields(entry: Entry) -> None:
    """Every field's type and form, so nothing downstream meets a surprise.

    Raises:
        LedgerError: the first field that is wrong (one clause, for "Entry N fails: …").
    """
    if type(entry.seq) is not int or entry.seq < 1:
        raise LedgerError("its sequence number is not a positive integer")
    if not isinstance(entry.prev, str) or not _HEX64.match(entry.prev):
        raise LedgerError("its previous-entry hash is not 64 lower-case hex digits")
    if not isinstance(entry.time, str) or not _TIME.match(entry.time):
        raise LedgerError("its time is not a UTC time like 2026-03-02T09:14:07Z")
    if not isinstance(entry.kind, str) or entry.kind not in KINDS:
        raise LedgerError("its kind is not one bgwizard writes")
    if not isinstance(entry.operator, str) or not PRINCIPAL_RE.match(entry.operator):
        raise LedgerError("its operator name is not 1-128 letters, digits or . _ @ + -")
    if not isinstance(entry.key, str) or not KEY_RE.match(entry.key) or not key_blob(entry.key):
        raise LedgerError("its key is not an OpenSSH Ed25519 public key")
    if not isinstance(entry.data, dict):
        raise LedgerError("its data is not a JSON object")
    if depth(entry.data) > MAX_DEPTH:
        raise LedgerError(f"its data is nested deeper than {MAX_DEPTH} levels")
    if entry.kind == "signers":
        signer_change(entry.data)


@dataclass(frozen=True)
class Verification:
    """The result of verifying a log: all good, or the first bad entry and why."""

    entries: int
    """Entries that verified (all of them when ``ok``)."""
    first_bad: int | None = None
    """Line number (= entry number) of the first entry that failed, None when the log verifies."""
    reason: str = ""
    """Why it failed, one sentence."""
    signers: tuple[Signer, ...] = ()
    """Distinct signers of the entries that verified, in order of first use."""
    head: str = GENESIS
    """SHA-256 of the last good line: the ``prev`` of the next append."""
    trusted: tuple[Signer, ...] = ()
    """Every signer the log trusted up to the last good entry (its first signer, then each one
    added), retired ones included: their entries stay valid."""
    active: tuple[Signer, ...] = ()
    """The signers that may sign the next entry (trusted and not retired)."""
    hashes: tuple[str, ...] = ()
    """SHA-256 of each good line, in order: every head the log had."""
    pinned: bool = True
    """Whether the first signer was checked against pinned keys (False: taken as found)."""

    @property
    def ok(self) -> bool:
        """Whether every entry verified."""
        return self.first_bad is None

    def describe(self) -> str:
        """One sentence for people."""
        if self.ok:
            return f"The log verifies: {self.entries} entries, chain and signatures intact."
        return f"Entry {self.first_bad} fails: {self.reason}."

    def failing(self, reason: str) -> Verification:
        """This result, but failing after its last good entry for ``reason``."""
        return replace(self, first_bad=self.entries + 1, reason=reason)


@dataclass
class _Trust:
    """The signers trusted while walking a log."""

    pinned: frozenset[Signer] | None
    trusted: dict[Signer, None] = field(default_factory=dict)
    active: dict[Signer, None] = field(default_factory=dict)

    def problem(self, number: int, entry: Entry) -> str:
        signer = Signer(entry.operator, entry.key)
        who = f"{entry.operator}'s key {signer.fingerprint}"
        if number == 1:
            if self.pinned is not None and signer not in self.pinned:
                return f"{who} is not pinned (not in the profile's signers or --allowed-signers)"
            return ""
        if signer not in self.active:
            if signer in self.trusted:
                return f"{who} was retired earlier in this log"
            return f"{who} is not a signer of this log (none added it)"
        if self.pinned is not None and signer not in self.pinned:
            return f"{who} is not pinned (not in the profile's signers or --allowed-signers)"
        if entry.kind == "signers":
            return self._change_problem(signer_change(entry.data))
        return ""

    def _change_problem(self, change: SignerChange) -> str:
        return change_problem(tuple(self.active), change)

    def accept(self, number: int, entry: Entry) -> None:
        if number == 1:
            first = Signer(entry.operator, entry.key)
            self.trusted[first] = self.active[first] = None
        if entry.kind == "signers":
            change = signer_change(entry.data)
            if change.action == "add":
                self.trusted[change.signer] = self.active[change.signer] = None
            else:
                self.active.pop(change.signer, None)


def verify_lines(
    lines: Sequence[bytes],
    check: SignatureCheck,
    allowed: Iterable[Signer] | None = None,
) -> Verification:
    """Verify a whole log: format, sequence, chain, signatures and signers.

    Trust is carried by the log itself and anchored by ``allowed``: the first entry's signer
    must be pinned (in ``allowed``); after it, an entry counts only when its signer was trusted
    at that point (the first signer, or one a ``signers`` entry by a trusted signer added, not
    retired since) and, when ``allowed`` is given, is pinned as well.

    Args:
        lines: the file's bytes split at ``\\n``, each line without its newline; a final empty
            element (the file ended with a newline) is expected and ignored.
        check: verifies one SSHSIG signature, returning the signer's key.
        allowed: the pinned signers; None takes the first entry's signer as found (only for
            showing what a log claims: ``Verification.pinned`` is then False).

    Returns:
        The verification, naming the first bad entry. It never raises: any bytes give a result.
    """
    body = list(lines)
    cut = bool(body) and body[-1] != b""
    if not cut and body:
        body.pop()
    trust = _Trust(None if allowed is None else frozenset(allowed))
    prev = before = GENESIS
    signers = dict[Signer, None]()
    hashes: list[str] = []

    def result(good: int, bad: int | None, reason: str, head: str) -> Verification:
        return Verification(
            good, bad, reason, tuple(signers), head, tuple(trust.trusted), tuple(trust.active),
            tuple(hashes[:good]), allowed is not None,
        )  # fmt: skip

    for number, line in enumerate(body, start=1):
        reason, entry = _entry_problem(number, line, prev, check, trust)
        if entry is None:
            return result(number - 1, number, reason, prev)
        trust.accept(number, entry)
        signers[Signer(entry.operator, entry.key)] = None
        before, prev = prev, line_hash(line)
        hashes.append(prev)
    if not body:
        return result(0, 1, "the log is empty", GENESIS)
    if cut:
        return result(
            len(body) - 1, len(body), "the file does not end with a newline (it was cut)", before
        )
    return result(len(body), None, "", prev)


def _entry_problem(
    number: int, line: bytes, prev: str, check: SignatureCheck, trust: _Trust
) -> tuple[str, Entry | None]:
    try:
        parsed = parse_line(line)
    except LedgerError as exc:
        return str(exc), None
    entry = parsed.entry
    if entry.seq != number:
        return f"it says it is entry {entry.seq} (entries were dropped, added or reordered)", None
    if entry.prev != prev:
        return (
            "its previous-entry hash does not match (an earlier entry changed, or order changed)",
            None,
        )
    if number == 1 and entry.kind != "log-start":
        return "a log must start with a log-start entry", None
    try:
        signed_by = check(parsed.message, parsed.signature)
    except LedgerError as exc:
        return f"bad signature: {exc}", None
    if signed_by != entry.key:
        return "the signature was made by a different key than the entry names", None
    problem = trust.problem(number, entry)
    return (problem, None) if problem else ("", entry)


__all__ = [  # the log's vocabulary in one place: fields and signers are re-exported from here
    "FORMAT_VERSION",
    "GENESIS",
    "KINDS",
    "MAX_DEPTH",
    "MAX_LINE",
    "MAX_TEXT",
    "NAMESPACE",
    "SIGNER_ACTIONS",
    "Entry",
    "JsonValue",
    "ParsedLine",
    "SignatureCheck",
    "Signer",
    "SignerChange",
    "Verification",
    "allowed_signers_line",
    "allowed_signers_text",
    "canonical_json",
    "change_problem",
    "check_key",
    "check_principal",
    "check_text",
    "encode_line",
    "key_fingerprint",
    "line_hash",
    "new_entry",
    "parse_allowed_signers",
    "parse_line",
    "printable",
    "signer_change",
    "signer_change_data",
    "verify_lines",
]
