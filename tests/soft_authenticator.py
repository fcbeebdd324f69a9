"""A software FIDO2 authenticator for tests: the ``KeyDevice`` API, real keys and signatures.

It makes ES256 credentials with ``cryptography``, builds authenticator data with attested
credential data exactly as a CTAP2 key does, and signs a ``packed`` statement (self
attestation, or basic attestation with a generated certificate) or gives ``none``. Nothing
is mocked: the emulator verifies what it produces byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fido2.cose import ES256
from fido2.webauthn import AttestedCredentialData, AuthenticatorData

from bgwizard.errors import KeyDeviceError
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.device import KeyAssertion, KeyInfo, MadeCredential
from bgwizard.secret import Secret

SOFT_AAGUID = "5a0f2c1e-8b7d-4e6a-9c3b-1d2e3f4a5b6c"
_AAGUID_OID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


@dataclass
class SoftKey:
    """A software security key speaking bgwizard's ``KeyDevice`` API."""

    fmt: str = "packed"
    """``packed`` (self attestation), ``packed-x5c`` (basic, with a certificate) or ``none``."""
    aaguid: str = SOFT_AAGUID
    product: str = "bgwizard SoftKey"
    pin: str | None = None
    """The key's PIN; None for a new key without one."""
    rp_id_override: str | None = None
    """Make the credential for this RP id instead of the one asked (a wrong-RP key)."""
    user_verified: bool = True
    delay: float = 0.0
    credentials: dict[bytes, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    touches: int = 0
    pin_retries: int = 8
    closed: bool = False
    log: list[str] = field(default_factory=list)
    user_handles: dict[bytes, bytes] = field(default_factory=dict)
    counter: int = 0
    """The sign counter; each assertion increases it (set it back to play a cloned key)."""

    def info(self) -> KeyInfo:
        self.log.append("info")
        return KeyInfo(
            aaguid=self.aaguid,
            product=self.product,
            pin_set=self.pin is not None,
            algorithms=(pk.ES256,),
        )

    def set_pin(self, pin: Secret) -> None:
        self.log.append("set_pin")
        if self.pin is not None:
            raise KeyDeviceError("The key already has a PIN; type it instead of setting one.")
        self.pin = pin.reveal()

    def make_credential(
        self,
        client_data_hash: bytes,
        options: pk.CreationOptions,
        pin: Secret,
        on_touch: Callable[[], None],
    ) -> MadeCredential:
        self.log.append("make_credential")
        self._check_pin(pin)
        if any(c in self.credentials for c in options.exclude_ids):
            raise KeyDeviceError("This key is already registered on the account.")
        if pk.ES256 not in options.algorithms:
            raise KeyDeviceError("The key supports only ES256, which was not offered.")
        on_touch()
        self.touches += 1
        if self.delay:
            import time

            time.sleep(self.delay)
        private = ec.generate_private_key(ec.SECP256R1())
        cred_id = secrets.token_bytes(32)
        self.credentials[cred_id] = private
        self.user_handles[cred_id] = options.user_id
        auth_data = self.auth_data(options.rp_id, cred_id, private)
        statement = self._statement(auth_data, client_data_hash, private)
        fmt = "none" if self.fmt == "none" else "packed"
        return MadeCredential(cred_id, fmt, bytes(auth_data), statement)

    def get_assertion(
        self,
        client_data_hash: bytes,
        options: pka.AssertionOptions,
        pin: Secret,
        on_touch: Callable[[], None],
    ) -> KeyAssertion:
        self.log.append("get_assertion")
        self._check_pin(pin)
        return self.sign(options.rp_id, client_data_hash, list(options.allow_ids), on_touch)

    def sign(
        self,
        rp_id: str,
        client_data_hash: bytes,
        allowed: list[bytes],
        on_touch: Callable[[], None],
    ) -> KeyAssertion:
        """Sign with the first allowed credential this key holds (``getAssertion``'s core)."""
        cred_id = next((c for c in allowed if c in self.credentials), None)
        if cred_id is None:
            raise KeyDeviceError(
                "This key holds no passkey registered on the account; use the key that was "
                "registered for it."
            )
        on_touch()
        self.touches += 1
        self.counter += 1
        flags = AuthenticatorData.FLAG.UP
        if self.user_verified:
            flags |= AuthenticatorData.FLAG.UV
        rp_hash = hashlib.sha256((self.rp_id_override or rp_id).encode()).digest()
        auth_data = bytes(AuthenticatorData.create(rp_hash, flags, self.counter))
        signature = self.credentials[cred_id].sign(
            auth_data + client_data_hash, ec.ECDSA(hashes.SHA256())
        )
        return KeyAssertion(cred_id, auth_data, signature, self.user_handles.get(cred_id))

    def close(self) -> None:
        self.closed = True

    # -- internals ----------------------------------------------------------------------

    def _check_pin(self, pin: Secret) -> None:
        if self.pin is None:
            raise KeyDeviceError("The key has no PIN yet; set one first.")
        if self.pin_retries <= 0:
            raise KeyDeviceError("The key's PIN is blocked after too many wrong tries.")
        if pin.reveal() != self.pin:
            self.pin_retries -= 1
            raise KeyDeviceError(f"The PIN is wrong; the key allows {self.pin_retries} more tries.")

    def auth_data(
        self, rp_id: str, cred_id: bytes, private: ec.EllipticCurvePrivateKey
    ) -> AuthenticatorData:
        flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
        if self.user_verified:
            flags |= AuthenticatorData.FLAG.UV
        cose = ES256.from_cryptography_key(private.public_key())
        attested = AttestedCredentialData.create(uuid.UUID(self.aaguid).bytes, cred_id, cose)
        rp_hash = hashlib.sha256((self.rp_id_override or rp_id).encode()).digest()
        return AuthenticatorData.create(rp_hash, flags, 0, attested)

    def _statement(
        self, auth_data: bytes, client_hash: bytes, private: ec.EllipticCurvePrivateKey
    ) -> dict[str, Any]:
        if self.fmt == "none":
            return {}
        signer = private
        statement: dict[str, Any] = {"alg": pk.ES256}
        if self.fmt == "packed-x5c":
            signer = ec.generate_private_key(ec.SECP256R1())
            statement["x5c"] = [self._certificate(signer)]
        statement["sig"] = signer.sign(auth_data + client_hash, ec.ECDSA(hashes.SHA256()))
        return statement

    def _certificate(self, key: ec.EllipticCurvePrivateKey) -> bytes:
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bgwizard tests"),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                x509.NameAttribute(NameOID.COMMON_NAME, "SoftKey attestation"),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        aaguid_der = b"\x04\x10" + uuid.UUID(self.aaguid).bytes
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.UnrecognizedExtension(_AAGUID_OID, aaguid_der), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.DER)


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
