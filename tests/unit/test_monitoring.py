"""The alert rules: accounts validated, every query names every account, golden files.

Golden files live in ``tests/golden/monitoring/``. After a deliberate change to a rule,
regenerate them with ``BGWIZARD_UPDATE_GOLDEN=1 .venv/bin/pytest -n0
tests/unit/test_monitoring.py`` and review the diff like any code change.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from bgwizard.errors import MonitoringError
from bgwizard.monitoring.arm import build_export
from bgwizard.monitoring.kql import kql_string
from bgwizard.monitoring.rules import (
    AccountRef,
    account_refs,
    build_rules,
    make_ref,
)
from bgwizard.profile.model import BreakGlassAccount

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "monitoring"
UPDATE_GOLDEN = os.environ.get("BGWIZARD_UPDATE_GOLDEN") == "1"

SAMPLE = [
    BreakGlassAccount(
        upn="BG-Alpha@ContosoLogistics.onmicrosoft.com",
        object_id="3F2504E0-4F89-41D3-9A0C-0305E82C3301",
    ),
    BreakGlassAccount(
        upn="bg-bravo@contosologistics.onmicrosoft.com",
        object_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
    ),
]
RULE_KEYS = [
    "signin-any",
    "signin-success",
    "signin-failures",
    "account-changes",
    "auth-methods-changed",
    "role-changes",
    "ca-policy-created",
    "ca-policy-updated",
    "ca-policy-deleted",
    "exclusion-group-changes",
    "auth-methods-policy",
    "rmau-changes",
]
GROUP = "5b1e3f0c-9d2a-4c7b-8e6f-1a2b3c4d5e6f"
RMAU = "8d0c2b1a-3e4f-4a5b-9c6d-7e8f9a0b1c2d"


def sample_refs() -> list[AccountRef]:
    return account_refs(SAMPLE)


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.is_file(), f"{path} missing: run with BGWIZARD_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, regenerate with "
        "BGWIZARD_UPDATE_GOLDEN=1 and review the diff"
    )


def test_refs_are_normalised_sorted_and_deduplicated() -> None:
    refs = account_refs([*SAMPLE, SAMPLE[0]])
    assert refs == [
        AccountRef(
            "bg-alpha@contosologistics.onmicrosoft.com", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
        ),
        AccountRef(
            "bg-bravo@contosologistics.onmicrosoft.com", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
        ),
    ]


@pytest.mark.parametrize(
    ("upn", "object_id", "message"),
    [
        ("bg@contoso.onmicrosoft.com", "", "has no object id"),
        ("bg@contoso.onmicrosoft.com", "not-a-guid", "is not a GUID"),
        ('bg"; SigninLogs@contoso.com', "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "not a valid"),
        ("no-at-sign", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "not a valid"),
    ],
)
def test_bad_accounts_are_refused_with_one_sentence(upn: str, object_id: str, message: str) -> None:
    with pytest.raises(MonitoringError, match=message):
        make_ref(upn, object_id)


def test_no_accounts_is_an_error() -> None:
    with pytest.raises(MonitoringError, match="No break glass accounts"):
        account_refs([])
    with pytest.raises(MonitoringError):
        build_rules([])


def test_kql_string_escapes_quotes_and_backslashes() -> None:
    assert kql_string('a"b\\c') == '"a\\"b\\\\c"'
    assert kql_string("o'brien@x.com") == '"o\'brien@x.com"'


def test_the_rule_set_is_the_one_the_issue_asks_for() -> None:
    rules = build_rules(sample_refs())
    assert [r.key for r in rules] == RULE_KEYS
    by_key = {r.key: r for r in rules}
    any_signin = by_key["signin-any"].log_analytics
    assert any_signin is not None
    assert (any_signin.severity, any_signin.frequency, any_signin.window) == (0, "PT5M", "PT1H")
    success = by_key["signin-success"].sentinel
    assert success is not None and success.severity == "High"
    assert {e.entity_type for e in success.entities} == {"Account", "IP"}
    assert by_key["signin-failures"].sentinel is not None
    assert 'ResultType != "0"' in by_key["signin-failures"].kql
    assert 'ResultType == "0"' in by_key["signin-success"].kql
    for key in RULE_KEYS[:3]:
        assert by_key[key].tables == ("SigninLogs", "AADNonInteractiveUserSignInLogs")
        assert "AuthenticationDetails" in by_key[key].kql
    for key in RULE_KEYS[3:]:
        rule = by_key[key]
        assert rule.tables == ("AuditLogs",)
        assert rule.log_analytics is not None and rule.sentinel is not None


@pytest.mark.parametrize("key", RULE_KEYS)
def test_every_query_names_every_account_and_the_group_by_object_id(key: str) -> None:
    rule = next(
        r
        for r in build_rules(sample_refs(), exclusion_group_id=GROUP, rmau_id=RMAU)
        if r.key == key
    )
    for ref in sample_refs():
        assert f'"{ref.object_id}"' in rule.kql
        assert f'"{ref.upn}"' in rule.kql  # renames: UPNs too, where the log carries them
    assert f'let ExclusionGroupIds = dynamic(["{GROUP}"]);' in rule.kql
    assert f'let RmauIds = dynamic(["{RMAU}"]);' in rule.kql


def test_without_group_or_rmau_the_lists_are_empty_and_the_header_says_so() -> None:
    for rule in build_rules(sample_refs()):
        assert "let ExclusionGroupIds = dynamic([]);" in rule.kql
        assert "Exclusion group: none given" in rule.kql


@pytest.mark.parametrize(
    ("group", "rmau", "message"),
    [("not-a-guid", "", "exclusion group object id"), ("", "x", "RMAU object id")],
)
def test_a_malformed_group_or_rmau_id_is_one_clear_error(
    group: str, rmau: str, message: str
) -> None:
    with pytest.raises(MonitoringError, match=message):
        build_rules(sample_refs(), exclusion_group_id=group, rmau_id=rmau)


def test_activity_names_come_from_the_rule_data() -> None:
    by_key = {r.key: r for r in build_rules(sample_refs())}
    for rule in by_key.values():
        activities = rule.conditions.activities
        if activities is None:
            continue
        for name in activities.exact:
            assert kql_string(name) in rule.kql
        for prefix in activities.prefixes:
            assert f"OperationName startswith {kql_string(prefix)}" in rule.kql
        for part in activities.contains_all:
            assert f"OperationName contains {kql_string(part)}" in rule.kql
    assert "User updated security info" not in "".join(r.kql for r in by_key.values())


def test_sentinel_rule_ids_are_stable_guids() -> None:
    first = [r.sentinel_rule_id for r in build_rules(sample_refs())]
    second = [r.sentinel_rule_id for r in build_rules([sample_refs()[0]])]
    assert first == second
    assert len(set(first)) == len(first)
    assert all(uuid.UUID(i).version == 5 for i in first)


@pytest.mark.parametrize("key", RULE_KEYS)
def test_query_matches_golden_file(key: str) -> None:
    rule = next(r for r in build_rules(sample_refs()) if r.key == key)
    check_golden(f"{key}.kql", rule.kql)


@pytest.mark.parametrize(
    "name",
    [
        "azure-monitor-alert-rules.json",
        "sentinel-analytics-rules.json",
        "defender-xdr-signin-rule.json",
        "DEPLOY.md",
    ],
)
def test_template_matches_golden_file(name: str) -> None:
    files = {f.name: f for f in build_export(sample_refs())}
    check_golden(name, files[name].content)


def test_golden_export_with_group_and_rmau() -> None:
    files = {f.name: f for f in build_export(sample_refs(), exclusion_group_id=GROUP, rmau_id=RMAU)}
    check_golden("with-group/ca-policy-updated.kql", files["ca-policy-updated.kql"].content)
    check_golden("with-group/DEPLOY.md", files["DEPLOY.md"].content)


def test_golden_directory_holds_nothing_stale() -> None:
    expected = {f"{k}.kql" for k in RULE_KEYS} | {
        "azure-monitor-alert-rules.json",
        "sentinel-analytics-rules.json",
        "defender-xdr-signin-rule.json",
        "DEPLOY.md",
        "with-group",
    }
    assert {p.name for p in GOLDEN_DIR.iterdir()} == expected
    assert {p.name for p in (GOLDEN_DIR / "with-group").iterdir()} == {
        "ca-policy-updated.kql",
        "DEPLOY.md",
    }
