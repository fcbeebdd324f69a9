"""The Conditional Access step on the real stack: apply, restore from the backup, apply again.
The wizard resumes at the step the journal names. (A refused step's one sentence and Retry
are screen logic, tested on fakes in ``test_setup_fakes``.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from bgwizard.auth.identity import SignedInIdentity
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.demo.info import DEMO_ADMIN_UPN
from bgwizard.emulator import Emulator
from bgwizard.setup.names import suggest_names
from bgwizard.setup.service import SetupService
from bgwizard.sheets.password import generate_password
from ui.setup_pilot import (
    ADMIN_PASSWORD,
    SAMPLE,
    SIZE,
    Stack,
    build,
    continue_shown,
    on,
    press,
    tenant_state,
    until,
)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(state_dir=tmp_path / "emu") as emulator:
        yield emulator


async def created(emu: Emulator, tmp_path: Path) -> tuple[Stack, SignedInIdentity, list[str]]:
    """The admin signed in and both accounts created headless (steps 1-4 journaled)."""
    stack = build(emu, tmp_path)
    auth = stack.app.services.auth
    assert isinstance(auth, MsalAuthenticator)
    prompt = await auth.start_device_code()
    assert await asyncio.to_thread(
        emu.approve_device_code, prompt.user_code, DEMO_ADMIN_UPN, ADMIN_PASSWORD
    )
    identity = await auth.finish_device_code(prompt)
    service = SetupService(stack.directory, stack.profile, stack.store, backup_dir=tmp_path / "b")
    await service.connect(identity)
    upns = suggest_names(stack.profile.initial_domain, 2)
    await service.choose_names(upns)
    for upn in upns:
        await service.record("sheets", upn)
        await service.create_account(upn, generate_password())
    return stack, identity, upns


async def test_restore_from_backup_in_the_conditional_access_step(
    emu: Emulator, tmp_path: Path
) -> None:
    stack, identity, upns = await created(emu, tmp_path)
    service = SetupService(stack.directory, stack.profile, stack.store, backup_dir=tmp_path / "b")
    for upn in upns:
        await service.ensure_global_admin(upn)
    total = len(SAMPLE["conditionalAccessPolicies"])
    app = stack.app
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.identity = identity
            app.action_open_journey("setup")
            await until(pilot, continue_shown(app))
            await press(pilot, "#continue")
            await until(pilot, on(app, "CaStepScreen"))
            plan = app.screen.query_one("#plan", Static)
            await until(pilot, lambda: "policies read" in str(plan.render()))
            await press(pilot, "#apply")
            await until(pilot, continue_shown(app))
            assert (await tenant_state(stack))["missing"] == []
            path = app.screen.query_one("#backup-path", Input).value
            assert path.endswith(".json") and Path(path).exists()
            await press(pilot, "#restore")
            await until(pilot, lambda: f"{total} policies to change" in _status(app))
            assert len((await tenant_state(stack))["missing"]) == total
            assert not continue_shown(app)()
            await press(pilot, "#apply")
            await until(pilot, continue_shown(app))
            assert (await tenant_state(stack))["missing"] == []
    finally:
        await stack.directory.close()
    backups = sorted((tmp_path / "profile" / "ca-backups").glob("*.json"))
    assert len(backups) == 2  # one before each apply


def _status(app: object) -> str:
    return str(app.screen.query_one("#step-status", Static).render())  # type: ignore[attr-defined]
