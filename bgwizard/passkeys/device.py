"""The security key side of a registration, as data and a Protocol: what a key says about
itself, what CTAP2 returns, and what Graph stored. Pure (the USB key is in ``usb_device``,
the Graph calls in ``service``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.profile.model import SecurityKeyRecord
from bgwizard.secret import Secret


@dataclass(frozen=True)
class KeyInfo:
    """What a security key says about itself (CTAP2 ``authenticatorGetInfo`` + USB)."""

    aaguid: str
    product: str
    """The model as the key names itself over USB (``YubiKey OTP+FIDO+CCID``)."""
    pin_set: bool
    algorithms: tuple[int, ...] = (pk.ES256,)
    min_pin_length: int = 4


@dataclass(frozen=True)
class MadeCredential:
    """What CTAP2 ``makeCredential`` returned."""

    credential_id: bytes
    fmt: str
    auth_data: bytes = field(repr=False)
    att_stmt: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class KeyAssertion:
    """What CTAP2 ``getAssertion`` returned."""

    credential_id: bytes
    auth_data: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    user_handle: bytes | None = None


class KeyDevice(Protocol):
    """The CTAP2 calls a registration needs; blocking (``enrol_key`` runs them in a thread)."""

    def info(self) -> KeyInfo:
        """``authenticatorGetInfo`` plus the USB product name."""

    def set_pin(self, pin: Secret) -> None:
        """Set the first PIN of a key that has none (``clientPin`` setPIN)."""

    def make_credential(
        self,
        client_data_hash: bytes,
        options: pk.CreationOptions,
        pin: Secret,
        on_touch: Callable[[], None],
    ) -> MadeCredential:
        """``authenticatorMakeCredential`` with a PIN token; ``on_touch`` when it waits for a touch.

        Raises:
            KeyDeviceError: wrong PIN, timeout, the key is already registered, unplugged.
        """

    def get_assertion(
        self,
        client_data_hash: bytes,
        options: pka.AssertionOptions,
        pin: Secret,
        on_touch: Callable[[], None],
    ) -> KeyAssertion:
        """``authenticatorGetAssertion`` with a PIN token, for one of ``options.allow_ids``.

        Raises:
            KeyDeviceError: wrong PIN, timeout, no credential of this key is allowed, unplugged.
        """

    def close(self) -> None:
        """Release the device."""


@dataclass(frozen=True)
class RegisteredKey:
    """The fido2AuthenticationMethod Graph created."""

    method_id: str
    display_name: str
    aaguid: str
    model: str
    attestation_level: str
    created: dt.datetime | None


@dataclass(frozen=True)
class Enrolment:
    """A finished registration: what Graph stored and what the key said about itself."""

    key: RegisteredKey
    info: KeyInfo
    pin_was_set: bool
    """True when the key had no PIN and bgwizard set the one it was given."""

    def record(self, label: str, today: dt.date) -> SecurityKeyRecord:
        """The profile's record of this key (never the PIN)."""
        return SecurityKeyRecord(
            label=label,
            aaguid=self.key.aaguid or self.info.aaguid,
            model=self.key.model or self.info.product,
            method_id=self.key.method_id,
            registered=today,
        )
