"""The journeys' screens, registered with the app. Each factory hands its screen the ports it
needs (``app.services.<port>``) and the app's state (profile, clock, demo), and imports the
screen lazily, so start-up loads none of them (nor reportlab, msgraph or jinja2 behind them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from bgwizard.auth.scopes import for_screen

if TYPE_CHECKING:
    from textual.screen import Screen

    # Annotations only: importing ports at run time would load it (and hashlib, hmac behind
    # its Secret) before the home screen's first frame, which needs none of them.
    from bgwizard.demo.info import DemoInfo
    from bgwizard.ports import Services
    from bgwizard.profile.model import Profile
    from bgwizard.screens.setup.session import WizardSession


class JourneyHost(Protocol):
    """What a journey's factory takes from the app (``BgWizardApp``, without importing it)."""

    services: Services
    profile: Profile
    demo: DemoInfo | None
    clock: Callable[[], dt.datetime]

    def switch_screen(self, screen: Screen[Any]) -> Any:
        """Replace the current screen (Textual's ``App.switch_screen``)."""
        ...


ScreenFactory = Callable[[JourneyHost], "Screen[Any]"]
"""Builds a journey's screen from the app (its services, profile, clock)."""


def _audit(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.audit import AuditScreen

    return AuditScreen(app.services.audit)


def _monitoring(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.monitoring import MonitoringScreen

    profile = app.profile
    return MonitoringScreen(
        profile,
        app.services.monitoring,
        exclusion_group_id=profile.exclusion_group_id,
        rmau_id=profile.exclusion_rmau_id,
    )


# -- set-up (and its steps), rotate, passkey ---------------------------------------------


def wizard_session(app: JourneyHost) -> WizardSession:
    """A new set-up wizard session on the app's ports, profile, clock and demo facts."""
    from bgwizard.screens.setup import new_session

    return new_session(app.services, app.profile, clock=app.clock, demo=app.demo)


def _setup(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.setup import setup_screen

    return setup_screen(wizard_session(app))


def rotate_screen(app: JourneyHost, *, reason: str = "", upn: str = "") -> Screen[Any]:
    """The Rotate journey's screen (also opened by Use, with ``reason`` and ``upn``)."""
    from bgwizard.screens.rotation import RotateScreen

    services = app.services
    return RotateScreen(
        app.profile,
        rotation=services.rotation,
        sheets=services.sheets,
        recorder=services.recorder,
        verifier=services.verifier,
        approver=services.demo,
        keys=services.keys,
        clock=app.clock,
        reason=reason,
        upn=upn,
    )


def _rotate(app: JourneyHost) -> Screen[Any]:
    return rotate_screen(app)


def _drill(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.drill.checklist import DrillScreen

    services = app.services
    return DrillScreen(
        app.profile,
        services.drill,
        services.recorder,
        approver=services.demo,
        keys=services.keys,
        clock=app.clock,
    )


def _use(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.use import UseScreen

    def open_rotate(upn: str, reason: str) -> None:
        app.services.auth.use_scopes(for_screen("rotate"))
        app.switch_screen(rotate_screen(app, reason=reason, upn=upn))

    return UseScreen(app.profile, app.services.recorder, clock=app.clock, open_rotate=open_rotate)


def _runbook(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.runbook import RunbookScreen

    return RunbookScreen(app.services.runbook, paper=app.profile.sheet_paper)


def _passkey(app: JourneyHost) -> Screen[Any]:
    from bgwizard.screens.passkeys import PasskeyScreen

    return PasskeyScreen.from_services(app.services, app.profile, app.clock)


DEFAULT_JOURNEYS: dict[str, ScreenFactory] = {
    "setup": _setup,
    "drill": _drill,
    "audit": _audit,
    "rotate": _rotate,
    "use": _use,
    "passkey": _passkey,
    "monitoring": _monitoring,
    "runbook": _runbook,
}
"""Journey id → screen factory for every journey."""
