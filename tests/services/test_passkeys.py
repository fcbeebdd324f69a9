"""Registering a security key through the real service, msal and msgraph-sdk, on the emulator.

The key is the tests' software authenticator; the emulator verifies its attestation and the
challenge exactly as it would a real key's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from service_support import ADMIN, FAST, NOBODY, profile_for, sign_in
from soft_authenticator import SoftKey

from bgwizard.emulator import Emulator
from bgwizard.errors import KeyDeviceError, PasskeyError, PermissionMissing
from bgwizard.graph.directory import GraphDirectory
from bgwizard.passkeys.policy import Fido2Policy
from bgwizard.passkeys.service import STEPS, PasskeyGraph, enrol_key
from bgwizard.passkeys.soft_key import EMULATED_PRODUCT, DemoKeys
from bgwizard.secret import Secret

PIN = Secret("48151623")


@pytest.fixture
async def passkeys(fresh_graph: GraphDirectory) -> AsyncIterator[PasskeyGraph]:
    yield PasskeyGraph(fresh_graph.connection)


async def test_a_new_key_gets_its_pin_and_is_registered(
    passkeys: PasskeyGraph, fresh_graph: GraphDirectory, fresh_emu: Emulator
) -> None:
    key = SoftKey()  # a new key: no PIN yet
    steps: list[str] = []
    result = await enrol_key(
        passkeys,
        key,
        user_id=NOBODY.id,
        label="BG key 1 (safe A)",
        pin=PIN,
        on_step=steps.append,
    )
    assert result.pin_was_set and key.pin == PIN.reveal()
    assert result.key.aaguid == key.aaguid
    assert result.key.display_name == "BG key 1 (safe A)"
    assert result.key.attestation_level == "notAttested"
    assert [s for s in STEPS if s in steps] == list(STEPS)
    methods = await fresh_graph.list_auth_methods(NOBODY.id)
    assert [(m.kind, m.id) for m in methods if m.kind == "fido2"] == [
        ("fido2", result.key.method_id)
    ]
    record = result.record("BG key 1 (safe A)", dt.date(2026, 11, 27))
    assert record.aaguid == key.aaguid and record.model == "bgwizard SoftKey"
    assert record.method_id == result.key.method_id
    assert key.touches == 1


async def test_a_key_with_a_pin_is_used_as_it_is(passkeys: PasskeyGraph) -> None:
    key = SoftKey(pin=PIN.reveal(), fmt="packed-x5c")
    result = await enrol_key(passkeys, key, user_id=NOBODY.id, label="k", pin=PIN)
    assert not result.pin_was_set
    assert "set_pin" not in key.log
    assert result.key.attestation_level == "attested"
    again = await passkeys.creation_options(NOBODY.id)
    assert again.exclude_ids == tuple(key.credentials)
    with pytest.raises(KeyDeviceError, match="already registered"):
        await enrol_key(passkeys, key, user_id=NOBODY.id, label="k", pin=PIN)


async def test_an_expired_challenge_is_refused_in_one_sentence(
    passkeys: PasskeyGraph, fresh_emu: Emulator
) -> None:
    fresh_emu.state.settings.passkey_challenge_seconds = 0
    with pytest.raises(PasskeyError) as caught:
        await enrol_key(passkeys, SoftKey(pin=PIN.reveal()), user_id=NOBODY.id, label="k", pin=PIN)
    message = str(caught.value)
    assert message.startswith("The passkey registration was refused: the challenge expired at ")
    assert message.endswith("register within 5 minutes.")
    assert message.count(". ") == 0


async def test_a_wrong_rp_id_is_refused(passkeys: PasskeyGraph) -> None:
    key = SoftKey(pin=PIN.reveal(), rp_id_override="login.microsoftonline.com")
    with pytest.raises(PasskeyError) as caught:
        await enrol_key(passkeys, key, user_id=NOBODY.id, label="k", pin=PIN)
    assert str(caught.value) == (
        "The passkey registration was refused: the credential was made for another relying "
        "party, not login.microsoft.com."
    )


async def test_a_wrong_pin_stops_before_graph_is_asked_to_register(
    passkeys: PasskeyGraph, fresh_graph: GraphDirectory
) -> None:
    key = SoftKey(pin="11112222")
    with pytest.raises(KeyDeviceError, match="PIN is wrong; the key allows 7 more tries"):
        await enrol_key(passkeys, key, user_id=NOBODY.id, label="k", pin=PIN)
    assert not [m for m in await fresh_graph.list_auth_methods(NOBODY.id) if m.kind == "fido2"]
    with pytest.raises(PasskeyError, match="at least 4"):
        await enrol_key(passkeys, key, user_id=NOBODY.id, label="k", pin=Secret("12"))


async def test_policy_is_read_and_judged(passkeys: PasskeyGraph, fresh_emu: Emulator) -> None:
    policy = await passkeys.fido2_policy()
    assert policy == Fido2Policy(enabled=True)
    assert policy.problems() == []
    fresh_emu.state.auth_method_configs["fido2"]["state"] = "disabled"
    problems = (await passkeys.fido2_policy()).problems()
    assert problems == [
        "Passkeys (FIDO2) are disabled: enable them in Entra admin center > Protection > "
        "Authentication methods > Policies > Passkey (FIDO2)."
    ]


async def test_a_user_without_a_role_gets_the_permission_named(fresh_emu: Emulator) -> None:
    auth = await sign_in(fresh_emu, NOBODY)
    directory = GraphDirectory(profile_for(fresh_emu), auth.credential(), retry=FAST)
    try:
        with pytest.raises(PermissionMissing) as caught:
            await PasskeyGraph(directory.connection).creation_options(ADMIN.id)
        # Microsoft's least-privileged permission, and the role an admin target needs.
        message = str(caught.value)
        assert "needs the permission UserAuthMethod-Passkey.ReadWrite.All" in message
        assert "the role Privileged Authentication Administrator" in message
    finally:
        await directory.close()


async def test_the_demo_key_is_labelled_emulated_and_registers_like_a_usb_key(
    passkeys: PasskeyGraph, fresh_graph: GraphDirectory
) -> None:
    finder = DemoKeys()
    [key] = finder.list_keys()
    info = key.info()
    assert info.product == EMULATED_PRODUCT and "Emulated" in info.product
    assert not info.pin_set  # a new key: the passkey screen asks for a PIN, as for a USB one
    result = await enrol_key(passkeys, key, user_id=NOBODY.id, label="demo key", pin=PIN)
    assert result.pin_was_set and result.key.display_name == "demo key"
    methods = await fresh_graph.policies.list_fido2_methods(NOBODY.id)
    assert [m.id for m in methods] == [result.key.method_id]
    assert methods[0].passkey_type == "deviceBound"  # what the audit's strong-method rule needs
    [again] = finder.list_keys()
    assert again is key  # still plugged in: the drill can sign in with the same passkey


def test_only_the_demo_offers_the_emulated_key(tmp_path: Path) -> None:
    from bgwizard.container import Container, demo_profile
    from bgwizard.profile.store import TomlProfileStore

    profile = demo_profile("t", "https://127.0.0.1:1", tmp_path / "ca.pem")
    store = TomlProfileStore(tmp_path / "profile.toml")
    assert isinstance(Container(profile, store).keys, DemoKeys)
    profile.demo = False  # a real tenant: USB keys only, never the software one
    assert not isinstance(Container(profile, store).keys, DemoKeys)
