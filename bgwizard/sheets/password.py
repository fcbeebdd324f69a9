"""Password generation for paper credentials: uniform, unbiased, readable at 2 AM.

The default alphabet has no look-alikes (``0 O o 1 l I``), none of the letters that move
between common keyboard layouts (``y z Y Z``) and no symbols: 22 upper-case letters,
22 lower-case letters and the 8 digits 2–9, 52 characters in all. Every password holds at
least one of each class, so Entra's "3 of 4 classes" rule always holds.

Generation draws every character with ``secrets.choice`` (no modulo bias) and redraws the
whole password until each required class is present. That rejection sampling makes the
result uniform over all valid passwords, so the entropy is exactly
``log2(number of valid passwords)``: see ``entropy_bits`` (64 characters: 364.8 bits).
"""

from __future__ import annotations

import math
import secrets
import string
from dataclasses import dataclass
from itertools import combinations
from typing import Final

from bgwizard.secret import Secret

UPPER: Final = "".join(c for c in string.ascii_uppercase if c not in "OIYZ")
"""22 upper-case letters: no O (zero), I (one, l), Y and Z (they swap on QWERTZ)."""
LOWER: Final = "".join(c for c in string.ascii_lowercase if c not in "olyz")
"""22 lower-case letters: no o (zero), l (one, I), y and z."""
DIGITS: Final = "23456789"
"""8 digits: no 0 (O, o) and no 1 (l, I)."""
SYMBOLS: Final = "!#%+-="
"""6 symbols for tenants whose policy demands one; all type without dead keys on US/UK/DE/FR."""

DEFAULT_ALPHABET: Final = UPPER + LOWER + DIGITS
"""The 52 characters of a default password."""
FULL_ALPHABET: Final = DEFAULT_ALPHABET + SYMBOLS
"""Every character a generated password can hold (58); the check code indexes this string."""

DEFAULT_LENGTH: Final = 64
MIN_LENGTH: Final = 64
MAX_LENGTH: Final = 256
"""Entra accepts at most 256 characters."""

_ENTRA_SYMBOLS: Final = frozenset("@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ")


@dataclass(frozen=True)
class PasswordPolicy:
    """What a generated password looks like."""

    length: int = DEFAULT_LENGTH
    """Number of characters, 64–256."""
    symbols: bool = False
    """Add ``SYMBOLS`` to the alphabet and require at least one of them."""

    def __post_init__(self) -> None:
        if not MIN_LENGTH <= self.length <= MAX_LENGTH:
            raise ValueError(
                f"The password length must be between {MIN_LENGTH} and {MAX_LENGTH}, "
                f"not {self.length}."
            )

    @property
    def classes(self) -> tuple[str, ...]:
        """The character classes; a password holds at least one character of each."""
        return (UPPER, LOWER, DIGITS, SYMBOLS) if self.symbols else (UPPER, LOWER, DIGITS)

    @property
    def alphabet(self) -> str:
        """Every character this policy may use."""
        return "".join(self.classes)

    def admits(self, value: str) -> bool:
        """Whether ``value`` could have been generated under this policy."""
        return (
            len(value) == self.length
            and set(value) <= set(self.alphabet)
            and all(set(value) & set(cls) for cls in self.classes)
        )


def generate_password(policy: PasswordPolicy | None = None) -> Secret:
    """A new random password, uniform over every password ``policy`` admits.

    Args:
        policy: length and alphabet; the default is 64 characters without symbols.

    Returns:
        The password, wrapped so it never prints itself.
    """
    policy = policy or PasswordPolicy()
    alphabet = policy.alphabet
    while True:
        # One list, joined straight into the Secret: no plain str local outlives this call.
        chars = [secrets.choice(alphabet) for _ in range(policy.length)]
        if all(any(c in cls for c in chars) for cls in policy.classes):
            return Secret("".join(chars))


def count_valid(policy: PasswordPolicy) -> int:
    """How many distinct passwords ``policy`` admits (inclusion–exclusion over the classes)."""
    return count_strings_with_every_class([len(cls) for cls in policy.classes], policy.length)


def count_strings_with_every_class(sizes: list[int], length: int) -> int:
    """Strings of ``length`` over disjoint classes of ``sizes`` holding each class at least once.

    Inclusion–exclusion: all strings, minus those missing one class, plus those missing two…
    """
    total = 0
    for k in range(len(sizes) + 1):
        for missing in combinations(sizes, k):
            total += (-1) ** k * (sum(sizes) - sum(missing)) ** length
    return total


def entropy_bits(policy: PasswordPolicy | None = None) -> float:
    """Entropy of a password from ``generate_password(policy)``, in bits.

    Args:
        policy: the policy; default 64 characters without symbols.

    Returns:
        ``log2`` of the number of passwords the policy admits (generation is uniform over them).
    """
    return math.log2(count_valid(policy or PasswordPolicy()))


def meets_entra_rules(value: str) -> bool:
    """Whether Entra ID would accept ``value`` as a cloud password.

    8–256 printable ASCII characters and at least 3 of the 4 classes: upper-case, lower-case,
    digit, symbol.
    """
    if not 8 <= len(value) <= 256 or not all(c.isascii() and c.isprintable() for c in value):
        return False
    classes = (
        any(c.isupper() for c in value),
        any(c.islower() for c in value),
        any(c.isdigit() for c in value),
        any(c in _ENTRA_SYMBOLS for c in value),
    )
    return sum(classes) >= 3
