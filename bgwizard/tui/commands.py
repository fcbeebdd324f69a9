"""Command palette provider: the bindings of the app and of the current screen, and journeys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

Command = tuple[str, str, Callable[[], Any]]
"""(title, help, callback) of one palette entry."""


@runtime_checkable
class PaletteSource(Protocol):
    """What the palette asks the app for (``BgWizardApp``; a Protocol, so no import cycle)."""

    def palette_commands(self, screen: Screen[Any]) -> Iterator[Command]:
        """Every command to offer on ``screen``."""
        ...


class BgWizardCommands(Provider):
    """Offers ``BgWizardApp.palette_commands`` in the command palette."""

    def _commands(self) -> list[Command]:
        app = self.app
        if not isinstance(app, PaletteSource):
            return []
        return list(app.palette_commands(self.screen))

    async def discover(self) -> Hits:
        """All commands, shown when the palette opens with an empty query."""
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands whose title fuzzily matches ``query``, best first.

        Args:
            query: what the user typed.
        """
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
