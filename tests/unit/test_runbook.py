"""The runbook's context (pure): accounts, drill dates, no credential anywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing

import pytest
from runbook_sample import (
    ALPHA,
    BRAVO,
    LAST_DRILL,
    NEXT_DUE,
    RETIRED,
    SERIALS,
    TODAY,
    contoso_profile,
)

from bgwizard.profile.model import Profile
from bgwizard.runbook.model import (
    DEVICE_LOGIN,
    RECENT_DRILLS,
    AccountEntry,
    DrillRecord,
    RunbookContext,
    build_context,
    last_passed,
    profile_drills,
)

CREDENTIAL_WORDS = ("password", "secret", "passphrase", "credential", "token")


def test_accounts_carry_current_and_retired_serials_locations_custodians() -> None:
    context = build_context(contoso_profile(), [], TODAY)
    alpha, bravo = context.accounts
    assert (alpha.upn, bravo.upn) == (ALPHA, BRAVO)
    assert alpha.serials == (SERIALS[ALPHA],)
    assert alpha.retired_serials == (RETIRED,)
    assert bravo.locations == ("Fire safe, Felixstowe depot", "Solicitor's strongroom, Ipswich")
    assert context.custodians == ("Grace Okafor", "Tom Becker", "Priya Patel")
    assert alpha.sign_in_method == bravo.sign_in_method == "password"


def test_next_due_is_ninety_days_after_the_last_passed_drill() -> None:
    context = build_context(contoso_profile(), profile_drills(contoso_profile()), TODAY)
    assert context.last_drill == LAST_DRILL
    assert context.next_due == NEXT_DUE
    assert not context.overdue
    assert context.days_to_due == (NEXT_DUE - TODAY).days


def test_overdue_after_ninety_days() -> None:
    context = build_context(contoso_profile(), [], NEXT_DUE + dt.timedelta(days=3))
    assert context.overdue
    assert context.days_to_due == -3


def test_never_drilled_is_due_today_and_overdue() -> None:
    profile = contoso_profile()
    profile.last_drill = None
    context = build_context(profile, profile_drills(profile), TODAY)
    assert context.last_drill is None
    assert context.next_due == TODAY
    assert context.overdue
    assert context.drills == ()


def test_a_failed_drill_does_not_move_the_due_date_but_is_listed() -> None:
    later_fail = DrillRecord(dt.date(2026, 11, 20), "tom.becker", "fail", "alert did not fire")
    context = build_context(contoso_profile(), [later_fail], TODAY)
    assert context.last_drill == LAST_DRILL
    assert context.drills == (later_fail,)


def test_the_later_of_log_and_profile_wins() -> None:
    newer = DrillRecord(dt.date(2026, 11, 2), "grace.okafor", "pass")
    older = DrillRecord(dt.date(2026, 7, 1), "grace.okafor", "PASS")
    assert last_passed([older, newer], LAST_DRILL) == newer.date
    assert last_passed([older], LAST_DRILL) == LAST_DRILL
    assert last_passed([], None) is None


def test_drills_are_listed_newest_first_and_capped() -> None:
    drills = [DrillRecord(dt.date(2024, 1, 1) + dt.timedelta(days=90 * n)) for n in range(12)]
    context = build_context(contoso_profile(), drills, TODAY)
    assert len(context.drills) == RECENT_DRILLS
    assert [d.date for d in context.drills] == sorted((d.date for d in drills), reverse=True)[:8]


def test_passkey_accounts_are_marked_case_insensitively() -> None:
    context = build_context(contoso_profile(), [], TODAY, passkeys=[BRAVO.upper()])
    assert [a.sign_in_method for a in context.accounts] == ["password", "passkey"]


def test_sign_in_urls_real_and_demo() -> None:
    assert DEVICE_LOGIN in dict(build_context(contoso_profile(), [], TODAY).sign_in_urls).values()
    demo = Profile(demo=True, authority_host="https://127.0.0.1:8443")
    assert build_context(demo, [], TODAY).sign_in_urls == (
        ("Demo tenant (emulator)", "https://127.0.0.1:8443"),
    )


def test_tenant_label_falls_back_to_the_domain() -> None:
    assert build_context(contoso_profile(), [], TODAY).tenant_label.startswith(
        "Contoso Logistics ("
    )
    assert build_context(Profile(initial_domain="x.onmicrosoft.com"), [], TODAY).tenant_label == (
        "x.onmicrosoft.com"
    )


def test_template_vars_hold_every_field_and_the_derived_values() -> None:
    context = build_context(contoso_profile(), [], TODAY)
    names = context.as_template_vars()
    assert {f.name for f in dataclasses.fields(RunbookContext)} <= names.keys()
    assert names["overdue"] is False and names["tenant_label"] == context.tenant_label


@pytest.mark.parametrize("cls", [RunbookContext, AccountEntry, DrillRecord])
def test_no_field_can_hold_a_credential(cls: type) -> None:
    """The context model has no place for a password: no such field, no ``Secret`` type."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        assert not any(word in field.name.lower() for word in CREDENTIAL_WORDS), field.name
        assert "Secret" not in str(hints[field.name]), field.name


def test_profile_drills_only_when_a_drill_is_recorded() -> None:
    assert profile_drills(Profile()) == []
    (record,) = profile_drills(contoso_profile())
    assert record.date == LAST_DRILL and record.passed
