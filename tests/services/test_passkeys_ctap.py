"""The real key path (``HidKeyDevice``: fido2's Ctap2 and ClientPin) against a CTAP2 soft key.

Only the USB transport is replaced: CBOR commands, PIN protocol v2 (ECDH, AES, HMAC) and
the attestation are real, and the emulator verifies the result.
"""

from __future__ import annotations

import pytest
from service_support import NOBODY
from soft_authenticator import SoftCtapDevice, SoftKey

from bgwizard.errors import KeyDeviceError
from bgwizard.graph.directory import GraphDirectory
from bgwizard.passkeys.service import PasskeyGraph, enrol_key
from bgwizard.passkeys.usb_device import HidKeyDevice
from bgwizard.secret import Secret

PIN = Secret("48151623")


async def test_a_new_key_over_ctap2_gets_a_pin_and_registers(
    fresh_graph: GraphDirectory,
) -> None:
    key = SoftKey()
    device = HidKeyDevice(SoftCtapDevice(key))
    info = device.info()
    assert (info.aaguid, info.product, info.pin_set) == (key.aaguid, "SoftKey over CTAP HID", False)
    steps: list[str] = []
    done = await enrol_key(
        PasskeyGraph(fresh_graph.connection),
        device,
        user_id=NOBODY.id,
        label="k",
        pin=PIN,
        on_step=steps.append,
    )
    assert key.pin == PIN.reveal() and done.pin_was_set
    assert steps.count("touch") == 2  # once when asked, once when the key blinked
    assert done.key.aaguid == key.aaguid
    assert device.info().pin_set
    with pytest.raises(KeyDeviceError, match="already registered"):
        await enrol_key(
            PasskeyGraph(fresh_graph.connection), device, user_id=NOBODY.id, label="k", pin=PIN
        )
    device.close()


async def test_a_wrong_pin_over_ctap2_says_how_many_tries_are_left(
    fresh_graph: GraphDirectory,
) -> None:
    device = HidKeyDevice(SoftCtapDevice(SoftKey(pin="99998888")))
    with pytest.raises(KeyDeviceError) as caught:
        await enrol_key(
            PasskeyGraph(fresh_graph.connection), device, user_id=NOBODY.id, label="k", pin=PIN
        )
    assert str(caught.value) == "The PIN is wrong; the key allows 7 more tries before it locks."
    assert caught.value.__cause__ is None and caught.value.__context__ is None
