"""Step id → step screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from bgwizard.screens.setup.base import WizardStep
from bgwizard.screens.setup.steps_change import CaStepScreen, CreateStep, RoleStep
from bgwizard.screens.setup.steps_exclusion import ExclusionStep
from bgwizard.screens.setup.steps_finish import MethodsStep, SummaryStep, VerifyStep
from bgwizard.screens.setup.steps_passkey import PasskeyStep
from bgwizard.screens.setup.steps_policy import EnforceStep, PolicyStepScreen
from bgwizard.screens.setup.steps_prepare import ConnectStep, NamesStep, SheetsStep
from bgwizard.setup.journal import StepId

if TYPE_CHECKING:
    from bgwizard.screens.setup.session import WizardSession

STEP_SCREENS: Final[dict[StepId, Callable[[WizardSession], WizardStep]]] = {
    "connect": ConnectStep,
    "names": NamesStep,
    "sheets": SheetsStep,
    "create": CreateStep,
    "passkey": PasskeyStep,
    "role": RoleStep,
    "exclusion": ExclusionStep,
    "ca": CaStepScreen,
    "policy": PolicyStepScreen,
    "verify": VerifyStep,
    "enforce": EnforceStep,
    "methods": MethodsStep,
    "summary": SummaryStep,
}
"""The screen class of each step."""
