"""The set-up wizard: one screen per step, a progress rail, resumable from the profile's journal.

``new_session(...)`` and ``setup_screen(session)`` are what the app's journey registry calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from bgwizard.demo.info import DemoInfo
from bgwizard.ports import Services
from bgwizard.profile.model import Profile
from bgwizard.screens.setup.session import WizardSession
from bgwizard.screens.setup.steps import STEP_SCREENS


def new_session(
    services: Services,
    profile: Profile,
    *,
    clock: Callable[[], dt.datetime],
    demo: DemoInfo | None = None,
) -> WizardSession:
    """A new wizard session on ``services`` whose steps are the wizard's step screens.

    Args:
        services: the app's ports.
        profile: the profile (its journal is the wizard's progress).
        clock: the current time.
        demo: the emulator's facts in demo mode, else None.
    """
    return WizardSession(services, profile, clock=clock, steps=STEP_SCREENS, demo=demo)


def setup_screen(session: WizardSession) -> Screen[Any]:
    """The screen of the step the set-up stopped at (the first one for a new profile).

    Args:
        session: a new wizard session.

    Returns:
        The step's screen.
    """
    return session.screen_for(session.next_step())
