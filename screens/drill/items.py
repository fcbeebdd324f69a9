"""Rows of the drill checklist: automatic items (a status and what was found) and manual items
(fields the operator types, and a yes/no answer). Styled by ``drill.tcss``."""

from __future__ import annotations

from typing import Final

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static

from bgwizard.drill.model import ItemResult, ItemSpec, record_manual

MARKS: Final = {
    "pending": "·",
    "pass": "✔",
    "recorded": "✎",
    "fail": "✘",
    "not_run": "?",
    "warn": "⚠",
}
"""Status → mark shown before the item's title."""
WORDS: Final = {
    "pending": "to do",
    "pass": "pass",
    "recorded": "recorded",
    "fail": "FAIL",
    "not_run": "not run",
    "warn": "warning",
}


def item_line(spec: ItemSpec, result: ItemResult) -> str:
    """``✔ Title — pass: detail`` (plus ``Fix: …`` for failures) as plain text."""
    text = f"{MARKS[result.status]} {spec.title} — {WORDS[result.status]}"
    if result.detail:
        text += f": {result.detail}"
    if result.status in ("fail", "not_run", "warn") and result.fix:
        text += f"\n    Fix: {result.fix}"
    return text


class ItemRow(Static):
    """One checklist item and its recorded result (automatic items, and every item's status)."""

    def __init__(self, spec: ItemSpec, *, id: str | None = None) -> None:
        """Show ``spec`` as pending."""
        super().__init__(item_line(spec, ItemResult(spec.id)), classes="item pending", id=id)
        self.spec = spec
        self.result = ItemResult(spec.id)

    def show(self, result: ItemResult) -> None:
        """Show a new result (text and status class)."""
        self.result = result
        self.update(item_line(self.spec, result))
        for status in MARKS:
            self.set_class(status == result.status, status)


ANSWERS: Final[list[tuple[str, bool]]] = [("Yes", True), ("No", False)]


class ManualItem(Vertical):
    """A manual item: its status row, one input per field, and a yes/no answer when it asks."""

    def __init__(self, spec: ItemSpec) -> None:
        """Build the inputs for ``spec``."""
        super().__init__(id=f"manual-{spec.id}", classes="manual")
        self.spec = spec

    def compose(self) -> ComposeResult:
        """Status row, then the inputs on one line."""
        yield ItemRow(self.spec, id=f"row-{self.spec.id}")
        with Horizontal(classes="fields"):
            if self.spec.confirm:
                yield Select(
                    ANSWERS, prompt=self.spec.confirm, id=f"{self.spec.id}-answer", compact=True
                )
            for name in self.spec.fields:
                yield Input(
                    placeholder=name, id=f"{self.spec.id}-{name}", classes="field", compact=True
                )

    def values(self) -> dict[str, str]:
        """What the operator typed, by field name."""
        return {
            name: self.query_one(f"#{self.spec.id}-{name}", Input).value
            for name in self.spec.fields
        }

    def answer(self) -> bool | None:
        """The yes/no answer (None when not answered or the item asks nothing)."""
        if not self.spec.confirm:
            return None
        value = self.query_one(f"#{self.spec.id}-answer", Select).value
        return value if isinstance(value, bool) else None

    def fill(self, answer: bool | None = None, **values: str) -> None:
        """Set the inputs (the operator's typing, or a test)."""
        for name, value in values.items():
            self.query_one(f"#{self.spec.id}-{name}", Input).value = value
        if self.spec.confirm and answer is not None:
            self.query_one(f"#{self.spec.id}-answer", Select).value = answer

    def result(self) -> ItemResult:
        """The item as recorded from the inputs."""
        return record_manual(self.spec.id, self.values(), self.answer())
