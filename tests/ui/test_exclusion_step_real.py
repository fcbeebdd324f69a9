"""The exclusion step and the Conditional Access step after it, driven by Pilot on the real
stack (emulator, msal, msgraph-sdk): the operator chooses the protected group with a restricted
unit; the tenant then holds a role-assignable group with exactly the two accounts, inside a
new RMAU, excluded instead of them from every policy that can apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from consented import consented
from textual.widgets import Checkbox, Input, RadioButton

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator
from bgwizard.graph.ca_scope import applies_to_members
from bgwizard.graph.model import CaPolicy
from bgwizard.profile.model import BreakGlassAccount
from bgwizard.secret import Secret
from bgwizard.tui.journeys import wizard_session
from ui.setup_pilot import (
    SIZE,
    admin_signed_in,
    build,
    continue_shown,
    on,
    press,
    until,
)

UPNS = (
    "svc-iam-recovery01@contosologistics.onmicrosoft.com",
    "svc-iam-recovery02@contosologistics.onmicrosoft.com",
)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emulator:
        yield emulator


async def test_choosing_the_group_and_an_rmau_then_the_ca_step(
    emu: Emulator, tmp_path: Path
) -> None:
    stack = build(emu, tmp_path)
    await admin_signed_in(stack)
    accounts = []
    for n, upn in enumerate(UPNS):
        made = await stack.directory.create_user(upn, f"R{n}", Secret(f"Real-Step-2026-Qz{n}!x"))
        await stack.directory.assign_role(made.user.id, GLOBAL_ADMIN_ROLE_ID)
        accounts.append(BreakGlassAccount(upn, object_id=made.user.id))
    stack.profile.accounts = accounts
    stack.profile.setup_steps_done = ["connect", "names"] + [
        f"{s}:{u}" for s in ("sheets", "create", "passkey", "role") for u in UPNS
    ]
    stack.store.save(stack.profile)
    app = stack.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            session = wizard_session(app)
            session.connected = True
            await app.push_screen(session.screen_for(session.next_step()))
            await until(pilot, on(app, "ExclusionStep"))
            app.screen.query_one("#mode-group", RadioButton).value = True
            await until(pilot, lambda: bool(app.screen.query_one("#group-options").display))
            app.screen.query_one("#group-name", Input).value = "Continuity Q7"
            app.screen.query_one("#rmau", Checkbox).value = True
            await press(pilot, "#apply-exclusion")
            await until(pilot, continue_shown(app))
            await press(pilot, "#continue")
            await until(pilot, on(app, "CaStepScreen"))
            await press(pilot, "#apply")
            await until(pilot, continue_shown(app))
    finally:
        await stack.directory.close()
    saved = stack.store.load()
    gid = saved.exclusion_group_id
    ids = {a.object_id for a in accounts}
    assert emu.state.groups[gid]["isAssignableToRole"] is True
    assert set(emu.state.members[gid]) == ids
    assert emu.state.unit_members[saved.exclusion_rmau_id] == [gid]
    assert emu.state.admin_units[saved.exclusion_rmau_id]["isMemberManagementRestricted"]
    policies = [CaPolicy.from_graph(p) for p in emu.state.policies.values()]
    reach = [p for p in policies if applies_to_members(p)]
    assert reach and all(gid in p.exclude_groups for p in reach)
    assert not any(ids & set(p.exclude_users) for p in policies)
    assert {"exclusion", "ca"} <= set(saved.setup_steps_done)
