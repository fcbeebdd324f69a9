"""Authorisation: scopes, directory roles, app-only permissions, and 401s."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.catalog import GLOBAL_ADMIN
from emulator.support import GraphClient, app_token, upn

GraphAs = Callable[..., GraphClient]
POLICIES = "/identity/conditionalAccess/policies"
CA000 = "809741fe-fb1b-4746-9ff0-83a978a4c891"


def denial(result: tuple[int, dict[str, dict[str, str]]]) -> str:
    status, body = result
    assert status == 403, body
    assert body["error"]["code"] == "Authorization_RequestDenied"
    return body["error"]["message"]


def test_missing_scope_names_the_permission(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "admin", scope="https://graph.microsoft.com/User.Read.All")
    assert graph.get("/users")[0] == 200
    assert "requires permission Policy.Read.All" in denial(graph.get(POLICIES))
    message = denial(graph.patch(f"{POLICIES}/{CA000}", {"state": "enabled"}))
    assert "Policy.ReadWrite.ConditionalAccess" in message
    assert "AuditLog.Read.All" in denial(graph.get("/auditLogs/signIns"))


@pytest.mark.parametrize(
    ("who", "path", "allowed"),
    [
        ("grace.okafor", POLICIES, True),  # Global Reader reads everything
        ("grace.okafor", "/auditLogs/directoryAudits", True),
        ("carlos.mendes", POLICIES, True),  # Conditional Access Administrator
        ("carlos.mendes", "/auditLogs/signIns", False),
        ("lena.fischer", "/auditLogs/signIns", True),  # Security Reader
        ("aisha.rahman", POLICIES, False),  # no role
        ("aisha.rahman", "/auditLogs/signIns", False),
        ("aisha.rahman", "/users", True),  # default user permissions
        ("tom.becker", "/roleManagement/directory/roleEligibilitySchedules", False),
        ("priya.patel", "/roleManagement/directory/roleEligibilitySchedules", True),
    ],
)
def test_reads_need_a_directory_role(
    emulator: Emulator, graph_as: GraphAs, who: str, path: str, allowed: bool
) -> None:
    status, body = graph_as(emulator, who).get(path)
    assert (status == 200) is allowed, body
    if not allowed:
        assert "roles" in body["error"]["message"]


def test_global_reader_cannot_write(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    message = denial(graph.patch(f"{POLICIES}/{CA000}", {"state": "enabled"}))
    assert "Conditional Access Administrator" in message
    body = {"principalId": "x", "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}
    assert "Privileged Role Administrator" in denial(
        graph.post("/roleManagement/directory/roleAssignments", body)
    )


def test_user_admin_cannot_reset_an_admin_password(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    graph = graph_as(fresh_emulator, "tom.becker")
    profile = {"passwordProfile": {"password": "Zt5nQw8rVm3kLp7X"}}
    assert graph.patch(f"/users/{upn('aisha.rahman')}", profile)[0] == 204
    message = denial(graph.patch(f"/users/{upn('grace.okafor')}", profile))
    assert "administrator role" in message and "Privileged Authentication Administrator" in message


def test_app_only_token_uses_application_permissions(emulator: Emulator) -> None:
    graph = GraphClient(emulator, app_token(emulator))
    assert graph.get(POLICIES)[0] == 200
    assert graph.get("/auditLogs/signIns")[0] == 200
    assert (
        "application permission Policy.Read.All and Policy.ReadWrite.ConditionalAccess"
        in denial(graph.patch(f"{POLICIES}/{CA000}", {"state": "enabled"}))
    )
    status, body = graph.get("/me")
    assert status == 400 and "delegated" in body["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-jwt"])
def test_missing_or_bad_token_is_401(emulator: Emulator, header: str | None) -> None:
    from emulator.support import session_for

    headers = {"Authorization": header} if header else {}
    response = session_for(emulator).get(f"{emulator.graph_url}/users", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_disabled_user_cannot_sign_in(emulator: Emulator) -> None:
    from emulator.support import session_for

    response = session_for(emulator).post(
        f"{emulator.base_url}/{emulator.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": emulator.public_client_id,
            "username": upn("henrik.olsen"),
            "password": "Contoso-User-2026",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert response.status_code == 400 and response.json()["error_codes"] == [50057]
