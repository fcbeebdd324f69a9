"""Salted password hashes for the emulator: no clear-text password is ever kept."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

# scrypt with a modest cost: the emulator hashes every sample password at start-up and
# start-up must stay well under 0.3 s. This guards test data, not production secrets.
_N = 2**11
_R = 8
_P = 1


@dataclass(frozen=True)
class SecretHash:
    """A scrypt hash of a password or client secret with its own random salt."""

    salt: bytes
    digest: bytes

    def __repr__(self) -> str:
        return "SecretHash(<redacted>)"


def hash_secret(secret: str) -> SecretHash:
    """Hash ``secret`` with a fresh 16-byte salt.

    Args:
        secret: The clear-text password or client secret.

    Returns:
        The salted hash; the clear text is not kept.
    """
    salt = os.urandom(16)
    return SecretHash(salt, _derive(secret, salt))


def verify_secret(secret: str, stored: SecretHash | None) -> bool:
    """Whether ``secret`` matches ``stored`` (constant-time comparison)."""
    if stored is None:
        return False
    return hmac.compare_digest(_derive(secret, stored.salt), stored.digest)


def _derive(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def password_complexity_error(password: str) -> str | None:
    """Check Entra's password rules: 8–256 ASCII characters, 3 of 4 character classes.

    Returns:
        None when the password is acceptable, otherwise the reason as one sentence.
    """
    if not 8 <= len(password) <= 256:
        return "The password must be between 8 and 256 characters long."
    if not password.isascii() or not password.isprintable():
        return "The password may contain printable ASCII characters only."
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        return (
            "The password must contain characters from three of these four groups: "
            "lower case, upper case, digits, symbols."
        )
    return None
