"""Do the Entra diagnostic settings send every log the alert rules read to a workspace?

Pure: reads the JSON Azure Resource Manager returns for
``GET /providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01``; the HTTP call is
``bgwizard.monitoring.service``. A check that could not run is "not checked", never a pass.
The rules read ``AuditLogs``, ``SignInLogs`` and ``NonInteractiveUserSignInLogs`` (a refresh
token replayed for a break glass account shows only in the last). A setting counts a category
when it names it, enabled, or enables the ``allLogs`` category group; no other category group
is counted, because Microsoft does not document which Entra categories it holds — a gap is
reported rather than a pass guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

#: The Entra log categories the alert rules read.
REQUIRED_CATEGORIES: Final = ("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs")

DiagnosticStatus = Literal["ok", "missing", "not_checked"]


@dataclass(frozen=True)
class DiagnosticSettingsReport:
    """What the diagnostic-settings check found."""

    status: DiagnosticStatus
    """``ok``: every required category reaches a workspace; ``missing``: some does not;
    ``not_checked``: the settings could not be read (see ``reason``)."""
    to_workspace: dict[str, list[str]] = field(default_factory=dict)
    """Category → workspace resource ids it is sent to."""
    reason: str = ""
    """Why the check could not run (``not_checked`` only)."""

    @property
    def missing(self) -> list[str]:
        """Required categories that reach no workspace."""
        return [c for c in REQUIRED_CATEGORIES if not self.to_workspace.get(c)]

    def summary(self) -> str:
        """One sentence for the screen, the CLI or the audit."""
        if self.status == "not_checked":
            return f"Diagnostic settings not checked: {self.reason}"
        if self.status == "ok":
            return (
                "AuditLogs, SignInLogs and NonInteractiveUserSignInLogs are sent to a Log "
                "Analytics workspace."
            )
        return (
            f"Not sent to any Log Analytics workspace: {', '.join(self.missing)}; "
            "the alert rules cannot fire until they are."
        )


def not_checked(reason: str) -> DiagnosticSettingsReport:
    """A report for a check that could not run, with its reason."""
    return DiagnosticSettingsReport(status="not_checked", reason=reason)


def _enabled_categories(logs: object) -> set[str]:
    found: set[str] = set()
    if not isinstance(logs, list):
        return found
    for entry in logs:
        if not isinstance(entry, Mapping) or entry.get("enabled") is not True:
            continue
        if entry.get("categoryGroup") == "allLogs":
            found.update(REQUIRED_CATEGORIES)
        category = entry.get("category")
        if isinstance(category, str):
            found.add(category)
    return found


def evaluate_diagnostic_settings(payload: object) -> DiagnosticSettingsReport:
    """Read ARM's diagnostic settings list and say where each required category goes.

    Args:
        payload: The decoded JSON body (``{"value": [{"name", "properties": {...}}]}``).

    Returns:
        ``ok`` or ``missing``; ``not_checked`` when the body is not the documented shape.
    """
    if not isinstance(payload, Mapping) or not isinstance(payload.get("value"), list):
        return not_checked("Azure Resource Manager answered with an unexpected body.")
    to_workspace: dict[str, list[str]] = {c: [] for c in REQUIRED_CATEGORIES}
    for setting in payload["value"]:
        props = setting.get("properties") if isinstance(setting, Mapping) else None
        if not isinstance(props, Mapping):
            continue
        workspace = props.get("workspaceId")
        if not isinstance(workspace, str) or not workspace:
            continue
        for category in _enabled_categories(props.get("logs")) & set(REQUIRED_CATEGORIES):
            to_workspace[category].append(workspace)
    complete = all(to_workspace[c] for c in REQUIRED_CATEGORIES)
    return DiagnosticSettingsReport(
        status="ok" if complete else "missing", to_workspace=to_workspace
    )
