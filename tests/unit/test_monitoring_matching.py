"""Each rule's matching data selects its sample events, no unrelated one; windows catch late ones.

The samples (``tests/fixtures/monitoring/sample-events.json``, sources in its ``_comment``) are
Log Analytics rows of every event type the rules are about, and near misses: another user,
another group, a harmless Conditional Access edit, an exclusion *added*. ``fires`` names the
rules that must select a row; every other rule must not. The KQL of each rule is generated
from the same :class:`~bgwizard.monitoring.matching.Conditions` (see test_monitoring.py), and
parsed by Microsoft's Kusto parser (test_monitoring_kql.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bgwizard.monitoring import matching as m
from bgwizard.monitoring.kql import FAILED_SIGNIN_THRESHOLD, Schedule
from bgwizard.monitoring.rules import SPECS, make_ref, watched

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "monitoring" / "sample-events.json"
DATA: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
SAMPLES: list[dict[str, Any]] = DATA["samples"]
WATCHED = m.Watched(**{k: tuple(v) for k, v in DATA["watched"].items()})
RULES = {spec.key: spec.conditions for spec in SPECS}


def fired(sample: dict[str, Any], target: m.Watched = WATCHED) -> list[str]:
    return sorted(
        key
        for key, cond in RULES.items()
        if m.selects(cond, sample["table"], sample["row"], target)
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_each_sample_fires_exactly_its_rules(sample: dict[str, Any]) -> None:
    assert fired(sample) == sample["fires"]


def test_every_rule_fires_on_some_sample_and_some_samples_fire_nothing() -> None:
    covered = {key for s in SAMPLES for key in s["fires"]}
    assert covered == set(RULES)
    assert sum(1 for s in SAMPLES if not s["fires"]) >= 8  # near misses, one per rule family


def test_the_fixture_watches_what_the_rules_module_builds() -> None:
    accounts = [make_ref(u, i) for u, i in zip(WATCHED.upns, WATCHED.object_ids, strict=True)]
    assert watched(
        accounts, exclusion_group_id=WATCHED.group_ids[0], rmau_id=WATCHED.rmau_ids[0]
    ) == m.Watched(
        object_ids=tuple(a.object_id for a in accounts),
        upns=tuple(a.upn for a in accounts),
        group_ids=WATCHED.group_ids,
        rmau_ids=WATCHED.rmau_ids,
    )


def by_name(name: str) -> dict[str, Any]:
    return next(s for s in SAMPLES if s["name"] == name)


def test_without_a_known_group_any_removed_group_exclusion_fires() -> None:
    unknown = m.Watched(WATCHED.object_ids, WATCHED.upns)
    assert fired(by_name("ca-other-group-removed"), unknown) == ["ca-policy-updated"]
    assert fired(by_name("ca-group-exclusion-removed"), unknown) == ["ca-policy-updated"]
    # Without the group's id its membership events are seen only when they name an account.
    assert fired(by_name("group-member-added"), unknown) == []
    assert fired(by_name("group-member-removed"), unknown) == ["exclusion-group-changes"]


def test_a_row_from_another_table_is_never_selected() -> None:
    sample = by_name("interactive-success")
    assert not m.selects(
        RULES["signin-any"], "AADServicePrincipalSignInLogs", sample["row"], WATCHED
    )
    audit = by_name("password-reset")
    assert not m.selects(RULES["account-changes"], "SigninLogs", audit["row"], WATCHED)


@pytest.mark.parametrize(
    "name",
    [
        "User registered security info",
        "User changed default security info",
        "User deleted security info",
        "Admin updated security info",
        "User reviewed security info",
        "Admin deleted security info",
        "Admin registered security info",
    ],
)
def test_sentinel_security_info_names_all_match(name: str) -> None:
    """The list Sentinel's "Authentication Methods Changed for Privileged Account" uses."""
    assert m.SECURITY_INFO_ACTIVITIES.matches(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Add member to role in PIM requested (permanent)", True),
        ("Add eligible member to role in PIM completed (timebound)", True),
        ("Remove member from role in PIM completed (permanent)", True),
        ("Remove permanent direct role assignment", True),
        ("add member to role", True),  # in~ / startswith ignore case
        ("Add member to group", False),
        ("Update role setting in PIM", False),
    ],
)
def test_role_activities_match_pim_suffixes(name: str, expected: bool) -> None:
    assert m.ROLE_ACTIVITIES.matches(name) is expected


@pytest.mark.parametrize(
    ("old", "new", "weakened"),
    [
        ({"state": "enabled"}, {"state": "disabled"}, False),  # weakens the policy, not the cover
        ({"state": "disabled"}, {"state": "enabledForReportingButNotEnforced"}, False),
        ({}, {"state": "enabled"}, False),  # no old state: not a switch we can see
        ({"state": "enabledForReportingButNotEnforced"}, {"state": "enabled"}, True),
    ],
)
def test_state_changes(old: dict[str, Any], new: dict[str, Any], weakened: bool) -> None:
    assert m.ca_weakening(old, new, WATCHED) is weakened


def events(delays: list[float], every: int, span: int = 240) -> list[tuple[float, float]]:
    """(generated, ingested) pairs: one event per minute, each ingested after a delay."""
    return [(t + 0.5, t + 0.5 + delays[t % len(delays)]) for t in range(span)]


def runs(schedule: Schedule, generated: float, ingested: float, span: int) -> int:
    every, _ = schedule.minutes
    return sum(
        1 for run in range(every, span + 200, every) if schedule.selects(run, generated, ingested)
    )


@pytest.mark.parametrize(
    "schedule", sorted({s.schedule for s in SPECS}, key=lambda s: s.minutes), ids=str
)
def test_every_event_late_by_less_than_the_margin_is_read_exactly_once(schedule: Schedule) -> None:
    every, back = schedule.minutes
    assert back > every
    margin = back - every
    for generated, ingested in events([0, 1, 4, 17, margin - 1], every):
        assert runs(schedule, generated, ingested, 240) == 1, (generated, ingested)


def test_the_old_window_lost_late_events() -> None:
    """Look-back = frequency without ingestion time (5m/5m, TimeGenerated only) misses late rows."""
    every = 5

    def old_selects(run: int, generated: float) -> bool:
        return run - every < generated <= run

    late = [(g, i) for g, i in events([7], every)]  # every event arrives 7 minutes late
    seen = 0
    for generated, ingested in late:
        # a run reads only what has arrived by then
        seen += any(
            old_selects(run, generated) and ingested <= run for run in range(every, 500, every)
        )
    assert seen == 0
    new = Schedule("PT5M", "PT1H")
    assert all(runs(new, g, i, 240) == 1 for g, i in late)


# -- the coverage table (docs/monitoring-coverage.md) ------------------------------------------

COVERAGE_DOC = Path(__file__).resolve().parents[2] / "docs" / "monitoring-coverage.md"
PUBLISHED: list[dict[str, Any]] = json.loads(
    (FIXTURE.parent / "published-sentinel-rules.json").read_text(encoding="utf-8")
)["rules"]


def coverage_markdown() -> str:
    """Rule × event type: which of our rules and which published Sentinel rules fire."""
    short = {p["name"]: f"S{i}" for i, p in enumerate(PUBLISHED, 1)}
    lines = [
        "# Monitoring coverage: what fires on what",
        "",
        "Generated from `tests/fixtures/monitoring/sample-events.json` (one Log Analytics row per",
        "event type, near misses included) by `tests/unit/test_monitoring_matching.py`; every",
        "bgwizard cell is asserted by that test. Regenerate with",
        "`BGWIZARD_UPDATE_GOLDEN=1 .venv/bin/pytest -n0 tests/unit/test_monitoring_matching.py`.",
        "The published Sentinel rules (S1…) are listed beside for comparison; their cells come",
        "from `tests/fixtures/monitoring/published-sentinel-rules.json` (read, not run).",
        "",
        "| Event type | Table | bgwizard rules that fire | Published Sentinel rules |",
        "|---|---|---|---|",
    ]
    for sample in SAMPLES:
        ours = ", ".join(f"`{k}`" for k in fired(sample)) or "—"
        theirs = ", ".join(short[p["name"]] for p in PUBLISHED if sample["name"] in p["fires"])
        lines.append(f"| {sample['event']} | {sample['table']} | {ours} | {theirs or '—'} |")
    lines += [
        "",
        "The sample rows are watched with the exclusion group and the RMAU known; without the",
        "group, `ca-policy-updated` fires on *any* removed group exclusion and",
        "`exclusion-group-changes` only on events naming an account. `signin-failures` selects",
        f"every failed sign-in and alerts at {FAILED_SIGNIN_THRESHOLD} within its hour; S2 at more",
        "than 5 within its 5 minutes. `signin-any` (Azure Monitor, severity 0) alerts on each.",
        "",
        "## Published Sentinel rules",
        "",
    ]
    for p in PUBLISHED:
        ident = f" (`{p['id']}`)" if p["id"] else ""
        lines.append(
            f"- **{short[p['name']]}** {p['name']}{ident} — {p['source']}; reads "
            f"{', '.join(p['tables'])}; frequency / period {p['window']}; {p['note']}."
        )
    lines += ["", "## bgwizard rules", ""]
    for spec in SPECS:
        every, back = spec.schedule.minutes
        lines.append(
            f"- `{spec.key}` — {spec.title}: {spec.conditions.describe()}; every {every} min "
            f"over {back} min, by ingestion time."
        )
    return "\n".join(lines) + "\n"


def test_coverage_table_is_current() -> None:
    text = coverage_markdown()
    if os.environ.get("BGWIZARD_UPDATE_GOLDEN") == "1":
        COVERAGE_DOC.write_text(text, encoding="utf-8", newline="\n")
    assert COVERAGE_DOC.read_text(encoding="utf-8") == text, (
        "docs/monitoring-coverage.md is stale: regenerate with BGWIZARD_UPDATE_GOLDEN=1"
    )


def test_published_rules_name_only_known_samples() -> None:
    names = {s["name"] for s in SAMPLES}
    assert all(set(p["fires"]) <= names for p in PUBLISHED)
