"""Sign-in and directory-audit records, written as things happen (Graph's shapes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bgwizard.emulator.tenant.ca_eval import applied_policies
from bgwizard.emulator.tenant.catalog import GRAPH_RESOURCE_ID
from bgwizard.emulator.tenant.state import App, JsonDict, TenantState, iso, new_id, utcnow

FAILURE_REASONS = {
    50034: "The user account does not exist in the directory.",
    50053: "The account is locked because the user tried to sign in too many times "
    "with an incorrect user ID or password.",
    50055: "The password must be changed before the user can sign in "
    "(it was set with forceChangePasswordNextSignIn).",
    50057: "The user account is disabled.",
    50126: "Error validating credentials due to invalid username or password.",
}


@dataclass(frozen=True)
class Caller:
    """Who made a Graph request, from the access token."""

    kind: str
    """``user`` (delegated) or ``app`` (app-only)."""
    app_id: str
    app_name: str
    user_id: str = ""
    upn: str = ""
    display_name: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    """Delegated scopes (``scp``) or application permissions (``roles``)."""
    role_ids: frozenset[str] = field(default_factory=frozenset)
    """Directory role template ids (``wids``) of a delegated caller."""
    service_principal_id: str = ""


def record_sign_in(
    state: TenantState,
    *,
    upn: str,
    user: JsonDict | None,
    app: App,
    error_code: int = 0,
    correlation_id: str | None = None,
    client_app_used: str = "Mobile Apps and Desktop clients",
) -> JsonDict:
    """Append an interactive sign-in record and update the user's ``signInActivity``."""
    now = iso(utcnow())
    record_id = new_id()
    success = error_code == 0
    applied = applied_policies(state, user, app.app_id) if success and user else []
    ca_status = "success" if any(p["result"] == "success" for p in applied) else "notApplied"
    record: JsonDict = {
        "id": record_id,
        "createdDateTime": now,
        "userDisplayName": user["displayName"] if user else None,
        "userPrincipalName": user["userPrincipalName"] if user else upn,
        "userId": user["id"] if user else "",
        "appId": app.app_id,
        "appDisplayName": app.display_name,
        "ipAddress": "127.0.0.1",
        "clientAppUsed": client_app_used,
        "correlationId": correlation_id or new_id(),
        "conditionalAccessStatus": ca_status,
        "appliedConditionalAccessPolicies": applied,
        "isInteractive": True,
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": GRAPH_RESOURCE_ID,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": [],
        "status": {
            "errorCode": error_code,
            "failureReason": FAILURE_REASONS.get(error_code, "Other.") if error_code else None,
            "additionalDetails": None,
        },
        "deviceDetail": {
            "deviceId": "",
            "displayName": "",
            "operatingSystem": "Linux",
            "browser": "bgwizard emulator",
            "isCompliant": False,
            "isManaged": False,
            "trustType": "",
        },
        "location": {
            "city": "Loopback",
            "state": None,
            "countryOrRegion": "ZZ",
            "geoCoordinates": None,
        },
    }
    state.sign_ins.append(record)
    if user is not None:
        activity = user.setdefault("signInActivity", {})
        activity["lastSignInDateTime"] = now
        activity["lastSignInRequestId"] = record_id
        if success:
            activity["lastSuccessfulSignInDateTime"] = now
            activity["lastSuccessfulSignInRequestId"] = record_id
    return record


def initiator(caller: Caller) -> JsonDict:
    """``initiatedBy`` for a directory audit record."""
    if caller.kind == "app":
        return {
            "user": None,
            "app": {
                "appId": caller.app_id,
                "displayName": caller.app_name,
                "servicePrincipalId": caller.service_principal_id,
                "servicePrincipalName": caller.app_name,
            },
        }
    return {
        "app": None,
        "user": {
            "id": caller.user_id,
            "displayName": caller.display_name,
            "userPrincipalName": caller.upn,
            "ipAddress": "127.0.0.1",
        },
    }


def target(kind: str, obj: JsonDict, changes: dict[str, tuple[Any, Any]] | None = None) -> JsonDict:
    """A ``targetResource`` for ``obj`` (a user, group, policy or role), with changed values."""
    return {
        "id": obj.get("id"),
        "displayName": obj.get("displayName"),
        "type": kind,
        "userPrincipalName": obj.get("userPrincipalName"),
        "groupType": None,
        "modifiedProperties": [
            {"displayName": name, "oldValue": _text(old), "newValue": _text(new)}
            for name, (old, new) in (changes or {}).items()
        ],
    }


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def record_audit(
    state: TenantState,
    caller: Caller,
    activity: str,
    category: str,
    targets: list[JsonDict],
    operation_type: str = "Update",
    service: str = "Core Directory",
) -> JsonDict:
    """Append a ``directoryAudit`` record for a change ``caller`` made."""
    record: JsonDict = {
        "id": f"Directory_{new_id()}",
        "activityDateTime": iso(utcnow()),
        "activityDisplayName": activity,
        "category": category,
        "correlationId": new_id(),
        "initiatedBy": initiator(caller),
        "loggedByService": service,
        "operationType": operation_type,
        "result": "success",
        "resultReason": "",
        "additionalDetails": [],
        "targetResources": targets,
    }
    state.audits.append(record)
    return record
