"""Fault injection: 429, 503, 403, delay and dropped connections, via the API and over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from consented import consented

from bgwizard.emulator import Emulator, Fault
from emulator.support import GraphClient, session_for

GraphAs = Callable[..., GraphClient]


def test_429_with_retry_after_then_success(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    emulator.add_fault(Fault(method="GET", path=r"^/users$", kind="429", count=2, retry_after=7))
    url = f"{emulator.graph_url}/users"
    headers = {"Authorization": f"Bearer {graph.token}"}
    for _ in range(2):
        response = session_for(emulator).get(url, headers=headers)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json()["error"]["code"] == "TooManyRequests"
    assert session_for(emulator).get(url, headers=headers).status_code == 200
    assert graph.get("/domains")[0] == 200, "other routes are unaffected"


@pytest.mark.parametrize(("kind", "status"), [("503", 503), ("403", 403)])
def test_status_faults(emulator: Emulator, graph_as: GraphAs, kind: str, status: int) -> None:
    graph = graph_as(emulator, "grace.okafor")
    emulator.add_fault(Fault(method="*", path="/identity/conditionalAccess", kind=kind))
    assert graph.get("/identity/conditionalAccess/policies")[0] == status
    assert graph.get("/identity/conditionalAccess/policies")[0] == 200


def test_method_must_match(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    emulator.add_fault(Fault(method="PATCH", path="/users", kind="503"))
    assert graph.get("/users")[0] == 200
    assert graph.patch("/users/x", {"jobTitle": "y"})[0] == 503, "the PATCH fault was kept"


def test_delay_fault(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    emulator.add_fault(Fault(path="/domains", kind="delay", delay=0.4))
    start = time.monotonic()
    assert graph.get("/domains")[0] == 200
    assert time.monotonic() - start >= 0.4


def test_dropped_connection(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    emulator.add_fault(Fault(path="/domains", kind="drop"))
    with pytest.raises(requests.ConnectionError):
        session_for(emulator).get(
            f"{emulator.graph_url}/domains", headers={"Authorization": f"Bearer {graph.token}"}
        )
    assert graph.get("/domains")[0] == 200


def test_fault_on_the_token_endpoint(emulator: Emulator) -> None:
    emulator.add_fault(Fault(method="POST", path=r"/oauth2/v2\.0/token$", kind="503"))
    response = session_for(emulator).post(
        f"{emulator.base_url}/{emulator.tenant_id}/oauth2/v2.0/token", data={}
    )
    assert response.status_code == 503


def test_http_control_api(emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(emulator, "grace.okafor")
    session = session_for(emulator)
    control = f"{emulator.base_url}/_emulator/faults"
    added = session.post(
        control,
        json={"method": "GET", "path": "/domains", "kind": "429", "count": 5, "retry_after": 2},
    )
    assert added.status_code == 201
    assert graph.get("/domains")[0] == 429
    assert session.delete(control).status_code == 204
    assert graph.get("/domains")[0] == 200
    bad = session.post(control, json={"kind": "explode"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        Fault(kind="boom")
    with pytest.raises(ValueError, match="count"):
        Fault(count=0)


def test_stop_cuts_keep_alive_connections(tmp_path: object) -> None:
    from pathlib import Path

    emu = consented(Emulator(state_dir=Path(str(tmp_path)) / "s"))
    emu.start()
    session = session_for(emu)
    url = f"{emu.base_url}/organizations/v2.0/.well-known/openid-configuration"
    assert session.get(url).status_code == 200
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(url)
