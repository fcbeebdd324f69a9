"""The emulator's passkey endpoints: creationOptions, verified registration, the FIDO2 policy."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from soft_authenticator import SoftKey

from bgwizard.emulator import Emulator
from bgwizard.passkeys import webauthn as pk
from bgwizard.secret import Secret
from emulator.support import GraphClient, upn

GraphAs = Callable[..., GraphClient]
TARGET = upn("tom.becker")
PIN = "48151623"


def _options(graph: GraphClient, who: str = TARGET, suffix: str = "()") -> dict[str, Any]:
    status, body = graph.get(f"/users/{who}/authentication/fido2Methods/creationOptions{suffix}")
    assert status == 200, body
    return dict(body)


def _body(key: SoftKey, options: dict[str, Any], origin: str = pk.ORIGIN) -> dict[str, Any]:
    parsed = pk.CreationOptions.from_graph(options)
    client_data = pk.client_data_json(parsed.challenge, origin)
    made = key.make_credential(
        hashlib.sha256(client_data).digest(), parsed, Secret(PIN), lambda: None
    )
    attestation = pk.attestation_object(made.fmt, made.auth_data, made.att_stmt)
    return {
        "displayName": "BG key 1",
        "publicKeyCredential": {
            "id": pk.b64url(made.credential_id),
            "response": {
                "clientDataJSON": pk.b64url(client_data),
                "attestationObject": pk.b64url(attestation),
            },
        },
    }


def _register(graph: GraphClient, key: SoftKey, **kw: Any) -> tuple[int, Any]:
    body = _body(key, _options(graph), **kw)
    return graph.post(f"/users/{TARGET}/authentication/fido2Methods", body)


def test_creation_options_shape(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    body = _options(graph)
    key = body["publicKey"]
    assert key["rp"]["id"] == "login.microsoft.com"
    assert key["user"]["name"] == TARGET
    assert len(pk.unb64url(key["challenge"])) == 32
    assert {p["alg"] for p in key["pubKeyCredParams"]} == {-7, -257}
    assert key["authenticatorSelection"]["userVerification"] == "required"
    assert key["timeout"] == 300_000
    assert body["challengeTimeoutDateTime"].endswith("Z")
    assert _options(graph, suffix="")["publicKey"]["challenge"] != key["challenge"]
    # v1.0 has no challengeTimeoutInMinutes (beta only): the challenge always lasts 5 minutes.
    status, refused = graph.get(
        f"/users/{TARGET}/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=10)"
    )
    assert status == 400 and "challengeTimeoutInMinutes" in refused["error"]["message"]


def test_registration_is_verified_listed_and_audited(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    graph = graph_as(fresh_emulator, "admin")
    key = SoftKey(pin=PIN)
    status, body = _register(graph, key)
    assert status == 201, body
    assert body["aaGuid"] == key.aaguid
    assert body["attestationLevel"] == "notAttested"
    assert body["displayName"] == "BG key 1"
    methods = graph.ok(f"/users/{TARGET}/authentication/methods")["value"]
    fido = [m for m in methods if m["@odata.type"] == "#microsoft.graph.fido2AuthenticationMethod"]
    assert [m["id"] for m in fido] == [body["id"]]
    listed = graph.ok(f"/users/{TARGET}/authentication/fido2Methods")["value"]
    assert [m["aaGuid"] for m in listed] == [key.aaguid]
    audits = graph.ok("/auditLogs/directoryAudits")["value"]
    assert any(
        a["activityDisplayName"] == "Admin registered security info"
        and a["targetResources"][0]["userPrincipalName"] == TARGET
        for a in audits
    )
    again = _options(graph)["publicKey"]["excludeCredentials"]
    assert [c["id"] for c in again] == [pk.b64url(next(iter(key.credentials)))]


def test_expired_challenge_is_refused(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    fresh_emulator.state.settings.passkey_challenge_seconds = 0
    status, body = _register(graph, SoftKey(pin=PIN))
    assert status == 400
    message = body["error"]["message"]
    assert "the challenge expired at" in message
    assert "within 5 minutes" in message


def test_wrong_rp_id_is_refused(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    status, body = _register(graph, SoftKey(pin=PIN, rp_id_override="login.example.com"))
    assert status == 400
    assert body["error"]["message"] == (
        "The passkey registration was refused: the credential was made for another relying "
        "party, not login.microsoft.com."
    )


def test_wrong_origin_replay_and_missing_uv_are_refused(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    graph = graph_as(fresh_emulator, "admin")
    status, body = _register(graph, SoftKey(pin=PIN), origin="https://evil.example")
    assert status == 400 and "origin 'https://evil.example'" in body["error"]["message"]
    good = _body(SoftKey(pin=PIN), _options(graph))
    path = f"/users/{TARGET}/authentication/fido2Methods"
    assert graph.post(path, good)[0] == 201
    status, body = graph.post(path, good)
    assert status == 400 and "already used" in body["error"]["message"]
    status, body = _register(graph, SoftKey(pin=PIN, user_verified=False))
    assert status == 400 and "user verification" in body["error"]["message"]


def test_tampered_signature_is_refused(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    body = _body(SoftKey(pin=PIN), _options(graph))
    response = body["publicKeyCredential"]["response"]
    client = json.loads(pk.unb64url(response["clientDataJSON"]))
    client["crossOrigin"] = False  # same challenge, different bytes: the signature breaks
    response["clientDataJSON"] = pk.b64url(json.dumps(client).encode())
    status, answer = graph.post(f"/users/{TARGET}/authentication/fido2Methods", body)
    assert status == 400
    assert "packed attestation statement does not verify" in answer["error"]["message"]


@pytest.mark.parametrize(("fmt", "level"), [("none", "notAttested"), ("packed-x5c", "attested")])
def test_attestation_formats(
    fresh_emulator: Emulator, graph_as: GraphAs, fmt: str, level: str
) -> None:
    graph = graph_as(fresh_emulator, "admin")
    status, body = _register(graph, SoftKey(pin=PIN, fmt=fmt))
    assert status == 201, body
    assert body["attestationLevel"] == level
    assert len(body["attestationCertificates"]) == (1 if fmt == "packed-x5c" else 0)


def test_policy_served_and_enforced(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    policy = graph.ok(
        "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2"
    )
    assert policy["state"] == "enabled"
    config = fresh_emulator.state.auth_method_configs["fido2"]
    config["isAttestationEnforced"] = True
    status, body = _register(graph, SoftKey(pin=PIN, fmt="none"))
    assert status == 400 and "enforces attestation" in body["error"]["message"]
    config["isAttestationEnforced"] = False
    config["keyRestrictions"] = {"isEnforced": True, "enforcementType": "allow", "aaGuids": []}
    status, body = _register(graph, SoftKey(pin=PIN))
    assert status == 400 and "do not allow AAGUID" in body["error"]["message"]
    config["state"] = "disabled"
    status, body = graph.get(f"/users/{TARGET}/authentication/fido2Methods/creationOptions()")
    assert status == 400 and "disabled" in body["error"]["message"]


def test_permissions(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    nobody = graph_as(fresh_emulator, "tom.becker")
    status, body = nobody.get(
        f"/users/{upn('admin')}/authentication/fido2Methods/creationOptions()"
    )
    assert status == 403
    assert body["error"]["code"] == "Authorization_RequestDenied"
    status, _ = nobody.get(
        "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2"
    )
    assert status == 403


def test_malformed_bodies(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    graph = graph_as(fresh_emulator, "admin")
    path = f"/users/{TARGET}/authentication/fido2Methods"
    assert graph.post(path, {"publicKeyCredential": {}})[0] == 400
    status, body = graph.post(
        path,
        {
            "displayName": "x",
            "publicKeyCredential": {
                "id": "AAAA",
                "response": {"clientDataJSON": "!!", "attestationObject": "AAAA"},
            },
        },
    )
    assert status == 400 and "base64url" in body["error"]["message"]
