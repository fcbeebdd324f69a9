"""The Azure Resource Manager stub: Entra diagnostic settings behind an ARM token."""

from __future__ import annotations

from bgwizard.emulator import Emulator
from bgwizard.emulator.identity.jwt import decode
from emulator.support import password_token, session_for

ARM_SCOPE = "https://management.azure.com/.default"
ROUTE = "/providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01"


def test_diagnostic_settings_need_an_arm_token_and_a_role(emulator: Emulator) -> None:
    session = session_for(emulator)
    url = emulator.arm_url + ROUTE
    arm = password_token(emulator, "lena.fischer", scope=ARM_SCOPE)["access_token"]
    claims = decode(arm)[1]
    assert claims["aud"] == "https://management.azure.com"
    assert claims["scp"] == "user_impersonation"
    response = session.get(url, headers={"Authorization": f"Bearer {arm}"})
    assert response.status_code == 200
    (setting,) = response.json()["value"]
    enabled = {log["category"] for log in setting["properties"]["logs"] if log["enabled"]}
    assert {"SignInLogs", "AuditLogs"} <= enabled
    graph = password_token(emulator, "lena.fischer")["access_token"]
    assert session.get(url, headers={"Authorization": f"Bearer {graph}"}).status_code == 401
    assert (
        session.get(
            f"{emulator.graph_url}/users", headers={"Authorization": f"Bearer {arm}"}
        ).status_code
        == 401
    ), "an ARM token is not a Graph token"
    nobody = password_token(emulator, "aisha.rahman", scope=ARM_SCOPE)["access_token"]
    denied = session.get(url, headers={"Authorization": f"Bearer {nobody}"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed"
    missing = session.get(url.split("?")[0], headers={"Authorization": f"Bearer {arm}"})
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"
