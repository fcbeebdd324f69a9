"""Graph role management, Conditional Access policies and audit logs."""

from __future__ import annotations

from collections.abc import Callable

from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.catalog import GLOBAL_ADMIN
from emulator.support import ADMIN, GraphClient, upn

GraphAs = Callable[..., GraphClient]
ROLES = "/roleManagement/directory"
POLICIES = "/identity/conditionalAccess/policies"
BREAK_GLASS_GROUP = "2802b872-ccfb-4b29-a9a9-459808dfb11b"
CA006 = "CA006-Global-DataProtection-Office365-AnyPlatform-Browser-Unmanaged-AppEnforceRestrictions"


def test_role_definitions_and_assignment_filters(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    status, body = graph.get(f"{ROLES}/roleDefinitions/{GLOBAL_ADMIN}")
    assert status == 200 and body["displayName"] == "Global Administrator"
    status, body = graph.get(
        f"{ROLES}/roleAssignments?$filter=roleDefinitionId eq '{GLOBAL_ADMIN}'&$expand=principal"
    )
    principals = {a["principal"]["userPrincipalName"] for a in body["value"]}
    assert principals == {ADMIN, upn("henrik.olsen")}
    assert all(a["principal"]["@odata.type"] == "#microsoft.graph.user" for a in body["value"])
    priya = emulator.state.find_user(upn("priya.patel"))
    assert priya is not None
    status, body = graph.get(
        f"{ROLES}/roleAssignments?$filter=principalId eq '{priya['id']}' and "
        f"roleDefinitionId eq '{GLOBAL_ADMIN}'"
    )
    assert body["value"] == [], "Priya is only eligible for Global Administrator"


def test_pim_schedules(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    body = graph.ok(
        f"{ROLES}/roleEligibilitySchedules?$filter=roleDefinitionId eq '{GLOBAL_ADMIN}'"
    )
    (eligible,) = body["value"]
    assert eligible["scheduleInfo"]["expiration"]["type"] == "afterDateTime"
    sofia = emulator.state.find_user(upn("sofia.rossi"))
    assert sofia is not None
    body = graph.ok(f"{ROLES}/roleAssignmentSchedules?$filter=principalId eq '{sofia['id']}'")
    (schedule,) = body["value"]
    assert schedule["scheduleInfo"]["expiration"]["endDateTime"] == "2027-03-31T00:00:00Z"
    _status, body = graph.get(
        f"{ROLES}/roleAssignmentSchedules?$filter=roleDefinitionId eq '{GLOBAL_ADMIN}'"
    )
    assert {s["scheduleInfo"]["expiration"]["type"] for s in body["value"]} == {"noExpiration"}


def test_assign_and_remove_global_admin_writes_audits(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    graph = graph_as(emu, "admin")
    user = emu.state.find_user(upn("aisha.rahman"))
    assert user is not None
    body = {"principalId": user["id"], "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}
    status, created = graph.post(f"{ROLES}/roleAssignments", body)
    assert status == 201 and created["principalId"] == user["id"]
    assert graph.post(f"{ROLES}/roleAssignments", body)[0] == 400, "no duplicate assignment"
    assert GLOBAL_ADMIN in emu.state.active_role_ids(user["id"])
    audit = emu.state.audits[-1]
    assert audit["activityDisplayName"] == "Add member to role"
    assert audit["category"] == "RoleManagement"
    assert audit["targetResources"][0]["id"] == user["id"]
    status, _ = graph.delete(f"{ROLES}/roleAssignments/{created['id']}")
    assert status == 204
    assert emu.state.audits[-1]["activityDisplayName"] == "Remove member from role"
    assert graph.get(f"{ROLES}/roleAssignments/{created['id']}")[0] == 404
    missing = {**body, "principalId": "00000000-0000-0000-0000-000000000000"}
    assert graph.post(f"{ROLES}/roleAssignments", missing)[0] == 404


def test_policies_are_the_baseline_and_page(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "carlos.mendes")
    first = graph.ok(POLICIES)
    assert len(first["value"]) == 10 and "@odata.nextLink" in first
    policies = graph.all_pages(POLICIES)
    assert len(policies) == 36
    ca006 = next(p for p in policies if p["displayName"] == CA006)
    assert ca006["state"] == "enabled"
    assert BREAK_GLASS_GROUP not in ca006["conditions"]["users"]["excludeGroups"]
    assert (
        sum(BREAK_GLASS_GROUP in p["conditions"]["users"]["excludeGroups"] for p in policies) == 29
    )
    _status, one = graph.get(f"{POLICIES}/{ca006['id']}")
    assert one["id"] == ca006["id"] and one["@odata.context"].endswith("policies/$entity")


def test_patch_merges_users_condition_and_audits(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    graph = graph_as(emu, "carlos.mendes")
    policy = next(p for p in emu.state.policies.values() if p["displayName"] == CA006)
    modified = policy["modifiedDateTime"]
    before = {k: list(v) for k, v in policy["conditions"]["users"].items() if isinstance(v, list)}
    status, _ = graph.patch(
        f"{POLICIES}/{policy['id']}",
        {"conditions": {"users": {"excludeGroups": [BREAK_GLASS_GROUP]}}},
    )
    assert status == 204
    _, after = graph.get(f"{POLICIES}/{policy['id']}")
    users = after["conditions"]["users"]
    assert users["excludeGroups"] == [BREAK_GLASS_GROUP]
    assert users["includeUsers"] == before["includeUsers"], "other keys are kept"
    assert after["conditions"]["applications"]["includeApplications"]
    assert after["modifiedDateTime"] > modified
    audit = emu.state.audits[-1]
    assert audit["activityDisplayName"] == "Update conditional access policy"
    assert audit["loggedByService"] == "Conditional Access"
    assert audit["targetResources"][0]["id"] == policy["id"]
    bad = graph.patch(
        f"{POLICIES}/{policy['id']}",
        {"conditions": {"users": {"excludeGroups": ["11111111-1111-1111-1111-111111111111"]}}},
    )
    assert bad[0] == 400
    assert graph.patch(f"{POLICIES}/{policy['id']}", {"state": "sometimes"})[0] == 400
    assert graph.patch(f"{POLICIES}/{policy['id']}", {"nonsense": 1})[0] == 400


def test_sign_in_log_filters_and_order(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    emu = fresh_emulator
    graph_as(emu, "aisha.rahman")
    graph = graph_as(emu, "lena.fischer")
    aisha = emu.state.find_user(upn("aisha.rahman"))
    assert aisha is not None
    body = graph.ok(f"/auditLogs/signIns?$filter=userId eq '{aisha['id']}'")
    (record,) = body["value"]
    assert record["userPrincipalName"] == upn("aisha.rahman")
    assert record["status"]["errorCode"] == 0
    assert record["appId"] == emu.public_client_id and record["ipAddress"] == "127.0.0.1"
    since = record["createdDateTime"]
    body = graph.ok(
        f"/auditLogs/signIns?$filter=userPrincipalName eq '{upn('aisha.rahman')}' and "
        f"createdDateTime ge {since}&$top=1"
    )
    assert [r["id"] for r in body["value"]] == [record["id"]]
    # The sign-in log supports only $top, $skiptoken and $filter (always newest first).
    status, refused = graph.get("/auditLogs/signIns?$orderby=createdDateTime desc")
    assert status == 400 and refused["error"]["code"] == "BadRequest"
    assert "'OrderBy' is not allowed" in refused["error"]["message"]
    body = graph.ok("/auditLogs/signIns?$filter=createdDateTime le 2000-01-01T00:00:00Z")
    assert body["value"] == []
    _status, body = graph.get("/auditLogs/signIns")
    times = [r["createdDateTime"] for r in body["value"]]
    assert times == sorted(times, reverse=True)


def test_sign_in_records_ca_scope(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    emu = fresh_emulator
    ca000 = "CA000-Global-IdentityProtection-AnyApp-AnyPlatform-MFA"
    graph_as(emu, "aisha.rahman")
    record = emu.state.sign_ins[-1]
    applied = {p["displayName"]: p["result"] for p in record["appliedConditionalAccessPolicies"]}
    assert applied[ca000] == "success"
    assert (
        applied["CA105-Admins-IdentityProtection-AnyApp-AnyPlatform-PhishingResistantMFA"]
        == "reportOnlyNotApplied"
    )
    assert record["conditionalAccessStatus"] == "success"
    aisha = emu.state.find_user(upn("aisha.rahman"))
    assert aisha is not None
    emu.state.members[BREAK_GLASS_GROUP].append(aisha["id"])
    graph_as(emu, "aisha.rahman")
    applied = {
        p["displayName"]: p["result"]
        for p in emu.state.sign_ins[-1]["appliedConditionalAccessPolicies"]
    }
    assert applied[ca000] == "notApplied", "excluded through the break glass group"


def test_directory_audit_filters(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    emu = fresh_emulator
    admin = graph_as(emu, "admin")
    user = emu.state.find_user(upn("aisha.rahman"))
    assert user is not None
    admin.patch(f"/users/{user['id']}", {"jobTitle": "Senior Dispatcher"})
    reader = graph_as(emu, "grace.okafor")
    status, body = reader.get(
        f"/auditLogs/directoryAudits?$filter=targetResources/any(t: t/id eq '{user['id']}')"
    )
    assert [a["activityDisplayName"] for a in body["value"]] == ["Update user"]
    changed = body["value"][0]["targetResources"][0]["modifiedProperties"][0]
    assert changed["displayName"] == "jobTitle" and "Senior" in changed["newValue"]
    admin_id = emu.state.find_user(ADMIN)["id"]  # type: ignore[index]
    since = body["value"][0]["activityDisplayName"] and body["value"][0]["activityDateTime"]
    status, body = reader.get(
        f"/auditLogs/directoryAudits?$filter=initiatedBy/user/id eq '{admin_id}' and "
        f"activityDateTime ge {since}"
    )
    assert len(body["value"]) == 1
    status, body = reader.get(
        "/auditLogs/directoryAudits?$filter=result eq 'success' and "
        "additionalDetails/any(d: d/key eq 'x')"
    )
    assert status == 400 and body["error"]["code"] == "BadRequest"
