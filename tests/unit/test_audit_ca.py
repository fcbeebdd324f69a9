"""The Conditional Access rule, on hand-made policies and on the real baselines."""

from __future__ import annotations

import datetime as dt

import pytest
from audit_factory import FIXTURES, IDS, J0EYV_BG_GROUP, NOW, account, policy, snapshot

from bgwizard.audit.engine import run_audit
from bgwizard.audit.exports import groups_of, parse_policies
from bgwizard.audit.model import (
    AccountSnapshot,
    AuditReport,
    AuditSnapshot,
    Finding,
    Unread,
)
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.graph.ca_scope import PHISHING_RESISTANT_STRENGTH
from bgwizard.graph.model import CaPolicy, GroupRef
from bgwizard.profile.model import BreakGlassAccount

BG_GROUP = "99999999-0000-0000-0000-00000000bbbb"
OUTER = "99999999-0000-0000-0000-00000000cccc"


def ca(report: AuditReport, n: int = 1) -> list[Finding]:
    return [f for f in report.findings if f.rule == "ca.exclusion" and f.account == IDS[n - 1]]


def grade_one(pol: CaPolicy, **account_changes: object) -> Finding:
    report = run_audit(
        snapshot(accounts=(account(1, **account_changes), account(2)), policies=(pol,))
    )
    (found,) = ca(report)
    return found


def test_direct_exclusion_passes() -> None:
    found = grade_one(policy())
    assert found.severity == "ok"
    assert found.policy is not None and found.policy.id == "pol-require-mfa"


@pytest.mark.parametrize(
    ("state", "severity"),
    [
        ("enabled", "error"),
        ("enabledForReportingButNotEnforced", "info"),
        ("disabled", "info"),
    ],
)
def test_missing_exclusion_by_state(state: str, severity: str) -> None:
    found = grade_one(policy("Block legacy auth", state, exclude_users=()))
    assert found.severity == severity
    assert found.message.startswith("Not excluded from this")
    assert found.policy is not None and found.policy.display_name == "Block legacy auth"
    assert "excluded users" in found.fix
    assert f"State: {state}." in found.evidence


def test_exclusion_through_a_nested_group_is_indirect() -> None:
    pol = policy(exclude_users=(), excludeGroups=(BG_GROUP,))
    # transitiveMemberOf lists the outer group too: nesting resolved by Graph.
    groups = (GroupRef(OUTER, "Outer"), GroupRef(BG_GROUP, "CA-BreakGlassAccounts - Exclude"))
    found = grade_one(pol, groups=groups)
    assert found.severity == "warning"
    assert "not role-assignable" in found.message
    assert BG_GROUP in found.message


def test_exclusion_through_a_role_assignable_group_counts() -> None:
    pol = policy(exclude_users=(), excludeGroups=(BG_GROUP,))
    groups = (GroupRef(OUTER, "Outer"), GroupRef(BG_GROUP, "BG", role_assignable=True))
    found = grade_one(pol, groups=groups)
    assert found.severity == "ok" and "role-assignable group" in found.message


def test_the_dedicated_phishing_resistant_policy_passes_and_must_not_exclude() -> None:
    strength = {"authenticationStrength": {"id": PHISHING_RESISTANT_STRENGTH}}
    dedicated = policy(
        "BG phishing-resistant", include_users=(), exclude_users=(), includeGroups=(BG_GROUP,)
    )
    dedicated = CaPolicy.from_graph({**dedicated.raw, "grantControls": strength})
    groups = (GroupRef(BG_GROUP, "BG", role_assignable=True),)
    found = grade_one(dedicated, groups=groups)
    assert found.severity == "ok" and "Dedicated break glass policy" in found.message
    snap = snapshot(
        accounts=tuple(account(n, groups=groups) for n in (1, 2)), policies=(policy(), dedicated)
    )
    [summary] = [f for f in run_audit(snap).findings if f.rule == "ca.dedicated_policy"]
    assert summary.severity == "ok" and summary.message == "Dedicated break glass policy present."
    neutralised = CaPolicy.from_graph(
        {
            **dedicated.raw,
            "conditions": {"users": {"includeGroups": [BG_GROUP], "excludeUsers": [IDS[0]]}},
        }
    )
    assert grade_one(neutralised, groups=groups).severity == "warning"


def test_group_names_appear_in_the_evidence() -> None:
    pol = policy(exclude_users=(), excludeGroups=(BG_GROUP,))
    snap = snapshot(
        accounts=(account(1, groups=(GroupRef(BG_GROUP),)), account(2)),
        policies=(pol,),
        group_names={BG_GROUP: "BG exclusions"},
    )
    (found,) = ca(run_audit(snap))
    assert "BG exclusions" in found.message
    assert "BG exclusions" in found.evidence


def test_exclusion_of_a_group_the_account_is_not_in_is_missing() -> None:
    pol = policy(exclude_users=(), excludeGroups=(BG_GROUP,))
    assert grade_one(pol, groups=(GroupRef(OUTER),)).severity == "error"


def test_exclusion_through_a_role_is_indirect() -> None:
    pol = policy(exclude_users=(), excludeRoles=(GLOBAL_ADMIN_ROLE_ID,))
    assert grade_one(pol).severity == "warning"


def test_policy_that_includes_the_account_is_info_with_its_controls() -> None:
    pol = policy("Phishing-resistant MFA for BG", include_users=(IDS[0],), exclude_users=())
    found = grade_one(pol)
    assert found.severity == "info"
    assert "mfa" in found.message


def test_policy_that_includes_the_account_through_a_group_is_info() -> None:
    pol = policy(include_users=(), exclude_users=(), includeGroups=(BG_GROUP,))
    assert grade_one(pol, groups=(GroupRef(BG_GROUP),)).severity == "info"


@pytest.mark.parametrize(
    "users",
    [
        {"include_users": ("None",)},
        {"include_users": ("GuestsOrExternalUsers",)},
        {"include_users": ()},
    ],
)
def test_policies_that_cannot_target_members_do_not_apply(
    users: dict[str, tuple[str, ...]],
) -> None:
    found = grade_one(policy(exclude_users=(), **users))  # type: ignore[arg-type]
    assert found.severity == "ok"
    assert "Does not apply" in found.message


def test_policy_targeting_a_role_without_exclusion_is_an_error() -> None:
    pol = policy(include_users=(), exclude_users=(), includeRoles=(GLOBAL_ADMIN_ROLE_ID,))
    assert grade_one(pol).severity == "error"


def test_unknown_memberships_online_are_not_checked_never_passed() -> None:
    pol = policy(exclude_users=(), excludeGroups=(BG_GROUP,))
    found = grade_one(pol, groups=Unread("Permission missing: GroupMember.Read.All."))
    assert found.severity == "not_checked"
    assert "GroupMember.Read.All" in found.message


def test_unknown_memberships_still_find_policies_with_no_group_exclusion() -> None:
    found = grade_one(policy(exclude_users=()), groups=Unread("throttled"))
    assert found.severity == "error"


def test_unreadable_policies_make_the_audit_incomplete() -> None:
    report = run_audit(snapshot(policies=Unread("Permission missing: Policy.Read.All.")))
    assert [f.rule for f in report.not_checked] == ["ca.read"]
    assert report.result == "incomplete"
    assert report.policy_count is None


def test_one_finding_per_account_and_policy() -> None:
    policies = tuple(policy(f"P{i}", exclude_users=()) for i in range(5))
    report = run_audit(snapshot(policies=policies))
    gaps = [f for f in report.findings if f.rule == "ca.exclusion"]
    assert len(gaps) == 10
    assert {(f.account, f.policy.id) for f in gaps if f.policy} == {
        (a, p.id) for a in IDS for p in policies
    }


# -- the real baselines ----------------------------------------------------------------


def load(folder: str) -> tuple[CaPolicy, ...]:
    root = FIXTURES / folder
    policies: list[CaPolicy] = []
    for path in sorted(root.rglob("*.json")):
        if path.name != "MigrationTable.json":
            policies += parse_policies(path.read_bytes(), str(path.relative_to(root)))
    return tuple(policies)


def online_snapshot(policies: tuple[CaPolicy, ...], group: str) -> AuditSnapshot:
    accounts = tuple(account(n, groups=(GroupRef(group),)) for n in (1, 2))
    return snapshot(accounts=accounts, policies=policies, now=NOW)


def test_j0eyv_baseline_finds_ca006_and_ca301_and_grades_the_group_as_indirect() -> None:
    policies = load("j0eyv-ConditionalAccessBaseline")
    assert len(policies) == 36
    report = run_audit(online_snapshot(policies, J0EYV_BG_GROUP))
    for n in (1, 2):
        found = ca(report, n)
        assert len(found) == 36
        errors = sorted(
            f.policy.display_name[:5] for f in found if f.severity == "error" and f.policy
        )
        assert errors == ["CA006", "CA301"]
        indirect = [f for f in found if f.severity == "warning"]
        assert len(indirect) == 24  # 29 exclude the group; CA400-CA404 are guest-only
        assert all("through group" in f.message for f in indirect)
        not_applicable = [f for f in found if f.severity == "ok"]
        assert sorted(f.policy.display_name[:5] for f in not_applicable if f.policy) == [
            "CA400",
            "CA401",
            "CA402",
            "CA403",
            "CA404",
            "CA501",
            "CA502",
            "CA503",
            "CA504",
            "CA505",
        ]
    assert report.result == "fail"


def offline_snapshot(
    policies: tuple[CaPolicy, ...], groups: dict[str, frozenset[str]] | None
) -> AuditSnapshot:
    known = groups or {}
    accounts = tuple(
        AccountSnapshot(
            BreakGlassAccount(upn="", object_id=oid),
            user=Unread("offline"),
            groups=tuple(GroupRef(g) for g in groups_of(oid, known)),
        )
        for oid in IDS
    )
    return AuditSnapshot(
        now=NOW,
        accounts=accounts,
        policies=policies,
        offline=True,
        known_groups=frozenset(known),
    )


def test_alexfilipin_offline_without_groups_names_the_unresolved_group() -> None:
    policies = load("AlexFilipin-ConditionalAccess")
    assert len(policies) == 59
    report = run_audit(offline_snapshot(policies, None))
    found = ca(report)
    unresolved = [f for f in found if "cannot be resolved offline" in f.message]
    # 48 exclude the break-glass group, 2 of them guest-only (507, 508); 6 only temp/perm groups.
    assert len(unresolved) == 46 + 6
    assert any("<EmergencyAccessAccountsGroup>" in f.message for f in unresolved)
    assert all(f.severity == "warning" for f in unresolved)
    # Nothing from offline policy files can be an error: every policy is report-only.
    assert report.count("error") == 0
    missing = [f.policy.display_name[:3] for f in found if "Not excluded" in f.message and f.policy]
    # 600 excludes nothing; 110 includes the (unresolved) break-glass group instead.
    assert missing == ["110", "600"]


def test_alexfilipin_offline_with_groups_resolves_the_placeholder() -> None:
    policies = load("AlexFilipin-ConditionalAccess")
    groups = {"<EmergencyAccessAccountsGroup>": frozenset(IDS)}
    report = run_audit(offline_snapshot(policies, groups))
    found = ca(report)
    indirect = [f for f in found if "through group" in f.message]
    assert len(indirect) == 46  # 48 minus guest-only 507 and 508
    info = [f for f in found if f.severity == "info"]
    # 600 is report-only: it enforces nothing today (info, not a warning).
    assert [f.policy.display_name[:3] for f in info if f.policy] == ["600"]
    passing = sorted(f.policy.display_name[:3] for f in found if f.severity == "ok" and f.policy)
    # 110 "Require Strong Auth For BreakGlassAccounts" is the dedicated policy; the rest
    # cannot apply to member accounts.
    assert passing == ["110", "210", "507", "508", "700", "701"]


def test_scubagear_direct_exclusion_in_pascal_case_is_read() -> None:
    policies = load("cisagov-ScubaGear/Sample-Reports")
    assert len(policies) == 7
    excluded = [p for p in policies if p.exclude_users]
    assert len(excluded) == 1
    oid = excluded[0].exclude_users[0]
    snap = snapshot(
        accounts=(account(1),),
        policies=policies,
    )
    report = run_audit(snap)
    assert all(f.severity == "error" for f in ca(report))
    assert oid not in IDS
    assert dt.datetime.now(dt.UTC) > NOW - dt.timedelta(days=1)
