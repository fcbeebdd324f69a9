"""A step whose screen is being built on another branch: it journals itself and moves on.

Only for the integration of issue 16's steps; each branch replaces its entry in
``STEP_SCREENS`` with the real screen, and this file goes before anything lands.
"""

from __future__ import annotations

from typing import ClassVar

from bgwizard.screens.setup.base import WizardStep
from bgwizard.setup.journal import PER_ACCOUNT, StepId


class PendingStep(WizardStep):
    """Journal the step (for every account when per-account) and go on."""

    INTRO: ClassVar[str] = "This step is not built yet."

    def start(self) -> None:
        """Journal and advance."""

        async def job() -> None:
            service = self.session.service
            if self.STEP in PER_ACCOUNT:
                for upn in service.journal.upns:
                    await service.record(self.STEP, upn)
            else:
                await service.record(self.STEP)
            self.advance()

        self.run(job, "…")


class PendingPasskey(PendingStep):
    """The passkey step, until its screen lands."""

    STEP: ClassVar[StepId] = "passkey"


class PendingExclusion(PendingStep):
    """The exclusion-choice step, until its screen lands."""

    STEP: ClassVar[StepId] = "exclusion"


class PendingPolicy(PendingStep):
    """The dedicated-policy step, until its screen lands."""

    STEP: ClassVar[StepId] = "policy"


class PendingEnforce(PendingStep):
    """The switch-on step, until its screen lands."""

    STEP: ClassVar[StepId] = "enforce"
