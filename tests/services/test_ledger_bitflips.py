"""Verification never crashes and never misses (issue 13, §1): any bytes give
"Entry N fails: reason", naming the entry that holds the changed byte.

Closing figures: single-bit flips over a 6-entry log / crashes / misses. The sampled test runs
in every run; the exhaustive one (every bit of every byte) is marked ``slow`` and still runs in
``make check`` (deselect it with ``-m "not slow"``).
"""

from __future__ import annotations

import io
import json
import random
import time
from contextlib import redirect_stderr, redirect_stdout
from functools import cache
from pathlib import Path

import pytest
from ledger_forge import forged_line
from ledger_support import build_log, pinned_key, pinning_profile

from bgwizard.cli.main import main
from bgwizard.ledger.chain import GENESIS, Signer, line_hash, verify_lines
from bgwizard.ledger.sshsig import verify

PINS = frozenset({Signer("alice@contoso.example", pinned_key(1).public_line)})


@cache
def _six_entries() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        return build_log(Path(work) / "log.jsonl", 6).path.read_bytes()


def _flip(content: bytes, bit: int) -> bytes:
    offset = bit // 8
    return content[:offset] + bytes([content[offset] ^ (1 << bit % 8)]) + content[offset + 1 :]


def _outcome(content: bytes, bit: int) -> str:
    """'' when the flip is named at its entry; else 'crash: …' or 'miss: …'."""
    edited = _flip(content, bit)
    try:
        result = verify_lines(edited.split(b"\n"), verify, PINS)
    except Exception as exc:  # the property under test: nothing may escape
        return f"crash: {type(exc).__name__} at bit {bit}"
    expected = content[: bit // 8].count(b"\n") + 1
    if result.ok or result.first_bad != expected or result.entries != expected - 1:
        return f"miss: bit {bit} gave {result.describe()}"
    return ""


def _tally(content: bytes, bits: list[int]) -> tuple[int, list[str], list[str], float]:
    start = time.perf_counter()
    outcomes = [_outcome(content, bit) for bit in bits]
    crashes = [o for o in outcomes if o.startswith("crash")]
    misses = [o for o in outcomes if o.startswith("miss")]
    return len(bits), crashes, misses, time.perf_counter() - start


def test_the_six_entry_log_verifies_with_the_pins() -> None:
    result = verify_lines(_six_entries().split(b"\n"), verify, PINS)
    assert result.ok and result.entries == 6


def test_sampled_single_bit_flips_never_crash_and_are_all_named() -> None:
    content = _six_entries()
    bits = random.Random(13).sample(range(len(content) * 8), 3000)
    tried, crashes, misses, _ = _tally(content, bits)
    assert (tried, crashes, misses) == (3000, [], [])


@pytest.mark.slow
def test_every_single_bit_flip_never_crashes_and_is_named() -> None:
    content = _six_entries()
    tried, crashes, misses, seconds = _tally(content, list(range(len(content) * 8)))
    print(f"\nsingle-bit flips {tried} / crashes {len(crashes)} / misses {len(misses)} "
          f"in {seconds:.1f} s")  # fmt: skip
    assert crashes == [] and misses == []
    assert tried == len(content) * 8 > 30_000


def _line(inner: bytes, sig: str = "x") -> bytes:
    return json.dumps({"entry": inner.decode(), "sig": sig}, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "not a bgwizard log entry"),
        (_line(b'{"data":' + b"[" * 5000 + b"]" * 5000 + b"}") + b"\n", "not a bgwizard"),
        (b"\x00\xff\xfe" * 1000 + b"\n", "not a bgwizard log entry"),
        (b"x" * (2 << 20) + b"\n", "longer than"),
        (b"{}\n", "not a bgwizard log entry"),
        (b'{"entry":"{}","sig":5}\n', "not a bgwizard log entry"),
        (b"\n\n", "not a bgwizard log entry"),
    ],
)
def test_hostile_bytes_give_one_reason(content: bytes, reason: str) -> None:
    result = verify_lines(content.split(b"\n"), verify, PINS)
    assert result.first_bad == 1 and reason in result.reason


def _signed(data: object, key_seed: int = 1) -> bytes:
    """A line signed by a pinned key whose data is not what bgwizard writes."""
    from bgwizard.ledger.chain import Entry, encode_line

    key = pinned_key(key_seed)
    entry = Entry(1, GENESIS, "2026-12-01T10:00:00Z", "log-start", "alice@contoso.example",
                  key.public_line, data)  # type: ignore[arg-type]  # fmt: skip
    return encode_line(entry, key.sign(entry.message())) + b"\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([1, 2], "its data is not a JSON object"),
        ("text", "its data is not a JSON object"),
        ({"deep": json.loads("[" * 40 + "]" * 40)}, "nested deeper"),
    ],
)
def test_signed_entries_with_odd_data_fail_and_log_show_does_not_crash(
    tmp_path: Path, data: object, reason: str
) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(_signed(data))
    result = verify_lines(path.read_bytes().split(b"\n"), verify, PINS)
    assert result.first_bad == 1 and reason in result.reason
    profile = pinning_profile(tmp_path / "p.toml", build_log(tmp_path / "ok.jsonl", 1))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["log", "show", str(path), "--profile", str(profile)])
    assert code == 1 and "Entry 1 fails" in err.getvalue() and "Traceback" not in err.getvalue()


def test_text_is_escaped_on_display(tmp_path: Path) -> None:
    """An entry (from an older writer) holding terminal escapes is shown escaped."""
    log = build_log(tmp_path / "log.jsonl", 1)
    prev = line_hash(log.path.read_bytes().rstrip(b"\n"))
    hidden = {"text": "before\x1b[8mafter\u202e"}
    line = forged_line(2, prev, "note", "alice@contoso.example", hidden, pinned_key(1))
    log.path.write_bytes(log.path.read_bytes() + line)
    profile = pinning_profile(tmp_path / "p.toml", log)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["log", "show", "--profile", str(profile)])
    assert code == 0, err.getvalue()
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()
    assert "before\\x1b[8mafter\\u202e" in out.getvalue()
