"""The set-up wizard's pure rules: journal and resume, names, the CA plan and its backup,
Global Administrator standing, sign-in token checks, method warnings, rotation records."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.errors import BackupError
from bgwizard.graph.ca_scope import PHISHING_RESISTANT_STRENGTH
from bgwizard.graph.model import AuthMethod, CaPolicy, RoleAssignment, RoleSchedule
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.setup.ca_plan import BACKUP_FORMAT, backup_document, plan_exclusions, restore_patches
from bgwizard.setup.checks import (
    MFA_WARNING,
    apply_rotation,
    method_warnings,
    missing_for_setup,
    role_status,
    sign_in_problems,
)
from bgwizard.setup.journal import STEP_IDS, SetupJournal, set_accounts
from bgwizard.setup.names import (
    check_names,
    check_upn,
    count_warning,
    suggest_names,
)

DOMAIN = "contoso.onmicrosoft.com"
A, B = "a@" + DOMAIN, "b@" + DOMAIN
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def two_accounts() -> Profile:
    profile = Profile(initial_domain=DOMAIN)
    set_accounts(profile, [A, B])
    return profile


def test_a_new_profile_starts_at_connect_then_names() -> None:
    journal = SetupJournal(two_accounts())
    assert journal.next_step() == "connect"
    assert journal.next_step(connected=True) == "names"


def test_per_account_steps_need_every_account() -> None:
    profile = two_accounts()
    journal = SetupJournal(profile)
    for step in ("names", "sheets"):
        journal.mark(step, None if step == "names" else A)
    assert journal.next_step(connected=True) == "sheets"
    assert journal.pending_accounts("sheets") == [B]
    journal.mark("sheets", B)
    assert journal.next_step(connected=True) == "create"
    assert not journal.mark("sheets", B)  # idempotent
    assert profile.setup_steps_done.count("sheets:" + B) == 1


def test_a_finished_journal_goes_to_the_summary() -> None:
    journal = SetupJournal(two_accounts())
    for step in STEP_IDS:
        for upn in (A, B):
            journal.mark(step, upn)
        journal.mark(step)
    assert journal.finished and journal.next_step(connected=True) == "summary"


def test_the_rail_marks_done_current_and_todo() -> None:
    journal = SetupJournal(two_accounts())
    journal.mark("names")
    states = {item.step: item.state for item in journal.rail("sheets")}
    assert states["connect"] == "done" and states["names"] == "done"
    assert states["sheets"] == "current" and states["ca"] == "todo"


def test_set_accounts_keeps_known_records() -> None:
    profile = two_accounts()
    profile.accounts[0].object_id = "id-a"
    set_accounts(profile, [A.upper(), "c@" + DOMAIN], ["Alex"])
    assert [a.object_id for a in profile.accounts] == ["id-a", ""]
    assert all(a.custodians == ["Alex"] for a in profile.accounts)


def test_suggestions_are_neutral_and_skip_taken_names() -> None:
    names = suggest_names(DOMAIN, 2, taken=["SVC-IAM-RECOVERY01@" + DOMAIN])
    assert names == ["svc-iam-recovery02@" + DOMAIN, "svc-iam-recovery03@" + DOMAIN]
    assert check_names(names, DOMAIN) == []


@pytest.mark.parametrize(
    "local", ["breakglass01", "bg-01", "bg01", "Emergency.Access", "tenant-admin", "ea.account"]
)
def test_names_that_advertise_the_purpose_warn(local: str) -> None:
    issues = check_upn(f"{local}@{DOMAIN}", DOMAIN)
    assert [i.level for i in issues] == ["warning"]


@pytest.mark.parametrize(
    ("upn", "said"),
    [
        ("svc01@contoso.com", "custom domain"),
        ("svc01@other.onmicrosoft.com", "not this tenant's initial domain"),
        ("svc..01@" + DOMAIN, "dot"),
        ("svc 01@" + DOMAIN, "may use only"),
        ("x" * 65 + "@" + DOMAIN, "longer than 64"),
        ("no-at-sign", "exactly one @"),
    ],
)
def test_names_breaking_the_rules_are_errors(upn: str, said: str) -> None:
    issues = check_upn(upn, DOMAIN)
    assert any(i.level == "error" and said in i.message for i in issues), issues


def test_counts_other_than_two_warn_and_duplicates_are_errors() -> None:
    assert count_warning(2) is None
    assert count_warning(1) is not None and count_warning(1).level == "warning"  # type: ignore[union-attr]
    assert count_warning(3) is not None
    issues = check_names([A, A.upper()], DOMAIN)
    assert any("chosen twice" in i.message for i in issues)


def policy(
    n: int, exclude_users: list[str], exclude_groups: list[str] = (), state: str = "enabled"
) -> CaPolicy:  # type: ignore[assignment]
    return CaPolicy.from_graph(
        {
            "id": f"p{n}",
            "displayName": f"Policy {n}",
            "state": state,
            "conditions": {
                "users": {
                    "includeUsers": ["All"],
                    "excludeUsers": exclude_users,
                    "excludeGroups": list(exclude_groups),
                },
                "applications": {"includeApplications": ["All"]},
            },
        }
    )


def test_the_plan_adds_only_missing_direct_exclusions() -> None:
    policies = [
        policy(1, ["ida", "idb"]),
        policy(2, ["ida"], state="disabled"),
        policy(3, [], ["g1"], state="enabledForReportingButNotEnforced"),
    ]
    plan = plan_exclusions(policies, ["ida", "idb"], {"ida": frozenset({"g1"})})
    assert plan.total == 3 and plan.already_done == 1
    two, three = plan.changes
    assert two.missing == ("idb",) and two.state == "disabled"
    assert two.patch["conditions"]["users"]["excludeUsers"] == ["ida", "idb"]
    assert three.via_group == ("ida",)  # a group exclusion is weaker: the direct one is added
    assert three.patch["conditions"]["users"]["excludeGroups"] == ["g1"]
    line = three.describe({"ida": A, "idb": B})
    assert "report-only" in line and "only through a group" in line and B in line


@given(st.lists(st.sampled_from(["ida", "idb", "x", "y"]), unique=True))
def test_after_the_patch_nothing_is_left_to_plan(excluded: list[str]) -> None:
    first = plan_exclusions([policy(1, excluded)], ["ida", "idb"])
    patched = [
        CaPolicy.from_graph({"id": "p1", "displayName": "P", "state": "enabled", **c.patch})
        for c in first.changes
    ]
    assert all(plan_exclusions(patched, ["ida", "idb"]).complete for _ in [0])
    for c in first.changes:
        users = c.patch["conditions"]["users"]["excludeUsers"]
        assert users[: len(excluded)] == excluded and len(users) == len(set(users))


def test_backup_and_restore_round_trip() -> None:
    original = policy(1, ["someone"])
    document = backup_document([original], tenant_id="t1", when=NOW)
    assert document["format"] == BACKUP_FORMAT and document["policies"][0]["id"] == "p1"
    [(policy_id, body)] = restore_patches(document, "t1")
    assert policy_id == "p1"
    assert body["conditions"]["users"]["excludeUsers"] == ["someone"]
    assert body["conditions"]["users"]["excludeGroups"] == []
    with pytest.raises(BackupError, match="another tenant"):
        restore_patches(document, "t2")
    with pytest.raises(BackupError, match="not a bgwizard"):
        restore_patches({"policies": []}, "t1")


def schedule(kind: str, end: dt.datetime | None = None, sid: str = "r1") -> RoleSchedule:
    return RoleSchedule(sid, kind, "u1", GLOBAL_ADMIN_ROLE_ID, "/", end=end)  # type: ignore[arg-type]


def test_role_status_permanent_time_bound_eligible_missing() -> None:
    active = [RoleAssignment("r1", "u1", GLOBAL_ADMIN_ROLE_ID, "/")]
    assert role_status("u1", active, [schedule("active")]).permanent
    bounded = role_status("u1", active, [schedule("active", NOW)])
    assert not bounded.permanent and "only until 2026-11-27" in str(bounded.problem())
    eligible = role_status("u1", [], [], [schedule("eligible")])
    assert eligible.eligible and "only eligible" in str(eligible.problem())
    assert "not assigned" in str(role_status("u1", [], []).problem())
    scoped = [RoleAssignment("r2", "u1", GLOBAL_ADMIN_ROLE_ID, "/administrativeUnits/x")]
    assert not role_status("u1", scoped).permanent


def identity(oid: str, *, ga: bool = True, scopes: tuple[str, ...] = ()) -> SignedInIdentity:
    return SignedInIdentity(
        oid, "t", f"{oid}@{DOMAIN}", role_ids=(GLOBAL_ADMIN_ROLE_ID,) if ga else (), scopes=scopes
    )


def test_sign_in_problems() -> None:
    assert sign_in_problems("u1", A, identity("u1")) == []
    assert any("not " + A in p for p in sign_in_problems("u1", A, identity("u2")))
    assert any(
        "Global Administrator" in p for p in sign_in_problems("u1", A, identity("u1", ga=False))
    )


def test_missing_for_setup_names_roles_and_permissions() -> None:
    assert missing_for_setup(identity("admin")) == []
    weak = missing_for_setup(identity("admin", ga=False, scopes=("User.Read",)))
    # Microsoft's table: least permissions and roles, one sentence per gap.
    assert any(
        "needs the role Global Administrator or Privileged Role Administrator" in p for p in weak
    )
    assert any("Privileged Authentication Administrator" in p for p in weak)
    assert any("permission User.Create " in p for p in weak)
    assert any("RoleManagement.ReadWrite.Directory" in p for p in weak)
    assert any("Policy.Read.All and Policy.ReadWrite.ConditionalAccess" in p for p in weak)
    # Creating users: the table documents no role, so none is demanded.
    assert not any("create the accounts" in p and "role" in p for p in weak)
    # A higher-privileged alternative from the table counts.
    wide = identity(
        "admin",
        scopes=(
            "Directory.ReadWrite.All",
            "Policy.Read.All",
            "Policy.ReadWrite.ConditionalAccess",
            "RoleManagement.ReadWrite.Directory",
            "UserAuthenticationMethod.ReadWrite.All",
        ),
    )
    assert missing_for_setup(wide) == []


def test_method_warnings() -> None:
    password = AuthMethod("28c1", "password")
    assert method_warnings([password]) == [MFA_WARNING]
    assert method_warnings([password, AuthMethod("k", "fido2", "YubiKey")]) == []
    phone = method_warnings([password, AuthMethod("p", "phone", detail="+44 7700 900123")])
    assert len(phone) == 2 and "+44 7700 900123" in phone[1]


def test_rotation_retires_old_sheets_and_records_the_new_one() -> None:
    account = BreakGlassAccount(
        A, object_id="u1", sheets=[SheetRecord("S-OLD", dt.date(2026, 1, 1))]
    )
    new = SheetRecord("S-NEW", NOW.date())
    retired = apply_rotation(account, new, ["Safe A", "Bank"], NOW.date())
    assert retired == ["S-OLD"] and account.current_serials == ["S-NEW"]
    assert account.locations == ["Safe A", "Bank"] and account.last_rotation == NOW.date()
    assert apply_rotation(account, new, [], NOW.date()) == []  # again: nothing more to retire


def _raw(n: int, users: dict[str, list[str]], grant: dict[str, object] | None = None) -> CaPolicy:
    return CaPolicy.from_graph(
        {
            "id": f"p{n}",
            "displayName": f"Policy {n}",
            "state": "enabled",
            "conditions": {"users": users},
            "grantControls": grant or {"operator": "OR", "builtInControls": ["block"]},
        }
    )


def test_the_plan_leaves_policies_that_cannot_apply_or_target_the_accounts_alone() -> None:
    strength = {"operator": "OR", "authenticationStrength": {"id": PHISHING_RESISTANT_STRENGTH}}
    policies = [
        _raw(1, {"includeUsers": ["None"]}),  # workload identities only
        _raw(2, {"includeUsers": ["GuestsOrExternalUsers"]}),  # guests only
        _raw(3, {"includeUsers": [], "includeGroups": ["bg-group"]}, strength),  # dedicated
        _raw(4, {"includeUsers": ["ida"]}),  # targets an account: never exclude it
        _raw(5, {"includeUsers": ["All"]}),
    ]
    plan = plan_exclusions(policies, ["ida", "idb"], protected_group="bg-group")
    assert [(s.policy_id, s.reason) for s in plan.skipped] == [
        ("p1", "no_members"),
        ("p2", "no_members"),
        ("p3", "targets_break_glass"),
        ("p4", "targets_break_glass"),
    ]
    [change] = plan.changes
    assert change.policy_id == "p5" and change.group_id == "bg-group"
    assert change.patch["conditions"]["users"]["excludeGroups"] == ["bg-group"]
    assert change.patch["conditions"]["users"]["excludeUsers"] == []
    assert "add group BG to excluded groups" in change.describe({"bg-group": "BG"})
    assert "neutralise" in plan.skipped[2].describe()
    assert plan.total == 5 and plan.already_done == 0
    # Direct exclusion: the accounts' groups tell that p3 is their dedicated policy.
    direct = plan_exclusions(policies, ["ida", "idb"], {"ida": frozenset({"bg-group"})})
    assert [c.policy_id for c in direct.changes] == ["p5"]
    assert direct.changes[0].patch["conditions"]["users"]["excludeUsers"] == ["ida", "idb"]
    # A phishing-resistant policy on a group the accounts are not in is an ordinary one.
    other = plan_exclusions(policies, ["ida", "idb"], {"ida": frozenset({"staff"})})
    assert [c.policy_id for c in other.changes] == ["p3", "p5"]
