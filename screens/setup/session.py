"""The wizard's session: its ports, the passwords in memory, and which step comes next.

One session lives as long as the wizard is open. Passwords made on the sheet step stay in
``passwords`` (``Secret``) until their account is created, then are dropped; they are never
written anywhere. The journal in the profile decides the next step, so reopening the wizard
(or restarting the app) resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from bgwizard.demo.info import DemoInfo
from bgwizard.ports import Services
from bgwizard.profile.model import Profile
from bgwizard.secret import Secret
from bgwizard.setup.journal import StepId

if TYPE_CHECKING:
    from bgwizard.ports import SetupActions, SheetMaker


StepFactory = Callable[["WizardSession"], Screen[Any]]
"""Builds a step's screen for a session."""


class WizardSession:
    """Shared state of the wizard's step screens.

    The wizard opens four other screens (sign-in, sheets, approval, security key), so the
    session holds the typed ``Services`` bundle and hands each screen the ports it needs.
    """

    def __init__(
        self,
        services: Services,
        profile: Profile,
        *,
        clock: Callable[[], dt.datetime],
        steps: Mapping[StepId, StepFactory],
        demo: DemoInfo | None = None,
    ) -> None:
        """A new session on ``profile``.

        Args:
            services: the app's ports.
            profile: the profile (its journal is the wizard's progress).
            clock: the current time.
            steps: step id → its screen (``STEP_SCREENS``; given, so the session imports no
                step screen and the steps may import the session).
            demo: the emulator's facts in demo mode, else None.
        """
        self.services = services
        self.profile = profile
        self.clock = clock
        self.demo = demo
        self._steps = steps
        self.passwords: dict[str, Secret] = {}
        """UPN (case-folded) → password of a sheet made in this session, until created."""
        self.connected = False
        """Whether the connect step succeeded in this session."""

    @property
    def service(self) -> SetupActions:
        """The set-up's tenant changes and journal."""
        return self.services.setup

    @property
    def sheets(self) -> SheetMaker:
        """The credential sheets."""
        return self.services.sheets

    def next_step(self) -> StepId:
        """The step to show now, from the journal."""
        return self.service.journal.next_step(connected=self.connected)

    def screen_for(self, step: StepId) -> Screen[Any]:
        """The screen of ``step``."""
        return self._steps[step](self)
