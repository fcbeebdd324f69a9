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

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from bgwizard.errors import LedgerError
from bgwizard.profile.model import ED25519_KEY, PRINCIPAL, PinnedSigner

NAMESPACE: Final = "bgwizard-drill"
"""SSHSIG namespace of every signature (``ssh-keygen -n``)."""
FORMAT_VERSION: Final = 1
GENESIS: Final = "0" * 64
"""``prev`` of the first entry of a log."""
KINDS: Final = frozenset(
    {"log-start", "drill", "rotation", "use", "key-change", "note", "signers", "sign-in"}
)
"""Entry kinds: a new (maybe linked) log, a drill, a rotation, a real use, a key change (kept for
old logs; it changes no trust), a note, a signer added or retired, a sign-in by the product."""
SIGNER_ACTIONS: Final = ("add", "retire")
"""``data.action`` of a ``signers`` entry."""
MAX_TEXT: Final = 4096
"""Longest string an entry's data may hold (characters)."""
MAX_DEPTH: Final = 16
"""Deepest nesting of lists and objects in an entry's data."""
MAX_LINE: Final = 1 << 20
"""Longest log line read (bytes); a longer one is not a bgwizard entry."""
_PRINCIPAL: Final = re.compile(PRINCIPAL)
_KEY: Final = re.compile(ED25519_KEY)
_HEX64: Final = re.compile(r"^[0-9a-f]{64}$")
_TIME: Final = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_UNPRINTABLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
SignatureCheck = Callable[[bytes, str], str]
"""``check(message, armored_signature) -> signer public key line``; raises ``LedgerError``."""


def check_principal(name: str) -> str:
    """Validate an operator name used as an ``allowed_signers`` principal.

    Raises:
        LedgerError: empty, too long, or with characters ``allowed_signers`` cannot hold.
    """
    if not isinstance(name, str) or not _PRINCIPAL.match(name):
        raise LedgerError(
            f"Operator {printable(str(name))[:140]!r} must be 1-128 letters, digits or . _ @ + - "
            "(it names the signer)."
        )
    return name


def check_key(key: str) -> str:
    """Validate a public key line ``ssh-ed25519 AAAA…`` (no comment).

    Raises:
        LedgerError: not an OpenSSH Ed25519 public key.
    """
    if not isinstance(key, str) or not _KEY.match(key) or _key_blob(key) is None:
        raise LedgerError("The signer's key must be an OpenSSH Ed25519 public key (ssh-ed25519 …).")
    return key


def _key_blob(key: str) -> bytes | None:
    """The 32-byte Ed25519 key of ``ssh-ed25519 AAAA…``, or None when the blob is malformed."""
    try:
        blob = base64.b64decode(key.split(" ", 1)[1], validate=True)
    except (binascii.Error, ValueError, IndexError):
        return None
    head = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32)
    return blob[len(head) :] if len(blob) == len(head) + 32 and blob.startswith(head) else None


def key_fingerprint(key: str) -> str:
    """OpenSSH fingerprint ``SHA256:…`` of a public key line (``?`` for a malformed one)."""
    try:
        blob = base64.b64decode(key.split()[1])
    except (binascii.Error, ValueError, IndexError):
        return "SHA256:?"
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control, format and unassigned characters escaped (``\\x1b``).

    Entries never hold them (``check_text`` refuses them at write), but a log is read from a
    file anyone may have edited, so everything an entry says is shown through this.
    """
    if all(unicodedata.category(c) not in _UNPRINTABLE for c in text):
        return text
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in _UNPRINTABLE else c for c in text)


def check_text(value: object, where: str = "data") -> None:
    """Refuse what an entry must not hold: non-printable text, long text, deep nesting, floats.

    Args:
        value: the entry's ``data`` (or a part of it).
        where: its path, for the message (``data.notes``).

    Raises:
        LedgerError: one sentence naming the value.
    """
    _check_value(value, where, 0)


def _depth(value: object, level: int = 0) -> int:
    """Nesting depth of ``value`` (stops counting past ``MAX_DEPTH``)."""
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level)
    return level


def _check_value(value: object, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise LedgerError(f"The log entry's {where} is nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, float):
        raise LedgerError("Log entries hold no floating-point numbers; use a string.")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise LedgerError(f"The log entry's {where} is longer than {MAX_TEXT} characters.")
        if printable(value) != value:
            raise LedgerError(
                f"The log entry's {where} holds a control character; log entries take "
                "printable text only."
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_value(key, f"{where} key", depth + 1)
            _check_value(item, f"{where}.{printable(str(key))[:40]}", depth + 1)
    elif isinstance(value, list | tuple):
        for number, item in enumerate(value):
            _check_value(item, f"{where}[{number}]", depth + 1)


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
        _signer_change(data)
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
    except (
        ValueError, KeyError, TypeError, AttributeError, UnicodeError, RecursionError
    ) as exc:  # fmt: skip
        raise LedgerError(f"the line is not a bgwizard log entry ({type(exc).__name__})") from exc
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
    if not isinstance(entry.operator, str) or not _PRINCIPAL.match(entry.operator):
        raise LedgerError("its operator name is not 1-128 letters, digits or . _ @ + -")
    if not isinstance(entry.key, str) or not _KEY.match(entry.key) or not _key_blob(entry.key):
        raise LedgerError("its key is not an OpenSSH Ed25519 public key")
    if not isinstance(entry.data, dict):
        raise LedgerError("its data is not a JSON object")
    if _depth(entry.data) > MAX_DEPTH:
        raise LedgerError(f"its data is nested deeper than {MAX_DEPTH} levels")
    if entry.kind == "signers":
        _signer_change(entry.data)


@dataclass(frozen=True)
class Signer:
    """One (operator, key) pair trusted by a log: a line of ``allowed_signers``."""

    operator: str
    key: str

    def allowed_signers_line(self) -> str:
        """``"<principal>" namespaces="bgwizard-drill" ssh-ed25519 AAAA…`` (principal quoted)."""
        return allowed_signers_line([self.operator], self.key)

    @property
    def fingerprint(self) -> str:
        """The key's OpenSSH fingerprint (``SHA256:…``)."""
        return key_fingerprint(self.key)

    def pinned(self) -> PinnedSigner:
        """The profile's record of this signer."""
        return PinnedSigner(self.operator, self.key)

    @classmethod
    def of(cls, pinned: PinnedSigner) -> Signer:
        """The signer a profile pins."""
        return cls(pinned.operator, pinned.key)


def allowed_signers_line(principals: Sequence[str], key: str) -> str:
    """One ``allowed_signers`` line for ``key``: the principals quoted, never a pattern.

    Raises:
        LedgerError: a principal or the key is not valid (so the line could widen trust).
    """
    names = ",".join(check_principal(name) for name in principals)
    return f'"{names}" namespaces="{NAMESPACE}" {check_key(key)}'


def allowed_signers_text(signers: Iterable[Signer]) -> str:
    """An ``allowed_signers`` file: one line per key (its principals joined), in first-use order."""
    names: dict[str, list[str]] = {}
    for signer in signers:
        listed = names.setdefault(signer.key, [])
        if signer.operator not in listed:
            listed.append(signer.operator)
    return "".join(allowed_signers_line(ops, key) + "\n" for key, ops in names.items())


@dataclass(frozen=True)
class SignerChange:
    """What a ``signers`` entry does: add or retire one signer of the log."""

    action: str
    """``add`` or ``retire``."""
    signer: Signer
    reason: str = ""


def signer_change_data(action: str, signer: Signer, reason: str) -> dict[str, JsonValue]:
    """The ``data`` of a ``signers`` entry.

    Raises:
        LedgerError: unknown action, bad principal or key, or a reason that is not printable.
    """
    data: dict[str, JsonValue] = {
        "action": action, "operator": signer.operator, "key": signer.key, "reason": reason.strip(),
    }  # fmt: skip
    _signer_change(data)
    check_text(data)
    return data


def _signer_change(data: Mapping[str, object]) -> SignerChange:
    action, operator, key = data.get("action"), data.get("operator"), data.get("key")
    if action not in SIGNER_ACTIONS:
        raise LedgerError("its signer change is neither add nor retire")
    if not isinstance(operator, str) or not _PRINCIPAL.match(operator):
        raise LedgerError("the signer it names has an invalid operator name")
    if not isinstance(key, str) or not _KEY.match(key) or not _key_blob(key):
        raise LedgerError("the signer it names has an invalid key")
    reason = data.get("reason", "")
    return SignerChange(
        str(action), Signer(operator, key), reason if isinstance(reason, str) else ""
    )


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


def change_problem(active: Sequence[Signer], change: SignerChange) -> str:
    """Why a signer change cannot apply to a log trusting ``active`` ('' when it can)."""
    if change.action == "add" and change.signer in active:
        return "it adds a signer that is already trusted"
    if change.action == "retire" and change.signer not in active:
        return "it retires a signer that is not trusted"
    if change.action == "retire" and len(active) == 1:
        return "it retires the last trusted signer"
    return ""


def signer_change(data: Mapping[str, object]) -> SignerChange:
    """The change a ``signers`` entry's data makes.

    Raises:
        LedgerError: the data does not name an action, a valid principal and key.
    """
    return _signer_change(data)


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
            return self._change_problem(_signer_change(entry.data))
        return ""

    def _change_problem(self, change: SignerChange) -> str:
        return change_problem(tuple(self.active), change)

    def accept(self, number: int, entry: Entry) -> None:
        if number == 1:
            first = Signer(entry.operator, entry.key)
            self.trusted[first] = self.active[first] = None
        if entry.kind == "signers":
            change = _signer_change(entry.data)
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


def parse_allowed_signers(text: str) -> list[Signer]:
    """Read the ``allowed_signers`` lines that name this namespace (or no namespace).

    Only the simple form ``["]principal[,principal]["] [namespaces="…"] ssh-ed25519 KEY`` is
    understood; other lines, and principals that are patterns (``*``), are skipped.
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
        if not _KEY.match(key) or _key_blob(key) is None or "cert-authority" in options:
            continue
        names = parts[0].removeprefix('"').removesuffix('"').split(",")
        signers.extend(Signer(name, key) for name in names if _PRINCIPAL.match(name))
    return signers
