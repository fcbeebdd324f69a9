"""``bgwizard audit`` as pipelines run it: federated sign-in, CI formats, ``--tenants``.

Subprocesses against emulators started here, as in ``test_cli_audit.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from defusedxml import ElementTree

sys.path.insert(0, str(Path(__file__).parent / "services"))
from audit_support import (
    AUDIT_CLIENT_ID,
    AUDIT_SECRET,
    ROOT,
    audit_profile,
    bg_tenant,
    drilled,
    exclude_directly,
    write_tenant,
)

from bgwizard.audit.tenants import parse_tenants
from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.federation import FederatedCredential
from bgwizard.errors import TenantsFileError
from bgwizard.profile.store import TomlProfileStore

SUBJECT = "repo:contoso/bg-audit:ref:refs/heads/main"
SECRET_VAR = "BGW_TEST_FLEET_SECRET"
SCHEMA = json.loads((ROOT / "tests/fixtures/sarif/sarif-schema-2.1.0.json").read_text())
CLEAN_ENV = {
    k: v for k, v in os.environ.items() if not k.startswith(("AZURE_FEDERATED", "ACTIONS_ID_TOKEN"))
}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bgwizard audit`` with ``args``."""
    return subprocess.run(
        [sys.executable, "-m", "bgwizard", "audit", *args],
        capture_output=True,
        text=True,
        env={**CLEAN_ENV, **(env or {})},
        timeout=180,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture
def passing(tmp_path: Path) -> Iterator[tuple[Emulator, Path]]:
    """A tenant that passes, whose audit app trusts the ``gh`` issuer; and its profile."""
    folder = tmp_path / "passing"
    folder.mkdir()
    tenant = write_tenant(folder, bg_tenant(exclude_directly))
    with Emulator(tenant_file=tenant, state_dir=folder / "e") as emu:
        emu.state.apps[AUDIT_CLIENT_ID].federated_credentials = [
            FederatedCredential(
                "gh", emu.pipeline.issuer("gh"), SUBJECT, ("api://AzureADTokenExchange",)
            )
        ]
        profile = folder / "profile.toml"
        TomlProfileStore(profile).save(drilled(audit_profile(emu), folder))
        yield emu, profile


def _federated(profile: Path, *extra: str) -> list[str]:
    return ["--profile", str(profile), "--client-id", AUDIT_CLIENT_ID, "--federated", *extra]


def test_federated_token_file_audits_and_writes_sarif_beside_the_text_summary(
    passing: tuple[Emulator, Path], tmp_path: Path
) -> None:
    emu, profile = passing
    token = tmp_path / "token"
    token.write_text(emu.pipeline.mint("gh", SUBJECT), encoding="ascii")
    sarif = tmp_path / "bgwizard.sarif"
    done = cli(
        *_federated(profile, "--format", "sarif", "--output", str(sarif)),
        env={"AZURE_FEDERATED_TOKEN_FILE": str(token)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS: every check ran and found no error." in done.stdout
    data = json.loads(sarif.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["runs"][0]["invocations"][0]["executionSuccessful"] is True
    results = data["runs"][0]["results"]
    assert [r for r in results if r["level"] in ("error", "warning")] == []  # notes: info only


def test_github_actions_token_request_audits_as_markdown(
    passing: tuple[Emulator, Path],
) -> None:
    emu, profile = passing
    url, request_token = emu.pipeline.actions_request("gh", SUBJECT)
    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": request_token}
    done = cli(*_federated(profile, "--format", "markdown"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("## bgwizard audit: ✅ pass"), done.stdout


@pytest.mark.parametrize(
    ("token", "sentence"),
    [
        (None, "token file {path} does not exist."),
        ("expired", "expired at "),
        ("audience", "is for audience 'api://Elsewhere', not 'api://AzureADTokenExchange'."),
        ("subject", "no federated credential on the app matches the pipeline token's subject"),
    ],
)
def test_federated_token_problems_are_one_sentence_and_exit_2(
    passing: tuple[Emulator, Path], tmp_path: Path, token: str | None, sentence: str
) -> None:
    emu, profile = passing
    path = tmp_path / "token"
    minted = {
        "expired": lambda: emu.pipeline.mint("gh", SUBJECT, lifetime=-120),
        "audience": lambda: emu.pipeline.mint("gh", SUBJECT, "api://Elsewhere"),
        "subject": lambda: emu.pipeline.mint("gh", "repo:someone/else:ref:refs/heads/main"),
    }
    if token is not None:
        path.write_text(minted[token](), encoding="ascii")
    junit = tmp_path / "junit.xml"
    done = cli(
        *_federated(profile, "--format", "junit", "--output", str(junit)),
        env={"AZURE_FEDERATED_TOKEN_FILE": str(path)},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert sentence.format(path=path) in done.stderr
    error = ElementTree.fromstring(junit.read_bytes()).find("testsuite/testcase/error")
    assert error is not None and sentence.format(path=path)[:20] in (error.get("message") or "")


def test_tenants_file_one_unreachable_tenant_never_stops_the_others(
    passing: tuple[Emulator, Path], tmp_path: Path
) -> None:
    emu, profile = passing
    token = tmp_path / "token"
    token.write_text(emu.pipeline.mint("gh", SUBJECT), encoding="ascii")
    failing_dir = tmp_path / "failing"
    failing_dir.mkdir()
    with Emulator(
        tenant_file=write_tenant(failing_dir, bg_tenant()), state_dir=failing_dir / "e"
    ) as other:
        tenants = tmp_path / "tenants.toml"
        tenants.write_text(
            f"""
concurrency = 2

[defaults]
client_id = "{AUDIT_CLIENT_ID}"

[[tenant]]
name = "Passing (federated)"
credential = "federated"
token_file = "token"
profile = "{profile}"

[[tenant]]
name = "Gaps (secret)"
tenant_id = "{other.tenant_id}"
credential = "secret"
secret_env = "{SECRET_VAR}"
accounts = ["b6000001-0000-4000-8000-000000000001", "b6000002-0000-4000-8000-000000000002"]
authority = "{other.base_url}"
graph_url = "{other.graph_url}"
ca_bundle = "{other.ca_pem_path}"

[[tenant]]
name = "Unreachable"
tenant_id = "{emu.tenant_id}"
credential = "secret"
secret_env = "{SECRET_VAR}"
accounts = ["b6000001-0000-4000-8000-000000000001"]
authority = "https://127.0.0.1:9"
graph_url = "https://127.0.0.1:9/v1.0"
ca_bundle = "{emu.ca_pem_path}"
""",
            encoding="utf-8",
        )
        env = {SECRET_VAR: AUDIT_SECRET}
        done = cli("--tenants", str(tenants), "--format", "json", env=env)
        junit = tmp_path / "junit.xml"
        text = cli("--tenants", str(tenants), "--format", "junit", "--output", str(junit), env=env)
    assert done.returncode == 1, done.stderr  # the worst: errors found in "Gaps"
    data = json.loads(done.stdout)
    assert data["result"] == "fail"
    assert [(t["name"], t["exitCode"]) for t in data["tenants"]] == [
        ("Passing (federated)", 0),
        ("Gaps (secret)", 1),
        ("Unreachable", 2),
    ]
    (reason,) = data["tenants"][2]["report"]["not_checked"]
    assert reason["reason"] == "Could not reach the sign-in service at 127.0.0.1:9."
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert lines[0] == "bgwizard audit of 3 tenants: FAIL"
    assert any(line.startswith("Unreachable") and "incomplete" in line for line in lines)
    assert "- Unreachable: Could not reach the sign-in service at 127.0.0.1:9." in lines
    suites = ElementTree.fromstring(junit.read_bytes()).findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "Passing (federated)",
        "Gaps (secret)",
        "Unreachable",
    ]
    assert suites[0].get("failures") == "0" and int(suites[1].get("failures", "0")) > 0
    assert suites[2].get("errors") == "1"
    assert AUDIT_SECRET not in done.stdout + done.stderr + text.stdout + text.stderr


def test_only_unreachable_and_passing_tenants_exit_2(
    passing: tuple[Emulator, Path], tmp_path: Path
) -> None:
    emu, profile = passing
    tenants = tmp_path / "tenants.toml"
    tenants.write_text(
        f"""
[[tenant]]
client_id = "{AUDIT_CLIENT_ID}"
credential = "secret"
secret_env = "{SECRET_VAR}"
profile = "{profile}"

[[tenant]]
client_id = "{AUDIT_CLIENT_ID}"
credential = "secret"
secret_env = "{SECRET_VAR}"
tenant_id = "{emu.tenant_id}"
accounts = ["b6000001-0000-4000-8000-000000000001"]
authority = "https://127.0.0.1:9"
""",
        encoding="utf-8",
    )
    done = cli("--tenants", str(tenants), "--concurrency", "1", env={SECRET_VAR: AUDIT_SECRET})
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout.startswith("bgwizard audit of 2 tenants: INCOMPLETE")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[tenant]]\nclient_id = 1\n", "line 2: tenant 1: client_id must be a non-empty string"),
        (
            '[[tenant]]\nclient_id = "a"\ncredential = "password"\n',
            "line 3: tenant 1: credential must be one of certificate, secret, federated",
        ),
        (
            '[defaults]\nclient_id = "a"\ncredential = "federated"\n\n[[tenant]]\n'
            'tenant_id = "c0a8e5b2-4d1f-4e7a-9b3c-5f2d8a6e1b74"\naccounts = ["x"]\n',
            "line 7: tenant 1: accounts: 'x' is not an object id",
        ),
        (
            '[[tenant]]\nclient_id = "a"\ncredential = "secret"\naccounts = []\n',
            "line 1: tenant 1: credential 'secret' needs secret_env",
        ),
        (
            '[[tenant]]\nclient_id = "a"\ncolour = "blue"\n',
            "line 3: tenant 1: unknown key 'colour'",
        ),
        ("concurrency = 0\n", "line 1: concurrency must be a whole number"),
        ("tenant = [\n", "not valid TOML"),
        ("", "no tenants"),
    ],
)
def test_tenants_file_errors_name_the_line_and_key(text: str, message: str) -> None:
    with pytest.raises(TenantsFileError) as caught:
        parse_tenants(text, Path("tenants.toml"))
    assert message in str(caught.value)
    assert str(caught.value).startswith("tenants.toml")


def test_tenants_file_error_from_the_command_line(tmp_path: Path) -> None:
    tenants = tmp_path / "t.toml"
    tenants.write_text('[[tenant]]\nclient_id = "a"\ncredential = "cert"\n', encoding="utf-8")
    done = cli("--tenants", str(tenants))
    assert done.returncode == 2
    assert done.stderr == (
        f"bgwizard audit: {tenants}, line 3: tenant 1: credential must be one of "
        "certificate, secret, federated, not 'cert'\n"
    )
    done = cli("--tenants", str(tenants), "--client-id", "x", "--secret-env", "Y")
    assert done.returncode == 2 and "--tenants FILE names each tenant's sign-in" in done.stderr


async def test_bounded_never_runs_more_than_the_bound_and_keeps_order() -> None:
    import asyncio

    from bgwizard.cli.audit_tenants import bounded

    running = peak = 0

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01 * (n % 3))
        running -= 1
        return n * 10

    assert await bounded(list(range(12)), work, 3) == [n * 10 for n in range(12)]
    assert peak == 3
