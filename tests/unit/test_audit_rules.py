"""The account rules of the audit: each has a passing and a failing tenant."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from audit_factory import DOMAIN, IDS, NOW, account, snapshot, user

from bgwizard.audit.engine import run_audit
from bgwizard.audit.model import (
    AuditReport,
    AuditSnapshot,
    DrillRecord,
    Finding,
    Unread,
)
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.graph.model import AuthMethod, GroupRef, RoleAssignment, RoleSchedule
from bgwizard.profile.model import BreakGlassAccount


def findings(report: AuditReport, rule: str, n: int | None = 1) -> list[Finding]:
    """The findings of ``rule`` for account ``n`` (None: tenant-wide ones)."""
    wanted = IDS[n - 1] if n else None
    return [f for f in report.findings if f.rule == rule and f.account == wanted]


def only(report: AuditReport, rule: str, n: int | None = 1) -> Finding:
    found = findings(report, rule, n)
    assert len(found) == 1, found
    return found[0]


def with_account1(**changes: object) -> AuditReport:
    return run_audit(snapshot(accounts=(account(1, **changes), account(2))))


def test_the_good_tenant_passes_with_nothing_to_report() -> None:
    report = run_audit(snapshot())
    assert report.result == "pass"
    assert report.exit_code == 0
    assert report.problems == ()
    assert report.not_checked == ()
    rules = {f.rule for f in report.passed}
    assert {"accounts.count", "role.global_admin", "ca.exclusion", "drill.last"} <= rules


@pytest.mark.parametrize(
    ("count", "severity"), [(0, "error"), (1, "error"), (2, "ok"), (3, "warning")]
)
def test_account_count(count: int, severity: str) -> None:
    accounts = tuple(account(1 + i % 2) for i in range(count))
    report = run_audit(snapshot(accounts=accounts))
    assert only(report, "accounts.count", None).severity == severity


def test_an_account_not_created_yet_is_an_error_and_nothing_else_is_graded() -> None:
    snap = account(1, account=BreakGlassAccount(upn=f"kestrel1@{DOMAIN}"))
    report = run_audit(snapshot(accounts=(snap, account(2))))
    missing = [f for f in report.findings if f.upn == f"kestrel1@{DOMAIN}" and f.account is None]
    assert [(f.rule, f.severity) for f in missing] == [("account.exists", "error")]
    assert report.result == "fail"


def test_a_deleted_account_is_an_error() -> None:
    found = only(with_account1(user=None), "account.exists")
    assert found.severity == "error"
    assert IDS[0] in found.evidence
    assert findings(with_account1(user=None), "ca.exclusion") == []


def test_a_renamed_account_is_a_warning() -> None:
    renamed = dataclasses.replace(user(IDS[0], 1), upn=f"osprey@{DOMAIN}")
    found = only(with_account1(user=renamed), "account.exists")
    assert found.severity == "warning"
    assert "renamed" in found.message


def test_unreadable_user_is_not_checked_and_the_result_is_incomplete() -> None:
    report = with_account1(user=Unread("Permission missing: reading a user needs User.Read.All."))
    found = only(report, "account.exists")
    assert found.severity == "not_checked"
    assert "User.Read.All" in found.message
    assert report.result == "incomplete"
    assert report.exit_code == 2


def test_disabled_account_is_an_error() -> None:
    disabled = dataclasses.replace(user(IDS[0], 1), account_enabled=False)
    assert only(with_account1(user=disabled), "account.enabled").severity == "error"
    assert only(run_audit(snapshot()), "account.enabled").severity == "ok"


def test_synced_account_is_an_error() -> None:
    synced = dataclasses.replace(user(IDS[0], 1), on_premises_sync_enabled=True)
    assert only(with_account1(user=synced), "account.cloud_only").severity == "error"
    assert only(run_audit(snapshot()), "account.cloud_only").severity == "ok"


def test_upn_on_a_custom_domain_is_an_error() -> None:
    custom = dataclasses.replace(user(IDS[0], 1), upn="kestrel1@contosologistics.com")
    found = only(with_account1(user=custom), "account.upn_domain")
    assert found.severity == "error"
    assert DOMAIN in found.message
    assert only(run_audit(snapshot()), "account.upn_domain").severity == "ok"


def test_upn_on_another_tenants_onmicrosoft_domain_is_an_error() -> None:
    other = dataclasses.replace(user(IDS[0], 1), upn="kestrel1@fabrikam.onmicrosoft.com")
    assert only(with_account1(user=other), "account.upn_domain").severity == "error"


@pytest.mark.parametrize(
    ("upn", "display"),
    [
        ("breakglass1", "Kestrel"),
        ("bg-admin", "Kestrel"),
        ("kestrel1", "Emergency Access 1"),
        ("break.glass.01", "Kestrel"),
    ],
)
def test_name_advertising_the_purpose_is_a_warning(upn: str, display: str) -> None:
    named = dataclasses.replace(user(IDS[0], 1), upn=f"{upn}@{DOMAIN}", display_name=display)
    found = only(with_account1(user=named), "account.name")
    assert found.severity == "warning"
    assert only(run_audit(snapshot()), "account.name").severity == "ok"


def test_password_that_can_expire_is_an_error() -> None:
    expiring = dataclasses.replace(user(IDS[0], 1), password_policies=None)
    found = only(with_account1(user=expiring), "password.expiration")
    assert found.severity == "error"
    assert "not set" in found.evidence
    weak = dataclasses.replace(user(IDS[0], 1), password_policies="DisableStrongPassword")
    assert only(with_account1(user=weak), "password.expiration").severity == "error"
    both = dataclasses.replace(
        user(IDS[0], 1), password_policies="DisableStrongPassword, DisablePasswordExpiration"
    )
    assert only(with_account1(user=both), "password.expiration").severity == "ok"


def test_global_admin_missing_is_an_error() -> None:
    found = only(with_account1(assignments=(), schedules=()), "role.global_admin")
    assert found.severity == "error"
    assert "not a Global Administrator" in found.message


def test_eligible_only_global_admin_is_an_error() -> None:
    eligible = (RoleSchedule("el1", "eligible", IDS[0], GLOBAL_ADMIN_ROLE_ID),)
    report = with_account1(assignments=(), schedules=(), eligibilities=eligible)
    found = only(report, "role.global_admin")
    assert found.severity == "error"
    assert "eligible" in found.message


def test_time_bound_global_admin_is_an_error() -> None:
    end = NOW + dt.timedelta(days=30)
    bounded = (
        RoleSchedule(
            "rs", "active", IDS[0], GLOBAL_ADMIN_ROLE_ID, end=end, assignment_type="Assigned"
        ),
    )
    found = only(with_account1(schedules=bounded), "role.global_admin")
    assert found.severity == "error"
    assert end.strftime("%Y-%m-%d") in found.message


def test_activated_from_eligibility_is_an_error() -> None:
    activated = (
        RoleSchedule("rs", "active", IDS[0], GLOBAL_ADMIN_ROLE_ID, assignment_type="Activated"),
    )
    assert only(with_account1(schedules=activated), "role.global_admin").severity == "error"


def test_global_admin_at_a_narrow_scope_is_an_error() -> None:
    from bgwizard.graph.model import RoleAssignment

    scoped = (RoleAssignment("ra", IDS[0], GLOBAL_ADMIN_ROLE_ID, "/administrativeUnits/x"),)
    found = only(with_account1(assignments=scoped), "role.global_admin")
    assert found.severity == "error"
    assert "/administrativeUnits/x" in found.evidence


def test_global_admin_through_a_group_is_a_warning() -> None:
    role = GroupRef("dr1", "Global Administrator", "directoryRole", GLOBAL_ADMIN_ROLE_ID)
    report = with_account1(assignments=(), groups=(role,))
    assert only(report, "role.global_admin").severity == "warning"


def test_unreadable_schedules_leave_permanence_not_checked() -> None:
    report = with_account1(schedules=Unread("Permission missing: RoleAssignmentSchedule."))
    assert only(report, "role.global_admin").severity == "not_checked"
    assert report.result == "incomplete"


def test_password_only_account_lacks_a_strong_method() -> None:
    report = with_account1(methods=(AuthMethod("pw", "password"),))
    found = only(report, "auth.strong_method")
    assert found.severity == "error" and report.result == "fail"
    assert "password" in found.evidence and "certificateUserIds is empty" in found.evidence


def test_a_synced_passkey_is_not_phishing_resistant_enough() -> None:
    synced = AuthMethod("s", "fido2", "iCloud Keychain", passkey_type="synced")
    report = with_account1(methods=(AuthMethod("pw", "password"), synced))
    assert only(report, "auth.strong_method").severity == "error"
    assert "synced passkey" in only(report, "auth.other_methods").message


def test_certificate_based_auth_counts_through_certificate_user_ids() -> None:
    bound = dataclasses.replace(account(1).user, certificate_user_ids=("X509:<PN>kestrel1",))  # type: ignore[type-var]
    report = with_account1(methods=(AuthMethod("pw", "password"),), user=bound)
    found = only(report, "auth.strong_method")
    assert found.severity == "ok" and "certificateUserIds: 1" in found.evidence


def test_certificate_counts_as_strong() -> None:
    methods = (AuthMethod("pw", "password"), AuthMethod("c", "x509Certificate"))
    assert only(with_account1(methods=methods), "auth.strong_method").severity == "ok"


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("phone", "phone number"),
        ("microsoftAuthenticator", "Authenticator"),
        ("softwareOath", "software OATH"),
        ("hardwareOath", "hardware OATH"),
        ("email", "email"),
        ("temporaryAccessPass", "Temporary Access Pass"),
        ("qrCodePin", "QR code"),
        ("windowsHelloForBusiness", "Windows Hello"),
    ],
)
def test_other_methods_are_each_a_named_warning(kind: str, named: str) -> None:
    methods = (*account(1).methods, AuthMethod("m", kind, "Pixel 8"))  # type: ignore[misc]
    found = only(with_account1(methods=methods), "auth.other_methods")
    assert found.severity == "warning"
    assert kind in found.evidence and named in found.message and "Pixel 8" in found.message
    assert only(run_audit(snapshot()), "auth.other_methods").severity == "ok"


def test_two_other_methods_are_two_findings() -> None:
    extra = (AuthMethod("a", "phone", "+44 7700 900123"), AuthMethod("b", "email", "a@b.c"))
    report = with_account1(methods=(*account(1).methods, *extra))  # type: ignore[misc]
    found = [f for f in report.findings if f.rule == "auth.other_methods" and f.account == IDS[0]]
    assert sorted(f.evidence for f in found) == [
        "Method a: phone (+44 7700 900123).",
        "Method b: email (a@b.c).",
    ]


def test_global_admin_outside_pim_is_a_warning() -> None:
    direct = RoleSchedule("rs1", "active", IDS[0], GLOBAL_ADMIN_ROLE_ID, assignment_type="Assigned")
    found = only(with_account1(schedules=(direct,)), "role.pim")
    assert found.severity == "warning" and "outside PIM" in found.message
    assert "no startDateTime" in found.evidence
    assert only(run_audit(snapshot()), "role.pim").severity == "ok"


def test_a_tenant_without_pim_is_told_the_direct_assignment_is_right() -> None:
    no_p2 = Unread(
        "Reading PIM assignment schedules failed (HTTP 400).", code="AadPremiumLicenseRequired"
    )
    report = with_account1(schedules=no_p2)
    assert only(report, "role.pim").severity == "info"
    # Without PIM nothing can end the assignment: the role check still passes.
    assert only(report, "role.global_admin").severity == "ok" and report.result == "pass"
    other = with_account1(schedules=Unread("Throttled by Graph."))
    assert only(other, "role.pim").severity == "not_checked"


@pytest.mark.parametrize(
    ("count", "severity"), [(1, "warning"), (2, "ok"), (8, "ok"), (9, "warning")]
)
def test_global_admin_count_outside_two_to_eight_is_a_warning(count: int, severity: str) -> None:
    admins = tuple(
        RoleAssignment(f"a{i}", f"p{i}", GLOBAL_ADMIN_ROLE_ID, "/") for i in range(count)
    )
    scoped = RoleAssignment("s", "p-scoped", GLOBAL_ADMIN_ROLE_ID, "/administrativeUnits/x")
    found = only(
        run_audit(snapshot(global_admins=(*admins, scoped))), "role.global_admin_count", None
    )
    assert found.severity == severity and f"{count} principals" in found.evidence


@pytest.mark.parametrize(
    ("defaults", "severity"),
    [
        (True, "error"),
        (False, "ok"),
        (Unread("Permission missing: Policy.Read.All."), "not_checked"),
    ],
)
def test_security_defaults_on_is_an_error_with_what_to_do_instead(
    defaults: bool | Unread, severity: str
) -> None:
    found = only(run_audit(snapshot(security_defaults=defaults)), "ca.security_defaults", None)
    assert found.severity == severity
    if defaults is True:
        assert "exclusions don't apply" in found.message
        assert "Turn security defaults off" in found.fix and "Entra ID P1" in found.fix
        assert found.evidence == "identitySecurityDefaultsEnforcementPolicy.isEnabled = true."


def test_security_defaults_not_read_give_no_finding() -> None:
    report = run_audit(snapshot())
    assert not [f for f in report.findings if f.rule == "ca.security_defaults"]


def test_unreadable_methods_are_not_checked() -> None:
    report = with_account1(methods=Unread("Permission missing: UserAuthenticationMethod."))
    assert only(report, "auth.strong_method").severity == "not_checked"
    assert only(report, "auth.other_methods").severity == "not_checked"


def test_sign_in_without_a_drill_log_is_info_with_the_date() -> None:
    when = NOW - dt.timedelta(days=3)
    report = run_audit(snapshot(accounts=(account(1, last_success=when), account(2)), drills=None))
    found = only(report, "signin.unexplained")
    assert found.severity == "info"
    assert when.strftime("%Y-%m-%d") in found.message


def test_sign_in_explained_by_a_drill_passes() -> None:
    when = NOW - dt.timedelta(days=10, minutes=-5)
    report = run_audit(snapshot(accounts=(account(1, last_success=when), account(2))))
    assert only(report, "signin.unexplained").severity == "ok"


def test_sign_in_without_a_matching_drill_is_unexplained_use() -> None:
    when = NOW - dt.timedelta(days=2)
    report = run_audit(snapshot(accounts=(account(1, last_success=when), account(2))))
    found = only(report, "signin.unexplained")
    assert found.severity == "error"
    assert found.message.startswith("Unexplained use")
    assert report.result == "fail"


def test_a_drill_of_the_other_account_does_not_explain_a_sign_in() -> None:
    when = NOW - dt.timedelta(days=10)
    drills = (DrillRecord(IDS[1], when),)
    report = run_audit(
        snapshot(accounts=(account(1, last_success=when), account(2)), drills=drills)
    )
    assert only(report, "signin.unexplained").severity == "error"


def test_unreadable_sign_in_activity_is_not_checked() -> None:
    report = with_account1(last_success=Unread("Permission missing: AuditLog.Read.All."))
    assert only(report, "signin.unexplained").severity == "not_checked"


@pytest.mark.parametrize(
    ("drills", "severity"),
    [
        ((), "error"),
        ((DrillRecord(IDS[0], NOW - dt.timedelta(days=91)),), "warning"),
        ((DrillRecord(IDS[0], NOW - dt.timedelta(days=89)),), "ok"),
    ],
)
def test_last_drill(drills: tuple[DrillRecord, ...], severity: str) -> None:
    assert only(run_audit(snapshot(drills=drills)), "drill.last", None).severity == severity


def test_without_a_drill_log_the_last_drill_is_info() -> None:
    snap: AuditSnapshot = snapshot(drills=None, last_drill=dt.date(2026, 9, 1))
    found = only(run_audit(snap), "drill.last", None)
    assert found.severity == "info"
    assert "2026-09-01" in found.evidence


def test_warnings_alone_still_pass() -> None:
    report = with_account1(methods=(*account(1).methods, AuthMethod("p", "phone")))  # type: ignore[misc]
    assert report.count("warning") == 1
    assert report.result == "pass"


def test_errors_win_over_not_checked() -> None:
    report = run_audit(
        snapshot(
            accounts=(account(1, methods=Unread("throttled")), account(2, user=None)),
        )
    )
    assert report.count("not_checked") and report.count("error")
    assert report.result == "fail"
    assert report.exit_code == 1


def test_a_surname_containing_glass_is_not_flagged() -> None:
    douglass = dataclasses.replace(user(IDS[0], 1), display_name="Sam Douglass")
    assert only(with_account1(user=douglass), "account.name").severity == "ok"


@pytest.mark.parametrize("kind", ["setup-signin", "rotation", "passkey-signin"])
def test_a_logged_sign_in_bgwizard_made_explains_the_last_sign_in(kind: str) -> None:
    """Issue 20: the set-up's verification, a rotation's check and a passkey check are logged
    entries of their own kinds, and the audit accepts exactly those near the sign-in."""
    when = NOW - dt.timedelta(days=2)
    near = (DrillRecord(IDS[0], when - dt.timedelta(minutes=3), kind, seq=4),)
    report = run_audit(snapshot(accounts=(account(1, last_success=when), account(2)), drills=near))
    found = only(report, "signin.unexplained")
    assert found.severity == "ok", found
    assert f"entry 4 ({kind})" in found.evidence


@pytest.mark.parametrize(
    ("kind", "account_index", "minutes"),
    [
        ("setup-signin", 0, 90),  # logged, but not then
        ("setup-signin", 1, 3),  # the other account's
        ("note", 0, 3),  # a kind that records no sign-in
        ("key-change", 0, 0),
    ],
)
def test_no_logged_sign_in_explains_it_otherwise(
    kind: str, account_index: int, minutes: int
) -> None:
    when = NOW - dt.timedelta(days=2)
    near = (DrillRecord(IDS[account_index], when - dt.timedelta(minutes=minutes), kind),)
    report = run_audit(snapshot(accounts=(account(1, last_success=when), account(2)), drills=near))
    found = only(report, "signin.unexplained")
    assert found.severity == "error"
    assert found.message.startswith("Unexplained use")
