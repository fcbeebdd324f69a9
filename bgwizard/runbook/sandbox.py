"""Jinja2's sandbox with a budget: a user template cannot run for minutes or print gigabytes.

Jinja2's ``SandboxedEnvironment`` keeps a template away from Python's internals and caps one
``range`` at 100,000 items, but nested loops multiply (``range(100000)`` inside
``range(100000)`` ran past 60 s), and ``"x" * 10**9`` or ``9 ** 9 ** 9`` is one expression.
``BudgetSandbox`` checks a deadline at every loop step over ``range``, every call and every
attribute lookup, refuses ``*`` and ``**`` whose result would be huge, and
``TemplateStore.render`` caps the size of what a template writes.

Imported on first render (jinja2 is ~70 modules), by ``bgwizard.runbook.templates``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Final

from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, safe_range

RENDER_SECONDS: Final = 5.0
"""How long one template may render."""
OUTPUT_LIMIT: Final = 1024 * 1024
"""How many characters one template may write."""
_MAX_EXPONENT: Final = 1024


class _OverBudget(Exception):
    """A template ran past its time or size budget (the message says which)."""


class BudgetSandbox(SandboxedEnvironment):
    """A ``SandboxedEnvironment`` whose renders stop at a deadline."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        """Take Jinja2's environment options; ``range`` becomes the budgeted one."""
        super().__init__(**options)
        self.deadline = float("inf")
        """``time.monotonic()`` past which the render stops; set by ``start``."""
        self.globals["range"] = self._range

    def start(self, seconds: float = RENDER_SECONDS) -> None:
        """Begin a render of at most ``seconds``."""
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        """Stop the render when its time is up.

        Raises:
            _OverBudget: the deadline has passed.
        """
        if time.monotonic() > self.deadline:
            raise _OverBudget(f"it ran longer than {RENDER_SECONDS:.0f} seconds and was stopped")

    def _range(self, *args: int) -> Iterator[int]:
        for item in safe_range(*args):
            self.check()
            yield item

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Jinja2's sandboxed call, after a look at the clock."""
        __self.check()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Jinja2's sandboxed attribute lookup, after a look at the clock."""
        self.check()
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**``, refused when the result would be huge.

        Raises:
            _OverBudget: the result would exceed the output cap or the exponent limit.
        """
        self.check()
        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise _OverBudget(f"an exponent above {_MAX_EXPONENT} is not allowed")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sized and len(seq) * count > OUTPUT_LIMIT:
                    raise _OverBudget("a repetition would exceed the output limit")
        return super().call_binop(context, operator, left, right)
