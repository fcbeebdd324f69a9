"""The exclusion step's protected group (and RMAU) against the emulator, through the real msal
and msgraph-sdk: a role-assignable group holding exactly the two accounts, excluded instead of
them from every policy that can apply; the hold-out policies untouched; reruns change nothing;
the audit counts the group exclusion."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from setup_support import Rig, make_rig, names_and_sheets
from test_setup_2026 import PRIYA, SOFIA, holdout_emu  # noqa: F401  (the fixture)

from bgwizard.audit.service import AuditService
from bgwizard.emulator import Emulator, Fault
from bgwizard.errors import BgWizardError, ExclusionError
from bgwizard.graph.ca_scope import applies_to_members
from bgwizard.graph.model import CaPolicy
from bgwizard.profile.model import BreakGlassAccount
from bgwizard.setup.names import DEFAULT_GROUP_NAME

NAME = "Tenant continuity - 7Q"


async def _accounts(rig: Rig) -> list[str]:
    """Steps 1-5 headless: names, sheets, create, Global Administrator."""
    upns = await names_and_sheets(rig)
    for upn in upns:
        await rig.service.create_account(upn, rig.passwords[upn])
        await rig.service.ensure_global_admin(upn)
    return upns


def _group_named(emu: Emulator, name: str) -> list[dict[str, object]]:
    return [g for g in emu.state.groups.values() if g["displayName"] == name]


async def test_the_protected_group_is_excluded_instead_of_the_accounts(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(fresh_emu, tmp_path)
    try:
        await _accounts(rig)
        ids = {a.object_id for a in rig.profile.accounts}
        result = await rig.service.set_up_protected_group(NAME)
        plan = await rig.service.plan_ca()
        await rig.service.apply_ca(plan)
        again = await rig.reload().set_up_protected_group(NAME)
        replan = await rig.service.plan_ca()
        report = await AuditService(rig.graph, rig.profile).run()
    finally:
        await rig.close()
    [group] = _group_named(fresh_emu, NAME)
    assert group["isAssignableToRole"] is True and group["securityEnabled"] is True
    assert group["mailEnabled"] is False and group["groupTypes"] == []
    assert set(fresh_emu.state.members[str(group["id"])]) == ids
    assert result.created_group and set(result.added) == ids and not again.changed
    assert rig.profile.exclusion_group_id == group["id"]
    assert rig.profile.exclusion_group_name == NAME and rig.profile.exclusion_rmau_id == ""
    assert rig.store.load().exclusion_group_id == group["id"]
    assert rig.service.journal.is_done("exclusion") and rig.service.journal.is_done("ca")
    assert plan.changes and all(c.group_id == group["id"] for c in plan.changes)
    for policy in fresh_emu.state.policies.values():
        users = policy["conditions"]["users"]
        assert not ids & set(users.get("excludeUsers") or [])  # never the accounts
    policies = [CaPolicy.from_graph(p) for p in fresh_emu.state.policies.values()]
    reach = [p for p in policies if applies_to_members(p)]
    assert reach and all(group["id"] in p.exclude_groups for p in reach)
    assert replan.complete and not replan.changes
    ca = [f for f in report.findings if f.rule.startswith("ca.")]
    assert ca and not [f for f in ca if f.severity in ("error", "warning")]
    assert any("role-assignable group" in f.message for f in ca)


async def test_the_group_mode_leaves_the_holdout_policies_alone(
    holdout_emu: Emulator,  # noqa: F811
    tmp_path: Path,
) -> None:
    before = copy.deepcopy(holdout_emu.state.policies)
    rig = await make_rig(holdout_emu, tmp_path)
    try:
        rig.profile.accounts = [
            BreakGlassAccount(PRIYA["userPrincipalName"], object_id=PRIYA["id"]),
            BreakGlassAccount(SOFIA["userPrincipalName"], object_id=SOFIA["id"]),
        ]
        await rig.service.set_up_protected_group(DEFAULT_GROUP_NAME)
        plan = await rig.service.plan_ca()
        result = await rig.service.apply_ca(plan)
    finally:
        await rig.close()
    gid = rig.profile.exclusion_group_id
    after = holdout_emu.state.policies
    for n in (1, 2, 3):
        key = f"00000000-0000-4000-8000-00000000000{n}"
        assert after[key]["conditions"]["users"] == before[key]["conditions"]["users"]
    assert len(plan.skipped) == 3 and result.patched == ("Everyone: block legacy",)
    users = after["00000000-0000-4000-8000-000000000004"]["conditions"]["users"]
    assert users["excludeGroups"] == [gid] and users["excludeUsers"] == []


async def test_the_rmau_variant_puts_the_group_in_a_new_restricted_unit(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(fresh_emu, tmp_path)
    try:
        await _accounts(rig)
        first = await rig.service.set_up_protected_group(
            NAME, restricted_unit=True, unit_name="Continuity unit"
        )
        again = await rig.reload().set_up_protected_group(
            NAME, restricted_unit=True, unit_name="Continuity unit"
        )
    finally:
        await rig.close()
    [unit] = list(fresh_emu.state.admin_units.values())
    assert unit["isMemberManagementRestricted"] is True and unit["displayName"] == "Continuity unit"
    assert fresh_emu.state.unit_members[unit["id"]] == [rig.profile.exclusion_group_id]
    assert first.created_unit and first.unit_added and not again.changed
    assert rig.profile.exclusion_rmau_id == unit["id"] == rig.store.load().exclusion_rmau_id


async def test_a_group_with_other_members_is_refused_and_nothing_changes(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(fresh_emu, tmp_path)
    try:
        await _accounts(rig)
        made = await rig.graph.create_role_assignable_group(NAME, "someone else's")
        await rig.graph.add_group_member(made.id, PRIYA["id"])
        with pytest.raises(ExclusionError, match="other member") as caught:
            await rig.service.set_up_protected_group(NAME)
    finally:
        await rig.close()
    assert "\n" not in str(caught.value)
    assert fresh_emu.state.members[made.id] == [PRIYA["id"]]
    assert rig.profile.exclusion_group_id == "" and not rig.service.journal.is_done("exclusion")


async def test_restore_takes_the_group_exclusion_back_out(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    before = copy.deepcopy(fresh_emu.state.policies)
    rig = await make_rig(fresh_emu, tmp_path)
    try:
        await _accounts(rig)
        await rig.service.set_up_protected_group(NAME)
        result = await rig.service.apply_ca(await rig.service.plan_ca())
        assert result.backup is not None
        restored = await rig.service.restore_ca(result.backup)
    finally:
        await rig.close()
    assert sorted(restored) == sorted(result.patched)
    for key, policy in fresh_emu.state.policies.items():
        users = policy["conditions"]["users"]
        was = before[key]["conditions"]["users"]
        assert (users.get("excludeGroups") or []) == (was.get("excludeGroups") or []), key
        assert rig.profile.exclusion_group_id not in (users.get("excludeGroups") or [])
    assert not rig.service.journal.is_done("ca")


async def test_lost_answers_never_make_a_second_group_or_unit(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    """A create whose answer is lost on the way back (the object exists): the group is found
    by name in the same run; the unit on the rerun. Never two."""
    rig = await make_rig(fresh_emu, tmp_path)
    try:
        await _accounts(rig)
        fresh_emu.add_fault(Fault("POST", "/groups$", kind="drop_after", count=1))
        fresh_emu.add_fault(
            Fault("POST", "/directory/administrativeUnits$", kind="drop_after", count=1)
        )
        with pytest.raises(BgWizardError):  # the unit's answer is lost
            await rig.service.set_up_protected_group(NAME, restricted_unit=True, unit_name="U7")
        assert rig.reload().journal.is_done("exclusion") is False
        # the group's lost answer was recovered in the same run: found by name, kept
        assert rig.profile.exclusion_group_id == _group_named(fresh_emu, NAME)[0]["id"]
        result = await rig.service.set_up_protected_group(
            NAME, restricted_unit=True, unit_name="U7"
        )
    finally:
        await rig.close()
    assert len(_group_named(fresh_emu, NAME)) == 1 and len(fresh_emu.state.admin_units) == 1
    [unit] = fresh_emu.state.admin_units.values()
    assert result.unit is not None and result.unit.id == unit["id"] and not result.created_unit
    assert fresh_emu.state.unit_members[unit["id"]] == [result.group.id]
    assert rig.service.journal.is_done("exclusion")
