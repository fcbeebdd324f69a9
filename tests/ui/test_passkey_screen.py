"""The passkey screen with Pilot on the real stack (emulator, msal, msgraph-sdk, a software key).

A refused registration and its retry are screen logic, on fakes in ``test_passkey_fakes``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from consented import consented
from fakes_setup import FakeKeys
from soft_authenticator import SoftKey
from textual.widgets import Input, Static

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.demo.info import DEMO_ADMIN_UPN
from bgwizard.emulator import Emulator
from bgwizard.passkeys.device import KeyDevice
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.screens.passkeys import PasskeyScreen
from bgwizard.secret import Secret
from ui.setup_pilot import ADMIN_PASSWORD, SIZE, Stack, build, press, real_printer, until

TARGET = "tom.becker@contosologistics.com"
TARGET_ID = "00000005-1c4b-4e8a-9d2f-7a3e5b6c8d05"
PIN = "48151623"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emulator:
        yield emulator


def _stack(emu: Emulator, tmp_path: Path) -> Stack:
    profile = Profile(
        tenant_id=emu.tenant_id,
        authority_host=emu.base_url,
        graph_url=emu.graph_url,
        ca_bundle=str(emu.ca_pem_path),
        client_id=emu.public_client_id,
        demo=True,
        accounts=[BreakGlassAccount(upn=TARGET, object_id=TARGET_ID)],
    )
    stack = build(emu, tmp_path, profile)
    stack.store.save(profile)
    return stack


async def _sign_in(stack: Stack) -> None:
    auth = stack.app.services.auth
    assert isinstance(auth, MsalAuthenticator)
    prompt = await auth.start_device_code()
    approve = asyncio.to_thread(
        stack.emu.approve_device_code, prompt.user_code, DEMO_ADMIN_UPN, ADMIN_PASSWORD
    )
    _, approved = await asyncio.gather(auth.finish_device_code(prompt), approve)
    assert approved
    stack.app.identity = auth.identity


def _screen(stack: Stack, keys: Sequence[KeyDevice]) -> PasskeyScreen:
    services = stack.app.services
    return PasskeyScreen(
        stack.profile,
        passkeys=services.passkeys,
        keys=FakeKeys(keys),
        sheets=services.sheets,
        profiles=services.profiles,
        auth=services.auth,
        clock=stack.app.clock,
        upn=TARGET,
        new_pin=lambda: Secret(PIN),
    )


def _text(screen: PasskeyScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_new_key_is_registered_and_recorded(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_printer(tmp_path, monkeypatch)
    stack = _stack(emu, tmp_path)
    key = SoftKey()
    async with stack.app.run_test(size=SIZE) as pilot:
        await _sign_in(stack)
        screen = _screen(stack, [key])
        stack.app.push_screen(screen)
        await until(pilot, lambda: screen.is_mounted)
        await press(pilot, "#check")
        await until(pilot, lambda: screen.stage == "ready")
        checks = _text(screen, "#checks")
        assert "✗" not in checks
        assert "✓ The Passkey (FIDO2) policy allows security keys." in checks
        # The 5-minute window is information, not a passed check.
        assert "ℹ Entra ID's challenge is valid for 5 minutes" in checks
        assert "✓ Entra ID's challenge" not in checks
        assert "bgwizard SoftKey" in checks and "has no PIN yet" in checks
        assert "4815 1623" in _text(screen, "#pin-text")
        await press(pilot, "#print-pin")
        await until(
            pilot,
            lambda: (
                "printed. Job office-1 was purged: no copy is left"
                in _text(screen, "#passkey-status")
            ),
        )
        screen.query_one("#pin", Input).value = "1111 2222"
        await press(pilot, "#register")
        assert "not the PIN shown" in _text(screen, "#passkey-status")
        assert key.pin is None
        screen.query_one("#pin", Input).value = "4815 1623"
        await press(pilot, "#register")
        await until(pilot, lambda: screen.stage == "done")
        assert key.pin == PIN and key.touches == 1
        assert "is registered on tom.becker" in _text(screen, "#passkey-status")
        assert screen.query_one("#pin-box").display is False
        methods = await stack.directory.list_auth_methods(TARGET_ID)
        assert [m.display_name for m in methods if m.kind == "fido2"] == ["BG key 1"]
    saved = stack.store.load().accounts[0].security_keys
    assert [(k.label, k.aaguid, k.model) for k in saved] == [
        ("BG key 1", key.aaguid, "bgwizard SoftKey")
    ]
    assert PIN not in stack.store.path.read_text()
