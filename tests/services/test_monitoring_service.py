"""MonitoringService over real loopback HTTPS: the ARM diagnostic-settings check and file export.

The ARM endpoint is served by a small real HTTPS server on 127.0.0.1 (trustme CA), so httpx,
TLS and JSON decoding all run for real; nothing inside httpx is patched. The same check
against the bundled emulator is at the bottom, skipped until the emulator serves the route.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.errors import AuthError
from bgwizard.monitoring.arm import build_export
from bgwizard.monitoring.rules import make_ref
from bgwizard.monitoring.service import MonitoringService, arm_token_from

ROUTE = "/arm/providers/microsoft.aadiam/diagnosticSettings"
WS = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws"
GOOD_BODY = {
    "value": [
        {
            "name": "entra-to-la",
            "properties": {
                "workspaceId": WS,
                "logs": [
                    {"category": "SignInLogs", "enabled": True},
                    {"category": "AuditLogs", "enabled": True},
                    {"category": "NonInteractiveUserSignInLogs", "enabled": True},
                ],
            },
        }
    ]
}


@dataclass
class FakeArm:
    """What the loopback ARM answers, and what it was asked."""

    status: int = 200
    body: bytes = json.dumps(GOOD_BODY).encode()
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path with query, Authorization header) of each request."""


@dataclass
class Loopback:
    arm: FakeArm
    base_url: str
    ca_path: Path


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[Loopback]:
    """A real HTTPS server on 127.0.0.1 answering ARM's diagnostic-settings route."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    arm = FakeArm()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arm.requests.append((self.path, self.headers.get("Authorization", "")))
            known = self.path == f"{ROUTE}?api-version=2017-04-01"
            status, body = (arm.status, arm.body) if known else (404, b"{}")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Loopback(arm, f"https://127.0.0.1:{server.server_address[1]}", ca_path)
    finally:
        server.shutdown()
        server.server_close()


async def token() -> str:
    return "arm-token-123"


def service(lb: Loopback, **kwargs: Any) -> MonitoringService:
    kwargs.setdefault("arm_token", token)
    return MonitoringService(arm_url=f"{lb.base_url}/arm", ca_bundle=str(lb.ca_path), **kwargs)


async def test_ok_when_every_category_reaches_a_workspace(loopback: Loopback) -> None:
    report = await service(loopback).check_diagnostic_settings()
    assert report.status == "ok"
    assert report.to_workspace == {
        "SignInLogs": [WS],
        "AuditLogs": [WS],
        "NonInteractiveUserSignInLogs": [WS],
    }
    assert loopback.arm.requests == [(f"{ROUTE}?api-version=2017-04-01", "Bearer arm-token-123")]


async def test_missing_category_is_reported(loopback: Loopback) -> None:
    body = json.loads(json.dumps(GOOD_BODY))
    body["value"][0]["properties"]["logs"][1]["enabled"] = False
    loopback.arm.body = json.dumps(body).encode()
    report = await service(loopback).check_diagnostic_settings()
    assert (report.status, report.missing) == ("missing", ["AuditLogs"])


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "may not read Entra diagnostic settings (HTTP 403)"),
        (401, "refused the sign-in token (HTTP 401)"),
        (500, "answered HTTP 500"),
    ],
)
async def test_http_errors_are_not_checked_with_reason(
    loopback: Loopback, status: int, reason: str
) -> None:
    loopback.arm.status = status
    report = await service(loopback).check_diagnostic_settings()
    assert report.status == "not_checked"
    assert reason in report.reason


async def test_body_that_is_not_json_is_not_checked(loopback: Loopback) -> None:
    loopback.arm.body = b"<html>proxy login</html>"
    report = await service(loopback).check_diagnostic_settings()
    assert (report.status, report.reason) == (
        "not_checked",
        "Azure Resource Manager answered with a body that is not JSON.",
    )


async def test_untrusted_certificate_is_not_checked(loopback: Loopback, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    svc = MonitoringService(token, arm_url=f"{loopback.base_url}/arm", ca_bundle=str(other))
    report = await svc.check_diagnostic_settings()
    assert report.status == "not_checked"
    assert "could not be reached" in report.reason
    assert loopback.arm.requests == []


async def test_nothing_listening_is_not_checked(loopback: Loopback) -> None:
    svc = MonitoringService(
        token, arm_url="https://127.0.0.1:9/arm", ca_bundle=str(loopback.ca_path), timeout=5
    )
    report = await svc.check_diagnostic_settings()
    assert report.status == "not_checked"
    assert "could not be reached" in report.reason


async def test_no_token_is_not_checked_and_asks_nothing(loopback: Loopback) -> None:
    async def refuse() -> str:
        raise AuthError("The sign-in expired.")

    report = await service(loopback, arm_token=refuse).check_diagnostic_settings()
    assert report.status == "not_checked"
    assert report.reason == "no Azure Resource Manager token: The sign-in expired."
    report = await service(loopback, arm_token=None).check_diagnostic_settings()
    assert report.status == "not_checked"
    assert loopback.arm.requests == []


def test_save_writes_every_file_beside_each_other(tmp_path: Path) -> None:
    files = build_export(
        [make_ref("bg@contoso.onmicrosoft.com", "aaaaaaaa-1111-4222-8333-444444444444")]
    )
    paths = MonitoringService(None).save(files, tmp_path / "export")
    assert [p.name for p in paths] == [f.name for f in files]
    assert {p.parent for p in paths} == {tmp_path / "export"}
    for path, file in zip(paths, files, strict=True):
        assert path.read_text(encoding="utf-8") == file.content
        assert path.stat().st_mode & 0o777 == 0o644


# -- against the emulator ----------------------------------------------------------------------


async def test_emulator_diagnostic_settings_are_ok(emu: Emulator, admin: MsalAuthenticator) -> None:
    """The sample tenant sends both logs to a workspace; read with the admin's real ARM token."""
    svc = MonitoringService(
        arm_token_from(admin), arm_url=emu.arm_url, ca_bundle=str(emu.ca_pem_path)
    )
    report = await svc.check_diagnostic_settings()
    assert report.status == "ok", report.summary()


async def test_emulator_refuses_a_graph_token_for_arm(
    emu: Emulator, admin: MsalAuthenticator
) -> None:
    """A token for the wrong audience is a "not checked" with the reason, never a pass."""

    async def graph_token() -> str:
        token, _ = admin.token()
        return token

    svc = MonitoringService(graph_token, arm_url=emu.arm_url, ca_bundle=str(emu.ca_pem_path))
    report = await svc.check_diagnostic_settings()
    assert report.status == "not_checked", report.summary()


class BlockingSource:
    """A blocking token source like MsalAuthenticator.token, recording the scopes asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    def token(self, scopes: tuple[str, ...]) -> tuple[str, int]:
        self.asked.append(scopes)
        return "from-source", 0


async def test_arm_token_from_asks_for_the_arm_scope(loopback: Loopback) -> None:
    source = BlockingSource()
    report = await service(loopback, arm_token=arm_token_from(source)).check_diagnostic_settings()
    assert report.status == "ok"
    assert source.asked == [("https://management.azure.com/.default",)]
    assert loopback.arm.requests[0][1] == "Bearer from-source"
