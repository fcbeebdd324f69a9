"""A software FIDO2 security key: the ``KeyDevice`` API with real keys and signatures.

It makes ES256 credentials with ``cryptography``, builds authenticator data with attested
credential data exactly as a CTAP2 key does, and signs a ``packed`` statement (self
attestation, or basic attestation with a generated certificate) or gives ``none``. Nothing is
mocked: Entra ID's checks (the emulator's) verify what it produces byte for byte.

The demo offers it where a USB key would be, clearly labelled as emulated (``DemoKeys``), so the
passkey step can be tried and trained without hardware; the tests use it too. It holds its
private keys in memory only: it is no security key, and is never offered against a real tenant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fido2.cose import ES256
from fido2.webauthn import AttestedCredentialData, AuthenticatorData

from bgwizard.errors import KeyDeviceError
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.device import KeyAssertion, KeyDevice, KeyInfo, MadeCredential
from bgwizard.secret import Secret

EMULATED_PRODUCT: Final = "Emulated security key (demo, software only)"
"""How the demo's software key names itself wherever a USB key's product name would show."""

SOFT_AAGUID: Final = "5a0f2c1e-8b7d-4e6a-9c3b-1d2e3f4a5b6c"
"""The software key's AAGUID (not a real vendor's: FIDO MDS does not list it)."""
_AAGUID_OID: Final = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


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
            time.sleep(self.delay)  # tests: a key that takes its time to be touched
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
        # fido2's COSE helper is untyped; its result is a CoseKey (a dict), as create expects.
        cose: Any = ES256.from_cryptography_key(private.public_key())  # type: ignore[no-untyped-call]
        attested = AttestedCredentialData.create(uuid.UUID(self.aaguid).bytes, cred_id, cose)
        rp_hash = hashlib.sha256((self.rp_id_override or rp_id).encode()).digest()
        made: AuthenticatorData = AuthenticatorData.create(rp_hash, flags, 0, attested)
        return made

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
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bgwizard"),
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


class DemoKeys:
    """The demo's ``KeyFinder``: one software key, labelled as emulated, that stays plugged in.

    The same key object is listed every time, so a passkey registered on it in the set-up can
    sign in later in the same demo (the drill's key check).
    """

    def __init__(self) -> None:
        """Make the key (no PIN yet: the passkey screen asks for one, as for a new USB key)."""
        self._key = SoftKey(product=EMULATED_PRODUCT)
        self._lock = threading.Lock()

    def list_keys(self) -> Sequence[KeyDevice]:
        """The emulated key."""
        with self._lock:
            self._key.closed = False
            return [self._key]
