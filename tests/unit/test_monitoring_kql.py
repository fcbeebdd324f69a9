"""Every generated query parses and analyses cleanly with Microsoft's own Kusto parser.

The parser is ``@kusto/language-service-next`` from npm, run under Node.js by
``tests/kql/check.js`` with SigninLogs, AADNonInteractiveUserSignInLogs and AuditLogs declared
with their documented columns
(``tests/kql/tables.json``). Install it with ``bash tests/kql/install.sh`` (the Makefile's test
target does). Missing Node.js or the package is a test **failure**, never a skip: a check
that could not run has not passed. All queries go to one node process (start-up ~1 s).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bgwizard.monitoring.defender import defender_signin_kql
from bgwizard.monitoring.rules import account_refs, build_rules, make_ref, watched
from bgwizard.profile.model import BreakGlassAccount

KQL_DIR = Path(__file__).resolve().parents[1] / "kql"
PINNED = (
    "@kusto/language-service-next@"
    + json.loads((KQL_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"][
        "@kusto/language-service-next"
    ]
)

ONE = [make_ref("bg-solo@fabrikam.onmicrosoft.com", "0d5f3c2a-1b2c-4d3e-8f40-5a6b7c8d9e0f")]
THREE = account_refs(
    [
        BreakGlassAccount(
            "o'brien.bg@fabrikam.onmicrosoft.com", "11111111-2222-4333-8444-555555555555"
        ),
        BreakGlassAccount("bg_2@fabrikam.onmicrosoft.com", "21111111-2222-4333-8444-555555555555"),
        BreakGlassAccount("bg-3@fabrikam.onmicrosoft.com", "31111111-2222-4333-8444-555555555555"),
    ]
)
#: Queries the checker must reject (each proves a class of mistake is caught).
BROKEN = {
    "syntax-error": "SigninLogs | where UserId in (",
    "unknown-column": 'SigninLogs | where UserObjectId == "x"',
    "unknown-table": "SignInLog | take 1",
    "wrong-column-on-audit": 'AuditLogs | where UserPrincipalName == "x"',
    # RiskLevel is a SigninLogs column the non-interactive table does not have.
    "wrong-column-on-noninteractive": 'AADNonInteractiveUserSignInLogs | where RiskLevel == "x"',
    "non-interactive-misspelt": "AADNonInteractiveUserSigninLog | take 1",
    # Defender's table names the user AccountObjectId, not UserId.
    "log-analytics-column-in-defender": 'AADSignInEventsBeta | where UserId == "x"',
}
GROUP = "5b1e3f0c-9d2a-4c7b-8e6f-1a2b3c4d5e6f"
RMAU = "8d0c2b1a-3e4f-4a5b-9c6d-7e8f9a0b1c2d"


def generated() -> dict[str, str]:
    queries: dict[str, str] = {}
    for label, refs, group, rmau in (
        ("one", ONE, "", ""),
        ("three", THREE, "", ""),
        ("one+group+rmau", ONE, GROUP, RMAU),
    ):
        for rule in build_rules(refs, exclusion_group_id=group, rmau_id=rmau):
            queries[f"{label}/{rule.key}"] = rule.kql
        target = watched(refs, exclusion_group_id=group, rmau_id=rmau)
        queries[f"{label}/defender-xdr-signin"] = defender_signin_kql(target)
    return queries


def test_the_checker_knows_every_table_the_rules_read() -> None:
    declared = set(json.loads((KQL_DIR / "tables.json").read_text(encoding="utf-8"))["tables"])
    used = {t for rule in build_rules(ONE) for t in rule.tables}
    assert used == {"SigninLogs", "AADNonInteractiveUserSignInLogs", "AuditLogs"} <= declared


def run_checker(queries: dict[str, str]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: the KQL check cannot run (see tests/kql/).")
    if not (KQL_DIR / "node_modules" / "@kusto" / "language-service-next").is_dir():
        pytest.fail("The Kusto parser is not installed: run `bash tests/kql/install.sh`.")
    payload = {"queries": [{"name": k, "text": v} for k, v in queries.items()]}
    proc = subprocess.run(
        [node, str(KQL_DIR / "check.js")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"tests/kql/check.js failed ({proc.returncode}): {proc.stderr.strip()}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def checked() -> dict[str, Any]:
    """One node run for every generated and every deliberately broken query."""
    queries = {**generated(), **{f"broken/{k}": v for k, v in BROKEN.items()}}
    result = run_checker(queries)
    by_name = {r["name"]: r["diagnostics"] for r in result["results"]}
    assert set(by_name) == set(queries), "the checker skipped some queries"
    return {"parser": result["parser"], "diagnostics": by_name}


def test_the_checker_is_the_pinned_microsoft_parser(checked: dict[str, Any]) -> None:
    assert checked["parser"] == PINNED


@pytest.mark.parametrize("name", sorted(generated()))
def test_generated_query_has_zero_diagnostics(checked: dict[str, Any], name: str) -> None:
    assert checked["diagnostics"][name] == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_query_fails_the_checker(checked: dict[str, Any], name: str) -> None:
    diagnostics = checked["diagnostics"][f"broken/{name}"]
    assert diagnostics, f"{name} should have been rejected"
    assert all(d["severity"] == "Error" and d["message"] for d in diagnostics)


def test_unknown_column_is_named_in_the_diagnostic(checked: dict[str, Any]) -> None:
    messages = [d["message"] for d in checked["diagnostics"]["broken/unknown-column"]]
    assert any("UserObjectId" in m for m in messages)
