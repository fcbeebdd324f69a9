"""The drill checklist: recording items, the verdict, what to fix, next due date."""

from __future__ import annotations

import datetime as dt

import pytest

from bgwizard.drill.model import (
    CHECKLIST,
    PHASES,
    Drill,
    ItemResult,
    is_overdue,
    next_due,
    passed,
    record_manual,
)

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def _all_pass() -> Drill:
    drill = Drill("bg1@contoso.example", "oid-1", T0)
    for spec in CHECKLIST:
        drill = drill.record(passed(spec.id, "ok"), T0)
    return drill


def test_checklist_has_three_phases_with_the_issues_items() -> None:
    ids = {phase: [s.id for s in CHECKLIST if s.phase == phase] for phase in PHASES}
    assert ids["before"][:5] == ["notified", "window", "ticket", "operator", "sheet_retrieved"]
    assert {"people_current", "runbook_current", "safe_changed"} <= set(ids["before"])
    assert ids["during"] == ["serial", "signin", "portal_signin", "token_account", "global_admin",
                             "ca_readable", "audit_rules"]  # fmt: skip
    assert ids["after"] == ["no_changes", "signin_evidence", "alert", "sheet_returned"]
    assert all(s.fix for s in CHECKLIST if s.automatic or s.confirm)


def test_manual_items_need_their_fields_and_a_yes() -> None:
    ok = record_manual("notified", {"who": "SOC", "how": "phone", "when": "09:00"})
    assert ok.status == "recorded" and ok.evidence == {
        "who": "SOC",
        "how": "phone",
        "when": "09:00",
    }
    missing = record_manual("notified", {"who": "SOC", "how": " "})
    assert missing.status == "fail" and missing.fix == "Record the how, when."
    assert record_manual("runbook_current", {}, None).status == "pending"
    no = record_manual("runbook_current", {}, False)
    assert no.status == "fail" and "print runbook" in no.fix
    assert record_manual("alert", {"time": "09:14"}, True).status == "pass"
    assert record_manual("alert", {}, True).status == "fail"
    late = record_manual("alert", {"time": ""}, False)
    assert late.status == "fail" and "Monitoring" in late.fix


def test_outcome_pass_fail_incomplete() -> None:
    drill = _all_pass()
    assert drill.outcome == "pass" and drill.failures() == []
    failed = drill.record(ItemResult("global_admin", "fail", "no GA", fix="assign"), T0)
    assert failed.outcome == "fail" and [f.id for f in failed.failures()] == ["global_admin"]
    unrun = drill.record(ItemResult("audit_rules", "not_run", "no audit"), T0)
    assert unrun.outcome == "incomplete"


def test_finish_turns_pending_into_not_run_never_pass() -> None:
    drill = Drill("bg1@contoso.example", "oid-1", T0).record(passed("serial", "ok"), T0)
    done = drill.finish(T0 + dt.timedelta(hours=1), notes="short drill")
    assert done.item("alert").status == "not_run" and done.item("alert").fix
    assert done.outcome == "incomplete" and done.notes == "short drill"


def test_log_data_holds_every_item_and_next_due() -> None:
    drill = _all_pass().finish(T0 + dt.timedelta(minutes=30))
    data = drill.to_log_data()
    assert data["result"] == "pass" and data["next_due"] == "2026-06-30"
    assert data["finished"] == "2026-04-01T09:30:00Z"
    items = data["items"]
    assert isinstance(items, list) and len(items) == len(CHECKLIST)
    assert items[0] == {"id": "notified", "phase": "before", "title": "Security team notified",
                        "status": "pass", "detail": "ok", "evidence": {}, "fix": "",
                        "at": "2026-04-01T09:00:00Z"}  # fmt: skip


@pytest.mark.parametrize(
    ("last", "today", "overdue"),
    [(None, dt.date(2026, 1, 1), True), (dt.date(2026, 1, 1), dt.date(2026, 4, 1), False),
     (dt.date(2026, 1, 1), dt.date(2026, 4, 2), True)],
)  # fmt: skip
def test_next_due_is_ninety_days(last: dt.date | None, today: dt.date, overdue: bool) -> None:
    assert next_due(dt.date(2026, 1, 1)) == dt.date(2026, 4, 1)
    assert is_overdue(last, today) is overdue
