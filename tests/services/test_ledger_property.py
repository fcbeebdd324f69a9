"""Property: any single edit of a random log is found, and names exactly the edited entry."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import pinned_key, ticking_clock

from bgwizard.ledger.chain import JsonValue, Signer, line_hash, signer_change_data
from bgwizard.ledger.store import DrillLog

_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
    max_size=12,
)
"""Printable text: what an entry may hold (control characters are refused at write)."""
_PAYLOAD = st.dictionaries(
    st.text("abcdefgh_", min_size=1, max_size=6),
    st.one_of(_TEXT, st.integers(-(10**6), 10**6), st.booleans(), st.none()),
    max_size=4,
)
_CACHE: dict[tuple[object, ...], bytes] = {}


def _make_log(payloads: list[dict[str, JsonValue]]) -> bytes:
    cache_key = tuple(repr(sorted(d.items())) for d in payloads)
    if cache_key not in _CACHE:
        with tempfile.TemporaryDirectory() as work:
            log = DrillLog(Path(work) / "log.jsonl", clock=ticking_clock())
            log.start(pinned_key(1), "alice", note="property")
            second = Signer("alice", pinned_key(2).public_line)
            log.append(pinned_key(1), "alice", "signers", signer_change_data("add", second, ""))
            for data in payloads:
                log.append(pinned_key(1 + len(data) % 2), "alice", "drill", data)
            _CACHE[cache_key] = log.path.read_bytes()
    return _CACHE[cache_key]


def _verify(content: bytes) -> tuple[bool, int | None, int]:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "log.jsonl"
        path.write_bytes(content)
        result = DrillLog(path).verify()
    return result.ok, result.first_bad, result.entries


def _entry_of(content: bytes, offset: int) -> int:
    return content[:offset].count(b"\n") + 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=st.lists(_PAYLOAD, min_size=1, max_size=5), data=st.data())
def test_single_edit_is_found_at_the_edited_entry(
    payloads: list[dict[str, JsonValue]], data: st.DataObject
) -> None:
    content = _make_log(payloads)
    lines = content.splitlines(keepends=True)
    assert _verify(content) == (True, None, len(lines))
    edit = data.draw(st.sampled_from(["flip", "drop", "swap", "truncate"]))
    if edit == "flip":
        offset = data.draw(st.integers(0, len(content) - 1))
        mask = data.draw(st.integers(1, 255))
        edited = content[:offset] + bytes([content[offset] ^ mask]) + content[offset + 1 :]
        expected = _entry_of(content, offset)
    elif edit == "drop":
        index = data.draw(st.integers(0, len(lines) - 2))
        edited, expected = b"".join(lines[:index] + lines[index + 1 :]), index + 1
    elif edit == "swap":
        first = data.draw(st.integers(0, len(lines) - 2))
        second = data.draw(st.integers(first + 1, len(lines) - 1))
        swapped = list(lines)
        swapped[first], swapped[second] = swapped[second], swapped[first]
        edited, expected = b"".join(swapped), first + 1
    else:
        offset = data.draw(st.integers(1, len(content) - 1))
        if content[offset - 1 : offset] == b"\n":
            offset -= 1  # a cut exactly after a newline leaves a shorter, valid log
        edited, expected = content[:offset], _entry_of(content, offset)
    ok, first_bad, good = _verify(edited)
    assert not ok
    assert first_bad == expected
    assert good == expected - 1


def test_line_boundary_truncation_leaves_a_shorter_log_with_an_older_head(tmp_path: Path) -> None:
    """Cutting whole entries off the end is only visible against a head noted earlier."""
    content = _make_log([{"a": 1}, {"b": 2}])
    lines = content.splitlines(keepends=True)
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(lines[:2]))
    result = DrillLog(path).verify()
    assert result.ok and result.entries == 2
    assert result.head == line_hash(lines[1]) != line_hash(lines[2])
