"""The software FIDO2 authenticator for tests: ``SoftKey`` (now in the package, where the demo
uses it: ``bgwizard.passkeys.soft_key``) and the same key behind a CTAP HID device.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.soft_key import SOFT_AAGUID, SoftKey

__all__ = ["SOFT_AAGUID", "SoftCtapDevice", "SoftKey"]


class SoftCtapDevice:
    """The same software key behind a CTAP HID device: real CTAP2 CBOR and PIN protocol v2.

    ``fido2.ctap2.Ctap2`` and ``ClientPin`` talk to it exactly as to a USB key, so the real
    key path (``bgwizard.passkeys.usb_device.HidKeyDevice``) runs unchanged in tests.
    """

    product_name = "SoftKey over CTAP HID"

    def __init__(self, key: SoftKey) -> None:
        self.key = key
        self._agreement = ec.generate_private_key(ec.SECP256R1())
        self._token: bytes | None = None
        self.closed = False

    @property
    def capabilities(self) -> int:
        from fido2.hid import CAPABILITY

        return int(CAPABILITY.CBOR)

    def close(self) -> None:
        self.closed = True

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: Any = None,
        on_keepalive: Callable[[int], None] | None = None,
    ) -> bytes:
        from fido2 import cbor
        from fido2.hid import CTAPHID

        assert cmd == CTAPHID.CBOR
        command, args = data[0], cbor.decode(data[1:]) if len(data) > 1 else {}
        handlers = {0x04: self._info, 0x06: self._client_pin}
        try:
            if command == 0x01:
                result = self._make_credential(args, on_keepalive)
            elif command == 0x02:
                result = self._get_assertion(args, on_keepalive)
            else:
                result = handlers[command](args)
        except _Status as status:
            return bytes([status.code])
        return b"\x00" + cbor.encode(result)

    # -- CTAP2 commands -----------------------------------------------------------------

    def _info(self, args: Any) -> dict[int, Any]:
        options = {"rk": True, "up": True, "clientPin": self.key.pin is not None}
        options["pinUvAuthToken"] = True
        return {
            1: ["FIDO_2_0", "FIDO_2_1"],
            3: uuid.UUID(self.key.aaguid).bytes,
            4: options,
            5: 1200,
            6: [2],
            10: [{"type": "public-key", "alg": pk.ES256}],
        }

    def _shared(self, args: Any) -> bytes:
        from fido2.ctap2.pin import PinProtocolV2

        peer = args[3]
        x, y = int.from_bytes(peer[-2], "big"), int.from_bytes(peer[-3], "big")
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        return bytes(PinProtocolV2().kdf(self._agreement.exchange(ec.ECDH(), public)))

    def _client_pin(self, args: Any) -> dict[int, Any]:
        from fido2.ctap2.pin import PinProtocolV2

        proto, sub = PinProtocolV2(), args[2]
        if sub == 1:
            return {3: self.key.pin_retries}
        if sub == 2:
            numbers = self._agreement.public_key().public_numbers()
            cose = {1: 2, 3: -25, -1: 1, -2: numbers.x.to_bytes(32, "big")}
            cose[-3] = numbers.y.to_bytes(32, "big")
            return {1: cose}
        shared = self._shared(args)
        if sub == 3:
            if self.key.pin is not None:
                raise _Status(0x30)  # NOT_ALLOWED
            if proto.authenticate(shared, args[5]) != args[4]:
                raise _Status(0x33)  # PIN_AUTH_INVALID
            self.key.pin = proto.decrypt(shared, args[5]).rstrip(b"\0").decode()
            return {}
        if self.key.pin is None:
            raise _Status(0x35)  # PIN_NOT_SET
        if proto.decrypt(shared, args[6]) != hashlib.sha256(self.key.pin.encode()).digest()[:16]:
            self.key.pin_retries -= 1
            raise _Status(0x31)  # PIN_INVALID
        self._token = secrets.token_bytes(32)
        return {2: proto.encrypt(shared, self._token)}

    def _make_credential(
        self, args: Any, on_keepalive: Callable[[int], None] | None
    ) -> dict[int, Any]:
        from fido2.ctap2.pin import PinProtocolV2

        if self._token is None or PinProtocolV2().authenticate(self._token, args[1]) != args[8]:
            raise _Status(0x33)  # PIN_AUTH_INVALID
        if any(c["id"] in self.key.credentials for c in args.get(5) or []):
            raise _Status(0x19)  # CREDENTIAL_EXCLUDED
        if on_keepalive is not None:
            on_keepalive(2)  # UPNEEDED: the key blinks
        self.key.touches += 1
        private = ec.generate_private_key(ec.SECP256R1())
        cred_id = secrets.token_bytes(32)
        self.key.credentials[cred_id] = private
        self.key.user_handles[cred_id] = bytes(args[3]["id"])
        auth_data = self.key.auth_data(args[2]["id"], cred_id, private)
        statement = self.key._statement(auth_data, args[1], private)
        return {1: "none" if self.key.fmt == "none" else "packed", 2: auth_data, 3: statement}

    def _get_assertion(
        self, args: Any, on_keepalive: Callable[[int], None] | None
    ) -> dict[int, Any]:
        from fido2.ctap2.pin import PinProtocolV2

        if self._token is None or PinProtocolV2().authenticate(self._token, args[2]) != args[6]:
            raise _Status(0x33)  # PIN_AUTH_INVALID
        allowed = [bytes(c["id"]) for c in args.get(3) or []]
        if not any(c in self.key.credentials for c in allowed):
            raise _Status(0x2E)  # NO_CREDENTIALS
        if on_keepalive is not None:
            on_keepalive(2)
        got = self.key.sign(args[1], args[2], allowed, lambda: None)
        result: dict[int, Any] = {1: {"type": "public-key", "id": got.credential_id}}
        result[2], result[3] = got.auth_data, got.signature
        if got.user_handle is not None:
            result[4] = {"id": got.user_handle}
        return result


class _Status(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
