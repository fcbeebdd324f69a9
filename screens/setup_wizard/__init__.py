"""The set-up wizard: one screen per step, a progress rail, resumable from the profile's journal.

``setup_screen(app)`` is what the app's journey registry calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

if TYPE_CHECKING:
    from bgwizard.tui.app import BgWizardApp


def setup_screen(app: BgWizardApp) -> Screen[Any]:
    """The screen of the step the set-up stopped at (the first one for a new profile).

    Args:
        app: the running app.

    Returns:
        The step's screen, on a new wizard session.
    """
    from bgwizard.screens.setup_wizard.session import WizardSession

    session = WizardSession(app)
    return session.screen_for(session.next_step())
