"""Small wording helpers for sentences people read (pure).

``plural(1, "error")`` is "1 error", never "1 errors": counts in the TUI, the CLI and the
reports go through it.
"""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and the noun in the right number.

    Args:
        count: how many.
        singular: the noun for one ("page").
        many: the noun for any other count (default: ``singular`` + "s").

    Returns:
        "1 page", "0 pages", "2 policies" (with ``many="policies"``).
    """
    word = singular if count == 1 else (many or f"{singular}s")
    return f"{count} {word}"
