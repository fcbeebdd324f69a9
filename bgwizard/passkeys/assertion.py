"""Signing in with a registered passkey (WebAuthn get / CTAP2 getAssertion). Pure.

The options the sign-in page sends, the client data the key signs, and the checks Entra ID
makes on the assertion; shared by the emulator, the key service and the tests' software key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from fido2.cose import CoseKey
from fido2.webauthn import AuthenticatorData

from bgwizard.errors import PasskeyError
from bgwizard.passkeys.webauthn import (
    CHALLENGE_MINUTES,
    ORIGIN,
    RP_ID,
    b64url,
    check_client_data,
    rp_id_hash,
    unb64url,
)

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
    check_client_data(assertion.client_data, "webauthn.get", expected.challenge, expected.origins)
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


def _check_signature(assertion: Assertion, public_key: Mapping[int, Any]) -> None:
    signed = assertion.auth_data + hashlib.sha256(assertion.client_data).digest()
    try:
        CoseKey.parse(dict(public_key)).verify(signed, assertion.signature)
    except (InvalidSignature, ValueError, TypeError, KeyError, NotImplementedError):
        raise PasskeyError(
            "The signature does not verify with the registered public key.", "signature"
        ) from None
