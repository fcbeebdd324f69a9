"""The signed log's pure rules: canonical bytes, entries, chain verification, allowed signers."""

from __future__ import annotations

import base64
import datetime as dt
import struct

import pytest

from bgwizard.errors import LedgerError
from bgwizard.ledger.chain import (
    GENESIS,
    Entry,
    Signer,
    canonical_json,
    check_principal,
    encode_line,
    line_hash,
    new_entry,
    parse_allowed_signers,
    parse_line,
    verify_lines,
)


def _key(byte: int) -> str:
    """A well-formed Ed25519 public key line (the fake check never does cryptography)."""
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + bytes([byte]) * 32
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


KEY = _key(1)
NOW = dt.datetime(2026, 3, 1, 12, 30, 15, 999, tzinfo=dt.UTC)


def _fake_sig(message: bytes) -> str:
    return "sig:" + line_hash(message)


def _fake_check(message: bytes, signature: str) -> str:
    if signature != _fake_sig(message):
        raise LedgerError("the signature does not match the entry")
    return KEY


def _log(count: int) -> list[bytes]:
    lines, prev = [], GENESIS
    for seq in range(1, count + 1):
        kind = "log-start" if seq == 1 else "drill"
        entry = new_entry(seq=seq, prev=prev, now=NOW, kind=kind, operator="op", key=KEY,
                          data={"n": seq})  # fmt: skip
        line = encode_line(entry, _fake_sig(entry.message()))
        lines.append(line)
        prev = line_hash(line)
    return [*lines, b""]


def test_canonical_json_is_sorted_compact_ascii() -> None:
    assert canonical_json({"b": [1, None], "a": "é"}) == b'{"a":"\\u00e9","b":[1,null]}'
    with pytest.raises(LedgerError, match="floating-point"):
        canonical_json({"a": {"b": [1.5]}})


@pytest.mark.parametrize("name", ["", "two words", "a,b", 'q"', "x" * 129])
def test_principals_that_allowed_signers_cannot_hold_are_refused(name: str) -> None:
    with pytest.raises(LedgerError):
        check_principal(name)


def test_new_entry_stamps_utc_seconds_and_checks_kind_and_zone() -> None:
    local = NOW.astimezone(dt.timezone(dt.timedelta(hours=2)))
    entry = new_entry(seq=1, prev=GENESIS, now=local, kind="drill", operator="op", key=KEY, data={})
    assert entry.time == "2026-03-01T12:30:15Z"
    with pytest.raises(LedgerError, match="Unknown"):
        new_entry(seq=1, prev=GENESIS, now=NOW, kind="party", operator="op", key=KEY, data={})
    with pytest.raises(LedgerError, match="time zone"):
        new_entry(seq=1, prev=GENESIS, now=NOW.replace(tzinfo=None), kind="drill", operator="op",
                  key=KEY, data={})  # fmt: skip


def test_parse_line_round_trips_and_rejects_non_canonical() -> None:
    entry = Entry(1, GENESIS, "2026-03-01T12:30:15Z", "log-start", "op", KEY, {"x": "y"})
    line = encode_line(entry, "S")
    assert parse_line(line).entry == entry
    with pytest.raises(LedgerError, match="canonical"):
        parse_line(line.replace(b'{"entry"', b'{ "entry"'))
    with pytest.raises(LedgerError, match="not a bgwizard log entry"):
        parse_line(b"[]")


def test_verify_lines_accepts_a_good_chain_and_names_the_first_bad_entry() -> None:
    lines = _log(4)
    result = verify_lines(lines, _fake_check)
    assert result.ok and result.entries == 4 and result.head == line_hash(lines[3])
    assert result.signers == (Signer("op", KEY),)
    bad = list(lines)
    bad[2] = bad[2].replace(b"sig:", b"SIG:")
    result = verify_lines(bad, _fake_check)
    assert (result.first_bad, result.entries) == (3, 2)
    assert result.describe().startswith("Entry 3 fails: bad signature")


def test_first_entry_must_start_the_log_and_empty_or_cut_logs_fail() -> None:
    lines = _log(3)
    assert verify_lines([b""], _fake_check).first_bad == 1
    assert verify_lines(lines[:-1], _fake_check).first_bad == 3
    drill = new_entry(seq=1, prev=GENESIS, now=NOW, kind="drill", operator="op", key=KEY, data={})
    first = encode_line(drill, _fake_sig(drill.message()))
    assert "log-start" in verify_lines([first, b""], _fake_check).reason


def test_allowed_signers_parsing_honours_namespaces() -> None:
    text = (
        "# comment\n"
        f'alice,bob namespaces="bgwizard-drill" {KEY} alice@laptop\n'
        f'carol namespaces="git" {KEY}\n'
        f"dave {KEY}\n"
        "erin ssh-rsa AAAA\n"
    )
    names = [s.operator for s in parse_allowed_signers(text)]
    assert names == ["alice", "bob", "dave"]
    line = Signer("alice", KEY).allowed_signers_line()
    assert parse_allowed_signers(line) == [Signer("alice", KEY)]
