"""From the audit to the fix: "Fix CA exclusions" opens the set-up wizard's Conditional Access
step on the real stack, and after it the audit finds no policy missing a direct exclusion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consented import consented
from services.audit_support import audit_profile, bg_tenant, write_tenant
from textual.pilot import Pilot

from bgwizard.emulator import Emulator
from bgwizard.graph.ca_scope import applies_to_members
from bgwizard.graph.directory import GraphDirectory
from bgwizard.screens.audit import AuditScreen
from ui.setup_pilot import Stack, build, continue_shown, on, press, until


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant with two break glass accounts excluded only through a group."""
    with consented(Emulator(tenant_file=write_tenant(tmp_path, bg_tenant()))) as emulator:
        yield emulator


def _ca_rules(screen: Any) -> list[str]:
    # ca.dedicated_policy (info: the sample has no phishing-resistant break glass policy) is
    # not something the Conditional Access step fixes.
    return [f.rule for f in screen.report.problems if f.rule == "ca.exclusion"]


async def _sign_in(stack: Stack, pilot: Pilot[Any]) -> None:
    import asyncio

    from bgwizard.demo.info import DEMO_ADMIN_UPN
    from ui.setup_pilot import ADMIN_PASSWORD

    prompt = await stack.app.services.auth.start_device_code()
    finish = asyncio.ensure_future(stack.app.services.auth.finish_device_code(prompt))
    assert await asyncio.to_thread(
        stack.emu.approve_device_code, prompt.user_code, DEMO_ADMIN_UPN, ADMIN_PASSWORD
    )
    stack.app.identity = await finish
    await pilot.pause()


async def test_fix_ca_exclusions_from_the_audit(emu: Emulator, tmp_path: Path) -> None:
    profile = audit_profile(emu)
    profile.client_id = emu.public_client_id
    stack = build(emu, tmp_path, profile)
    stack.store.save(profile)
    app = stack.app
    try:
        async with app.run_test(size=(120, 45)) as pilot:
            await _sign_in(stack, pilot)
            app.action_open_journey("audit")
            await until(pilot, on(app, "AuditScreen"))
            audit = app.screen
            assert isinstance(audit, AuditScreen)
            await until(pilot, lambda: audit.report is not None, timeout=60)
            before = _ca_rules(audit)
            assert before, "the group-only exclusions must show up as CA findings"

            await pilot.press("f6")
            await until(pilot, on(app, "CaStepScreen"))
            await until(pilot, lambda: app.screen.query_one("#apply").display, timeout=60)
            await press(pilot, "#apply")
            await until(pilot, continue_shown(app), timeout=60)
            assert profile.accounts and all(a.object_id for a in profile.accounts)

            while not isinstance(app.screen, AuditScreen):
                app.pop_screen()
                await pilot.pause()
            await pilot.press("f5")
            await until(pilot, lambda: audit.report is not None and not _ca_rules(audit), 60)
    finally:
        await stack.directory.close()

    policies = await _policies(emu, stack)
    ids = {a.object_id for a in profile.accounts}
    reach = [p for p in policies if applies_to_members(p)]
    assert reach and all(ids <= set(p.exclude_users) for p in reach)
    # Guest-only and workload-identity-only policies cannot reach the accounts: left alone.
    assert not [p for p in policies if p not in reach and ids & set(p.exclude_users)]


async def _policies(emu: Emulator, stack: Stack) -> list[Any]:
    auth: Any = stack.app.services.auth
    directory = GraphDirectory(stack.profile, auth.credential())
    try:
        return await directory.list_ca_policies()
    finally:
        await directory.close()
