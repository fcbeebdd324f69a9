"""Password generation: alphabet, Entra's rules, uniformity, exact entropy."""

from __future__ import annotations

import itertools
import math
import secrets
import string
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgwizard.secret import Secret
from bgwizard.sheets import password as pw
from bgwizard.sheets.password import (
    DEFAULT_ALPHABET,
    DIGITS,
    LOWER,
    SYMBOLS,
    UPPER,
    PasswordPolicy,
    count_strings_with_every_class,
    entropy_bits,
    generate_password,
    meets_entra_rules,
)

LOOK_ALIKES_AND_MOVERS = "0Oo1lIyzYZ"


def test_default_alphabet_is_52_characters_without_look_alikes_or_symbols() -> None:
    assert len(DEFAULT_ALPHABET) == len(set(DEFAULT_ALPHABET)) == 52
    assert not set(DEFAULT_ALPHABET) & set(LOOK_ALIKES_AND_MOVERS)
    assert set(DEFAULT_ALPHABET) <= set(string.ascii_letters + string.digits)
    assert (len(UPPER), len(LOWER), len(DIGITS)) == (22, 22, 8)


@settings(max_examples=200, deadline=None)
@given(length=st.integers(min_value=64, max_value=256), symbols=st.booleans())
def test_every_password_meets_entra_rules_and_its_alphabet(length: int, symbols: bool) -> None:
    policy = PasswordPolicy(length, symbols)
    secret = generate_password(policy)
    value = secret.reveal()
    assert isinstance(secret, Secret)
    assert len(value) == length
    assert policy.admits(value)
    assert meets_entra_rules(value)
    assert set(value) & set(UPPER) and set(value) & set(LOWER) and set(value) & set(DIGITS)
    if not symbols:
        assert not set(value) & set(SYMBOLS)
    assert not set(value) & set(LOOK_ALIKES_AND_MOVERS)


def test_symbols_option_always_holds_a_symbol() -> None:
    for _ in range(200):
        assert set(generate_password(PasswordPolicy(symbols=True)).reveal()) & set(SYMBOLS)


def test_default_is_64_characters() -> None:
    assert len(generate_password()) == 64


@pytest.mark.parametrize("length", [0, 8, 63, 257, 1000])
def test_length_outside_64_to_256_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="between 64 and 256"):
        PasswordPolicy(length)


def test_a_draw_missing_a_class_is_redrawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guarantee is enforced, not hoped for: an all-upper-case draw is thrown away."""
    calls: list[str] = []
    valid = itertools.cycle("Ab2")

    def fake_choice(alphabet: str) -> str:
        calls.append(alphabet)
        return "A" if len(calls) <= 64 else next(valid)

    monkeypatch.setattr(pw.secrets, "choice", fake_choice)
    value = generate_password().reveal()
    assert len(calls) == 128
    assert value == ("Ab2" * 22)[:64]


def test_characters_are_uniform() -> None:
    """No modulo bias: every character within 6 sigma of its expected count."""
    counts = Counter("".join(generate_password().reveal() for _ in range(2000)))
    n = 2000 * 64
    p = 1 / 52
    expected, sigma = n * p, math.sqrt(n * p * (1 - p))
    assert set(counts) == set(DEFAULT_ALPHABET)
    assert all(abs(c - expected) < 6 * sigma for c in counts.values()), counts


def test_passwords_differ() -> None:
    assert len({generate_password().reveal() for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("sizes", "length"), [([2, 1], 3), ([2, 1, 1], 4), ([3, 2, 2], 5), ([1, 1, 1, 1], 4)]
)
def test_valid_count_matches_brute_force(sizes: list[int], length: int) -> None:
    classes = ["".join(chr(65 + 10 * i + j) for j in range(n)) for i, n in enumerate(sizes)]
    alphabet = "".join(classes)
    brute = sum(
        1
        for s in itertools.product(alphabet, repeat=length)
        if all(set(s) & set(cls) for cls in classes)
    )
    assert count_strings_with_every_class(sizes, length) == brute


def test_entropy_of_the_default_is_364_8_bits() -> None:
    bits = entropy_bits()
    assert round(bits, 2) == 364.83
    assert 64 * math.log2(52) - 0.001 < bits < 64 * math.log2(52)
    assert bits >= 280
    assert round(entropy_bits(PasswordPolicy(64, symbols=True)), 2) == 374.91
    assert round(entropy_bits(PasswordPolicy(256)), 1) == 1459.3


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Abcdefg2", True),
        ("abcdefg2!", True),
        ("ABCDEFG!2", True),
        ("abcdefgh", False),
        ("Abcdefgh", False),
        ("Ab2", False),
        ("A" * 255 + "b2", False),
        ("Abcdéfg2", False),
        ("Abcd\tfg2", False),
    ],
)
def test_entra_rules(value: str, ok: bool) -> None:
    assert meets_entra_rules(value) is ok


def test_generation_uses_the_secrets_module() -> None:
    assert pw.secrets is secrets
