"""Command palette provider: the bindings of the app and of the current screen, and journeys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from bgwizard.tui.app import BgWizardApp


class BgWizardCommands(Provider):
    """Offers ``BgWizardApp.palette_commands`` in the command palette."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = cast("BgWizardApp", self.app)
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
