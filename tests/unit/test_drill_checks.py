"""The drill's automatic checks as pure rules."""

from __future__ import annotations

import datetime as dt

from bgwizard.audit.model import AuditReport, Finding, Unread
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.drill.checks import (
    OwnSignIn,
    check_audit,
    check_ca_readable,
    check_global_admin,
    check_no_changes,
    check_serial,
    check_sign_in_evidence,
    check_token,
)
from bgwizard.graph.model import AuditRecord, SignInRecord
from bgwizard.profile.model import BreakGlassAccount, SheetRecord

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=20)
ACCOUNT = BreakGlassAccount(
    "bg1@contoso.example", "oid-1",
    sheets=[SheetRecord("OLD-1", dt.date(2025, 1, 1), retired=dt.date(2026, 1, 1)),
            SheetRecord("CUR-2", dt.date(2026, 1, 1))],
)  # fmt: skip


def _identity(
    oid: str = "oid-1", roles: tuple[str, ...] = (GLOBAL_ADMIN_ROLE_ID,)
) -> SignedInIdentity:
    return SignedInIdentity(oid, "tid", "bg1@contoso.example", role_ids=roles)


def test_serial_current_retired_unknown() -> None:
    assert check_serial(ACCOUNT, " cur-2 ").status == "pass"
    retired = check_serial(ACCOUNT, "OLD-1")
    assert retired.status == "fail" and "retired on 2026-01-01" in retired.detail
    assert "Destroy this retired sheet" in retired.fix
    assert check_serial(ACCOUNT, "NOPE").status == "fail"
    assert check_serial(ACCOUNT, "").status == "fail"


def test_token_must_carry_the_accounts_object_id() -> None:
    assert check_token(_identity(), ACCOUNT).status == "pass"
    other = check_token(_identity("oid-2"), ACCOUNT)
    assert other.status == "fail" and other.evidence["oid"] == "oid-2"
    assert check_token(_identity(), BreakGlassAccount("x@y")).status == "not_run"


def test_global_admin_from_wids() -> None:
    assert check_global_admin(_identity()).status == "pass"
    result = check_global_admin(_identity(roles=("other-role",)))
    assert result.status == "fail" and "Global Administrator" in result.fix


def test_ca_readable() -> None:
    assert check_ca_readable([]).status == "pass"
    result = check_ca_readable(Unread("Forbidden: Policy.Read.All is missing."))
    assert result.status == "fail" and "Policy.Read.All" in result.detail


def test_audit_errors_fail_unchecked_is_not_run_and_missing_audit_is_not_run() -> None:
    ok = Finding("account.enabled", "ok", "enabled", account="oid-1")
    bad = Finding("ca.exclusion", "error", "Policy X does not exclude it", fix="Exclude it.",
                  account="oid-1")  # fmt: skip
    other = Finding("ca.exclusion", "error", "someone else", account="oid-9")
    unchecked = Finding("account.methods", "not_checked", "methods unread", account="oid-1")
    drill_rule = Finding("drill.last", "error", "overdue", account="oid-1")
    report = AuditReport((ok, other, drill_rule), T0)
    assert check_audit(report, "oid-1").status == "pass"
    failing = check_audit(AuditReport((ok, bad), T0), "oid-1")
    assert failing.status == "fail" and failing.fix == "Exclude it."
    assert check_audit(AuditReport((ok, unchecked), T0), "oid-1").status == "not_run"
    assert check_audit(None, "oid-1").status == "not_run"
    assert check_audit(Unread("offline"), "oid-1").status == "not_run"


def test_no_changes_in_window() -> None:
    change = AuditRecord("a1", "Update user", T0 + dt.timedelta(minutes=3),
                         initiated_by="BG1@contoso.example")  # fmt: skip
    by_admin = AuditRecord("a2", "Update user", T0, initiated_by="admin@contoso.example")
    before = AuditRecord("a3", "Update user", T0 - dt.timedelta(days=1),
                         initiated_by="bg1@contoso.example")  # fmt: skip
    assert check_no_changes([by_admin, before], ACCOUNT, T0, T1).status == "pass"
    result = check_no_changes([change, by_admin], ACCOUNT, T0, T1)
    assert (
        result.status == "fail"
        and "Update user" in result.detail
        and result.evidence["ids"] == "a1"
    )
    assert check_no_changes(Unread("403"), ACCOUNT, T0, T1).status == "not_run"


def test_sign_in_evidence_from_logs_then_sign_in_activity() -> None:
    record = SignInRecord("req-1", T0 + dt.timedelta(minutes=2), "oid-1", ip_address="10.0.0.7")
    failure = SignInRecord("req-0", T0 + dt.timedelta(minutes=1), "oid-1", error_code=50126)
    found = check_sign_in_evidence([failure, record], None, T0, T1)
    assert found.status == "pass"
    assert found.evidence | {} == {"source": "signIns", "request_id": "req-1", "ip": "10.0.0.7",
                                   "time": "2026-04-01T09:02:00Z", "app": ""}  # fmt: skip
    fallback = check_sign_in_evidence(Unread("no licence"), T0 + dt.timedelta(minutes=2), T0, T1)
    assert fallback.status == "pass" and fallback.evidence["source"] == "signInActivity"
    assert check_sign_in_evidence([failure], T0 - dt.timedelta(days=30), T0, T1).status == "fail"
    assert check_sign_in_evidence(Unread("a"), Unread("b"), T0, T1).status == "not_run"


def test_a_free_tenant_uses_the_drills_own_sign_in_and_says_what_is_missing() -> None:
    p1 = "Entra ID P1"
    logs, activity = Unread("no log", licence=p1), Unread("no activity", licence=p1)
    own = OwnSignIn("kestrel1@contoso.onmicrosoft.com", "oid-1", T0 + dt.timedelta(minutes=1))
    found = check_sign_in_evidence(logs, activity, T0, T1, own)
    assert found.status == "pass" and found.evidence["source"] == "token"
    assert "kestrel1@contoso.onmicrosoft.com" in found.detail and "oid-1" in found.detail
    assert "Missing: the sign-in log and signInActivity, which need Entra ID P1" in found.detail
    # Only a licence gap counts: a missing permission is still "could not run".
    assert check_sign_in_evidence(Unread("403"), activity, T0, T1, own).status == "not_run"
    # A token from outside the window proves nothing about this drill.
    late = OwnSignIn(own.upn, own.object_id, T1 + dt.timedelta(hours=2))
    assert check_sign_in_evidence(logs, activity, T0, T1, late).status == "not_run"
