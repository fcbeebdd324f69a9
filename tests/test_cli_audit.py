"""``bgwizard audit`` as a pipeline runs it: a subprocess against an emulator started here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "services"))
from audit_support import (
    AUDIT_CLIENT_ID,
    AUDIT_SECRET,
    BG,
    FIXTURES,
    ROOT,
    SAMPLE,
    audit_profile,
    bg_tenant,
    drilled,
    exclude_directly,
    write_tenant,
)
from consented import consented

from bgwizard.emulator import Emulator
from bgwizard.profile.store import TomlProfileStore

SECRET_VAR = "BGW_TEST_AUDIT_SECRET"
WEAK_APP = "0f0f0f0f-0000-4000-8000-00000000000f"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bgwizard audit`` with ``args``."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bgwizard", "audit", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def _weak_app(tenant: dict[str, Any]) -> None:
    tenant["apps"].append(
        {
            "appId": WEAK_APP,
            "displayName": "auditor without Policy.Read.All",
            "publicClient": False,
            "secret": "Weak-Secret-2026",
            "applicationPermissions": [
                p for p in tenant["apps"][1]["applicationPermissions"] if p != "Policy.Read.All"
            ],
        }
    )


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Iterator[tuple[Emulator, Path]]:
    """An emulator on the j0eyv sample tenant with two break glass accounts, and a profile."""
    with consented(
        Emulator(tenant_file=write_tenant(tmp_path, bg_tenant(_weak_app)), state_dir=tmp_path / "e")
    ) as emu:
        profile = tmp_path / "profile.toml"
        TomlProfileStore(profile).save(drilled(audit_profile(emu), tmp_path))
        yield emu, profile


def app_args(profile: Path, *extra: str) -> list[str]:
    return [
        "--profile",
        str(profile),
        "--client-id",
        AUDIT_CLIENT_ID,
        "--secret-env",
        SECRET_VAR,
        *extra,
    ]


def test_json_report_of_the_j0eyv_tenant_exits_1_and_lists_each_gap(
    tenant_dir: tuple[Emulator, Path],
) -> None:
    _, profile = tenant_dir
    done = cli(*app_args(profile, "--format", "json"), env={SECRET_VAR: AUDIT_SECRET})
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["result"] == "fail"
    gaps = [f for f in data["findings"] if f["rule"] == "ca.exclusion" and f["severity"] == "error"]
    assert sorted((f["account"], f["policy"]["displayName"][:5]) for f in gaps) == sorted(
        (a, p) for a in BG for p in ("CA006", "CA301")
    )
    for finding in data["findings"]:
        assert {
            "rule",
            "severity",
            "account",
            "policy",
            "message",
            "evidence",
            "fix",
        } <= finding.keys()
    assert data["not_checked"] == []
    assert AUDIT_SECRET not in done.stdout + done.stderr


def test_text_report_by_certificate(tenant_dir: tuple[Emulator, Path]) -> None:
    _, profile = tenant_dir
    pem = ROOT / "bgwizard" / "data" / "sample_audit_app.pem"
    done = cli("--profile", str(profile), "--client-id", AUDIT_CLIENT_ID, "--certificate", str(pem))
    assert done.returncode == 1, done.stderr
    assert "FAIL: errors were found." in done.stdout
    assert "CA006-Global-DataProtection" in done.stdout


def test_permission_missing_exits_2_and_names_the_permission(
    tenant_dir: tuple[Emulator, Path],
) -> None:
    _, profile = tenant_dir
    args = [
        "--profile",
        str(profile),
        "--client-id",
        WEAK_APP,
        "--secret-env",
        SECRET_VAR,
        "--format",
        "json",
    ]
    done = cli(*args, env={SECRET_VAR: "Weak-Secret-2026"})
    assert done.returncode == 2, done.stderr
    data = json.loads(done.stdout)
    assert data["result"] == "incomplete"
    (policies,) = [n for n in data["not_checked"] if n["rule"] == "ca.read"]
    assert "Policy.Read.All" in policies["reason"]


def test_a_passing_tenant_exits_0(tmp_path: Path) -> None:
    tenant = write_tenant(tmp_path, bg_tenant(exclude_directly))
    with consented(Emulator(tenant_file=tenant, state_dir=tmp_path / "e")) as emu:
        profile = tmp_path / "profile.toml"
        TomlProfileStore(profile).save(drilled(audit_profile(emu), tmp_path))
        done = cli(*app_args(profile), env={SECRET_VAR: AUDIT_SECRET})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS" in done.stdout.splitlines()[2]


def test_a_wrong_secret_is_one_sentence_and_exit_2(tenant_dir: tuple[Emulator, Path]) -> None:
    _, profile = tenant_dir
    done = cli(*app_args(profile), env={SECRET_VAR: "not-the-secret"})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("bgwizard audit: ")
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = cli(*app_args(profile, "--format", "json"), env={SECRET_VAR: "not-the-secret"})
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert data["result"] == "incomplete"
    assert data["not_checked"][0]["reason"] == done.stderr.removeprefix("bgwizard audit: ").strip()


def test_missing_secret_variable_and_bad_arguments(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    TomlProfileStore(profile).save(audit_profile_stub())
    done = cli(*app_args(profile), env={SECRET_VAR: ""})
    assert done.returncode == 2
    assert f"{SECRET_VAR} holds no client secret" in done.stderr
    done = cli("--profile", str(profile), "--client-id", AUDIT_CLIENT_ID)
    assert done.returncode == 2
    assert "--client-id needs --certificate PEM, --secret-env VAR or --federated" in done.stderr
    done = cli("--profile", str(tmp_path / "absent.toml"))
    assert done.returncode == 2
    assert "No profile at" in done.stderr


def audit_profile_stub() -> Any:
    from bgwizard.profile.model import Profile

    return Profile(tenant_id="c0a8e5b2-4d1f-4e7a-9b3c-5f2d8a6e1b74")


# -- offline -----------------------------------------------------------------------------


def test_offline_alexfilipin_without_groups_names_the_placeholder_group() -> None:
    folder = FIXTURES / "AlexFilipin-ConditionalAccess"
    done = cli("--policies", str(folder), "--accounts", ",".join(BG), "--format", "json")
    assert done.returncode == 0, done.stderr  # every policy is report-only: warnings only
    data = json.loads(done.stdout)
    assert data["offline"] is True
    assert data["summary"]["policies"] == 59
    unresolved = [f for f in data["findings"] if "cannot be resolved offline" in f["message"]]
    assert any("<EmergencyAccessAccountsGroup>" in f["message"] for f in unresolved)


def test_offline_alexfilipin_with_groups_resolves_them(tmp_path: Path) -> None:
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({"<EmergencyAccessAccountsGroup>": list(BG)}), encoding="utf-8")
    folder = FIXTURES / "AlexFilipin-ConditionalAccess"
    args = ["--policies", str(folder), "--accounts", ",".join(BG), "--groups", str(groups)]
    done = cli(*args, "--format", "json")
    data = json.loads(done.stdout)
    infos = [f for f in data["findings"] if f["severity"] == "info" and f["rule"] == "ca.exclusion"]
    # 600 is report-only without the exclusion: info (it enforces nothing today); 110, the
    # dedicated "Require Strong Auth For BreakGlassAccounts" policy, passes.
    assert {f["policy"]["displayName"][:3] for f in infos} == {"600"}
    passed = [f for f in data["passed"] if f["rule"] == "ca.exclusion" and f.get("policy")]
    assert "110" in {f["policy"]["displayName"][:3] for f in passed}
    indirect = [
        f
        for f in data["findings"]
        if "through group <EmergencyAccessAccountsGroup>" in f["message"]
    ]
    assert len(indirect) == 46 * 2


def test_offline_j0eyv_uses_the_migration_table_for_group_names(tmp_path: Path) -> None:
    folder = FIXTURES / "j0eyv-ConditionalAccessBaseline"
    done = cli("--policies", str(folder), "--accounts", ",".join(BG))
    assert done.returncode == 0, done.stderr
    assert "CA-BreakGlassAccounts - Exclude (2802b872-ccfb-4b29-a9a9-459808dfb11b)" in done.stdout


def test_offline_with_a_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    done = cli("--policies", str(tmp_path / "nope"), "--accounts", BG[0])
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"bgwizard audit: The policy folder {tmp_path / 'nope'} does not exist."
    )


def test_admin_device_code_sign_in_prints_the_prompt_on_stderr(
    tenant_dir: tuple[Emulator, Path],
) -> None:
    emu, profile = tenant_dir
    admin = next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("admin@"))
    process = subprocess.Popen(
        [sys.executable, "-m", "bgwizard", "audit", "--profile", str(profile), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        pending = emu.wait_for_device_code(timeout=60)
        assert emu.approve_device_code(
            pending["user_code"], admin["userPrincipalName"], admin["password"]
        )
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 1, err
    assert pending["user_code"] in err
    assert json.loads(out)["result"] == "fail"


def test_offline_takes_the_accounts_from_the_profile(tmp_path: Path) -> None:
    from bgwizard.profile.model import BreakGlassAccount, Profile

    profile = tmp_path / "p.toml"
    accounts = [
        BreakGlassAccount(upn=f"k{n}@x.onmicrosoft.com", object_id=o) for n, o in enumerate(BG)
    ]
    TomlProfileStore(profile).save(Profile(tenant_id="t", accounts=accounts))
    folder = FIXTURES / "cisagov-ScubaGear" / "Sample-Reports"
    done = cli("--profile", str(profile), "--policies", str(folder), "--format", "json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert {f["account"] for f in data["findings"] if f["rule"] == "ca.exclusion"} == set(BG)
    assert data["summary"]["errors"] == 14  # 7 enabled policies x 2 accounts
