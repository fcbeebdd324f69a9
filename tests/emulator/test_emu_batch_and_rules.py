"""JSON batching, forced password change, and page-size settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from consented import consented

from bgwizard.emulator import Emulator, Fault
from bgwizard.emulator.tenant.file import bundled_sample
from emulator.support import ADMIN, GraphClient, session_for, upn

GraphAs = Callable[..., GraphClient]


def test_batch_answers_each_request(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    emulator.add_fault(Fault(method="GET", path="/domains", kind="429", retry_after=3))
    status, body = graph.post(
        "/$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": f"/users/{ADMIN}?$select=id,userPrincipalName"},
                {"id": "2", "method": "GET", "url": "/identity/conditionalAccess/policies?$top=2"},
                {"id": "3", "method": "GET", "url": "domains"},
                {"id": "4", "method": "GET", "url": "/users/nobody@contosologistics.com"},
            ]
        },
    )
    assert status == 200
    answers = {r["id"]: r for r in body["responses"]}
    assert answers["1"]["status"] == 200
    assert answers["1"]["body"]["userPrincipalName"] == ADMIN
    assert len(answers["2"]["body"]["value"]) == 2
    assert answers["3"]["status"] == 429 and answers["3"]["headers"]["Retry-After"] == "3"
    assert answers["4"]["status"] == 404
    assert answers["4"]["body"]["error"]["code"] == "Request_ResourceNotFound"


def test_batch_limits(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    many = [{"id": str(i), "method": "GET", "url": "/domains"} for i in range(21)]
    assert graph.post("/$batch", {"requests": many})[0] == 400
    twice = [{"id": "1", "method": "GET", "url": "/domains"}] * 2
    assert graph.post("/$batch", {"requests": twice})[0] == 400
    response = session_for(emulator).post(
        f"{emulator.graph_url}/$batch",
        json={"requests": [{"id": "1", "method": "GET", "url": "/domains"}]},
    )
    assert response.json()["responses"][0]["status"] == 401, "inner requests need the token"


def test_password_set_without_force_false_must_be_changed(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    graph = graph_as(emu, "admin")
    status, _ = graph.patch(
        f"/users/{upn('aisha.rahman')}", {"passwordProfile": {"password": "Qm4vXr8tLz2wNk6P"}}
    )
    assert status == 204
    response = session_for(emu).post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": emu.public_client_id,
            "username": upn("aisha.rahman"),
            "password": "Qm4vXr8tLz2wNk6P",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert response.status_code == 400 and response.json()["error_codes"] == [50055]
    assert emu.state.sign_ins[-1]["status"]["errorCode"] == 50055


def test_max_page_size_lets_top_ask_for_more(tmp_path: Path) -> None:
    data = json.loads(bundled_sample().read_text(encoding="utf-8"))
    data["settings"] = {"ropcEnabled": True, "pageSize": 5, "maxPageSize": 100}
    tenant = tmp_path / "t.json"
    tenant.write_text(json.dumps(data))
    with consented(Emulator(tenant, state_dir=tmp_path / "s")) as emu:
        from emulator.support import password_token

        graph = GraphClient(emu, password_token(emu, "admin")["access_token"])
        first = graph.ok("/identity/conditionalAccess/policies")
        assert len(first["value"]) == 5
        everything = graph.ok("/identity/conditionalAccess/policies?$top=100")
        assert len(everything["value"]) == 36 and "@odata.nextLink" not in everything


def test_concurrent_writes_and_sign_ins(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu = fresh_emulator
    graph = graph_as(emu, "admin")
    before_users, before_sign_ins = len(emu.state.users), len(emu.state.sign_ins)

    def create(i: int) -> int:
        return graph.post(
            "/users",
            {
                "accountEnabled": True,
                "displayName": f"Load {i}",
                "mailNickname": f"load{i}",
                "userPrincipalName": f"load{i}@contosologistics.onmicrosoft.com",
                "passwordProfile": {
                    "password": "Kq7mRt4wXz9pLs2v",
                    "forceChangePasswordNextSignIn": False,
                },
            },
        )[0]

    def sign_in(i: int) -> str:
        return str(graph_as(emu, "grace.okafor").token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(16)))
        tokens = list(pool.map(sign_in, range(16)))
    assert statuses == [201] * 16
    assert len(emu.state.users) == before_users + 16
    assert len(set(tokens)) == 16
    assert len(emu.state.sign_ins) == before_sign_ins + 16
    assert [a["activityDisplayName"] for a in emu.state.audits].count("Add user") == 16
