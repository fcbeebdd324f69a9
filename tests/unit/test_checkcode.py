"""Check codes catch every single substitution and every swap on a line (proved, then tested)."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgwizard.errors import UnknownCharacter
from bgwizard.sheets.checkcode import MAX_LINE, MODULUS, check_code, check_value
from bgwizard.sheets.password import FULL_ALPHABET

lines = st.text(alphabet=FULL_ALPHABET, min_size=2, max_size=16)
long_lines = st.text(alphabet=FULL_ALPHABET, min_size=2, max_size=MAX_LINE)


def test_modulus_is_a_prime_above_the_alphabet() -> None:
    assert MODULUS > len(FULL_ALPHABET) == 58
    assert all(MODULUS % d for d in range(2, MODULUS))


@settings(max_examples=500)
@given(line=long_lines, data=st.data())
def test_any_single_substitution_changes_the_code(line: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(line) - 1))
    other = data.draw(st.sampled_from(FULL_ALPHABET.replace(line[position], "")))
    wrong = line[:position] + other + line[position + 1 :]
    assert check_code(wrong) != check_code(line)


@settings(max_examples=500)
@given(line=lines, data=st.data())
def test_any_adjacent_swap_changes_the_code(line: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(line) - 2))
    swapped = line[:i] + line[i + 1] + line[i] + line[i + 2 :]
    if swapped != line:
        assert check_code(swapped) != check_code(line)


@settings(max_examples=300)
@given(line=long_lines, data=st.data())
def test_any_swap_of_two_different_characters_changes_the_code(
    line: str, data: st.DataObject
) -> None:
    i, j = sorted(
        data.draw(st.lists(st.integers(0, len(line) - 1), min_size=2, max_size=2, unique=True))
    )
    chars = list(line)
    chars[i], chars[j] = chars[j], chars[i]
    if chars != list(line):
        assert check_code("".join(chars)) != check_code(line)


def test_exhaustively_on_random_sheet_lines() -> None:
    """Every substitution (16 × 57) and every neighbour swap of 200 random 16-character lines."""
    for _ in range(200):
        line = "".join(secrets.choice(FULL_ALPHABET) for _ in range(16))
        code = check_code(line)
        for i in range(16):
            for other in FULL_ALPHABET:
                if other != line[i]:
                    assert check_code(line[:i] + other + line[i + 1 :]) != code
        for i in range(15):
            swapped = line[:i] + line[i + 1] + line[i] + line[i + 2 :]
            if swapped != line:
                assert check_code(swapped) != code


def test_code_is_two_digits() -> None:
    assert check_code("") == "00"
    assert check_code("A") == "00"  # index 0 × weight 1
    assert check_code("B") == "01"
    assert check_code("AB") == "02"
    codes = {
        check_code("".join(secrets.choice(FULL_ALPHABET) for _ in range(16))) for _ in range(2000)
    }
    assert all(len(c) == 2 and c.isdigit() and int(c) < MODULUS for c in codes)
    assert len(codes) == MODULUS  # every value is reachable


@pytest.mark.parametrize("bad", ["0", "O", "l", "I", "1", "y", "Z", " ", "é"])
def test_characters_never_on_a_sheet_are_named(bad: str) -> None:
    with pytest.raises(UnknownCharacter, match="Character 3") as info:
        check_value("AB" + bad)
    assert info.value.char == bad


def test_lines_longer_than_the_guarantee_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 58"):
        check_value("A" * 59)
