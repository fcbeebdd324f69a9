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

    def chunks(self, size: int) -> list[Secret]:
        """The secret cut into pieces of ``size`` characters (the last may be shorter).

        Args:
            size: characters per piece, at least 1.

        Returns:
            The pieces, each a ``Secret`` of its own.
        """
        if size < 1:
            raise ValueError("The chunk size must be at least 1.")
        return [Secret(self.__value[i : i + size]) for i in range(0, len(self.__value), size)]

    def matches(self, candidate: str) -> bool:
        """Whether ``candidate`` equals the secret, compared in constant time."""
        return hmac.compare_digest(self.__value.encode(), candidate.encode())

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
