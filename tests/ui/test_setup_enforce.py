"""The wizard's last Conditional Access steps on the real stack, with security keys: the
accounts (made headless up to the dedicated policy, each with the tests' software key
registered through Graph) verify by signing in with the key in the approval dialog, and the
'Dedicated policy on' step switches the report-only policy on, backed up and read back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consented import consented
from fakes_setup import FakeKeys
from soft_authenticator import SoftKey
from textual.pilot import Pilot
from textual.widgets import Input, Static

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.demo.info import DEMO_ADMIN_UPN
from bgwizard.emulator import Emulator
from bgwizard.passkeys.service import PasskeyGraph, enrol_key
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.secret import Secret
from bgwizard.setup.names import suggest_names
from bgwizard.sheets.password import generate_password
from ui.setup_pilot import (
    ADMIN_PASSWORD,
    Stack,
    approve_in_dialog,
    build,
    continue_shown,
    on,
    press,
    until,
)
from ui.test_setup_wizard import sign_into_log

PIN = "48151623"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emulator:
        yield emulator


async def _ready_for_verify(stack: Stack) -> tuple[SoftKey, list[str]]:
    """Steps up to the dedicated policy, headless through the app's own services (the admin
    signed in); one software key registered on both accounts."""
    services = stack.app.services
    auth = services.auth
    assert isinstance(auth, MsalAuthenticator)
    prompt = await auth.start_device_code()
    assert await asyncio.to_thread(
        stack.emu.approve_device_code, prompt.user_code, DEMO_ADMIN_UPN, ADMIN_PASSWORD
    )
    identity = await auth.finish_device_code(prompt)
    service = services.setup
    assert await service.connect(identity) == []
    upns = suggest_names(stack.profile.initial_domain, 2)
    await service.choose_names(upns)
    key = SoftKey(pin=PIN)
    for upn in upns:
        await service.record("sheets", upn)
        stack.papers[upn] = (password := generate_password()).reveal()
        await service.create_account(upn, password)
        await service.record("passkey", upn)  # the passkey step is built on another branch
        await service.ensure_global_admin(upn)
    await service.record("exclusion")  # so is the exclusion step
    await service.apply_ca(await service.plan_ca())
    await service.ensure_dedicated_policy()
    for item in stack.profile.accounts:
        await enrol_key(
            PasskeyGraph(stack.directory.connection),
            key,
            user_id=item.object_id,
            label="BG key",
            pin=Secret(PIN),
        )
        item.strong_method = "passkey"
    stack.store.save(stack.profile)
    return key, upns


async def _verify_with_key(stack: Stack, pilot: Pilot[Any], upn: str) -> None:
    app = stack.app
    panel = app.screen.query_one(VerifyPanel)
    await until(pilot, lambda: panel.upn == upn)
    await press(pilot, "#verify-start")
    await until(pilot, lambda: panel.prompt is not None)
    await press(pilot, "#verify-approve")
    await until(pilot, on(app, "ApproveDialog"))
    app.screen.query_one("#key-pin", Input).value = PIN
    await press(pilot, "#use-key")
    await until(pilot, lambda: f"verify:{upn}" in stack.profile.setup_steps_done)
    await sign_into_log(stack, pilot)


async def test_key_sign_ins_let_the_wizard_switch_the_policy_on(
    emu: Emulator, tmp_path: Path
) -> None:
    stack = build(emu, tmp_path)
    app = stack.app
    try:
        key, upns = await _ready_for_verify(stack)
        app.services.keys = FakeKeys([key])  # type: ignore[misc]  # the key plugged in
        async with app.run_test(size=(120, 44)) as pilot:
            app.action_open_journey("setup")
            await until(pilot, on(app, "ConnectStep"))  # signed in already: checks at once
            await until(pilot, continue_shown(app))
            await press(pilot, "#continue")

            await until(pilot, on(app, "VerifyStep"))  # resumed where the journal says
            assert "security key" in str(app.screen.query_one("#step-intro", Static).render())
            # The password from the sheet is refused for an account with a passkey.
            panel = app.screen.query_one(VerifyPanel)
            await until(pilot, lambda: panel.upn == upns[0])
            await press(pilot, "#verify-start")
            await until(pilot, lambda: panel.prompt is not None)
            await approve_in_dialog(stack, pilot, upns[0], stack.papers[upns[0]])
            status = app.screen.query_one("#step-status", Static)
            await until(pilot, lambda: "sign in with the security key" in str(status.render()))
            assert f"verify:{upns[0]}" not in stack.profile.setup_steps_done
            for upn in upns:
                await _verify_with_key(stack, pilot, upn)
            await until(pilot, continue_shown(app))
            await press(pilot, "#continue")

            await until(pilot, on(app, "EnforceStep"))
            text = app.screen.query_one("#enforce", Static)
            assert "Every account verified with its security key" in str(text.render())
            await press(pilot, "#enforce-policy")
            await until(pilot, continue_shown(app))
            assert "is on (read back: enabled)" in str(text.render())
            await press(pilot, "#continue")
            await until(pilot, on(app, "MethodsStep"))
            await until(pilot, continue_shown(app))  # its read is done before the app closes
        saved = stack.store.load()
        assert emu.state.policies[saved.dedicated_policy_id]["state"] == "enabled"
        assert "enforce" in saved.setup_steps_done
        assert key.counter == len(upns)  # one key sign-in per account
        backups = list((tmp_path / "profile" / "ca-backups").glob("ca-backup-*.json"))
        assert saved.setup_ca_backups[-1] in {str(b) for b in backups}
    finally:
        await stack.directory.close()
