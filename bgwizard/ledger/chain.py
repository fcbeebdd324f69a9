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
from dataclasses import dataclass, field
from typing import Final

from bgwizard.errors import LedgerError

NAMESPACE: Final = "bgwizard-drill"
"""SSHSIG namespace of every signature (``ssh-keygen -n``)."""
FORMAT_VERSION: Final = 1
GENESIS: Final = "0" * 64
"""``prev`` of the first entry of a log."""
KINDS: Final = frozenset({"log-start", "drill", "rotation", "use", "key-change", "note"})
"""Entry kinds: a new (maybe linked) log, a drill, a rotation, a real use, a key change."""
_PRINCIPAL: Final = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
SignatureCheck = Callable[[bytes, str], str]
"""``check(message, armored_signature) -> signer public key line``; raises ``LedgerError``."""


def check_principal(name: str) -> str:
    """Validate an operator name used as an ``allowed_signers`` principal.

    Raises:
        LedgerError: empty, too long, or with characters ``allowed_signers`` cannot hold.
    """
    if not _PRINCIPAL.match(name):
        raise LedgerError(
            f"Operator {name!r} must be 1-128 letters, digits or . _ @ + - (it names the signer)."
        )
    return name


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
    entry = Entry(seq, prev, stamp, kind, check_principal(operator), key, data)
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
    try:
        outer = json.loads(line)
        message = outer["entry"].encode("ascii")
        signature = outer["sig"]
        inner = json.loads(message)
        entry = Entry(
            seq=inner["seq"], prev=inner["prev"], time=inner["time"], kind=inner["kind"],
            operator=inner["operator"], key=inner["key"], data=inner["data"],
        )  # fmt: skip
        canonical = entry.message() == message and inner.get("v") == FORMAT_VERSION
    except (
        ValueError, KeyError, TypeError, AttributeError, UnicodeError, RecursionError, LedgerError,
    ) as exc:  # fmt: skip
        raise LedgerError(f"the line is not a bgwizard log entry ({type(exc).__name__})") from None
    if not canonical or not isinstance(signature, str) or encode_line(entry, signature) != line:
        raise LedgerError("the entry is not in canonical form")
    return ParsedLine(entry, message, signature)


@dataclass(frozen=True)
class Signer:
    """One (operator, key) pair seen in a log: a line of ``allowed_signers``."""

    operator: str
    key: str

    def allowed_signers_line(self) -> str:
        """``<principal> namespaces="bgwizard-drill" ssh-ed25519 AAAA…``."""
        return f'{self.operator} namespaces="{NAMESPACE}" {self.key}'


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

    @property
    def ok(self) -> bool:
        """Whether every entry verified."""
        return self.first_bad is None

    def describe(self) -> str:
        """One sentence for people."""
        if self.ok:
            return f"The log verifies: {self.entries} entries, chain and signatures intact."
        return f"Entry {self.first_bad} fails: {self.reason}."


def verify_lines(
    lines: Sequence[bytes],
    check: SignatureCheck,
    allowed: Iterable[Signer] | None = None,
) -> Verification:
    """Verify a whole log: format, sequence, chain, signatures, and (optionally) trusted signers.

    Args:
        lines: the file's bytes split at ``\\n``, each line without its newline; a final empty
            element (the file ended with a newline) is expected and ignored.
        check: verifies one SSHSIG signature, returning the signer's key.
        allowed: when given, each entry's (operator, key) must be one of these.

    Returns:
        The verification, naming the first bad entry.
    """
    body = list(lines)
    cut = bool(body) and body[-1] != b""
    if not cut and body:
        body.pop()
    trusted = None if allowed is None else set(allowed)
    prev = before = GENESIS
    signers = dict[Signer, None]()
    for number, line in enumerate(body, start=1):
        reason = _entry_problem(number, line, prev, check, trusted)
        if reason:
            return Verification(number - 1, number, reason, tuple(signers), prev)
        parsed = parse_line(line)
        signers[Signer(parsed.entry.operator, parsed.entry.key)] = None
        before, prev = prev, line_hash(line)
    if not body:
        return Verification(0, 1, "the log is empty")
    if cut:
        reason = "the file does not end with a newline (it was cut)"
        return Verification(len(body) - 1, len(body), reason, tuple(signers), before)
    return Verification(len(body), None, "", tuple(signers), prev)


def _entry_problem(
    number: int, line: bytes, prev: str, check: SignatureCheck, trusted: set[Signer] | None
) -> str:
    try:
        parsed = parse_line(line)
    except LedgerError as exc:
        return str(exc)
    entry = parsed.entry
    if entry.seq != number:
        return f"it says it is entry {entry.seq} (entries were dropped, added or reordered)"
    if entry.prev != prev:
        return "its previous-entry hash does not match (an earlier entry changed, or order changed)"
    if number == 1 and entry.kind != "log-start":
        return "a log must start with a log-start entry"
    try:
        signed_by = check(parsed.message, parsed.signature)
    except LedgerError as exc:
        return f"bad signature: {exc}"
    if signed_by != entry.key:
        return "the signature was made by a different key than the entry names"
    if trusted is not None and Signer(entry.operator, entry.key) not in trusted:
        return f"{entry.operator}'s key is not in the allowed signers"
    return ""


def parse_allowed_signers(text: str) -> list[Signer]:
    """Read the ``allowed_signers`` lines that name this namespace (or no namespace).

    Only the simple form ``principal[,principal] [namespaces="…"] ssh-ed25519 KEY`` is understood;
    other lines are skipped.
    """
    signers: list[Signer] = []
    for raw in text.splitlines():
        parts = raw.split()
        if not parts or parts[0].startswith("#") or "ssh-ed25519" not in parts:
            continue
        at = parts.index("ssh-ed25519")
        if at + 1 >= len(parts):
            continue
        options = " ".join(parts[1:at])
        if "namespaces=" in options and NAMESPACE not in options:
            continue
        key = f"ssh-ed25519 {parts[at + 1]}"
        signers.extend(Signer(name, key) for name in parts[0].split(","))
    return signers
