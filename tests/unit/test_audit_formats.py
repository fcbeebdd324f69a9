"""JUnit, SARIF and Markdown from the audit's JSON contract.

SARIF is validated against OASIS's SARIF 2.1.0 schema (``tests/fixtures/sarif``), JUnit is
parsed back and counted, Markdown is compared with a golden file (``tests/golden/audit``;
after a deliberate change run with ``BGWIZARD_UPDATE_GOLDEN=1`` and review the diff). A status
these writers do not know (``not_applicable`` from a newer bgwizard) is reported like a check
that did not run: it neither fails nor passes.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from audit_factory import IDS, account, policy, snapshot
from defusedxml import ElementTree

from bgwizard.audit.engine import run_audit
from bgwizard.audit.junit import to_junit
from bgwizard.audit.markdown import escape, to_markdown
from bgwizard.audit.model import Unread
from bgwizard.audit.outcomes import TenantResult, worst_result
from bgwizard.audit.render import failure_json, to_json_data
from bgwizard.audit.sarif import to_sarif, to_sarif_data

HERE = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((HERE / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
GOLDEN = HERE / "golden" / "audit"


def _documents() -> list[TenantResult]:
    """Contoso: one policy misses an account (errors), methods of kestrel2 unread (not
    checked), plus a ``not_applicable`` entry and an unknown severity from a newer bgwizard;
    Fabrikam: passes; Northwind: could not be reached."""
    failing = snapshot(
        accounts=(account(1), account(2, methods=Unread("Graph answered 403 (needs X)."))),
        policies=(policy(), policy("Block legacy | auth", pid="pol-legacy", exclude_users=())),
    )
    contoso = to_json_data(run_audit(failing))
    contoso["not_applicable"] = [
        {"rule": "pim.global_admin", "reason": "PIM needs Entra ID P2.", "account": IDS[0]}
    ]
    contoso["findings"].append(
        {"rule": "future.rule", "severity": "advisory", "account": None, "message": "New."}
    )
    fabrikam = to_json_data(run_audit(snapshot(tenant_name="Fabrikam")))
    northwind = json.loads(failure_json("Could not reach the sign-in service at 127.0.0.1:1."))
    return [
        TenantResult("", contoso),
        TenantResult("", fabrikam),
        TenantResult("Northwind", northwind),
    ]


def test_sarif_is_valid_against_the_oasis_schema() -> None:
    data = to_sarif_data(_documents(), "tenants.toml")
    jsonschema.validate(data, SCHEMA)
    run = data["runs"][0]
    results = run["results"]
    errors = [r for r in results if r.get("level") == "error"]
    assert {r["ruleId"] for r in errors} == {"ca.exclusion"}
    assert len(errors) == 2  # both accounts miss the legacy policy
    assert all("Block legacy | auth" in r["message"]["text"] for r in errors)
    kinds = {(r["ruleId"], r["kind"]) for r in results if r["kind"] != "fail"}
    assert ("auth.strong_method", "open") in kinds  # not checked: could not be determined
    assert ("pim.global_admin", "notApplicable") in kinds
    assert ("future.rule", "notApplicable") in kinds
    assert ("audit.run", "open") in kinds
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "Northwind" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(dict.fromkeys(r["ruleId"] for r in results))
    assert all(
        results[i]["ruleIndex"] == [r["id"] for r in rules].index(results[i]["ruleId"])
        for i in range(len(results))
    )
    fingerprints = [r["partialFingerprints"]["bgwizardFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    assert run["properties"]["passedChecks"] > 0


def test_sarif_text_round_trips_and_a_clean_tenant_has_no_results() -> None:
    clean = [TenantResult("", to_json_data(run_audit(snapshot())))]
    data = json.loads(to_sarif(clean))
    jsonschema.validate(data, SCHEMA)
    assert data["runs"][0]["results"] == []
    assert data["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_junit_parses_back_with_one_case_per_rule_and_account() -> None:
    tenants = _documents()
    root = ElementTree.fromstring(to_junit(tenants).encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["Contoso Logistics", "Fabrikam", "Northwind"]
    contoso = suites[0]
    cases = contoso.findall("testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names)), "one test case per rule × account"
    by_name = {c.get("name"): c for c in cases}
    failed = by_name["ca.exclusion (kestrel1@contosologistics.onmicrosoft.com)"]
    failure = failed.find("failure")
    assert failure is not None and "Block legacy | auth" in (failure.text or "")
    skipped = by_name["auth.strong_method (kestrel2@contosologistics.onmicrosoft.com)"]
    assert skipped.find("skipped") is not None
    assert (
        by_name["pim.global_admin (kestrel1@contosologistics.onmicrosoft.com)"].find("skipped")
        is not None
    )
    assert by_name["future.rule (tenant)"].find("skipped") is not None
    passed = by_name["account.enabled (kestrel1@contosologistics.onmicrosoft.com)"]
    assert list(passed) == []
    counts = {k: int(contoso.get(k, "-1")) for k in ("tests", "failures", "skipped", "errors")}
    assert counts["tests"] == len(cases)
    assert counts["failures"] == sum(c.find("failure") is not None for c in cases) == 2
    assert counts["skipped"] == sum(c.find("skipped") is not None for c in cases)
    assert counts["errors"] == 0
    assert suites[1].get("failures") == "0" and suites[1].get("skipped") == "0"
    (unreached,) = suites[2].findall("testcase")
    error = unreached.find("error")
    assert error is not None and "127.0.0.1:1" in (error.get("message") or "")
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites)


def test_markdown_matches_the_golden_summary() -> None:
    text = to_markdown(_documents())
    path = GOLDEN / "summary.md"
    if os.environ.get("BGWIZARD_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with BGWIZARD_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")
    assert "policy Block legacy \\| auth |" in text  # the | in the name does not split the cell
    assert text.startswith("## bgwizard audit: ❌ fail")


def test_markdown_escapes_text_from_the_tenant() -> None:
    assert escape("a|b <script>\n*x*") == r"a\|b \<script\> \*x\*"


@pytest.mark.parametrize(
    ("results", "worst"),
    [
        (["pass", "pass"], "pass"),
        (["pass", "incomplete"], "incomplete"),
        (["incomplete", "fail", "pass"], "fail"),
        (["pass", "something-new"], "incomplete"),
        ([], "incomplete"),
    ],
)
def test_worst_result_ranks_like_one_audit(results: list[str], worst: str) -> None:
    assert worst_result(results) == worst


def test_writers_survive_a_document_missing_every_optional_key() -> None:
    bare: dict[str, Any] = {"result": "pass", "findings": [], "not_checked": []}
    tenants = [TenantResult("", copy.deepcopy(bare))]
    jsonschema.validate(to_sarif_data(tenants), SCHEMA)
    assert ElementTree.fromstring(to_junit(tenants).encode()).get("tests") == "0"
    assert "Every check ran and passed." in to_markdown(tenants)
