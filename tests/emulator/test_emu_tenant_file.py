"""Tenant files: the bundled sample, validation errors, and the reproducible CA import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from consented import consented

from bgwizard.emulator import Emulator
from bgwizard.emulator.errors import TenantFileError
from bgwizard.emulator.tenant.csdl import load_schema
from bgwizard.emulator.tenant.file import bundled_sample, load_tenant
from bgwizard.emulator.tenant.import_fixtures import read_export_json, rebuild

ROOT = Path(__file__).parent.parent
J0EYV = ROOT / "fixtures" / "ca-policies" / "j0eyv-ConditionalAccessBaseline"


def minimal() -> dict[str, Any]:
    return {
        "tenant": {
            "id": "t1",
            "displayName": "T",
            "domains": [{"id": "t.onmicrosoft.com", "isInitial": True}],
        },
        "users": [{"userPrincipalName": "a@t.onmicrosoft.com", "displayName": "A"}],
    }


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "tenant.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_sample_tenant_is_a_believable_starting_point() -> None:
    state = load_tenant()
    assert state.display_name == "Contoso Logistics"
    assert state.initial_domain == "contosologistics.onmicrosoft.com"
    assert 10 <= len(state.users) <= 15
    assert any(u.get("onPremisesSyncEnabled") for u in state.users.values())
    assert not any("break" in u["displayName"].lower() for u in state.users.values())
    assert state.members["2802b872-ccfb-4b29-a9a9-459808dfb11b"] == []
    assert len(state.policies) == 36 and len(state.role_eligibilities) == 1
    assert all("@odata.type" not in json.dumps(p) for p in state.policies.values())
    assert not any(
        isinstance(v, str) and "Contoso-" in v for u in state.users.values() for v in u.values()
    ), "no clear passwords"


def test_start_writes_its_ca_and_keeps_the_state_dir(tmp_path: Path) -> None:
    # Its speed (target 0.3 s) is measured by bench/speed.py, not asserted here.
    with consented(Emulator(state_dir=tmp_path)) as emu:
        assert emu.ca_pem_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert emu.base_url.startswith("https://127.0.0.1:")
    assert emu.ca_pem_path.exists(), "a state dir given by the caller is kept"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("tenant"), "no 'tenant'"),
        (lambda d: d["tenant"].update(domains=[{"id": "x.com"}]), "isInitial"),
        (lambda d: d["users"].append(dict(d["users"][0])), "repeats userPrincipalName"),
        (
            lambda d: d.update(groups=[{"id": "g", "displayName": "G", "members": ["nobody"]}]),
            "unknown member",
        ),
        (
            lambda d: d.update(
                roleAssignments=[{"principalId": "a@t.onmicrosoft.com", "roleDefinitionId": "nope"}]
            ),
            "unknown role",
        ),
        (
            lambda d: d.update(
                apps=[{"appId": "a", "displayName": "A", "certificates": ["not pem"]}]
            ),
            "not a PEM",
        ),
        (lambda d: d.update(users={}), "must be a list"),
        (lambda d: d.update(groups=[{"id": "g", "displayName": "G"}] * 2), "repeats id"),
        (lambda d: d.update(conditionalAccessPolicies=[{"id": "p"}]), "no 'displayName'"),
        (
            lambda d: d.update(
                administrativeUnits=[{"id": "u", "displayName": "U", "members": ["nobody"]}]
            ),
            "unknown member",
        ),
    ],
)
def test_invalid_tenant_files_give_one_sentence(tmp_path: Path, mutate: Any, fragment: str) -> None:
    data = minimal()
    mutate(data)
    with pytest.raises(TenantFileError) as caught:
        load_tenant(write(tmp_path, data))
    message = str(caught.value)
    assert fragment in message and message.endswith(".") and "\n" not in message


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(TenantFileError, match=r"The tenant file .*missing\.json does not exist\."):
        load_tenant(tmp_path / "missing.json")
    with pytest.raises(TenantFileError, match="not valid JSON"):
        load_tenant(write(tmp_path, "{nope"))


def test_minimal_tenant_runs(tmp_path: Path) -> None:
    with consented(Emulator(write(tmp_path, minimal()), state_dir=tmp_path / "s")) as emu:
        assert emu.tenant_id == "t1"


def test_administrative_units_in_a_tenant_file(tmp_path: Path) -> None:
    data = minimal()
    data["administrativeUnits"] = [
        {
            "id": "u1",
            "displayName": "Restricted",
            "isMemberManagementRestricted": True,
            "members": ["a@t.onmicrosoft.com"],
        }
    ]
    state = load_tenant(write(tmp_path, data))
    user = state.find_user("a@t.onmicrosoft.com")
    assert user is not None and state.restricted_units(str(user["id"])) == ["u1"]
    assert state.admin_units["u1"]["displayName"] == "Restricted"


def test_export_reader_handles_both_boms() -> None:
    utf16 = (
        J0EYV / "ConditionalAccess" / "CA000-Global-IdentityProtection-AnyApp-AnyPlatform-MFA.json"
    )
    assert utf16.read_bytes()[:2] == b"\xff\xfe"
    assert read_export_json(utf16)["state"] == "enabled"
    utf8 = J0EYV / "MigrationTable.json"
    assert utf8.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert read_export_json(utf8)["Objects"]


def test_committed_sample_equals_a_fresh_import() -> None:
    committed = json.loads(bundled_sample().read_text(encoding="utf-8"))
    schema = load_schema(ROOT / "fixtures" / "graph_csdl" / "graph-v1.0-subset.xml")
    assert rebuild(committed, J0EYV, schema) == committed
