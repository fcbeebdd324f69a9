"""Stand-in screen for a journey a later issue builds; it says which one, plainly."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from bgwizard.screens.widgets.journey_menu import Journey


def placeholder_text(journey: Journey) -> str:
    """What the placeholder says about ``journey``.

    Args:
        journey: the journey not built yet.
    """
    return (
        f"{journey.title} is not built yet. Issue {journey.issue} builds it: "
        f"{journey.feature}.\n\n{journey.summary}"
    )


class PlaceholderScreen(Screen[None]):
    """Shows that a journey is coming, and which issue brings it."""

    CSS_PATH = "placeholder.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back", tooltip="Back to the home screen."),
    ]

    def __init__(self, journey: Journey) -> None:
        """Stand in for ``journey``.

        Args:
            journey: the journey a later issue builds.
        """
        super().__init__()
        self.journey = journey

    def compose(self) -> ComposeResult:
        """Title, explanation, a Back button."""
        yield Header()
        with Vertical(id="placeholder-body"):
            yield Static(self.journey.title, classes="title")
            yield Static(placeholder_text(self.journey), id="placeholder-text")
            yield Button("Back", id="back", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        """Show the journey in the header."""
        self.sub_title = self.journey.title

    def action_back(self) -> None:
        """Return to the home screen."""
        self.dismiss()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.dismiss()
