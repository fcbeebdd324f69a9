"""Creating a Conditional Access policy (POST, Graph's validation), the dedicated
phishing-resistant policy at sign-in, and the security defaults read.

Real HTTP against the emulator; sign-ins through the device code flow, approved with the
password or with the tests' software security key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from soft_authenticator import SoftKey

from bgwizard.emulator import Emulator
from emulator.support import GraphClient, upn
from emulator.test_emu_login import poll, start_device_flow
from emulator.test_key_signin import PIN, _claims, _register, _sign

GraphAs = Callable[..., GraphClient]
TARGET = upn("tom.becker")
POLICIES = "/identity/conditionalAccess/policies"
PHISHING_RESISTANT = "00000000-0000-0000-0000-000000000004"
CA_SCOPES = " ".join(
    f"https://graph.microsoft.com/{s}"
    for s in ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess", "User.Read.All")
)


def _policy(user_id: str, state: str = "enabledForReportingButNotEnforced") -> dict[str, Any]:
    return {
        "displayName": "BG - require phishing-resistant MFA",
        "state": state,
        "conditions": {
            "users": {"includeUsers": [user_id]},
            "applications": {"includeApplications": ["All"]},
            "clientAppTypes": ["all"],
        },
        "grantControls": {
            "operator": "OR",
            "authenticationStrength": {"id": PHISHING_RESISTANT},
        },
    }


def _tom(emu: Emulator) -> str:
    user = emu.state.find_user(TARGET)
    assert user is not None
    return str(user["id"])


@pytest.fixture
def admin(fresh_emulator: Emulator, graph_as: GraphAs) -> GraphClient:
    return graph_as(fresh_emulator, "admin", scope=CA_SCOPES)


def _break(body: dict[str, Any], change: str) -> dict[str, Any]:
    broken = copy.deepcopy(body)
    if change == "no-users":
        broken["conditions"]["users"] = {}
    elif change == "no-apps":
        del broken["conditions"]["applications"]
    elif change == "no-controls":
        del broken["grantControls"]
    elif change == "unknown-strength":
        broken["grantControls"]["authenticationStrength"]["id"] = "not-a-strength"
    elif change == "mfa-and-strength":
        broken["grantControls"]["builtInControls"] = ["mfa"]
    elif change == "bad-state":
        broken["state"] = "on"
    return broken


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("no-users", "user rule"),
        ("no-apps", "application rule"),
        ("no-controls", "grant or session control"),
        ("unknown-strength", "not-a-strength"),
        ("mfa-and-strength", "can't be combined"),
        ("bad-state", "'on'"),
    ],
)
def test_create_refuses_an_invalid_policy(
    fresh_emulator: Emulator, admin: GraphClient, change: str, said: str
) -> None:
    before = set(fresh_emulator.state.policies)
    status, body = admin.post(POLICIES, _break(_policy(_tom(fresh_emulator)), change))
    assert status == 400, body
    assert said in body["error"]["message"]
    assert set(fresh_emulator.state.policies) == before


def test_create_needs_the_write_permission(fresh_emulator: Emulator, graph_as: GraphAs) -> None:
    reader = graph_as(fresh_emulator, "admin", scope="https://graph.microsoft.com/Policy.Read.All")
    status, body = reader.post(POLICIES, _policy(_tom(fresh_emulator)))
    assert status == 403 and "Policy.ReadWrite.ConditionalAccess" in body["error"]["message"]


def _sign_in_with_password(emu: Emulator) -> tuple[int, dict[str, object]]:
    flow = start_device_flow(emu, login_hint=TARGET)
    assert emu.approve_device_code(str(flow["user_code"]), TARGET, "Contoso-User-2026")
    return poll(emu, flow)


def _sign_in_with_key(emu: Emulator, key: SoftKey) -> tuple[int, dict[str, object]]:
    flow = start_device_flow(emu, login_hint=TARGET)
    options = emu.key_assertion_options(str(flow["user_code"]), TARGET)
    assert emu.approve_device_code_with_key(str(flow["user_code"]), TARGET, _sign(key, options))
    return poll(emu, flow)


def test_the_dedicated_policy_blocks_passwords_only_once_enabled(
    fresh_emulator: Emulator, admin: GraphClient, graph_as: GraphAs
) -> None:
    emu = fresh_emulator
    key = SoftKey(pin=PIN)
    _register(graph_as(emu, "admin"), key)
    for policy in emu.state.policies.values():  # only the new policy is looked at
        policy["state"] = "disabled"
    emu.state.settings.ca_at_sign_in = True

    status, created = admin.post(POLICIES, _policy(_tom(emu)))
    assert status == 201, created
    assert created["state"] == "enabledForReportingButNotEnforced"
    strength = created["grantControls"]["authenticationStrength"]
    assert strength["id"] == PHISHING_RESISTANT and "fido2" in strength["allowedCombinations"]
    assert admin.ok(f"{POLICIES}/{created['id']}")["displayName"] == created["displayName"]

    status, tokens = _sign_in_with_password(emu)
    assert status == 200, tokens  # report-only never blocks

    assert admin.patch(f"{POLICIES}/{created['id']}", {"state": "enabled"})[0] == 204
    flow = start_device_flow(emu, login_hint=TARGET)
    assert not emu.approve_device_code(str(flow["user_code"]), TARGET, "Contoso-User-2026")
    status, refused = poll(emu, flow)
    assert status == 400 and "AADSTS50076" in str(refused["error_description"])
    assert created["displayName"] in str(refused["error_description"])

    status, tokens = _sign_in_with_key(emu, key)
    assert status == 200, tokens
    assert "fido" in _claims(str(tokens["access_token"]))["amr"]


def test_security_defaults_read(fresh_emulator: Emulator, admin: GraphClient) -> None:
    path = "/policies/identitySecurityDefaultsEnforcementPolicy"
    assert admin.ok(path)["isEnabled"] is False  # the sample tenant: off
    fresh_emulator.state.security_defaults = True
    assert admin.ok(path)["isEnabled"] is True


def test_create_needs_a_conditional_access_role(
    fresh_emulator: Emulator, graph_as: GraphAs
) -> None:
    """The create row names no roles; PATCH's (Security or Conditional Access Administrator,
    and Global Administrator) apply (``BORROWED``)."""
    user = graph_as(fresh_emulator, "aisha.rahman", scope=CA_SCOPES)
    before = set(fresh_emulator.state.policies)
    status, body = user.post(POLICIES, _policy(_tom(fresh_emulator)))
    assert status == 403, body
    assert "Conditional Access Administrator" in body["error"]["message"]
    assert set(fresh_emulator.state.policies) == before
