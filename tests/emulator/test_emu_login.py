"""Login endpoints over real HTTPS: discovery, device code, refresh, client credentials, ROPC."""

from __future__ import annotations

import datetime as dt
import json
import threading
from importlib import resources
from pathlib import Path

import msal
import pytest
from consented import consented

from bgwizard.emulator import Emulator
from bgwizard.emulator.identity.jwt import b64url_decode, decode
from bgwizard.emulator.tenant.catalog import GLOBAL_ADMIN
from emulator.support import (
    ADMIN,
    ADMIN_PASSWORD,
    AUDIT_APP,
    AUDIT_SECRET,
    GRAPH_DEFAULT,
    password_token,
    session_for,
    upn,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def token_url(emu: Emulator, tenant: str | None = None) -> str:
    return f"{emu.base_url}/{tenant or emu.tenant_id}/oauth2/v2.0/token"


def start_device_flow(emu: Emulator, **extra: str) -> dict[str, object]:
    response = session_for(emu).post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/devicecode",
        data={
            "client_id": emu.public_client_id,
            "scope": f"{GRAPH_DEFAULT} offline_access",
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def poll(emu: Emulator, flow: dict[str, object]) -> tuple[int, dict[str, object]]:
    response = session_for(emu).post(
        token_url(emu),
        data={
            "grant_type": DEVICE_GRANT,
            "client_id": emu.public_client_id,
            "device_code": flow["device_code"],
        },
    )
    return response.status_code, dict(response.json())


@pytest.mark.parametrize(
    "tenant", ["TENANT", "organizations", "common", "contosologistics.onmicrosoft.com"]
)
def test_discovery_names_https_endpoints_on_the_same_host(emulator: Emulator, tenant: str) -> None:
    tenant = emulator.tenant_id if tenant == "TENANT" else tenant
    for prefix in ("/v2.0", ""):
        url = f"{emulator.base_url}/{tenant}{prefix}/.well-known/openid-configuration"
        body = session_for(emulator).get(url).json()
        assert body["issuer"] == f"{emulator.base_url}/{emulator.tenant_id}/v2.0"
        for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint"):
            assert body[key].startswith(f"{emulator.base_url}/{tenant}/oauth2/v2.0/")


def test_unknown_tenant_is_refused(emulator: Emulator) -> None:
    response = session_for(emulator).get(
        f"{emulator.base_url}/fabrikam.example/v2.0/.well-known/openid-configuration"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_tenant"


def test_device_code_flow_pending_then_tokens_with_claims(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    flow = start_device_flow(emu)
    assert flow["interval"] == 1
    assert flow["verification_uri"] == f"{emu.base_url}/device"
    assert str(flow["user_code"]) in str(flow["message"])
    status, body = poll(emu, flow)
    assert (status, body["error"]) == (400, "authorization_pending")
    assert emu.approve_device_code(str(flow["user_code"]), ADMIN, ADMIN_PASSWORD)
    status, body = poll(emu, flow)
    assert status == 200, body
    assert body["scope"] == GRAPH_DEFAULT
    for key in ("access_token", "refresh_token", "id_token", "client_info", "expires_in"):
        assert body[key]
    _, claims, _, signature = decode(str(body["access_token"]))
    admin = emu.state.find_user(ADMIN)
    assert admin is not None
    assert signature == b""
    assert claims["oid"] == claims["sub"] == admin["id"]
    assert claims["tid"] == emu.tenant_id
    assert claims["upn"] == claims["preferred_username"] == ADMIN
    assert GLOBAL_ADMIN in claims["wids"]
    assert "Policy.ReadWrite.ConditionalAccess" in str(claims["scp"]).split()
    assert claims["exp"] > claims["iat"]
    info = json.loads(b64url_decode(str(body["client_info"])))
    assert info == {"uid": admin["id"], "utid": emu.tenant_id}
    status, body = poll(emu, flow)
    assert status == 400, "a device code is redeemed once"
    success = emu.state.sign_ins[-1]
    assert success["status"]["errorCode"] == 0 and success["userId"] == admin["id"]
    assert admin["signInActivity"]["lastSuccessfulSignInDateTime"] == success["createdDateTime"]


def test_wrong_password_is_refused_and_recorded(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    flow = start_device_flow(emu)
    before = len(emu.state.sign_ins)
    assert not emu.approve_device_code(str(flow["user_code"]), ADMIN, "Wrong-Password-1")
    record = emu.state.sign_ins[-1]
    assert len(emu.state.sign_ins) == before + 1
    assert record["status"]["errorCode"] == 50126
    assert "invalid username or password" in record["status"]["failureReason"]
    assert record["userPrincipalName"] == ADMIN and record["ipAddress"] == "127.0.0.1"
    admin = emu.state.find_user(ADMIN)
    assert admin is not None
    assert admin["signInActivity"]["lastSuccessfulSignInDateTime"] is None
    assert admin["signInActivity"]["lastSignInDateTime"] == record["createdDateTime"]
    assert poll(emu, flow)[1]["error"] == "authorization_pending"
    assert emu.pending_device_codes()[0]["user_code"] == flow["user_code"]


def test_login_hint_must_match_the_approving_account(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    flow = start_device_flow(emu, login_hint=upn("grace.okafor"))
    assert emu.pending_device_codes()[0]["login_hint"] == upn("grace.okafor")
    assert not emu.approve_device_code(str(flow["user_code"]), ADMIN, ADMIN_PASSWORD)
    assert emu.approve_device_code(str(flow["user_code"]), upn("grace.okafor"), "Contoso-User-2026")


def test_denied_and_expired_codes(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    denied = start_device_flow(emu)
    emu.deny_device_code(str(denied["user_code"]))
    assert poll(emu, denied)[1]["error"] == "authorization_declined"
    expired = start_device_flow(emu)
    with emu.state.lock:
        emu.state.device_codes[str(expired["device_code"])].expires = dt.datetime.now(
            dt.UTC
        ) - dt.timedelta(seconds=1)
    assert poll(emu, expired)[1]["error"] == "expired_token"


def test_http_approval_api_and_page(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    session = session_for(emu)
    flow = start_device_flow(emu)
    api = f"{emu.base_url}/_emulator/device/approve"
    bad = session.post(
        api, json={"user_code": flow["user_code"], "username": ADMIN, "password": "nope"}
    )
    assert bad.status_code == 400 and "AADSTS50126" in bad.json()["error"]
    good = session.post(
        api, json={"user_code": flow["user_code"], "username": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert good.status_code == 200
    page = session.get(f"{emu.base_url}/device")
    assert page.status_code == 200 and 'name="password"' in page.text
    flow2 = start_device_flow(emu)
    posted = session.post(
        f"{emu.base_url}/device",
        data={"user_code": flow2["user_code"], "username": ADMIN, "password": ADMIN_PASSWORD},
    )
    assert "Signed in" in posted.text
    assert poll(emu, flow2)[0] == 200


def test_refresh_token_grant_issues_new_tokens(emulator: Emulator) -> None:
    first = password_token(emulator, "grace.okafor")
    response = session_for(emulator).post(
        token_url(emulator),
        data={
            "grant_type": "refresh_token",
            "client_id": emulator.public_client_id,
            "refresh_token": first["refresh_token"],
            "scope": GRAPH_DEFAULT,
        },
    )
    assert response.status_code == 200
    assert decode(response.json()["access_token"])[1]["upn"] == upn("grace.okafor")
    bad = session_for(emulator).post(
        token_url(emulator),
        data={
            "grant_type": "refresh_token",
            "client_id": emulator.public_client_id,
            "refresh_token": "not-a-token",
        },
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_password_grant_wrong_password_and_unconsented_scope(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    response = session_for(emu).post(
        token_url(emu, "organizations"),
        data={
            "grant_type": "password",
            "client_id": emu.public_client_id,
            "username": ADMIN,
            "password": "bad",
            "scope": GRAPH_DEFAULT,
        },
    )
    assert response.status_code == 400 and response.json()["error_codes"] == [50126]
    assert emu.state.sign_ins[-1]["status"]["errorCode"] == 50126
    token = password_token(emu, "admin", scope="https://graph.microsoft.com/User.Read.All")
    assert decode(token["access_token"])[1]["scp"] == "User.Read.All"
    response = session_for(emu).post(
        token_url(emu),
        data={
            "grant_type": "password",
            "client_id": emu.public_client_id,
            "username": ADMIN,
            "password": ADMIN_PASSWORD,
            "scope": "https://graph.microsoft.com/Mail.Send",
        },
    )
    assert response.status_code == 400 and "Mail.Send" in response.json()["error_description"]


def test_password_grant_is_refused_unless_the_tenant_enables_it(tmp_path: Path) -> None:
    tenant = tmp_path / "tenant.json"
    tenant.write_text(
        json.dumps(
            {
                "tenant": {
                    "id": "t1",
                    "displayName": "T",
                    "domains": [{"id": "t.onmicrosoft.com", "isInitial": True}],
                },
                "users": [
                    {
                        "userPrincipalName": "a@t.onmicrosoft.com",
                        "displayName": "A",
                        "password": "Passw0rd-Long",
                    }
                ],
                "apps": [
                    {
                        "appId": "c1",
                        "displayName": "C",
                        "publicClient": True,
                        "delegatedScopes": ["User.Read"],
                    }
                ],
            }
        )
    )
    with consented(Emulator(tenant, state_dir=tmp_path / "s")) as emu:
        response = session_for(emu).post(
            token_url(emu),
            data={
                "grant_type": "password",
                "client_id": "c1",
                "username": "a@t.onmicrosoft.com",
                "password": "Passw0rd-Long",
                "scope": "User.Read",
            },
        )
    assert response.status_code == 400
    assert "ropcEnabled" in response.json()["error_description"]


def test_client_credentials_with_secret_and_roles_claim(emulator: Emulator) -> None:
    session = session_for(emulator)
    good = session.post(
        token_url(emulator),
        data={
            "grant_type": "client_credentials",
            "client_id": AUDIT_APP,
            "client_secret": AUDIT_SECRET,
            "scope": GRAPH_DEFAULT,
        },
    )
    assert good.status_code == 200
    claims = decode(good.json()["access_token"])[1]
    assert claims["idtyp"] == "app" and "AuditLog.Read.All" in claims["roles"]
    assert "scp" not in claims and "upn" not in claims
    wrong = session.post(
        token_url(emulator),
        data={
            "grant_type": "client_credentials",
            "client_id": AUDIT_APP,
            "client_secret": "guess",
            "scope": GRAPH_DEFAULT,
        },
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def _sample_cert() -> tuple[str, str]:
    text = Path(str(resources.files("bgwizard.data") / "sample_audit_app.pem")).read_text()
    start = text.index("-----BEGIN PRIVATE KEY-----")
    split = text.index("-----BEGIN CERTIFICATE-----")
    return text[start:split], text[split:]


def test_msal_confidential_client_with_certificate(emulator: Emulator) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key, cert = _sample_cert()
    thumbprint = x509.load_pem_x509_certificate(cert.encode()).fingerprint(hashes.SHA1()).hex()
    authority = f"{emulator.authority_host}/{emulator.tenant_id}"
    for credential in (
        {"private_key": key, "thumbprint": thumbprint},
        {"private_key": key, "public_certificate": cert},
    ):
        app = msal.ConfidentialClientApplication(
            AUDIT_APP,
            client_credential=credential,
            authority=authority,
            instance_discovery=False,
            http_client=session_for(emulator),
        )
        result = app.acquire_token_for_client([GRAPH_DEFAULT])
        assert "access_token" in result, result
        assert decode(result["access_token"])[1]["appid"] == AUDIT_APP


def _other_rsa_cert() -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not registered")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_certificate_assertion_from_an_unregistered_key_is_refused(emulator: Emulator) -> None:
    key, cert = _other_rsa_cert()
    app = msal.ConfidentialClientApplication(
        AUDIT_APP,
        client_credential={"private_key": key, "public_certificate": cert},
        authority=f"{emulator.authority_host}/{emulator.tenant_id}",
        instance_discovery=False,
        http_client=session_for(emulator),
    )
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert result.get("error") == "invalid_client"
    assert "not registered" in result["error_description"]


def test_msal_public_client_device_flow(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    app = msal.PublicClientApplication(
        emu.public_client_id,
        authority=f"{emu.authority_host}/{emu.tenant_id}",
        instance_discovery=False,
        http_client=session_for(emu),
    )
    flow = app.initiate_device_flow(scopes=[GRAPH_DEFAULT])
    assert flow["interval"] == 1

    def approve() -> None:
        emu.wait_for_device_code()
        emu.approve_device_code(flow["user_code"], ADMIN, ADMIN_PASSWORD)

    worker = threading.Thread(target=approve)
    worker.start()
    result = app.acquire_token_by_device_flow(flow)
    worker.join()
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == ADMIN
    account = app.get_accounts()[0]
    silent = app.acquire_token_silent([GRAPH_DEFAULT], account=account)
    assert silent is not None and silent["token_source"] == "cache"
