"""The wizard's session: the services, the passwords in memory, and which step comes next.

One session lives as long as the wizard is open. Passwords made on the sheet step stay in
``passwords`` (``Secret``) until their account is created, then are dropped; they are never
written anywhere. The journal in the profile decides the next step, so reopening the wizard
(or restarting the app) resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import platformdirs
from textual.screen import Screen

from bgwizard.secret import Secret
from bgwizard.setup.directory_port import SetupDirectory
from bgwizard.setup.journal import StepId
from bgwizard.setup.service import SetupService
from bgwizard.setup.verify import SignInVerifier, verifier_for
from bgwizard.sheets.service import SheetService

if TYPE_CHECKING:
    from bgwizard.tui.app import BgWizardApp


def backup_dir_for(profiles: object) -> Path:
    """Where CA backups go: beside the profile file, else in the user's data dir."""
    path = getattr(profiles, "path", None)
    if isinstance(path, Path):
        return path.parent / "ca-backups"
    return Path(platformdirs.user_data_dir("bgwizard")) / "ca-backups"


class WizardSession:
    """Shared state of the wizard's step screens."""

    def __init__(self, app: BgWizardApp, *, sheets: SheetService | None = None) -> None:
        """Build the services for ``app``'s profile.

        Args:
            app: the running app (services, profile, clock, demo).
            sheets: the sheet service (tests pin serials); a default one otherwise.
        """
        self.app = app
        self.profile = app.profile
        self.service = SetupService(
            cast(SetupDirectory, app.services.directory),
            app.profile,
            app.services.profiles,
            backup_dir=backup_dir_for(app.services.profiles),
            clock=app.clock,
        )
        self.sheets = sheets or SheetService(today=lambda: app.clock().date())
        self.passwords: dict[str, Secret] = {}
        """UPN (case-folded) → password of a sheet made in this session, until created."""
        self.connected = False
        """Whether the connect step succeeded in this session."""
        self._verifier: SignInVerifier | None = None

    @property
    def verifier(self) -> SignInVerifier:
        """The break glass sign-in verifier (a session separate from the admin's)."""
        if self._verifier is None:
            self._verifier = verifier_for(self.profile, self.app.services.auth)
        return self._verifier

    def next_step(self) -> StepId:
        """The step to show now, from the journal."""
        return self.service.journal.next_step(connected=self.connected)

    def screen_for(self, step: StepId) -> Screen[Any]:
        """The screen of ``step``."""
        from bgwizard.screens.setup_wizard.steps import STEP_SCREENS

        return STEP_SCREENS[step](self)

    def advance(self) -> None:
        """Replace the current step's screen with the next step's."""
        self.app.switch_screen(self.screen_for(self.next_step()))

    def show(self, step: StepId) -> None:
        """Go to ``step`` (e.g. back to the sheets when a password was lost)."""
        self.app.switch_screen(self.screen_for(step))
