"""The journeys' screens, registered with the app. Each factory imports its screen lazily,
so start-up loads none of them (nor reportlab, msgraph or jinja2 behind them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen

    from bgwizard.app import BgWizardApp, ScreenFactory


def _audit(app: BgWizardApp) -> Screen[Any]:
    from bgwizard.screens.audit import make_audit_screen

    return make_audit_screen(app)


def _monitoring(app: BgWizardApp) -> Screen[Any]:
    from bgwizard.screens.monitoring import MonitoringScreen
    from bgwizard.services.monitoring import MonitoringService, arm_token_from

    auth: Any = app.services.auth
    service = MonitoringService(
        arm_token_from(auth) if app.identity is not None else None,
        arm_url=app.profile.arm_url,
        ca_bundle=app.profile.ca_bundle,
    )
    return MonitoringScreen(app.profile, service)


DEFAULT_JOURNEYS: dict[str, ScreenFactory] = {
    "audit": _audit,
    "monitoring": _monitoring,
}
"""Journey id → screen factory for the journeys built so far."""
