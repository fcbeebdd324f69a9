"""``Secret``: a password held in memory only, never shown by accident.

``str()``, ``repr()`` and ``format()`` give a redaction marker; pickling and copying to
disk-bound formats are refused. The only way to the characters is ``reveal()``, which the
code calls exactly where the password must go (the PDF, the Graph request, a comparison).
"""

from __future__ import annotations

import hmac
from typing import Any, Final, NoReturn

REDACTED: Final = "<secret: redacted>"


class Secret:
    """A string that does not print itself."""

    __slots__ = ("__value",)

    def __init__(self, value: str) -> None:
        """Wrap ``value``.

        Args:
            value: the secret characters.
        """
        self.__value = value

    def reveal(self) -> str:
        """The secret characters. Call only where they must go."""
        return self.__value

    def __len__(self) -> int:
        return len(self.__value)

    def __bool__(self) -> bool:
        return bool(self.__value)

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.__value.encode(), other.__value.encode())

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
