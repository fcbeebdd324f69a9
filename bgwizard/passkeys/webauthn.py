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

from bgwizard.errors import PasskeyError
from bgwizard.secret import Secret

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
    check_client_data(client_data, "webauthn.create", expected.challenge, expected.origins)
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


def check_client_data(
    client_data: bytes, kind: str, challenge: bytes, origins: Sequence[str]
) -> None:
    """The client data is ``kind`` (``webauthn.create`` or ``.get``) for ``challenge``.

    Raises:
        PasskeyError: it is not.
    """
    try:
        data = json.loads(client_data)
    except (ValueError, UnicodeDecodeError):
        raise PasskeyError("The clientDataJSON is not valid JSON.", "client_data") from None
    if not isinstance(data, dict):
        raise PasskeyError("The clientDataJSON is not a JSON object.", "client_data")
    if data.get("type") != kind:
        raise PasskeyError(
            f"The client data type is {data.get('type')!r}, not {kind!r}.", "client_data"
        )
    if unb64url(str(data.get("challenge", "")), "challenge") != challenge:
        raise PasskeyError(
            "The challenge in the client data is not the one Entra ID issued.", "challenge"
        )
    if data.get("origin") not in origins:
        raise PasskeyError(
            f"The client data names origin {data.get('origin')!r}, not {origins[0]}.",
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
