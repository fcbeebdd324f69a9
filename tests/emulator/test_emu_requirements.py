"""Every emulator Graph route enforces what Microsoft's table documents for it — nothing else.

Data-driven: the routes come from the emulator's router, the requirements from the table copy
in ``tests/fixtures/graph-ground-truth/``. A route that names no table operation fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bgwizard import ground_truth
from bgwizard.emulator import Emulator
from bgwizard.emulator.graph.requirements import BORROWED, table_requirement
from bgwizard.emulator.tenant.file import bundled_sample
from bgwizard.ground_truth import ROLE_TEMPLATE_IDS
from emulator.support import GraphClient, app_token, password_token, upn

FIXTURE = Path(__file__).parents[1] / "fixtures" / "graph-ground-truth" / "graph-ground-truth.json"
TABLE = ground_truth.requirements_from(json.loads(FIXTURE.read_text("utf-8")))
EVERY_PERMISSION = sorted(
    {p for r in TABLE.values() for option in (*r.delegated, *r.application) for p in option}
)


def _tenant(tmp: Path, licence: str = "p2") -> Path:
    """The sample tenant whose public client may be granted every permission the table names."""
    raw = json.loads(bundled_sample().read_text("utf-8"))
    raw["tenant"]["licence"] = licence
    raw["apps"][0]["delegatedScopes"] = EVERY_PERMISSION
    raw.setdefault("settings", {})["conditionalAccessAtSignIn"] = False  # not what's tested here
    path = tmp / f"tenant-{licence}.json"
    path.write_text(json.dumps(raw), "utf-8")
    return path


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    tmp = tmp_path_factory.mktemp("requirements")
    with Emulator(_tenant(tmp), state_dir=tmp / "state") as running:
        yield running


def _graph_routes(emu: Emulator) -> list[tuple[str, str]]:
    return [(m, p) for m, p in emu.router.routes() if p.startswith(r"/v1\.0")]


def _url(emu: Emulator, pattern: str) -> str:
    """A concrete path for a route pattern: a non-admin user or a group for every id."""
    aisha = emu.state.find_user(upn("aisha.rahman"))
    assert aisha is not None
    group = next(iter(emu.state.groups))
    path = re.sub(r"\(\?:.*\)\?$", "", pattern)
    path = path.replace(r"/groups/(?P<id>[^/]+)", f"/groups/{group}")
    path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", str(aisha["id"]), path)
    return path.replace("\\", "").removeprefix("/v1.0")


def _token(emu: Emulator, who: str, scopes: list[str]) -> GraphClient:
    scope = " ".join(f"https://graph.microsoft.com/{s}" for s in scopes) or "openid"
    return GraphClient(emu, password_token(emu, who, scope=scope)["access_token"])


def _call(graph: GraphClient, method: str, path: str) -> tuple[int, Any]:
    return graph.call(method, path, json={} if method in ("POST", "PATCH") else None)


def test_every_route_names_a_table_operation(emu: Emulator) -> None:
    routes = _graph_routes(emu)
    assert len(routes) >= 30
    for route in routes:
        op = emu.graph.operations.get(route)
        assert op is not None, f"{route} names no operation of the ground-truth table"
        row = BORROWED[op][0] if op in BORROWED else op
        assert row in TABLE, f"{route}: {row} is not in the ground-truth table"
        assert table_requirement(op) == TABLE[row]
    assert {BORROWED.get(op, (op,))[0] for op in emu.graph.operations.values()} <= set(TABLE)


def test_packaged_table_is_the_reviewed_copy() -> None:
    assert ground_truth.requirements() == TABLE


def _checked_routes(emu: Emulator) -> list[tuple[str, str, ground_truth.Requirement]]:
    out = []
    for method, pattern in _graph_routes(emu):
        need = table_requirement(emu.graph.operations[(method, pattern)])
        if need.delegated:
            out.append((method, pattern, need))
    return out


def test_a_route_without_its_permission_names_the_least_privileged_one(emu: Emulator) -> None:
    checked = _checked_routes(emu)
    assert len(checked) >= 28
    for method, pattern, need in checked:
        named = {p for option in need.delegated for p in option}
        others = [p for p in EVERY_PERMISSION if p not in named]
        status, body = _call(_token(emu, "admin", others), method, _url(emu, pattern))
        assert status == 403, (pattern, body)
        message = body["error"]["message"]
        assert f"requires permission {need.least_delegated}." in message, (pattern, message)


def test_a_route_with_its_least_permission_passes_the_check(emu: Emulator) -> None:
    for method, pattern, need in _checked_routes(emu):
        graph = _token(emu, "admin", sorted(need.least_for_others()))
        status, body = _call(graph, method, _url(emu, pattern))
        if status == 403:
            message = body["error"]["message"]
            assert "requires permission" not in message and "roles" not in message, (
                pattern,
                message,
            )


def test_a_user_without_a_documented_role_is_refused_with_the_roles(emu: Emulator) -> None:
    graph = _token(emu, "mike.oconnor", EVERY_PERMISSION)
    refused = 0
    for method, pattern, need in _checked_routes(emu):
        status, body = _call(graph, method, _url(emu, pattern))
        message = body["error"]["message"] if status == 403 else ""
        if need.roles is None:
            assert "roles" not in message, (pattern, message)
            continue
        refused += 1
        assert status == 403 and "needs one of these roles" in message, (pattern, body)
        assert need.roles[0] in message and "Global Administrator" in message
    assert refused >= 10


def test_unsupported_query_options_get_graphs_400(emu: Emulator) -> None:
    graph = _token(emu, "admin", EVERY_PERMISSION)
    tried = 0
    for method, pattern, need in _checked_routes(emu):
        if method != "GET" or need.query_options is None:
            continue
        unsupported = next(
            o for o in ("$orderby", "$expand", "$search", "$skip") if o not in need.query_options
        )
        status, body = graph.get(_url(emu, pattern), params={unsupported: "id"})
        assert status == 400, (pattern, unsupported, body)
        assert body["error"]["code"] == "BadRequest"
        assert "is not allowed" in body["error"]["message"]
        tried += 1
    assert tried >= 6


@pytest.mark.parametrize(
    ("licence", "path", "status", "code"),
    [
        (
            "free",
            "/auditLogs/signIns",
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        ),
        (
            "free",
            "/users/{aisha}?$select=signInActivity",
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        ),
        ("p1", "/auditLogs/signIns", 200, None),
        ("p1", "/users/{aisha}?$select=signInActivity", 200, None),
        (
            "p1",
            "/roleManagement/directory/roleEligibilitySchedules",
            400,
            "AadPremiumLicenseRequired",
        ),
        (
            "p1",
            "/roleManagement/directory/roleAssignmentSchedules",
            400,
            "AadPremiumLicenseRequired",
        ),
        ("p2", "/roleManagement/directory/roleEligibilitySchedules", 200, None),
        ("free", "/identity/conditionalAccess/policies", 200, None),  # not documented: permissive
    ],
)
def test_licence_errors_are_the_documented_ones(
    tmp_path: Path, licence: str, path: str, status: int, code: str | None
) -> None:
    with Emulator(_tenant(tmp_path, licence), state_dir=tmp_path / "state") as running:
        aisha = running.state.find_user(upn("aisha.rahman"))
        assert aisha is not None
        graph = _token(running, "admin", EVERY_PERMISSION)
        got, body = graph.get(path.replace("{aisha}", str(aisha["id"])))
        assert got == status, body
        if code:
            assert body["error"]["code"] == code
            assert body["error"]["message"]


def test_app_only_password_reset_needs_the_apps_own_directory_role(tmp_path: Path) -> None:
    raw = json.loads(_tenant(tmp_path).read_text("utf-8"))
    audit_app = next(a for a in raw["apps"] if not a.get("publicClient"))
    audit_app["applicationPermissions"] = ["User-PasswordProfile.ReadWrite.All"]
    audit_app["servicePrincipalId"] = "5e000000-0000-4000-8000-00000000a001"
    path = tmp_path / "tenant-app.json"
    path.write_text(json.dumps(raw), "utf-8")
    profile = {
        "passwordProfile": {"password": "Zt5nQw8rVm3kLp7X", "forceChangePasswordNextSignIn": False}
    }
    with Emulator(path, state_dir=tmp_path / "state") as running:
        graph = GraphClient(running, app_token(running))
        status, body = graph.patch(f"/users/{upn('aisha.rahman')}", profile)
        assert status == 403, body
        assert (
            "service principal needs the directory role User Administrator"
            in (body["error"]["message"])
        )
        raw["roleAssignments"].append(
            {
                "principalId": audit_app["servicePrincipalId"],
                "roleDefinitionId": ROLE_TEMPLATE_IDS["User Administrator"],
                "directoryScopeId": "/",
            }
        )
    path.write_text(json.dumps(raw), "utf-8")
    with Emulator(path, state_dir=tmp_path / "state2") as running:
        graph = GraphClient(running, app_token(running))
        assert graph.patch(f"/users/{upn('aisha.rahman')}", profile)[0] == 204
        # grace.okafor is a Global Reader: an administrator target needs a higher role.
        status, body = graph.patch(f"/users/{upn('grace.okafor')}", profile)
        assert (
            status == 403
            and "Privileged Authentication Administrator" in (body["error"]["message"])
        )
