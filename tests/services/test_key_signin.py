"""The drill's sign-in with the security key: real msal device code flow, real Graph.

The break glass account gets a software key registered through Graph (attestation verified);
the drill's separate sign-in is approved by ``EmulatorApprover.approve_with_key`` — the
emulator's challenge signed by the key after its PIN, over the ``KeyDevice`` API or over real
CTAP2 (``HidKeyDevice``) — and the token's ``amr`` decides the portal-ready item.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from drill_support import BG_PASSWORD, BreakGlass, drill_checks, set_up_break_glass, sign_in_as
from soft_authenticator import SoftCtapDevice, SoftKey

from bgwizard.demo.approver import EmulatorApprover
from bgwizard.drill.model import ItemResult
from bgwizard.drill.service import DrillChecks
from bgwizard.emulator import Emulator
from bgwizard.errors import AuthError, KeyDeviceError
from bgwizard.graph.directory import GraphDirectory
from bgwizard.passkeys.service import KeyDevice, PasskeyGraph, enrol_key
from bgwizard.passkeys.usb_device import HidKeyDevice
from bgwizard.ports import KeyApprover
from bgwizard.secret import Secret

PIN = Secret("48151623")


def _by_id(results: list[ItemResult]) -> dict[str, ItemResult]:
    return {r.id: r for r in results}


async def _with_key(graph: GraphDirectory, emu: Emulator) -> tuple[BreakGlass, SoftKey]:
    setup = await set_up_break_glass(emu, graph, count=2, passkey=False)  # its own key below
    key = SoftKey(pin=PIN.reveal())
    account = setup.accounts[0]
    await enrol_key(
        PasskeyGraph(graph.connection), key, user_id=account.object_id, label="BG key", pin=PIN
    )
    return setup, key


async def _sign_in_with(
    emu: Emulator, checks: DrillChecks, device: KeyDevice, pin: Secret = PIN
) -> tuple[list[ItemResult], BaseException | None]:
    """Start the drill's sign-in, approve it with the key, wait for the token."""
    prompt = await checks.start_sign_in()
    try:
        await EmulatorApprover(emu).approve_with_key(
            prompt.user_code, checks.account.upn, device, pin
        )
    except (AuthError, KeyDeviceError) as exc:
        checks.cancel_sign_in(prompt)
        return [], exc
    return await checks.finish_sign_in(prompt), None


async def test_a_key_sign_in_is_portal_ready(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup, key = await _with_key(fresh_graph, fresh_emu)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    checks = drill_checks(setup)
    try:
        results, error = await _sign_in_with(fresh_emu, checks, key)
        assert error is None
        signin = _by_id(results)["signin"]
        assert signin.status == "pass" and signin.evidence["method"] == "FIDO2 security key"
        assert "(FIDO2 security key)" in signin.detail
        during = _by_id(await checks.during_checks())
        after = _by_id(await checks.after_checks(start, dt.datetime.now(dt.UTC)))
    finally:
        await checks.close()
    portal = during["portal_signin"]
    assert portal.status == "pass" and portal.evidence["amr"] == "fido, mfa"
    assert "admin portals accept" in portal.detail
    assert during["audit_rules"].status == "pass", during["audit_rules"].detail
    assert after["signin_evidence"].status == "pass"
    assert key.counter == 1 and "get_assertion" in key.log
    record = fresh_emu.state.sign_ins[-1]
    assert record["authenticationDetails"][0]["authenticationMethod"] == "FIDO2 security key"


async def test_a_password_sign_in_is_a_warning_not_a_failure(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph, count=1)
    checks = drill_checks(setup)
    try:
        results = await sign_in_as(fresh_emu, checks, setup.accounts[0].upn, BG_PASSWORD)
        signin = next(r for r in results if isinstance(r, ItemResult) and r.id == "signin")
        during = _by_id(await checks.during_checks())
    finally:
        await checks.close()
    assert signin.evidence["method"] == "password"
    portal = during["portal_signin"]
    assert portal.status == "warn"
    assert portal.detail == "Password only: the admin portals will refuse it."
    assert "Register a FIDO2 security key" in portal.fix


async def test_the_real_ctap2_path_signs_in(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup, key = await _with_key(fresh_graph, fresh_emu)
    checks = drill_checks(setup)
    try:
        results, error = await _sign_in_with(fresh_emu, checks, HidKeyDevice(SoftCtapDevice(key)))
        during = _by_id(await checks.during_checks(audit=False))
    finally:
        await checks.close()
    assert error is None, error
    assert _by_id(results)["token_account"].status == "pass"
    assert during["portal_signin"].status == "pass"


async def test_a_wrong_pin_is_refused_by_the_key_and_nothing_is_approved(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup, key = await _with_key(fresh_graph, fresh_emu)
    checks = drill_checks(setup)
    device = HidKeyDevice(SoftCtapDevice(key))
    try:
        _, error = await _sign_in_with(fresh_emu, checks, device, Secret("00000000"))
    finally:
        await checks.close()
    assert isinstance(error, KeyDeviceError)
    assert str(error) == "The PIN is wrong; the key allows 7 more tries before it locks."
    assert key.counter == 0


async def test_a_key_of_another_account_is_refused(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup, key = await _with_key(fresh_graph, fresh_emu)
    checks = drill_checks(setup, index=1)  # the second account has no key
    try:
        _, error = await _sign_in_with(fresh_emu, checks, key)
    finally:
        await checks.close()
    assert isinstance(error, AuthError)
    assert "has no security key registered" in str(error)
    stranger = SoftKey(pin=PIN.reveal())
    checks = drill_checks(setup)
    try:
        _, error = await _sign_in_with(fresh_emu, checks, HidKeyDevice(SoftCtapDevice(stranger)))
    finally:
        await checks.close()
    assert isinstance(error, KeyDeviceError)
    assert "holds no passkey registered on the account" in str(error)


async def test_an_unknown_code_is_refused_before_the_key_is_touched(fresh_emu: Emulator) -> None:
    key = SoftKey(pin=PIN.reveal())
    approver = EmulatorApprover(fresh_emu)
    assert isinstance(approver, KeyApprover)
    with pytest.raises(AuthError, match="unknown or has expired"):
        await approver.approve_with_key("BCDFGHJKL", "x@y.example", key, PIN)
    await asyncio.sleep(0)
    assert key.log == []
