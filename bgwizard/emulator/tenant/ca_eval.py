"""Which Conditional Access policies a sign-in falls under (scope only; controls not enforced).

The emulator records the result in ``appliedConditionalAccessPolicies`` so the product can check
that a break glass sign-in was left out of every policy. Grant controls are not enforced.
"""

from __future__ import annotations

from typing import Any

from bgwizard.emulator.tenant.catalog import GRAPH_RESOURCE_ID
from bgwizard.emulator.tenant.state import JsonDict, TenantState


def applied_policies(state: TenantState, user: JsonDict, app_id: str) -> list[JsonDict]:
    """One ``appliedConditionalAccessPolicy`` per enabled or report-only policy."""
    groups = set(state.transitive_groups(str(user["id"])))
    roles = set(state.active_role_ids(str(user["id"])))
    out: list[JsonDict] = []
    for policy in state.policies.values():
        policy_state = policy.get("state")
        if policy_state not in ("enabled", "enabledForReportingButNotEnforced"):
            continue
        in_scope = _user_in_scope(policy, user, groups, roles) and _app_in_scope(policy, app_id)
        report_only = policy_state != "enabled"
        if not in_scope:
            result = "reportOnlyNotApplied" if report_only else "notApplied"
        else:
            result = "reportOnlySuccess" if report_only else "success"
        controls = (policy.get("grantControls") or {}).get("builtInControls") or []
        out.append(
            {
                "id": policy["id"],
                "displayName": policy.get("displayName"),
                "result": result,
                "enforcedGrantControls": list(controls) if in_scope else [],
                "enforcedSessionControls": [],
            }
        )
    return out


def _users(policy: JsonDict) -> dict[str, Any]:
    conditions = policy.get("conditions") or {}
    return conditions.get("users") or {}


def _user_in_scope(policy: JsonDict, user: JsonDict, groups: set[str], roles: set[str]) -> bool:
    cond = _users(policy)
    uid = str(user["id"])
    guest = user.get("userType") == "Guest"

    def hit(users: str, grps: str, rls: str, guests: str) -> bool:
        listed = cond.get(users) or []
        return (
            "All" in listed
            or uid in listed
            or (guest and "GuestsOrExternalUsers" in listed)
            or bool(groups & set(cond.get(grps) or []))
            or bool(roles & set(cond.get(rls) or []))
            or (guest and cond.get(guests) is not None)
        )

    included = hit("includeUsers", "includeGroups", "includeRoles", "includeGuestsOrExternalUsers")
    excluded = hit("excludeUsers", "excludeGroups", "excludeRoles", "excludeGuestsOrExternalUsers")
    return included and not excluded


def _app_in_scope(policy: JsonDict, app_id: str) -> bool:
    apps = (policy.get("conditions") or {}).get("applications") or {}
    include = apps.get("includeApplications") or []
    exclude = apps.get("excludeApplications") or []
    targets = {app_id, GRAPH_RESOURCE_ID}
    return ("All" in include or bool(targets & set(include))) and not (targets & set(exclude))
