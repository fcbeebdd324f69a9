"""The emulator's interactive sign-in over raw HTTP, on the sample tenant as shipped: no grants
for the Graph Command Line Tools client, Conditional Access evaluated at token issuance."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from bgwizard.auth.identity import PageAnswers
from bgwizard.auth.signin_page import complete
from bgwizard.emulator import Emulator
from bgwizard.emulator.identity.jwt import decode
from bgwizard.errors import AuthError
from emulator.support import ADMIN, ADMIN_PASSWORD, USER_PASSWORD, session_for, upn

BREAK_GLASS_GROUP = "2802b872-ccfb-4b29-a9a9-459808dfb11b"
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
REDIRECT = "http://localhost:53123"


@pytest.fixture
def shipped(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant exactly as shipped (not ``consented``)."""
    with Emulator(state_dir=tmp_path / "emu") as emu:
        yield emu


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_url(emu: Emulator, scope: str, challenge: str, **extra: str) -> str:
    params = {
        "client_id": GRAPH_CLI,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "response_mode": "form_post",
        **extra,
    }
    return f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/authorize?{urlencode(params)}"


def _redeem(emu: Emulator, code: str, verifier: str, scope: str) -> requests.Response:
    return session_for(emu).post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": GRAPH_CLI,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "scope": scope,
        },
    )


def _sign_in(emu: Emulator, scope: str, answers: PageAnswers) -> tuple[dict[str, str], str]:
    verifier, challenge = _pkce()
    reply = complete(session_for(emu), _authorize_url(emu, scope, challenge), answers)
    assert reply.redirect_uri == REDIRECT
    return reply.fields, verifier


def test_admin_signs_in_with_second_factor_consent_and_pkce(shipped: Emulator) -> None:
    scope = "User.Read Policy.Read.All openid offline_access"
    fields, verifier = _sign_in(shipped, scope, PageAnswers(ADMIN, ADMIN_PASSWORD, for_tenant=True))
    assert fields["state"] == "st-1" and "error" not in fields, fields
    assert shipped.granted_scopes(GRAPH_CLI) == {"User.Read", "Policy.Read.All"}

    wrong = _redeem(shipped, fields["code"], verifier + "x", scope)
    assert wrong.status_code == 400 and "AADSTS501481" in wrong.json()["error_description"]
    good = _redeem(shipped, fields["code"], verifier, scope)
    assert good.status_code == 200, good.text
    body = good.json()
    _, claims, _, _ = decode(body["access_token"])
    assert claims["scp"] == "User.Read Policy.Read.All"
    assert claims["amr"] == ["pwd", "mfa"]  # CA000/CA101 asked for MFA; the push was approved
    _, id_claims, _, _ = decode(body["id_token"])
    assert id_claims["nonce"] == "n-1"
    again = _redeem(shipped, fields["code"], verifier, scope)
    assert "AADSTS54005" in again.json()["error_description"]  # a code redeems once


def test_declined_consent_returns_65004_and_grants_nothing(shipped: Emulator) -> None:
    fields, _ = _sign_in(
        shipped, "User.Read.All", PageAnswers(ADMIN, ADMIN_PASSWORD, consent="decline")
    )
    assert fields["error"] == "access_denied" and "AADSTS65004" in fields["error_description"]
    assert shipped.granted_scopes(GRAPH_CLI, ADMIN) == set()


def test_a_non_admin_cannot_consent_to_admin_restricted_scopes(shipped: Emulator) -> None:
    fields, _ = _sign_in(shipped, "User.Read.All", PageAnswers(upn("aisha.rahman"), USER_PASSWORD))
    assert fields["error"] == "access_denied" and "AADSTS90094" in fields["error_description"]


def test_ca_blocks_a_non_admin_on_an_unknown_platform(shipped: Emulator) -> None:
    shipped.grant_consent(GRAPH_CLI, ["User.Read"])
    fields, _ = _sign_in(shipped, "User.Read", PageAnswers(upn("aisha.rahman"), USER_PASSWORD))
    # CA204 blocks platforms other than Android, iOS, Windows and macOS for internal users.
    assert "AADSTS53003" in fields["error_description"]
    assert "CA204" in fields["error_description"]
    assert shipped.state.sign_ins[-1]["status"]["errorCode"] == 53003


def test_mfa_required_without_a_registered_second_factor(shipped: Emulator) -> None:
    shipped.grant_consent(GRAPH_CLI, ["User.Read"])
    admin = shipped.state.find_user(ADMIN)
    assert admin is not None
    shipped.state.auth_methods.pop(str(admin["id"]))  # no Authenticator to push to
    fields, _ = _sign_in(shipped, "User.Read", PageAnswers(ADMIN, ADMIN_PASSWORD))
    assert "AADSTS50076" in fields["error_description"]


def test_default_returns_only_what_was_granted(shipped: Emulator) -> None:
    fields, _ = _sign_in(
        shipped, "https://graph.microsoft.com/.default", PageAnswers(ADMIN, ADMIN_PASSWORD)
    )
    assert "AADSTS65001" in fields["error_description"]  # nothing granted yet
    shipped.grant_consent(GRAPH_CLI, ["User.Read", "Domain.Read.All"])
    fields, verifier = _sign_in(
        shipped, "https://graph.microsoft.com/.default", PageAnswers(ADMIN, ADMIN_PASSWORD)
    )
    body = _redeem(shipped, fields["code"], verifier, "https://graph.microsoft.com/.default").json()
    _, claims, _, _ = decode(body["access_token"])
    assert sorted(claims["scp"].split()) == ["Domain.Read.All", "User.Read"]


def test_redirect_uri_rules(shipped: Emulator) -> None:
    session = session_for(shipped)
    _, challenge = _pkce()
    for bad in ("https://evil.example/cb", "http://localhost.evil.example:80/"):
        url = _authorize_url(shipped, "User.Read", challenge, redirect_uri=bad)
        page = session.get(url)
        assert page.status_code == 400 and "AADSTS50011" in page.text
    ok = session.get(
        _authorize_url(shipped, "User.Read", challenge, redirect_uri="http://localhost:1/")
    )
    assert ok.status_code == 200 and 'name="step" value="login"' in ok.text


def test_pkce_is_required_and_errors_go_back_with_the_state(shipped: Emulator) -> None:
    url = _authorize_url(shipped, "User.Read", "", response_mode="query")
    answer = session_for(shipped).get(url, allow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    query = parse_qs(location.query)
    assert location.port == 53123 and query["state"] == ["st-1"]
    assert (
        query["error"] == ["invalid_request"] and "code_challenge" in query["error_description"][0]
    )


def test_wrong_password_stays_on_the_page_and_is_logged(shipped: Emulator) -> None:
    with pytest.raises(AuthError, match="AADSTS50126"):
        _sign_in(shipped, "User.Read", PageAnswers(ADMIN, "wrong"))
    assert shipped.state.sign_ins[-1]["status"]["errorCode"] == 50126


def _device_code(emu: Emulator, scope: str) -> dict[str, Any]:
    return dict(
        session_for(emu)
        .post(
            f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/devicecode",
            data={"client_id": GRAPH_CLI, "scope": scope},
        )
        .json()
    )


def _poll(emu: Emulator, flow: dict[str, Any]) -> dict[str, Any]:
    answer = session_for(emu).post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": GRAPH_CLI,
            "device_code": flow["device_code"],
        },
    )
    return dict(answer.json())


def test_device_code_is_refused_by_ca004_for_someone_it_does_not_exclude(shipped: Emulator) -> None:
    shipped.grant_consent(GRAPH_CLI, ["User.Read"])
    flow = _device_code(shipped, "User.Read")
    reason = shipped.devices.approve(flow["user_code"], ADMIN, ADMIN_PASSWORD)
    assert reason is not None and "CA004" in reason
    answer = _poll(shipped, flow)
    assert answer["error_codes"] == [53003]


def test_device_code_works_for_an_account_the_policies_exclude(shipped: Emulator) -> None:
    admin = shipped.state.find_user(ADMIN)
    assert admin is not None
    shipped.state.members[BREAK_GLASS_GROUP].append(str(admin["id"]))  # excluded from every CA
    flow = _device_code(shipped, "User.Read Policy.Read.All")
    pending = shipped.devices.approve(flow["user_code"], ADMIN, ADMIN_PASSWORD)
    assert pending is not None and "Policy.Read.All" in pending  # consent first
    approved = shipped.devices.approve(
        flow["user_code"], ADMIN, ADMIN_PASSWORD, consent_to="tenant"
    )
    assert approved is None
    answer = _poll(shipped, flow)
    assert "access_token" in answer, answer
    _, claims, _, _ = decode(answer["access_token"])
    assert claims["scp"] == "User.Read Policy.Read.All"


def test_tenant_file_grants_load(tmp_path: Path) -> None:
    tenant = json.loads(Path("bgwizard/data/sample_tenant.json").read_text())
    admin_id = next(u["id"] for u in tenant["users"] if u["userPrincipalName"] == ADMIN)
    tenant["oauth2PermissionGrants"] = [
        {"clientId": GRAPH_CLI, "consentType": "AllPrincipals", "scope": "User.Read"},
        {
            "clientId": GRAPH_CLI,
            "consentType": "Principal",
            "principalId": admin_id,
            "scope": "AuditLog.Read.All",
        },
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tenant))
    emu = Emulator(path, state_dir=tmp_path / "s")
    assert emu.granted_scopes(GRAPH_CLI) == {"User.Read"}
    assert emu.granted_scopes(GRAPH_CLI, ADMIN) == {"User.Read", "AuditLog.Read.All"}
    assert re.search("AllPrincipals", json.dumps(tenant))
