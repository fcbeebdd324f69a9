"""An attacker's tools for the signed log: entries signed by keys nobody pinned, written
around bgwizard's writer (which refuses them), straight into the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ledger_support import pinned_key

from bgwizard.ledger.chain import GENESIS, Entry, JsonValue, encode_line, line_hash
from bgwizard.ledger.sshsig import SigningKey

FRESH = pinned_key(66)
"""A freshly generated key: nobody pinned or added it."""


def forged_line(
    seq: int, prev: str, kind: str, operator: str, data: dict[str, JsonValue], key: SigningKey
) -> bytes:
    """A correctly signed, canonical line: only the key is wrong (or the operator, unchecked)."""
    entry = Entry(seq, prev, "2026-12-01T10:00:00Z", kind, operator, key.public_line, data)
    return encode_line(entry, key.sign(entry.message())) + b"\n"


def append_forged(
    path: Path,
    kind: str,
    data: dict[str, JsonValue],
    operator: str = "operator",
    key: SigningKey = FRESH,
) -> None:
    """Append one entry signed by ``key``, chained correctly onto the file's last line."""
    lines = path.read_bytes().splitlines()
    prev = line_hash(lines[-1]) if lines else GENESIS
    line = forged_line(len(lines) + 1, prev, kind, operator, data, key)
    path.write_bytes(path.read_bytes() + line)


def use_covering(account_id: str, signed_in: dt.datetime) -> dict[str, JsonValue]:
    """A ``use`` entry whose span covers a real sign-in (so the audit would call it explained)."""
    return {
        "account": "bg@contoso.example", "account_id": account_id,
        "started": (signed_in - dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "ended": (signed_in + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "password_rotated": True, "incident": "INC-1", "reason": "r", "who": "w",
        "actions": "a", "lessons": "l",
    }  # fmt: skip
