"""Workload identity federation: a pipeline's OIDC issuer on loopback, and Entra's check.

``PipelineIssuer`` plays the pipeline's identity provider (GitHub Actions'
``token.actions.githubusercontent.com``, a Kubernetes cluster's issuer): under
``/_oidc/{name}`` it serves OpenID discovery and a JWKS, signs RS256 tokens with its own key,
and answers GitHub Actions' token request (``ACTIONS_ID_TOKEN_REQUEST_URL`` with
``&audience=`` and the bearer ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``, body ``{"value": jwt}``).

``FederationCheck`` is Entra's side of the client-credentials grant with such a token as
``client_assertion``: the app's federated identity credential must name the token's issuer;
the issuer's keys are fetched the way Entra fetches them (``{iss}/.well-known/
openid-configuration`` → ``jwks_uri``, over HTTPS, here restricted to loopback and the
emulator's CA) and the signature verified; then ``exp``/``nbf``, the audience and the subject.

Error codes. ``graph-ground-truth.json`` documents no AADSTS code for federation; the codes
below are the ones Microsoft's AADSTS error reference and the azure-workload-identity
troubleshooting guide show for these cases (the one place that says so):
70021 no matching federated identity record (generic), 700211 issuer, 700212 audience,
700213 subject, 700024 assertion outside its valid time range, 700027 signature validation
failed (also used when the issuer's keys cannot be had). Where Entra's wording is not
documented the message is ours, in the same shape.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bgwizard.emulator.errors import TokenError
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.identity.jwt import b64url, b64url_decode, decode
from bgwizard.emulator.tenant.federation import TOKEN_EXCHANGE_AUDIENCE, FederatedCredential
from bgwizard.emulator.tenant.state import App

_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_KEY_CACHE_SECONDS: Final = 300.0
_SKEW: Final = 300
"""Clock skew Entra tolerates on ``nbf``/``exp`` (five minutes)."""
_N = r"/_oidc/(?P<name>[A-Za-z0-9_.-]+)"


def _error(description: str, code: int) -> Response:
    return json_response(
        400,
        {
            "error": "invalid_client",
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
        },
    )


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class PipelineIssuer:
    """Emulated OIDC issuers of CI pipelines, one RSA signing key per issuer name."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        """Serve issuers under ``{base_url}/_oidc/{name}``; keys are made on first use."""
        self._base_url = base_url
        self._keys: dict[str, tuple[str, rsa.RSAPrivateKey]] = {}
        self._requests: dict[str, tuple[str, str]] = {}
        """Actions request token → (issuer name, subject)."""
        self._lock = threading.Lock()

    def register(self, router: Router) -> None:
        """Add discovery, JWKS, the Actions token request and the minting control route."""
        router.add("GET", _N + r"/\.well-known/openid-configuration", self._discovery)
        router.add("GET", _N + r"/keys", self._jwks)
        router.add("GET", _N + r"/actions-token", self._actions_token)
        router.add("POST", r"/_emulator" + _N + r"/mint", self._mint_route)

    def issuer(self, name: str) -> str:
        """The issuer URL of ``name`` (what tokens carry as ``iss``)."""
        return f"{self._base_url()}/_oidc/{name}"

    def _key(self, name: str) -> tuple[str, rsa.RSAPrivateKey]:
        with self._lock:
            if name not in self._keys:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                self._keys[name] = (secrets.token_hex(8), key)
            return self._keys[name]

    def mint(
        self,
        name: str,
        subject: str,
        audience: str = TOKEN_EXCHANGE_AUDIENCE,
        *,
        lifetime: int = 300,
        issued_at: float | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """A signed RS256 token from issuer ``name``, as the pipeline would get it.

        Args:
            name: the issuer's name (its URL is ``issuer(name)``).
            subject: the ``sub`` claim (``repo:owner/name:ref:refs/heads/main`` on GitHub).
            audience: the ``aud`` claim.
            lifetime: seconds from ``issued_at`` to ``exp`` (negative: already expired).
            issued_at: Unix time of ``iat``/``nbf`` (now by default).
            key: sign with this key instead of the issuer's (a forged token, for tests).

        Returns:
            The compact JWT.
        """
        kid, own = self._key(name)
        now = int(time.time() if issued_at is None else issued_at)
        claims = {
            "iss": self.issuer(name),
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(8),
        }
        header = {"typ": "JWT", "alg": "RS256", "kid": kid}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = (key or own).sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def actions_request(self, name: str, subject: str) -> tuple[str, str]:
        """What GitHub Actions puts in a job's environment for ``id-token: write``.

        Args:
            name: the issuer.
            subject: the ``sub`` the job's tokens carry.

        Returns:
            ``(ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN)``.
        """
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._requests[token] = (name, subject)
        return f"{self.issuer(name)}/actions-token?api-version=2.0", token

    def _discovery(self, request: Request, match: re.Match[str]) -> Response:
        issuer = self.issuer(match["name"])
        return json_response(
            200,
            {
                "issuer": issuer,
                "jwks_uri": f"{issuer}/keys",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf"],
            },
        )

    def _jwks(self, request: Request, match: re.Match[str]) -> Response:
        kid, key = self._key(match["name"])
        numbers = key.public_key().public_numbers()
        jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid}
        jwk |= {"n": _uint(numbers.n), "e": _uint(numbers.e)}
        return json_response(200, {"keys": [jwk]})

    def _actions_token(self, request: Request, match: re.Match[str]) -> Response:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        with self._lock:
            grant = self._requests.get(token) if scheme.lower() == "bearer" else None
        if grant is None or grant[0] != match["name"]:
            return json_response(401, {"message": "Bad credentials"})
        # Without ``audience`` GitHub uses the repository owner's URL; ours is the issuer.
        audience = request.query.get("audience") or self.issuer(match["name"])
        return json_response(200, {"value": self.mint(grant[0], grant[1], audience)})

    def _mint_route(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("subject"), str):
            return json_response(400, {"error": "send {subject, audience?, lifetime?}"})
        token = self.mint(
            match["name"],
            body["subject"],
            str(body.get("audience") or TOKEN_EXCHANGE_AUDIENCE),
            lifetime=int(body.get("lifetime", 300)),
        )
        return json_response(200, {"value": token})


class FederationCheck:
    """Entra's validation of a federated client assertion for an app."""

    def __init__(self, ca_pem: Callable[[], Path]) -> None:
        """Fetch issuers' keys over HTTPS trusting the emulator's CA (``ca_pem``)."""
        self._ca_pem = ca_pem
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __call__(self, app: App, assertion: str) -> Response | bool:
        """Check ``assertion`` for ``app``.

        Returns:
            False when the assertion is not a federated one (its issuer is the app itself: a
            certificate assertion); True when it is valid; else the error response.
        """
        try:
            header, claims, signing_input, signature = decode(assertion)
        except TokenError:
            return False
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer == app.app_id:
            return False
        candidates = [c for c in app.federated_credentials if c.issuer == issuer]
        if not candidates:
            return _error(
                "No matching federated identity record found for presented assertion issuer "
                f"'{issuer}'. Please check your federated identity credential Subject, Audience "
                "and Issuer against the presented assertion.",
                700211,
            )
        failure = self._signature(issuer, header, signing_input, signature)
        return failure or self._claims(claims, candidates)

    def _signature(
        self, issuer: str, header: dict[str, Any], signing_input: bytes, signature: bytes
    ) -> Response | None:
        if header.get("alg") != "RS256":
            return _error(
                f"Client assertion algorithm {header.get('alg')!r} is not supported.", 700027
            )
        try:
            key = self._public_key(issuer, str(header.get("kid", "")))
        except TokenError as exc:
            return _error(f"Client assertion failed signature validation: {exc}.", 700027)
        try:
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return _error(
                "Client assertion failed signature validation: the signature does not match "
                "the issuer's published keys.",
                700027,
            )
        return None

    def _claims(
        self, claims: dict[str, Any], candidates: list[FederatedCredential]
    ) -> Response | bool:
        now = time.time()
        try:
            exp, nbf = float(claims["exp"]), float(claims.get("nbf", claims.get("iat", 0)))
        except (KeyError, TypeError, ValueError):
            return _error("Client assertion contains an invalid or missing exp claim.", 700024)
        if exp + _SKEW < now or nbf - _SKEW > now:
            return _error(
                "Client assertion is not within its valid time range. "
                f"Current time: {_iso(now)}, assertion valid from {_iso(nbf)}, "
                f"expiry time of assertion {_iso(exp)}.",
                700024,
            )
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        by_audience = [c for c in candidates if c.audiences[0] in audiences]
        if not by_audience:
            return _error(
                "No matching federated identity record found for presented assertion audience "
                f"'{aud}'.",
                700212,
            )
        if not any(c.subject == claims.get("sub") for c in by_audience):
            return _error(
                "No matching federated identity record found for presented assertion subject "
                f"'{claims.get('sub')}'. Please check your federated identity credential "
                "Subject, Audience and Issuer against the presented assertion.",
                700213,
            )
        return True

    def _public_key(self, issuer: str, kid: str) -> rsa.RSAPublicKey:
        for refresh in (False, True):
            for jwk in self._jwks(issuer, refresh).get("keys", []):
                if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "RSA":
                    n, e = (int.from_bytes(b64url_decode(str(jwk[k])), "big") for k in "ne")
                    return rsa.RSAPublicNumbers(e, n).public_key()
        raise TokenError(f"the issuer publishes no key with kid '{kid}'")

    def _jwks(self, issuer: str, refresh: bool) -> dict[str, Any]:
        with self._lock:
            cached = self._cache.get(issuer)
        if cached and not refresh and cached[0] > time.monotonic():
            return cached[1]
        parts = urllib.parse.urlsplit(issuer)
        if parts.scheme != "https" or parts.hostname not in _LOOPBACK:
            raise TokenError(
                f"the emulator fetches issuer keys over https from loopback only, not from {issuer}"
            )
        config = self._get(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if config.get("issuer") != issuer or not isinstance(config.get("jwks_uri"), str):
            raise TokenError("the issuer's OpenID configuration does not name it or its keys")
        jwks = self._get(config["jwks_uri"])
        with self._lock:
            self._cache[issuer] = (time.monotonic() + _KEY_CACHE_SECONDS, jwks)
        return jwks

    def _get(self, url: str) -> dict[str, Any]:
        context = ssl.create_default_context(cafile=str(self._ca_pem()))
        # No proxy: the issuer is on loopback, and a proxy from the environment must not see it.
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        try:
            with opener.open(url, timeout=30) as answer:
                document = json.loads(answer.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TokenError(f"the issuer's keys could not be fetched from {url} ({exc})") from None
        if not isinstance(document, dict):
            raise TokenError(f"{url} did not answer with a JSON object")
        return document


def _iso(when: float) -> str:
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(when))
