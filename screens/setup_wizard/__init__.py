"""The set-up wizard: one screen per step, a progress rail, resumable from the profile's journal.

``setup_screen(session)`` is what the app's journey registry calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

if TYPE_CHECKING:
    from bgwizard.screens.setup_wizard.session import WizardSession


def setup_screen(session: WizardSession) -> Screen[Any]:
    """The screen of the step the set-up stopped at (the first one for a new profile).

    Args:
        session: a new wizard session.

    Returns:
        The step's screen.
    """
    return session.screen_for(session.next_step())
