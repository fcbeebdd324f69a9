"""Real FIDO2 security keys over USB HID (the ``fido2`` package, CTAP2).

``list_keys()`` finds the keys plugged into this workstation; each is a ``KeyDevice`` for
``bgwizard.passkeys.service.enrol_key``. Every call blocks (run it in a thread) and raises
only ``KeyDeviceError`` with one sentence. The PIN is revealed only into the CTAP2 PIN
protocol, which encrypts it for the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from bgwizard.errors import KeyDeviceError
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.device import KeyAssertion, KeyInfo, MadeCredential
from bgwizard.secret import Secret

T = TypeVar("T")
_UP_NEEDED: Final = 2
"""CTAP HID keep-alive status: the key waits for a touch."""
_NOT_TOUCHED: Final = "The key was not touched in time; start again and touch it when it blinks."
_MESSAGES: Final[dict[str, str]] = {
    "PIN_BLOCKED": "The key's PIN is blocked after too many wrong tries; the key must be reset.",
    "PIN_AUTH_BLOCKED": "The key stopped accepting PINs for now: unplug it, plug it in and retry.",
    "PIN_NOT_SET": "The key has no PIN yet; set one first.",
    "PIN_POLICY_VIOLATION": "The key refused the PIN: it is too short or too simple for this key.",
    "CREDENTIAL_EXCLUDED": "This key is already registered on the account.",
    "UNSUPPORTED_ALGORITHM": "The key supports none of the algorithms Entra ID offered.",
    "KEEPALIVE_CANCEL": "The registration was cancelled on the key.",
    "USER_ACTION_TIMEOUT": _NOT_TOUCHED,
    "ACTION_TIMEOUT": _NOT_TOUCHED,
    "TIMEOUT": "The key did not answer in time; unplug it, plug it in and retry.",
    "NOT_ALLOWED": "The key refused the operation.",
    "OPERATION_DENIED": "The registration was refused on the key.",
    "NO_CREDENTIALS": "This key holds no passkey registered on the account; use the key that "
    "was registered for it.",
}


def list_keys() -> list[HidKeyDevice]:
    """The FIDO2 keys plugged into this workstation (USB HID), in the order the OS lists them.

    Raises:
        KeyDeviceError: the USB devices cannot be listed (no permission to ``/dev/hidraw*``).
    """
    from fido2.hid import CtapHidDevice

    try:
        return [HidKeyDevice(device) for device in CtapHidDevice.list_devices()]
    except OSError as exc:
        raise KeyDeviceError(
            f"Cannot list USB security keys ({exc.strerror or exc}); on Linux the user needs "
            "access to /dev/hidraw* (udev rules from libfido2)."
        ) from None


class UsbKeys:
    """The ``KeyFinder`` port over USB HID."""

    def list_keys(self) -> list[HidKeyDevice]:
        """See ``list_keys``."""
        return list_keys()


class HidKeyDevice:
    """One USB security key, speaking CTAP2."""

    def __init__(self, device: Any) -> None:
        """Wrap an open ``fido2.hid.CtapHidDevice``.

        Args:
            device: the HID device.
        """
        self._device = device
        self._ctap: Any = None

    def __repr__(self) -> str:
        return f"HidKeyDevice({self.product!r})"

    @property
    def product(self) -> str:
        """The USB product name, or a generic name when the key gives none."""
        return str(getattr(self._device, "product_name", None) or "FIDO2 security key")

    def _ctap2(self) -> Any:
        if self._ctap is None:
            from fido2.ctap2.base import Ctap2

            self._ctap = _guarded(lambda: Ctap2(self._device))
        return self._ctap

    def info(self) -> KeyInfo:
        """``authenticatorGetInfo``: AAGUID, whether a PIN is set, algorithms.

        Raises:
            KeyDeviceError: the key does not speak CTAP2 or cannot be reached.
        """
        info = _guarded(lambda: self._ctap2().get_info())
        algorithms = tuple(int(a["alg"]) for a in info.algorithms or [] if "alg" in a)
        return KeyInfo(
            aaguid=str(info.aaguid),
            product=self.product,
            pin_set=bool(info.options.get("clientPin")),
            algorithms=algorithms or (pk.ES256,),
            min_pin_length=int(info.min_pin_length or 4),
        )

    def set_pin(self, pin: Secret) -> None:
        """Set the first PIN (``clientPin`` setPIN).

        Raises:
            KeyDeviceError: the key refused (it has a PIN already, the PIN breaks its policy).
        """
        from fido2.ctap2.pin import ClientPin

        ctap = self._ctap2()
        _guarded(lambda: ClientPin(ctap).set_pin(pin.reveal()), ctap)

    def make_credential(
        self,
        client_data_hash: bytes,
        options: pk.CreationOptions,
        pin: Secret,
        on_touch: Callable[[], None],
    ) -> MadeCredential:
        """A discoverable credential for ``options``, authorised by a PIN token.

        Raises:
            KeyDeviceError: wrong PIN (with the tries left), timeout, already registered.
        """
        from fido2.ctap2.pin import ClientPin

        ctap = self._ctap2()

        def make() -> Any:
            client_pin = ClientPin(ctap)
            token = client_pin.get_pin_token(
                pin.reveal(), ClientPin.PERMISSION.MAKE_CREDENTIAL, options.rp_id
            )
            return ctap.make_credential(
                client_data_hash,
                options.rp_entity(),
                options.user_entity(),
                options.key_params(),
                exclude_list=options.exclude_list() or None,
                options={"rk": options.resident_key != "discouraged"},
                pin_uv_param=client_pin.protocol.authenticate(token, client_data_hash),
                pin_uv_protocol=client_pin.protocol.VERSION,
                on_keepalive=lambda status: on_touch() if status == _UP_NEEDED else None,
            )

        response = _guarded(make, ctap)
        credential = response.auth_data.credential_data
        if credential is None:
            raise KeyDeviceError("The key answered without a credential.")
        return MadeCredential(
            credential_id=bytes(credential.credential_id),
            fmt=str(response.fmt),
            auth_data=bytes(response.auth_data),
            att_stmt=dict(response.att_stmt),
        )

    def get_assertion(
        self,
        client_data_hash: bytes,
        options: pka.AssertionOptions,
        pin: Secret,
        on_touch: Callable[[], None],
    ) -> KeyAssertion:
        """Sign a sign-in challenge with a credential in ``options.allow_ids``, PIN-verified.

        Raises:
            KeyDeviceError: wrong PIN (with the tries left), timeout, no allowed credential.
        """
        from fido2.ctap2.pin import ClientPin

        ctap = self._ctap2()

        def get() -> Any:
            client_pin = ClientPin(ctap)
            token = client_pin.get_pin_token(
                pin.reveal(), ClientPin.PERMISSION.GET_ASSERTION, options.rp_id
            )
            return ctap.get_assertion(
                options.rp_id,
                client_data_hash,
                allow_list=options.allow_list() or None,
                pin_uv_param=client_pin.protocol.authenticate(token, client_data_hash),
                pin_uv_protocol=client_pin.protocol.VERSION,
                on_keepalive=lambda status: on_touch() if status == _UP_NEEDED else None,
            )

        response = _guarded(get, ctap)
        credential = response.credential or {}
        user = response.user or {}
        if "id" not in credential and len(options.allow_ids) != 1:
            raise KeyDeviceError("The key answered without naming the credential it used.")
        return KeyAssertion(
            credential_id=bytes(credential.get("id") or options.allow_ids[0]),
            auth_data=bytes(response.auth_data),
            signature=bytes(response.signature),
            user_handle=bytes(user["id"]) if "id" in user else None,
        )

    def close(self) -> None:
        """Close the HID connection."""
        close = getattr(self._device, "close", None)
        if callable(close):
            close()


def _guarded(call: Callable[[], T], ctap: Any = None) -> T:
    """Run a CTAP call; failures become ``KeyDeviceError`` linked to nothing.

    The error is raised outside the ``except`` block, so it carries neither the CTAP
    exception nor its traceback frames (where the PIN was a local variable).
    """
    from fido2.ctap import CtapError

    failure: KeyDeviceError
    try:
        return call()
    except CtapError as exc:
        failure = KeyDeviceError(_ctap_message(exc, ctap))
    except OSError:
        failure = KeyDeviceError("The security key was unplugged or could not be reached.")
    raise failure


def _ctap_message(exc: Any, ctap: Any) -> str:
    name = getattr(exc.code, "name", str(exc.code))
    if name == "PIN_INVALID":
        return f"The PIN is wrong{_tries_left(ctap)}."
    return _MESSAGES.get(name, f"The security key refused the operation (CTAP error {name}).")


def _tries_left(ctap: Any) -> str:
    if ctap is None:
        return ""
    try:
        from fido2.ctap2.pin import ClientPin

        retries, _ = ClientPin(ctap).get_pin_retries()
    except Exception:
        return ""
    return f"; the key allows {retries} more tries before it locks"
