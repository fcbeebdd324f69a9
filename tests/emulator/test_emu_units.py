"""The emulator's role-assignable group rules and administrative units (RMAU), as the
ground-truth table documents them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant import catalog
from bgwizard.ground_truth import ROLE_TEMPLATE_IDS
from emulator.support import GraphClient

GraphAs = Callable[..., GraphClient]
GROUP: dict[str, Any] = {
    "displayName": "Tenant continuity - excluded accounts",
    "mailEnabled": False,
    "mailNickname": "tenantcontinuity",
    "securityEnabled": True,
    "isAssignableToRole": True,
}
TOM = "00000005-1c4b-4e8a-9d2f-7a3e5b6c8d05"
PRIYA = "00000004-1c4b-4e8a-9d2f-7a3e5b6c8d04"
HENRIK = "0000000c-1c4b-4e8a-9d2f-7a3e5b6c8d0c"  # Global Administrator in the sample tenant
GRAPH = "https://graph.microsoft.com/"


def _give(emu: Emulator, user_id: str, role: str, scope: str = "/") -> None:
    key = f"test-{user_id}-{role}-{scope}"
    emu.state.role_assignments[key] = {
        "id": key,
        "principalId": user_id,
        "roleDefinitionId": ROLE_TEMPLATE_IDS[role],
        "directoryScopeId": scope,
    }


def _scopes(*names: str) -> str:
    return " ".join(GRAPH + n for n in names)


def _ref(emu: Emulator, object_id: str) -> dict[str, str]:
    return {"@odata.id": f"{emu.graph_url}/directoryObjects/{object_id}"}


def test_a_role_assignable_group_needs_the_permission_the_role_and_a_security_group(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    without = graph_as(emu, "admin", _scopes("Group.ReadWrite.All"))
    status, body = without.post("/groups", GROUP)
    assert status == 403 and "RoleManagement.ReadWrite.Directory" in body["error"]["message"]
    _give(emu, TOM, "Groups Administrator")
    groups_admin = graph_as(emu, "tom.becker")
    status, body = groups_admin.post("/groups", GROUP)
    assert status == 403 and "Privileged Role Administrator" in body["error"]["message"]
    admin = graph_as(emu, "admin")
    assert admin.post("/groups", {**GROUP, "securityEnabled": False})[0] == 400
    assert admin.post("/groups", {**GROUP, "groupTypes": ["DynamicMembership"]})[0] == 400
    status, group = admin.post("/groups", GROUP)
    assert status == 201 and group["isAssignableToRole"] and group["visibility"] == "Private"
    _give(emu, PRIYA, "Privileged Role Administrator")
    assert graph_as(emu, "priya.patel").post("/groups", {**GROUP, "displayName": "x2"})[0] == 201
    # its members change only with PRA or GA (the Groups Administrator is refused)
    status, _ = groups_admin.post(f"/groups/{group['id']}/members/$ref", _ref(emu, TOM))
    assert status == 403 and emu.state.members[group["id"]] == []
    assert admin.post(f"/groups/{group['id']}/members/$ref", _ref(emu, TOM))[0] == 204


def test_a_restricted_unit_is_created_by_ga_or_pra_and_listed_in_transitive_member_of(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    admin = graph_as(emu, "admin")
    unit = {"displayName": "Tenant continuity - restricted", "isMemberManagementRestricted": True}
    _give(emu, TOM, "Groups Administrator")
    assert graph_as(emu, "tom.becker").post("/directory/administrativeUnits", unit)[0] == 403
    status, made = admin.post("/directory/administrativeUnits", unit)
    assert status == 201 and made["isMemberManagementRestricted"] is True
    assert admin.post("/directory/administrativeUnits", {"visibility": "x"})[0] == 400
    path = f"/directory/administrativeUnits/{made['id']}/members/$ref"
    assert admin.post(path, _ref(emu, PRIYA))[0] == 204
    assert admin.post(path, _ref(emu, PRIYA))[0] == 400  # already a member
    status, listed = admin.get(
        "/directory/administrativeUnits?$filter=displayName eq 'Tenant continuity - restricted'"
    )
    assert status == 200 and [u["id"] for u in listed["value"]] == [made["id"]]
    status, member_of = admin.get(f"/users/{PRIYA}/transitiveMemberOf")
    units = [o for o in member_of["value"] if o["@odata.type"].endswith("administrativeUnit")]
    assert [(u["id"], u["isMemberManagementRestricted"]) for u in units] == [(made["id"], True)]
    assert emu.state.audits[-1]["activityDisplayName"] == "Add member to administrative unit"


def test_rmau_members_are_changed_only_by_admins_scoped_to_the_unit(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    admin = graph_as(emu, "admin")
    _, unit = admin.post(
        "/directory/administrativeUnits",
        {"displayName": "Restricted", "isMemberManagementRestricted": True},
    )
    members = f"/directory/administrativeUnits/{unit['id']}/members/$ref"
    for member in (PRIYA, HENRIK):
        assert admin.post(members, _ref(emu, member))[0] == 204
    reset = {
        "passwordProfile": {
            "password": "Rotated-Password-2026-Qz!",
            "forceChangePasswordNextSignIn": False,
        }
    }
    # a tenant-scoped Global Administrator is refused, naming the unit
    status, body = admin.call("PATCH", f"/users/{PRIYA}", json=reset)
    assert status == 403 and body["error"]["code"] == "Authorization_RequestDenied"
    assert "Restricted" in body["error"]["message"]
    assert admin.call("PATCH", f"/users/{PRIYA}", json={"jobTitle": "x"})[0] == 403
    # an administrator scoped to the unit may (Priya holds an admin role: PAA)
    _give(emu, TOM, "Privileged Authentication Administrator", f"/administrativeUnits/{unit['id']}")
    status, body = graph_as(emu, "tom.becker").call("PATCH", f"/users/{PRIYA}", json=reset)
    assert status == 204, body
    # a Global Administrator inside the unit: nobody can reset the password
    status, body = graph_as(emu, "tom.becker").call("PATCH", f"/users/{HENRIK}", json=reset)
    assert status == 403 and "nobody can reset" in body["error"]["message"]
    assert catalog.GLOBAL_ADMIN in emu.state.active_role_ids(HENRIK)


def test_a_group_in_an_rmau_changes_members_only_as_the_unit_allows(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    admin = graph_as(emu, "admin")
    _, unit = admin.post(
        "/directory/administrativeUnits",
        {"displayName": "Restricted", "isMemberManagementRestricted": True},
    )
    _, plain = admin.post("/groups", {**GROUP, "displayName": "Plain", "isAssignableToRole": None})
    _, protected = admin.post("/groups", GROUP)
    members = f"/directory/administrativeUnits/{unit['id']}/members/$ref"
    for group in (plain, protected):
        assert admin.post(members, _ref(emu, group["id"]))[0] == 204
    # an ordinary group in an RMAU: even the Global Administrator is refused
    status, body = admin.post(f"/groups/{plain['id']}/members/$ref", _ref(emu, TOM))
    assert status == 403 and "Restricted" in body["error"]["message"]
    # a role-assignable group in an RMAU: GA and PRA still can
    assert admin.post(f"/groups/{protected['id']}/members/$ref", _ref(emu, TOM))[0] == 204
    # a mail-enabled group cannot join a unit
    _, mail = admin.post(
        "/groups", {**GROUP, "displayName": "Mail", "mailEnabled": True, "isAssignableToRole": None}
    )
    assert admin.post(members, _ref(emu, mail["id"]))[0] == 400
