"""Per-line check codes: find the mistyped line without showing the password.

The code of a line is ``sum((i + 1) * index(c_i)) mod 59`` over its characters, where
``index`` is the position in ``FULL_ALPHABET`` (58 characters) and 59 is prime. It is
printed as two decimal digits, ``00``–``58``.

Why it catches what people get wrong, for lines of up to 58 characters (sheets use 16):

* one wrong character at position ``i`` changes the sum by ``(i + 1) * d`` with
  ``0 < |d| < 59`` and ``0 < i + 1 < 59``; a product of two non-multiples of a prime is
  never a multiple of it;
* swapping two different characters at positions ``i`` and ``j`` changes the sum by
  ``(i - j) * (v_j - v_i)``, again two non-multiples of 59 — so every swap is caught, not only
  neighbours.
"""

from __future__ import annotations

from typing import Final

from bgwizard.errors import UnknownCharacter
from bgwizard.sheets.password import FULL_ALPHABET

MODULUS: Final = 59
"""A prime larger than the alphabet (58) and than the longest line the guarantee covers."""
MAX_LINE: Final = MODULUS - 1
_INDEX: Final = {c: i for i, c in enumerate(FULL_ALPHABET)}


def check_value(line: str) -> int:
    """The check value of ``line``, 0–58.

    Args:
        line: up to 58 characters of ``FULL_ALPHABET``.

    Raises:
        UnknownCharacter: ``line`` holds a character outside the alphabet.
        ValueError: ``line`` is longer than 58 characters.
    """
    if len(line) > MAX_LINE:
        raise ValueError(f"A checked line holds at most {MAX_LINE} characters.")
    total = 0
    for position, char in enumerate(line):
        index = _INDEX.get(char)
        if index is None:
            raise UnknownCharacter(char, position)
        total += (position + 1) * index
    return total % MODULUS


def check_code(line: str) -> str:
    """The two-digit check code printed after ``line`` on the sheet.

    Args:
        line: up to 58 characters of ``FULL_ALPHABET``.

    Raises:
        UnknownCharacter: ``line`` holds a character outside the alphabet.
        ValueError: ``line`` is longer than 58 characters.
    """
    return f"{check_value(line):02d}"
