"""Reading ARM's Entra diagnostic settings: ok, missing, or not checked — never a false pass."""

from __future__ import annotations

from typing import Any

import pytest

from bgwizard.monitoring.diagnostics import evaluate_diagnostic_settings, not_checked

WS = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws"


def setting(name: str, logs: list[dict[str, Any]], workspace: str | None = WS) -> dict[str, Any]:
    props: dict[str, Any] = {"logs": logs}
    if workspace is not None:
        props["workspaceId"] = workspace
    return {"name": name, "properties": props}


def log(category: str, enabled: bool = True) -> dict[str, Any]:
    return {"category": category, "enabled": enabled}


ALL = ["AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs"]


def test_every_category_to_a_workspace_is_ok() -> None:
    report = evaluate_diagnostic_settings(
        {"value": [setting("to-la", [log(c) for c in [*ALL, "RiskyUsers"]])]}
    )
    assert report.status == "ok"
    assert report.to_workspace == {c: [WS] for c in ALL}
    assert report.missing == []
    assert report.summary() == (
        "AuditLogs, SignInLogs and NonInteractiveUserSignInLogs are sent to a Log Analytics "
        "workspace."
    )


def test_categories_may_come_from_different_settings() -> None:
    report = evaluate_diagnostic_settings(
        {
            "value": [
                setting("a", [log("SignInLogs"), log("NonInteractiveUserSignInLogs")]),
                setting("b", [log("AuditLogs")]),
            ]
        }
    )
    assert report.status == "ok"


def test_interactive_sign_ins_alone_leave_the_non_interactive_log_missing() -> None:
    report = evaluate_diagnostic_settings(
        {"value": [setting("old", [log("SignInLogs"), log("AuditLogs")])]}
    )
    assert report.status == "missing"
    assert report.missing == ["NonInteractiveUserSignInLogs"]
    assert report.summary() == (
        "Not sent to any Log Analytics workspace: NonInteractiveUserSignInLogs; "
        "the alert rules cannot fire until they are."
    )


def test_an_undocumented_category_group_is_not_counted() -> None:
    report = evaluate_diagnostic_settings(
        {"value": [setting("grp", [{"categoryGroup": "audit", "enabled": True}])]}
    )
    assert report.status == "missing"
    assert report.missing == ALL


@pytest.mark.parametrize(
    "value",
    [
        [],
        [setting("off", [log("SignInLogs", enabled=False), log("AuditLogs")])],
        [setting("storage-only", [log("SignInLogs"), log("AuditLogs")], workspace=None)],
        [setting("empty-ws", [log("SignInLogs"), log("AuditLogs")], workspace="")],
    ],
)
def test_a_gap_is_reported_as_missing(value: list[dict[str, Any]]) -> None:
    report = evaluate_diagnostic_settings({"value": value})
    assert report.status == "missing"
    assert report.missing
    assert "cannot fire" in report.summary()


def test_missing_names_the_category() -> None:
    report = evaluate_diagnostic_settings({"value": [setting("a", [log("AuditLogs")])]})
    assert report.missing == ["SignInLogs", "NonInteractiveUserSignInLogs"]
    assert "SignInLogs, NonInteractiveUserSignInLogs;" in report.summary()


def test_all_logs_category_group_counts() -> None:
    report = evaluate_diagnostic_settings(
        {"value": [setting("all", [{"categoryGroup": "allLogs", "enabled": True}])]}
    )
    assert report.status == "ok"


@pytest.mark.parametrize("payload", [None, [], {"values": []}, {"value": "x"}, "text"])
def test_unexpected_body_is_not_checked(payload: object) -> None:
    report = evaluate_diagnostic_settings(payload)
    assert report.status == "not_checked"
    assert report.summary().startswith("Diagnostic settings not checked: ")


def test_not_checked_carries_its_reason() -> None:
    report = not_checked("no token.")
    assert (report.status, report.reason) == ("not_checked", "no token.")
    assert report.summary() == "Diagnostic settings not checked: no token."
