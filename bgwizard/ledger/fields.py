"""The fields of a log entry: who may sign (principal, key) and what text an entry may hold.

Pure. A log is read from a file anyone may have edited, so these rules are checked when an entry
is written (refused with one sentence) and when it is read (the entry fails verification), and
whatever an entry says is shown through ``printable``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import unicodedata
from collections.abc import Mapping
from typing import Final

from bgwizard.errors import LedgerError
from bgwizard.profile.model import ED25519_KEY, PRINCIPAL

MAX_TEXT: Final = 4096
"""Longest string an entry's data may hold (characters)."""
MAX_DEPTH: Final = 16
"""Deepest nesting of lists and objects in an entry's data."""
PRINCIPAL_RE: Final = re.compile(PRINCIPAL)
KEY_RE: Final = re.compile(ED25519_KEY)
_UNPRINTABLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def check_principal(name: str) -> str:
    """Validate an operator name used as an ``allowed_signers`` principal.

    Raises:
        LedgerError: empty, too long, or with characters ``allowed_signers`` cannot hold.
    """
    if not isinstance(name, str) or not PRINCIPAL_RE.match(name):
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
    if not isinstance(key, str) or not KEY_RE.match(key) or key_blob(key) is None:
        raise LedgerError("The signer's key must be an OpenSSH Ed25519 public key (ssh-ed25519 …).")
    return key


def key_blob(key: str) -> bytes | None:
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


def made_printable(value: JsonValue) -> JsonValue:
    """``value`` with every string (and key) passed through ``printable`` and cut to
    ``MAX_TEXT``: what a program gathered (evidence read from Graph) is written escaped rather
    than refused, so the entry is never lost to a control character someone else typed."""
    if isinstance(value, str):
        text = printable(value)
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
    if isinstance(value, list):
        return [made_printable(item) for item in value]
    if isinstance(value, dict):
        return {str(made_printable(key)): made_printable(item) for key, item in value.items()}
    return value


def check_text(value: object, where: str = "data") -> None:
    """Refuse what an entry must not hold: non-printable text, long text, deep nesting, floats.

    Args:
        value: the entry's ``data`` (or a part of it).
        where: its path, for the message (``data.notes``).

    Raises:
        LedgerError: one sentence naming the value.
    """
    _check_value(value, where, 0)


def depth(value: object, level: int = 0) -> int:
    """Nesting depth of ``value`` (stops counting past ``MAX_DEPTH``)."""
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((depth(item, level + 1) for item in value.values()), default=level)
    if isinstance(value, list):
        return max((depth(item, level + 1) for item in value), default=level)
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
