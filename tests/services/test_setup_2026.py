"""Set-up as Microsoft advises in 2026, against the emulator with the real msal and msgraph-sdk:
Global Administrator through PIM in a P2 tenant and directly elsewhere, and the hold-out
policy set (workload-identity-only, guest-only, break-glass-targeted) left without exclusions.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consented import consented
from service_support import SAMPLE
from setup_support import UNDISTURBED, end_state, make_rig, run_setup

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator
from bgwizard.graph.ca_scope import PHISHING_RESISTANT_STRENGTH
from bgwizard.profile.model import BreakGlassAccount

PRIYA = next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("priya."))
SOFIA = next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("sofia."))


def _emulator(tmp_path: Path, change: Any) -> Iterator[Emulator]:
    tenant = copy.deepcopy(SAMPLE)
    change(tenant)
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(tenant))
    with consented(Emulator(tenant_file=path)) as emulator:
        yield emulator


@pytest.fixture
def p1_emu(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant with Entra ID P1 only: no PIM."""
    yield from _emulator(tmp_path, lambda t: t["tenant"].update(licence="p1"))


def _pim_schedules(emu: Emulator, ids: set[str]) -> dict[str, str | None]:
    """Assignment id → the schedule start the emulator keeps (None: made outside PIM)."""
    return {
        a["id"]: emu.state.assignment_starts.get(a["id"])
        for a in emu.state.role_assignments.values()
        if a["principalId"] in ids and a["roleDefinitionId"] == GLOBAL_ADMIN_ROLE_ID
    }


async def test_a_p2_tenant_gets_global_admin_through_pim(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(fresh_emu, tmp_path)
    try:
        upns = await run_setup(rig)
        state = await end_state(rig.graph, upns)
        statuses = [await rig.service.role_status(a.object_id) for a in rig.profile.accounts]
    finally:
        await rig.close()
    assert state["ga"] == UNDISTURBED["ga"] and state["ends"] == UNDISTURBED["ends"]
    starts = _pim_schedules(fresh_emu, {a.object_id for a in rig.profile.accounts})
    assert len(starts) == 2 and all(starts.values())  # both made by PIM requests
    assert all(s.through_pim and s.permanent for s in statuses)
    activities = [a["activityDisplayName"] for a in fresh_emu.state.audits]
    assert activities.count("Add member to role completed (PIM activation)") == 2


async def test_a_p1_tenant_gets_the_direct_assignment_and_is_told_why(
    p1_emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(p1_emu, tmp_path)
    try:
        upns = await run_setup(rig)
        state = await end_state(rig.graph, upns)
        rig.service.journal.entries.clear()
        rig.profile.accounts = [
            BreakGlassAccount(PRIYA["userPrincipalName"], object_id=PRIYA["id"])
        ]
        result = await rig.service.ensure_global_admin(PRIYA["userPrincipalName"])
    finally:
        await rig.close()
    assert state["ga"] == UNDISTURBED["ga"] and state["missing"] == []
    assert result.route == "direct" and "no PIM" in result.note
    assert result.after.permanent and not result.after.through_pim


def _holdout(tenant: dict[str, Any]) -> None:
    """Three policies no exclusion may be added to, and one ordinary policy that needs it."""
    base = copy.deepcopy(SAMPLE["conditionalAccessPolicies"][1])  # CA001, block, All users

    def policy(n: int, name: str, users: dict[str, Any], grant: dict[str, Any]) -> dict[str, Any]:
        made = copy.deepcopy(base)
        made.update(id=f"00000000-0000-4000-8000-00000000000{n}", displayName=name)
        made["conditions"]["users"] = {
            "includeUsers": [],
            "excludeUsers": [],
            "includeGroups": [],
            "excludeGroups": [],
            "includeRoles": [],
            "excludeRoles": [],
            **users,
        }
        made["grantControls"] = {"operator": "OR", "builtInControls": [], **grant}
        return made

    tenant["conditionalAccessPolicies"] = [
        policy(
            1,
            "Workload identities: block risky",
            {"includeUsers": ["None"]},
            {"builtInControls": ["block"]},
        ),
        policy(
            2,
            "Guests: MFA",
            {"includeUsers": ["GuestsOrExternalUsers"]},
            {"builtInControls": ["mfa"]},
        ),
        policy(
            3,
            "Break glass: phishing-resistant MFA",
            {"includeUsers": [PRIYA["id"], SOFIA["id"]]},
            {"authenticationStrength": {"id": PHISHING_RESISTANT_STRENGTH}},
        ),
        policy(
            4, "Everyone: block legacy", {"includeUsers": ["All"]}, {"builtInControls": ["block"]}
        ),
    ]


@pytest.fixture
def holdout_emu(tmp_path: Path) -> Iterator[Emulator]:
    """A tenant whose policies are the hold-out set (Priya and Sofia stand for the accounts)."""
    yield from _emulator(tmp_path, _holdout)


async def test_the_holdout_policies_get_no_exclusion(holdout_emu: Emulator, tmp_path: Path) -> None:
    before = copy.deepcopy(holdout_emu.state.policies)
    rig = await make_rig(holdout_emu, tmp_path)
    try:
        rig.profile.accounts = [
            BreakGlassAccount(PRIYA["userPrincipalName"], object_id=PRIYA["id"]),
            BreakGlassAccount(SOFIA["userPrincipalName"], object_id=SOFIA["id"]),
        ]
        plan = await rig.service.plan_ca()
        result = await rig.service.apply_ca(plan)
    finally:
        await rig.close()
    after = holdout_emu.state.policies
    for n in (1, 2, 3):  # untouched, byte for byte
        key = f"00000000-0000-4000-8000-00000000000{n}"
        assert after[key]["conditions"]["users"] == before[key]["conditions"]["users"]
    assert {s.reason for s in plan.skipped} == {"no_members", "targets_break_glass"}
    assert len(plan.skipped) == 3 and result.patched == ("Everyone: block legacy",)
    users = after["00000000-0000-4000-8000-000000000004"]["conditions"]["users"]
    assert users["excludeUsers"] == [PRIYA["id"], SOFIA["id"]]
