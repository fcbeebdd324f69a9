"""Approving a device code with a security key: WebAuthn assertion verified by the emulator.

The key is the tests' software authenticator; it registers through Graph (attestation
verified), then signs sign-in challenges. Nothing is mocked: signatures, counters, RP id
hashes and flags are checked byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from soft_authenticator import SoftKey

from bgwizard.emulator import Emulator
from bgwizard.emulator.errors import KeySignInRefused
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.secret import Secret
from emulator.support import GraphClient, session_for, upn
from emulator.test_emu_login import poll, start_device_flow

GraphAs = Callable[..., GraphClient]
TARGET = upn("tom.becker")
OTHER = upn("aisha.rahman")
PIN = "48151623"


def _register(graph: GraphClient, key: SoftKey, who: str = TARGET) -> None:
    status, doc = graph.get(f"/users/{who}/authentication/fido2Methods/creationOptions")
    assert status == 200, doc
    options = pk.CreationOptions.from_graph(doc)
    client_data = pk.client_data_json(options.challenge)
    made = key.make_credential(
        hashlib.sha256(client_data).digest(), options, Secret(PIN), lambda: None
    )
    attestation = pk.attestation_object(made.fmt, made.auth_data, made.att_stmt)
    body = {
        "displayName": "BG key 1",
        "publicKeyCredential": {
            "id": pk.b64url(made.credential_id),
            "response": {
                "clientDataJSON": pk.b64url(client_data),
                "attestationObject": pk.b64url(attestation),
            },
        },
    }
    status, created = graph.post(f"/users/{who}/authentication/fido2Methods", body)
    assert status == 201, created


def _sign(
    key: SoftKey, options: dict[str, Any], *, origin: str = pk.ORIGIN, kind: str = "get"
) -> dict[str, str]:
    parsed = pka.AssertionOptions.from_json(options)
    client_data = pka.client_data_get(parsed.challenge, origin)
    if kind != "get":
        client_data = pk.client_data_json(parsed.challenge, origin)
    got = key.get_assertion(hashlib.sha256(client_data).digest(), parsed, Secret(PIN), lambda: None)
    assertion = pka.Assertion(
        got.credential_id, client_data, got.auth_data, got.signature, got.user_handle
    )
    return assertion.to_json()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.fixture
def keyed(fresh_emulator: Emulator, graph_as: GraphAs) -> tuple[Emulator, SoftKey]:
    key = SoftKey(pin=PIN)
    _register(graph_as(fresh_emulator, "admin"), key)
    return fresh_emulator, key


def _last_sign_in(emu: Emulator) -> dict[str, Any]:
    return dict(emu.state.sign_ins[-1])


def test_key_sign_in_over_http_gives_fido_mfa_tokens(keyed: tuple[Emulator, SoftKey]) -> None:
    emu, key = keyed
    flow = start_device_flow(emu, login_hint=TARGET)
    session = session_for(emu)
    asked = {"user_code": flow["user_code"], "username": TARGET}
    response = session.post(f"{emu.base_url}/_emulator/device/assertion-options", json=asked)
    assert response.status_code == 200, response.text
    options = response.json()
    public = options["publicKey"]
    assert public["rpId"] == "login.microsoft.com" and public["userVerification"] == "required"
    assert [pk.unb64url(c["id"]) for c in public["allowCredentials"]] == list(key.credentials)
    body = {**asked, **_sign(key, options)}
    response = session.post(f"{emu.base_url}/_emulator/device/approve-key", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "approved", "method": "FIDO2 security key"}
    status, tokens = poll(emu, flow)
    assert status == 200, tokens
    assert _claims(str(tokens["access_token"]))["amr"] == ["fido", "mfa"]
    assert _claims(str(tokens["id_token"]))["amr"] == ["fido", "mfa"]
    record = _last_sign_in(emu)
    assert record["status"]["errorCode"] == 0 and record["userPrincipalName"] == TARGET
    step = record["authenticationDetails"][0]
    assert step["authenticationMethod"] == "FIDO2 security key" and step["succeeded"] is True
    stored = next(iter(emu.state.passkey_credentials.values()))
    assert stored["signCount"] == key.counter == 1
    refreshed = session.post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": emu.public_client_id,
            "refresh_token": tokens["refresh_token"],
            "scope": "https://graph.microsoft.com/.default",
        },
    ).json()
    assert _claims(refreshed["access_token"])["amr"] == ["fido", "mfa"]


def test_a_password_sign_in_says_pwd_only(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    flow = start_device_flow(emu)
    assert emu.approve_device_code(str(flow["user_code"]), TARGET, "Contoso-User-2026")
    status, tokens = poll(emu, flow)
    assert status == 200 and _claims(str(tokens["access_token"]))["amr"] == ["pwd"]


def _refused(emu: Emulator, flow: dict[str, Any], assertion: dict[str, str], reason: str) -> None:
    error = emu.device_keys.approve(str(flow["user_code"]), TARGET, assertion)
    assert error is not None and reason in error.lower(), error
    record = _last_sign_in(emu)
    assert record["status"]["errorCode"] == 500121
    assert reason in record["status"]["failureReason"].lower()
    assert record["authenticationDetails"][0]["succeeded"] is False
    assert [p["user_code"] for p in emu.pending_device_codes()] == [flow["user_code"]]
    assert poll(emu, flow)[1]["error"] == "authorization_pending"


def test_a_tampered_signature_is_refused(keyed: tuple[Emulator, SoftKey]) -> None:
    emu, key = keyed
    flow = start_device_flow(emu, login_hint=TARGET)
    assertion = _sign(key, emu.key_assertion_options(str(flow["user_code"]), TARGET))
    raw = bytearray(pk.unb64url(assertion["authenticatorData"]))
    raw[-1] ^= 1  # the counter's last byte: the signature no longer covers these bytes
    _refused(emu, flow, {**assertion, "authenticatorData": pk.b64url(bytes(raw))}, "signature")


def test_a_used_challenge_cannot_be_replayed(keyed: tuple[Emulator, SoftKey]) -> None:
    emu, key = keyed
    flow = start_device_flow(emu, login_hint=TARGET)
    assertion = _sign(key, emu.key_assertion_options(str(flow["user_code"]), TARGET))
    assert emu.approve_device_code_with_key(str(flow["user_code"]), TARGET, assertion)
    poll(emu, flow)
    second = start_device_flow(emu, login_hint=TARGET)
    _refused(emu, second, assertion, "already used")


def test_a_cloned_key_counter_is_refused(keyed: tuple[Emulator, SoftKey]) -> None:
    emu, key = keyed
    flow = start_device_flow(emu, login_hint=TARGET)
    options = emu.key_assertion_options(str(flow["user_code"]), TARGET)
    assert emu.approve_device_code_with_key(str(flow["user_code"]), TARGET, _sign(key, options))
    key.counter = 0  # a copy of the key that never saw that sign-in
    again = start_device_flow(emu, login_hint=TARGET)
    options = emu.key_assertion_options(str(again["user_code"]), TARGET)
    _refused(emu, again, _sign(key, options), "sign counter did not increase")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("rp", "another relying party"),
        ("uv", "did not verify its pin"),
        ("origin", "names origin"),
        ("create", "not 'webauthn.get'"),
        ("expired", "challenge expired"),
    ],
)
def test_each_check_refuses_in_one_sentence(
    keyed: tuple[Emulator, SoftKey], change: str, reason: str
) -> None:
    emu, key = keyed
    flow = start_device_flow(emu, login_hint=TARGET)
    if change == "expired":
        emu.state.settings.passkey_challenge_seconds = 0
    options = emu.key_assertion_options(str(flow["user_code"]), TARGET)
    key.rp_id_override = "evil.example" if change == "rp" else None
    key.user_verified = change != "uv"
    origin = "https://evil.example" if change == "origin" else pk.ORIGIN
    assertion = _sign(key, options, origin=origin, kind="create" if change == "create" else "get")
    _refused(emu, flow, assertion, reason)


def test_a_key_of_another_account_is_refused(
    keyed: tuple[Emulator, SoftKey], graph_as: GraphAs
) -> None:
    emu, _ = keyed
    stranger = SoftKey(pin=PIN)
    _register(graph_as(emu, "admin"), stranger, OTHER)
    flow = start_device_flow(emu, login_hint=TARGET)
    options = pka.AssertionOptions.from_json(
        emu.key_assertion_options(str(flow["user_code"]), TARGET)
    )
    client_data = pka.client_data_get(options.challenge)
    got = stranger.sign(pk.RP_ID, hashlib.sha256(client_data).digest(), [*stranger.credentials],
                        lambda: None)  # fmt: skip
    assertion = pka.Assertion(got.credential_id, client_data, got.auth_data, got.signature)
    _refused(emu, flow, assertion.to_json(), "not registered on the account")


def test_options_are_refused_with_a_reason(fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    flow = start_device_flow(emu, login_hint=TARGET)
    with pytest.raises(KeySignInRefused, match="has no security key registered"):
        emu.key_assertion_options(str(flow["user_code"]), TARGET)
    with pytest.raises(KeySignInRefused, match=f"This sign-in is for {TARGET}"):
        emu.key_assertion_options(str(flow["user_code"]), OTHER)
    with pytest.raises(KeySignInRefused, match="not valid or has expired"):
        emu.key_assertion_options("NOPE-NOPE", TARGET)
    emu.state.auth_method_configs["fido2"]["state"] = "disabled"
    with pytest.raises(KeySignInRefused, match="FIDO2\\) method is disabled"):
        emu.key_assertion_options(str(flow["user_code"]), TARGET)
    response = session_for(emu).post(
        f"{emu.base_url}/_emulator/device/approve-key",
        json={"user_code": flow["user_code"], "username": TARGET},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Sign-in failed: the assertion has no credentialId."


def test_key_sign_in_on_the_interactive_page(keyed: tuple[Emulator, SoftKey]) -> None:
    """The /authorize page's security key path: options and assertion over the JSON API with
    the page's context id, then ``step=continue``; the code redeems to fido+mfa tokens."""
    emu, key = keyed
    session = session_for(emu)
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": emu.public_client_id,
        "response_type": "code",
        "redirect_uri": "http://localhost:5000",
        "scope": "User.Read",
        "state": "s",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "login_hint": TARGET,
    }
    authorize = f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/authorize"
    page = session.get(authorize, params=params)
    ctx = page.text.split('name="ctx" value="', 1)[1].split('"', 1)[0]
    asked = {"user_code": ctx, "username": TARGET}
    options = session.post(f"{emu.base_url}/_emulator/authorize/assertion-options", json=asked)
    assert options.status_code == 200, options.text
    approved = session.post(
        f"{emu.base_url}/_emulator/authorize/approve-key",
        json={**asked, **_sign(key, options.json())},
    )
    assert approved.status_code == 200, approved.text
    reply = session.post(authorize, data={"ctx": ctx, "step": "continue"}, allow_redirects=False)
    assert reply.status_code == 302, reply.text  # consented tenant: straight back to the app
    code = reply.headers["Location"].split("code=", 1)[1].split("&", 1)[0]
    tokens = session.post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": emu.public_client_id,
            "code": code,
            "redirect_uri": "http://localhost:5000",
            "code_verifier": verifier,
        },
    ).json()
    assert _claims(str(tokens["access_token"]))["amr"] == ["fido", "mfa"]
