"""Passkeys (FIDO2 security keys): WebAuthn creation options, client data, attestation checks.

Pure computation shared by the service (which builds what the key signs), the emulator
(which verifies a registration as Entra ID does) and the tests' software authenticator.
CBOR, COSE and attestation statements use the pure modules of ``fido2``; nothing here
touches a device or the network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from fido2 import cbor
from fido2.attestation.base import InvalidAttestation, NoneAttestation
from fido2.attestation.packed import PackedAttestation
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import AuthenticatorData

from bgwizard.domain.secret import Secret
from bgwizard.errors import BgWizardError

RP_ID: Final = "login.microsoft.com"
"""The relying party id Entra ID registers passkeys for."""
ORIGIN: Final = "https://login.microsoft.com"
"""The origin the client data must name."""
CHALLENGE_MINUTES: Final = 5
"""How long a ``creationOptions`` challenge stays valid."""
ES256: Final = -7
RS256: Final = -257
EDDSA: Final = -8
ALGORITHM_NAMES: Final[Mapping[int, str]] = {ES256: "ES256", RS256: "RS256", EDDSA: "EdDSA"}
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*={0,2}")
PIN_LENGTH: Final = 8
"""Digits of a generated security key PIN (CTAP2 needs 4-63; 8 digits read well on paper)."""


class PasskeyError(BgWizardError):
    """A passkey registration cannot go on; ``str()`` is one sentence, ``reason`` a short code."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


def b64url(data: bytes) -> str:
    """``data`` as unpadded base64url, as WebAuthn JSON carries binary values."""
    return websafe_encode(data)


def unb64url(text: str, what: str = "value") -> bytes:
    """Decode unpadded (or padded) base64url.

    Raises:
        PasskeyError: ``text`` is not base64url.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text):
        raise PasskeyError(f"The {what} is not valid base64url.", "encoding")
    try:
        return websafe_decode(text)
    except (ValueError, TypeError):
        raise PasskeyError(f"The {what} is not valid base64url.", "encoding") from None


def generate_pin(length: int = PIN_LENGTH) -> Secret:
    """A random numeric PIN for a new security key (digits only: every key pad accepts them)."""
    digits = "".join(secrets.choice("0123456789") for _ in range(length))
    return Secret(digits)


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be a CTAP2 PIN (4-63 UTF-8 bytes), or None when it can."""
    size = len(pin.encode("utf-8"))
    if size < 4:
        return "A security key PIN needs at least 4 characters."
    if size > 63:
        return "A security key PIN can have at most 63 bytes."
    return None


def format_aaguid(raw: bytes) -> str:
    """A 16-byte AAGUID in its usual GUID form."""
    return str(uuid.UUID(bytes=bytes(raw)))


@dataclass(frozen=True)
class CreationOptions:
    """What ``fido2Methods/creationOptions`` returned: what the key must make a credential for."""

    challenge: bytes
    rp_id: str
    rp_name: str
    user_id: bytes
    user_name: str
    user_display_name: str
    algorithms: tuple[int, ...] = (ES256, RS256)
    exclude_ids: tuple[bytes, ...] = ()
    timeout_ms: int = CHALLENGE_MINUTES * 60_000
    expires: dt.datetime | None = None
    user_verification: str = "required"
    resident_key: str = "required"
    attestation: str = "direct"

    @classmethod
    def from_graph(cls, doc: Mapping[str, Any]) -> CreationOptions:
        """Parse Graph's ``webauthnCredentialCreationOptions`` JSON.

        Raises:
            PasskeyError: a required member is missing or malformed.
        """
        key = doc.get("publicKey")
        if not isinstance(key, Mapping):
            raise PasskeyError("Graph's creation options have no publicKey member.", "options")
        try:
            rp, user = key["rp"], key["user"]
            selection = key.get("authenticatorSelection") or {}
            return cls(
                challenge=unb64url(str(key["challenge"]), "challenge"),
                rp_id=str(rp["id"]),
                rp_name=str(rp.get("name") or rp["id"]),
                user_id=unb64url(str(user["id"]), "user handle"),
                user_name=str(user["name"]),
                user_display_name=str(user.get("displayName") or user["name"]),
                algorithms=tuple(int(p["alg"]) for p in key.get("pubKeyCredParams") or []),
                exclude_ids=tuple(
                    unb64url(str(c["id"]), "excluded credential id")
                    for c in key.get("excludeCredentials") or []
                ),
                timeout_ms=int(key.get("timeout") or CHALLENGE_MINUTES * 60_000),
                expires=_parse_time(doc.get("challengeTimeoutDateTime")),
                user_verification=str(selection.get("userVerification") or "required"),
                resident_key=str(selection.get("residentKey") or "required"),
                attestation=str(key.get("attestation") or "direct"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PasskeyError(
                f"Graph's creation options are malformed ({exc}).", "options"
            ) from None

    def to_graph(self) -> dict[str, Any]:
        """Graph's JSON for these options (the emulator answers with it)."""
        return {
            "challengeTimeoutDateTime": _format_time(self.expires) if self.expires else None,
            "publicKey": {
                "challenge": b64url(self.challenge),
                "timeout": self.timeout_ms,
                "attestation": self.attestation,
                "rp": {"id": self.rp_id, "name": self.rp_name},
                "user": {
                    "id": b64url(self.user_id),
                    "name": self.user_name,
                    "displayName": self.user_display_name,
                },
                "pubKeyCredParams": [{"type": "public-key", "alg": a} for a in self.algorithms],
                "excludeCredentials": [
                    {"type": "public-key", "id": b64url(c), "transports": []}
                    for c in self.exclude_ids
                ],
                "authenticatorSelection": {
                    "authenticatorAttachment": "cross-platform",
                    "requireResidentKey": self.resident_key == "required",
                    "residentKey": self.resident_key,
                    "userVerification": self.user_verification,
                },
                "extensions": {"credProtect": "userVerificationOptional", "hmacCreateSecret": True},
            },
        }

    def rp_entity(self) -> dict[str, str]:
        """CTAP2 ``rp`` parameter."""
        return {"id": self.rp_id, "name": self.rp_name}

    def user_entity(self) -> dict[str, Any]:
        """CTAP2 ``user`` parameter."""
        return {"id": self.user_id, "name": self.user_name, "displayName": self.user_display_name}

    def key_params(self) -> list[dict[str, Any]]:
        """CTAP2 ``pubKeyCredParams``."""
        return [{"type": "public-key", "alg": a} for a in self.algorithms]

    def exclude_list(self) -> list[dict[str, Any]]:
        """CTAP2 ``excludeList``."""
        return [{"type": "public-key", "id": c} for c in self.exclude_ids]


def _parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_data_json(challenge: bytes, origin: str = ORIGIN) -> bytes:
    """The ``clientDataJSON`` a browser would send for a registration (compact, ordered)."""
    data = {"type": "webauthn.create", "challenge": b64url(challenge), "origin": origin}
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def attestation_object(fmt: str, auth_data: bytes, att_stmt: Mapping[str, Any]) -> bytes:
    """The CBOR ``attestationObject`` from the parts CTAP2 ``makeCredential`` returns."""
    return cbor.encode({"fmt": fmt, "attStmt": dict(att_stmt), "authData": bytes(auth_data)})


@dataclass(frozen=True)
class VerifiedCredential:
    """A registration that passed every check."""

    credential_id: bytes
    aaguid: str
    algorithm: int
    public_key: Mapping[int, Any] = field(repr=False)
    fmt: str
    attested: bool
    """True when a packed statement carried an attestation certificate (x5c)."""
    certificates: tuple[bytes, ...]
    sign_count: int
    user_verified: bool


@dataclass(frozen=True)
class Expectation:
    """What the relying party expects of a registration."""

    challenge: bytes
    rp_id: str = RP_ID
    origins: tuple[str, ...] = (ORIGIN,)
    algorithms: tuple[int, ...] = (ES256, RS256)
    require_uv: bool = True


def verify_registration(
    credential_id: str, client_data: bytes, attestation: bytes, expected: Expectation
) -> VerifiedCredential:
    """Check a WebAuthn registration as a relying party must (WebAuthn L2 §7.1).

    Args:
        credential_id: the ``publicKeyCredential.id`` sent (base64url).
        client_data: the decoded ``clientDataJSON``.
        attestation: the decoded ``attestationObject``.
        expected: the challenge, RP id, origins and algorithms to hold it to.

    Returns:
        The verified credential.

    Raises:
        PasskeyError: the first check that failed, in one sentence; ``reason`` names it.
    """
    _check_client_data(client_data, expected)
    fmt, statement, auth_data = _parse_attestation(attestation)
    _check_auth_data(auth_data, expected)
    cred = auth_data.credential_data
    assert cred is not None  # _check_auth_data made sure
    if unb64url(credential_id, "credential id") != cred.credential_id:
        raise PasskeyError(
            "The credential id does not match the one in the attestation.", "credential"
        )
    algorithm = int(cred.public_key.ALGORITHM or cred.public_key.get(3) or 0)
    if algorithm not in expected.algorithms:
        name = ALGORITHM_NAMES.get(algorithm, str(algorithm))
        raise PasskeyError(f"The key used algorithm {name}, which was not offered.", "algorithm")
    certificates = _check_statement(fmt, statement, auth_data, client_data)
    return VerifiedCredential(
        credential_id=bytes(cred.credential_id),
        aaguid=format_aaguid(cred.aaguid),
        algorithm=algorithm,
        public_key=dict(cred.public_key),
        fmt=fmt,
        attested=bool(certificates),
        certificates=certificates,
        sign_count=auth_data.counter,
        user_verified=auth_data.is_user_verified(),
    )


def _check_client_data(client_data: bytes, expected: Expectation) -> None:
    try:
        data = json.loads(client_data)
    except (ValueError, UnicodeDecodeError):
        raise PasskeyError("The clientDataJSON is not valid JSON.", "client_data") from None
    if not isinstance(data, dict):
        raise PasskeyError("The clientDataJSON is not a JSON object.", "client_data")
    if data.get("type") != "webauthn.create":
        raise PasskeyError(
            f"The client data type is {data.get('type')!r}, not 'webauthn.create'.", "client_data"
        )
    if unb64url(str(data.get("challenge", "")), "challenge") != expected.challenge:
        raise PasskeyError(
            "The challenge in the client data is not the one Entra ID issued.", "challenge"
        )
    if data.get("origin") not in expected.origins:
        raise PasskeyError(
            f"The client data names origin {data.get('origin')!r}, not {expected.origins[0]}.",
            "origin",
        )


def _parse_attestation(attestation: bytes) -> tuple[str, Mapping[str, Any], AuthenticatorData]:
    try:
        obj = cbor.decode(attestation)
        if not isinstance(obj, Mapping):
            raise ValueError("not a map")
        fmt, statement = str(obj["fmt"]), obj["attStmt"]
        auth_data = AuthenticatorData(bytes(obj["authData"]))
    except Exception:
        raise PasskeyError("The attestation object is not valid CBOR.", "attestation") from None
    if not isinstance(statement, Mapping):
        raise PasskeyError("The attestation statement is not a CBOR map.", "attestation")
    return fmt, statement, auth_data


def rp_id_hash(rp_id: str) -> bytes:
    """SHA-256 of the RP id, as the authenticator data carries it."""
    return hashlib.sha256(rp_id.encode("utf-8")).digest()


def _check_auth_data(auth_data: AuthenticatorData, expected: Expectation) -> None:
    if auth_data.rp_id_hash != rp_id_hash(expected.rp_id):
        raise PasskeyError(
            f"The credential was made for another relying party, not {expected.rp_id}.", "rp_id"
        )
    if not auth_data.is_user_present():
        raise PasskeyError("The key did not confirm that someone touched it.", "flags")
    if expected.require_uv and not auth_data.is_user_verified():
        raise PasskeyError(
            "The key did not verify its PIN, and Entra ID requires user verification.", "flags"
        )
    if not auth_data.is_attested() or auth_data.credential_data is None:
        raise PasskeyError("The authenticator data carries no credential.", "flags")


def _check_statement(
    fmt: str, statement: Mapping[str, Any], auth_data: AuthenticatorData, client_data: bytes
) -> tuple[bytes, ...]:
    verifiers = {"packed": PackedAttestation(), "none": NoneAttestation()}
    verifier = verifiers.get(fmt)
    if verifier is None:
        raise PasskeyError(
            f"The attestation format {fmt!r} is not supported (packed or none).", "attestation"
        )
    client_hash = hashlib.sha256(client_data).digest()
    try:
        result = verifier.verify(dict(statement), auth_data, client_hash)
    except (InvalidAttestation, NotImplementedError) as exc:
        raise PasskeyError(
            f"The {fmt} attestation statement does not verify ({type(exc).__name__}).",
            "attestation",
        ) from None
    return tuple(bytes(c) for c in result.trust_path)


def algorithms_text(algorithms: Sequence[int]) -> str:
    """``ES256, RS256`` for display."""
    return ", ".join(ALGORITHM_NAMES.get(a, str(a)) for a in algorithms)


# -- sign-in with a registered key (WebAuthn get / CTAP2 getAssertion) --------------------

FIDO_METHOD: Final = "FIDO2 security key"
"""How Entra ID's sign-in log names a security key sign-in."""


@dataclass(frozen=True)
class AssertionOptions:
    """What the sign-in page asks the key to sign: a challenge for one of the allowed keys."""

    challenge: bytes
    rp_id: str = RP_ID
    allow_ids: tuple[bytes, ...] = ()
    timeout_ms: int = CHALLENGE_MINUTES * 60_000
    user_verification: str = "required"

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> AssertionOptions:
        """Parse WebAuthn ``PublicKeyCredentialRequestOptions`` JSON (under ``publicKey``).

        Raises:
            PasskeyError: a required member is missing or malformed.
        """
        key = doc.get("publicKey", doc)
        try:
            return cls(
                challenge=unb64url(str(key["challenge"]), "challenge"),
                rp_id=str(key.get("rpId") or RP_ID),
                allow_ids=tuple(
                    unb64url(str(c["id"]), "allowed credential id")
                    for c in key.get("allowCredentials") or []
                ),
                timeout_ms=int(key.get("timeout") or CHALLENGE_MINUTES * 60_000),
                user_verification=str(key.get("userVerification") or "required"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PasskeyError(f"The sign-in options are malformed ({exc}).", "options") from None

    def to_json(self) -> dict[str, Any]:
        """The request options as the sign-in page sends them."""
        return {
            "publicKey": {
                "challenge": b64url(self.challenge),
                "timeout": self.timeout_ms,
                "rpId": self.rp_id,
                "allowCredentials": [
                    {"type": "public-key", "id": b64url(c), "transports": ["usb", "nfc"]}
                    for c in self.allow_ids
                ],
                "userVerification": self.user_verification,
            }
        }

    def allow_list(self) -> list[dict[str, Any]]:
        """CTAP2 ``allowList``."""
        return [{"type": "public-key", "id": c} for c in self.allow_ids]


def client_data_get(challenge: bytes, origin: str = ORIGIN) -> bytes:
    """The ``clientDataJSON`` a browser sends for a sign-in (``webauthn.get``)."""
    data = {"type": "webauthn.get", "challenge": b64url(challenge), "origin": origin}
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Assertion:
    """What CTAP2 ``getAssertion`` returned, plus the client data it signed."""

    credential_id: bytes
    client_data: bytes = field(repr=False)
    auth_data: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    user_handle: bytes | None = None

    def to_json(self) -> dict[str, str]:
        """The assertion as the sign-in page posts it (base64url members)."""
        return {
            "credentialId": b64url(self.credential_id),
            "clientDataJSON": b64url(self.client_data),
            "authenticatorData": b64url(self.auth_data),
            "signature": b64url(self.signature),
            "userHandle": b64url(self.user_handle) if self.user_handle else "",
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Assertion:
        """Parse the posted assertion.

        Raises:
            PasskeyError: a member is missing or not base64url.
        """
        names = ("credentialId", "clientDataJSON", "authenticatorData", "signature")
        missing = [n for n in names if not isinstance(doc.get(n), str) or not doc.get(n)]
        if missing:
            raise PasskeyError(f"The assertion has no {missing[0]}.", "assertion")
        handle = doc.get("userHandle")
        return cls(
            credential_id=unb64url(str(doc["credentialId"]), "credential id"),
            client_data=unb64url(str(doc["clientDataJSON"]), "clientDataJSON"),
            auth_data=unb64url(str(doc["authenticatorData"]), "authenticator data"),
            signature=unb64url(str(doc["signature"]), "signature"),
            user_handle=unb64url(str(handle), "user handle") if handle else None,
        )


@dataclass(frozen=True)
class AssertionExpectation:
    """What the relying party holds a sign-in to: its challenge and the stored credential."""

    challenge: bytes
    public_key: Mapping[int, Any] = field(repr=False)
    sign_count: int = 0
    """The counter stored from the previous use (0 when the key keeps none)."""
    rp_id: str = RP_ID
    origins: tuple[str, ...] = (ORIGIN,)
    require_uv: bool = True
    user_handle: bytes | None = None
    """The user handle registered with the credential, when known."""


@dataclass(frozen=True)
class VerifiedAssertion:
    """A sign-in that passed every check."""

    sign_count: int
    user_verified: bool


def verify_assertion(assertion: Assertion, expected: AssertionExpectation) -> VerifiedAssertion:
    """Check a WebAuthn sign-in as a relying party must (WebAuthn L2 §7.2).

    The client data must be a ``webauthn.get`` for the issued challenge and origin, the
    authenticator data for the RP id with user presence (and verification), the signature
    over ``authData || SHA-256(clientDataJSON)`` valid for the stored public key, and the sign
    counter higher than the stored one (unless the key keeps no counter).

    Raises:
        PasskeyError: the first check that failed, in one sentence; ``reason`` names it.
    """
    _check_get_client_data(assertion.client_data, expected)
    try:
        auth_data = AuthenticatorData(assertion.auth_data)
    except Exception:
        raise PasskeyError("The authenticator data is malformed.", "auth_data") from None
    if auth_data.rp_id_hash != rp_id_hash(expected.rp_id):
        raise PasskeyError(
            f"The key signed for another relying party, not {expected.rp_id}.", "rp_id"
        )
    if not auth_data.is_user_present():
        raise PasskeyError("The key did not confirm that someone touched it.", "flags")
    if expected.require_uv and not auth_data.is_user_verified():
        raise PasskeyError(
            "The key did not verify its PIN, and Entra ID requires user verification.", "flags"
        )
    if expected.user_handle and assertion.user_handle not in (None, expected.user_handle):
        raise PasskeyError("The key answered with another user's handle.", "user_handle")
    _check_signature(assertion, expected.public_key)
    if (auth_data.counter or expected.sign_count) and auth_data.counter <= expected.sign_count:
        raise PasskeyError(
            f"The key's sign counter did not increase ({auth_data.counter} after "
            f"{expected.sign_count}); the key may have been cloned.",
            "counter",
        )
    return VerifiedAssertion(auth_data.counter, auth_data.is_user_verified())


def _check_get_client_data(client_data: bytes, expected: AssertionExpectation) -> None:
    try:
        data = json.loads(client_data)
    except (ValueError, UnicodeDecodeError):
        raise PasskeyError("The clientDataJSON is not valid JSON.", "client_data") from None
    if not isinstance(data, dict):
        raise PasskeyError("The clientDataJSON is not a JSON object.", "client_data")
    if data.get("type") != "webauthn.get":
        raise PasskeyError(
            f"The client data type is {data.get('type')!r}, not 'webauthn.get'.", "client_data"
        )
    if unb64url(str(data.get("challenge", "")), "challenge") != expected.challenge:
        raise PasskeyError(
            "The challenge in the client data is not the one Entra ID issued.", "challenge"
        )
    if data.get("origin") not in expected.origins:
        raise PasskeyError(
            f"The client data names origin {data.get('origin')!r}, not {expected.origins[0]}.",
            "origin",
        )


def _check_signature(assertion: Assertion, public_key: Mapping[int, Any]) -> None:
    from cryptography.exceptions import InvalidSignature
    from fido2.cose import CoseKey

    signed = assertion.auth_data + hashlib.sha256(assertion.client_data).digest()
    try:
        CoseKey.parse(dict(public_key)).verify(signed, assertion.signature)
    except (InvalidSignature, ValueError, TypeError, KeyError, NotImplementedError):
        raise PasskeyError(
            "The signature does not verify with the registered public key.", "signature"
        ) from None


def encode_public_key(public_key: Mapping[int, Any]) -> str:
    """A COSE public key as base64url CBOR (how the emulator stores it)."""
    return b64url(cbor.encode(dict(public_key)))


def decode_public_key(text: str) -> dict[int, Any]:
    """The COSE public key ``encode_public_key`` stored.

    Raises:
        PasskeyError: the stored value is not a CBOR map.
    """
    value = cbor.decode(unb64url(text, "public key"))
    if not isinstance(value, dict):
        raise PasskeyError("The stored public key is not a COSE key.", "public_key")
    return value
