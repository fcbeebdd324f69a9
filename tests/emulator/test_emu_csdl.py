"""Every property the emulator returns exists in Graph's v1.0 CSDL (checked recursively)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.catalog import USER_PROPERTIES
from bgwizard.emulator.tenant.csdl import Schema, load_schema, unknown_properties
from emulator.support import ADMIN, GraphClient, upn

GraphAs = Callable[..., GraphClient]
CSDL = Path(__file__).parent.parent / "fixtures" / "graph_csdl" / "graph-v1.0-subset.xml"
ROOTS = [
    "user",
    "group",
    "conditionalAccessPolicy",
    "unifiedRoleAssignment",
    "unifiedRoleDefinition",
    "unifiedRoleEligibilitySchedule",
    "unifiedRoleAssignmentSchedule",
    "signIn",
    "directoryAudit",
    "domain",
    "organization",
    "passwordAuthenticationMethod",
    "fido2AuthenticationMethod",
    "phoneAuthenticationMethod",
    "microsoftAuthenticatorAuthenticationMethod",
    "passwordResetResponse",
    "authenticationStrengthPolicy",
]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema(CSDL)


def check(schema: Schema, type_name: str, items: list[dict[str, Any]]) -> None:
    assert items, f"nothing to check for {type_name}"
    problems = [p for item in items for p in unknown_properties(schema, type_name, item)]
    assert problems == []


def test_subset_holds_the_roots(schema: Schema) -> None:
    assert set(ROOTS) <= set(schema.types)
    assert set(schema.all_properties("user")) >= USER_PROPERTIES - {"id"}


def test_unknown_properties_are_caught(schema: Schema) -> None:
    bad = {"displayName": "x", "conditions": {"users": {"excludeGroup": []}}}
    assert unknown_properties(schema, "conditionalAccessPolicy", bad) == [
        "conditions.users.excludeGroup (not on conditionalAccessUsers)"
    ]


def test_graph_responses_match_the_csdl(
    fresh_emulator: Emulator, graph_as: GraphAs, schema: Schema
) -> None:
    emu = fresh_emulator
    admin = graph_as(emu, "admin")
    assert not emu.approve_device_code("NOPE", ADMIN, "x")
    emu.set_user_password(upn("aisha.rahman"), "Fresh-Pass-2026")
    admin.patch(f"/users/{upn('aisha.rahman')}", {"jobTitle": "Lead Dispatcher"})
    created = admin.post(
        "/users",
        {
            "accountEnabled": True,
            "displayName": "BG",
            "mailNickname": "bg",
            "userPrincipalName": "bg@contosologistics.onmicrosoft.com",
            "passwordProfile": {"password": "Kq7mRt4wXz9pLs2v"},
        },
    )[1]
    check(schema, "user", [created])
    every = ",".join(sorted(USER_PROPERTIES))
    check(schema, "user", admin.all_pages(f"/users?$select={every}"))
    check(schema, "user", admin.all_pages("/users"))
    check(
        schema, "conditionalAccessPolicy", admin.all_pages("/identity/conditionalAccess/policies")
    )
    check(
        schema,
        "unifiedRoleAssignment",
        admin.all_pages("/roleManagement/directory/roleAssignments?$expand=principal"),
    )
    check(
        schema,
        "unifiedRoleDefinition",
        admin.all_pages("/roleManagement/directory/roleDefinitions"),
    )
    check(
        schema,
        "unifiedRoleEligibilitySchedule",
        admin.all_pages("/roleManagement/directory/roleEligibilitySchedules"),
    )
    check(
        schema,
        "unifiedRoleAssignmentSchedule",
        admin.all_pages("/roleManagement/directory/roleAssignmentSchedules"),
    )
    admin.post(
        "/roleManagement/directory/roleAssignments",
        {
            "principalId": created["id"],
            "directoryScopeId": "/",
            "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
        },
    )
    graph_as(emu, "grace.okafor")
    sign_ins = admin.all_pages("/auditLogs/signIns")
    assert {s["status"]["errorCode"] for s in sign_ins} >= {0}
    check(schema, "signIn", sign_ins)
    check(schema, "directoryAudit", admin.all_pages("/auditLogs/directoryAudits"))
    check(schema, "domain", admin.all_pages("/domains"))
    check(schema, "organization", admin.all_pages("/organization"))
    check(schema, "group", admin.all_pages("/groups"))
    check(schema, "group", admin.all_pages(f"/users/{upn('mike.oconnor')}/transitiveMemberOf"))
    for who in ("priya.patel", "carlos.mendes", "admin"):
        check(
            schema,
            "authenticationMethod",
            admin.all_pages(f"/users/{upn(who)}/authentication/methods"),
        )
    check(
        schema,
        "fido2AuthenticationMethod",
        admin.all_pages(f"/users/{upn('priya.patel')}/authentication/fido2Methods"),
    )


def test_failed_sign_in_record_matches_the_csdl(
    fresh_emulator: Emulator, graph_as: GraphAs, schema: Schema
) -> None:
    emu = fresh_emulator
    from emulator.test_emu_login import start_device_flow

    flow = start_device_flow(emu)
    assert not emu.approve_device_code(str(flow["user_code"]), ADMIN, "Wrong-1")
    failures = graph_as(emu, "admin").all_pages(
        "/auditLogs/signIns?$filter=status/errorCode eq 50126"
    )
    assert len(failures) == 1
    check(schema, "signIn", failures)
