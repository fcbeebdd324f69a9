"""Unsigned JWTs (what the emulator issues) and client-assertion checks (what apps send)."""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bgwizard.emulator.errors import TokenError
from bgwizard.emulator.tenant.state import AppCertificate


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("not base64url") from None


def encode_unsigned(claims: dict[str, Any]) -> str:
    """A JWT with ``alg: none`` and an empty signature."""
    header = {"typ": "JWT", "alg": "none"}
    parts = [json.dumps(p, separators=(",", ":")).encode() for p in (header, claims)]
    return f"{b64url(parts[0])}.{b64url(parts[1])}."


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a JWT into header, claims, signing input and signature (nothing verified)."""
    pieces = token.split(".")
    if len(pieces) != 3:
        raise TokenError("a JWT has three dot-separated parts")
    try:
        header = json.loads(b64url_decode(pieces[0]))
        claims = json.loads(b64url_decode(pieces[1]))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("the JWT header or payload is not JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenError("the JWT header and payload must be JSON objects")
    signing_input = f"{pieces[0]}.{pieces[1]}".encode("ascii")
    return header, claims, signing_input, b64url_decode(pieces[2])


def verify_client_assertion(
    assertion: str, client_id: str, audience: str, certificates: list[AppCertificate]
) -> None:
    """Check a certificate client assertion as Entra does.

    The header's ``x5t`` (SHA-1) or ``x5t#S256`` must name a registered certificate, the
    signature (RS256 or PS256) must verify with its public key, ``iss`` and ``sub`` must be the
    client id, ``aud`` the token endpoint, and the assertion must not be expired.

    Raises:
        TokenError: Which check failed.
    """
    header, claims, signing_input, signature = decode(assertion)
    cert = _registered(header, certificates)
    key = x509.load_pem_x509_certificate(cert.certificate_pem.encode()).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise TokenError("only RSA certificates are supported")
    alg = header.get("alg")
    pad: padding.AsymmetricPadding
    if alg == "RS256":
        pad = padding.PKCS1v15()
    elif alg == "PS256":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
    else:
        raise TokenError(f"unsupported assertion algorithm {alg!r}")
    try:
        key.verify(signature, signing_input, pad, hashes.SHA256())
    except InvalidSignature:
        raise TokenError("the client assertion signature is invalid") from None
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise TokenError("the client assertion iss and sub must be the client id")
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise TokenError(f"the client assertion audience must be {audience}")
    if float(claims.get("exp", 0)) < time.time():
        raise TokenError("the client assertion has expired")


def _registered(header: dict[str, Any], certificates: list[AppCertificate]) -> AppCertificate:
    sha1 = header.get("x5t")
    sha256 = header.get("x5t#S256")
    for cert in certificates:
        if sha1 and b64url_decode(str(sha1)).hex().upper() == cert.sha1_thumbprint:
            return cert
        if sha256 and b64url_decode(str(sha256)).hex().upper() == cert.sha256_thumbprint:
            return cert
    raise TokenError("the assertion's certificate thumbprint is not registered on the app")
