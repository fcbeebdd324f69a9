"""The progress rail: every wizard step with done (✓), current (▶) or to do (·)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from bgwizard.setup.journal import RailItem

MARKS: Final = {"done": "✓", "current": "▶", "todo": "·"}
"""The mark before each step's title, by state."""


class ProgressRail(Vertical):
    """A column of step titles, styled by state (``.done``, ``.current``, ``.todo``)."""

    def __init__(self, items: Sequence[RailItem], *, id: str | None = None) -> None:
        """Show ``items``.

        Args:
            items: the steps, in order (``SetupJournal.rail``).
            id: the widget id.
        """
        super().__init__(id=id)
        self._items = list(items)

    def compose(self) -> ComposeResult:
        """One line per step."""
        yield Static("Set-up", classes="rail-title")
        for number, item in enumerate(self._items, start=1):
            yield Static(
                f"{MARKS[item.state]} {number}. {item.title}",
                classes=f"rail-step {item.state}",
                id=f"rail-{item.step}",
            )

    def states(self) -> dict[str, str]:
        """Step id → state, as shown (for tests)."""
        return {item.step: item.state for item in self._items}
