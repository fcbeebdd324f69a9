"""Workload identity federation: the pipeline's own OIDC token as the app's client assertion.

No secret is stored anywhere. The pipeline's identity provider issues a short-lived token
(audience ``api://AzureADTokenExchange``); Entra accepts it in place of a certificate when the
app registration has a federated identity credential for that issuer and subject. Two sources,
as ``azure-identity`` reads them:

- a token file, ``AZURE_FEDERATED_TOKEN_FILE`` (Azure workload identity on Kubernetes, Azure
  DevOps and anything that writes the token to a file); read afresh for every assertion,
  since the file is rotated;
- GitHub Actions' token request, ``ACTIONS_ID_TOKEN_REQUEST_URL`` and
  ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` (a job with ``permissions: id-token: write``).

msal takes the assertion as a callable (``client_credential={"client_assertion": f}``) and calls
it for every token request, so an expired pipeline token is replaced by a fresh one. Before a
token goes to Entra it is checked here (without its signature, which only Entra can judge):
present, not expired, for the right audience — each failure is one sentence (exit 2).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from bgwizard.errors import AuthError

TOKEN_EXCHANGE_AUDIENCE: Final = "api://AzureADTokenExchange"
TOKEN_FILE_VAR: Final = "AZURE_FEDERATED_TOKEN_FILE"
ACTIONS_URL_VAR: Final = "ACTIONS_ID_TOKEN_REQUEST_URL"
ACTIONS_TOKEN_VAR: Final = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
_MARGIN: Final = 30
"""Seconds a token must still be valid for when it is handed to Entra."""

#: Entra's answers to a federated assertion, as one sentence each (checked before msal_errors).
FEDERATION_SENTENCES: Final[Mapping[int, str]] = {
    70021: "Federated sign-in failed: no federated credential on the app matches the "
    "pipeline's token (issuer, subject and audience).",
    700211: "Federated sign-in failed: the app has no federated credential for the pipeline "
    "token's issuer.",
    700212: "Federated sign-in failed: no federated credential on the app accepts the "
    "pipeline token's audience.",
    700213: "Federated sign-in failed: no federated credential on the app matches the "
    "pipeline token's subject (repository, branch or environment).",
    700024: "Federated sign-in failed: the pipeline's token has expired or is not valid yet.",
    700027: "Federated sign-in failed: the pipeline token's signature did not verify against "
    "its issuer's keys.",
}


def _claims(token: str, source: str) -> dict[str, Any]:
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise AuthError(f"The federated token from {source} is not a JWT.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise AuthError(f"The federated token from {source} is not a JWT.") from None
    if not isinstance(claims, dict):
        raise AuthError(f"The federated token from {source} is not a JWT.")
    return claims


def check_token(
    token: str,
    source: str,
    audience: str = TOKEN_EXCHANGE_AUDIENCE,
    now: Callable[[], float] = time.time,
) -> str:
    """Check a pipeline token before it is sent: a JWT, not expired, for ``audience``.

    Args:
        token: the compact JWT.
        source: where it came from, for messages.
        audience: the audience the app's federated credential expects.
        now: the clock.

    Returns:
        The token, stripped.

    Raises:
        AuthError: not a JWT, expired (or about to), or for another audience.
    """
    claims = _claims(token, source)
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise AuthError(f"The federated token from {source} has no expiry time.")
    if exp - _MARGIN < now():
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp))
        raise AuthError(f"The federated token from {source} expired at {when}.")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise AuthError(
            f"The federated token from {source} is for audience {aud!r}, not {audience!r}."
        )
    return token.strip()


class TokenFile:
    """A token file written by the platform (``AZURE_FEDERATED_TOKEN_FILE``)."""

    def __init__(self, path: Path) -> None:
        """Read ``path`` each time an assertion is needed."""
        self.path = path

    def __call__(self) -> str:
        """The token in the file now.

        Raises:
            AuthError: the file is missing, unreadable or empty.
        """
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise AuthError(f"The federated token file {self.path} does not exist.") from None
        except (OSError, UnicodeDecodeError):
            raise AuthError(f"The federated token file {self.path} cannot be read.") from None
        if not text.strip():
            raise AuthError(f"The federated token file {self.path} is empty.")
        return text

    def __str__(self) -> str:
        return f"the token file {self.path}"


class ActionsTokenRequest:
    """GitHub Actions' OIDC token request (``ACTIONS_ID_TOKEN_REQUEST_URL`` / ``_TOKEN``)."""

    def __init__(
        self,
        url: str,
        request_token: str,
        audience: str = TOKEN_EXCHANGE_AUDIENCE,
        get: Callable[[str, dict[str, str]], Any] | None = None,
    ) -> None:
        """Ask ``url`` (with ``&audience=``) for a token each time one is needed.

        Args:
            url: ``ACTIONS_ID_TOKEN_REQUEST_URL``.
            request_token: ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` (sent as a bearer token).
            audience: the audience to ask for.
            get: ``(url, headers) -> JSON``; by default a ``requests`` GET with system trust.
        """
        self._url = url
        self._request_token = request_token
        self._audience = audience
        self._get = get or _requests_get

    def __call__(self) -> str:
        """A fresh token from GitHub.

        Raises:
            AuthError: the request failed or the answer holds no token.
        """
        joiner = "&" if "?" in self._url else "?"
        url = f"{self._url}{joiner}audience={quote(self._audience, safe='')}"
        headers = {"Authorization": f"bearer {self._request_token}", "Accept": "application/json"}
        answer = self._get(url, headers)
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            raise AuthError("GitHub Actions' token request answered without a token.")
        return value

    def __str__(self) -> str:
        return "GitHub Actions' token request"


def _requests_get(url: str, headers: dict[str, str]) -> Any:
    import requests

    try:
        response = requests.get(url, headers=headers, timeout=30)
    except requests.RequestException:
        raise AuthError("GitHub Actions' token request could not be reached.") from None
    if response.status_code != 200:
        raise AuthError(
            f"GitHub Actions' token request was refused (HTTP {response.status_code}); "
            "the job needs `permissions: id-token: write`."
        )
    try:
        return response.json()
    except ValueError:
        raise AuthError("GitHub Actions' token request did not answer with JSON.") from None


class FederatedAssertion:
    """The callable msal calls for a client assertion: a checked token from the source."""

    def __init__(
        self,
        source: Callable[[], str],
        audience: str = TOKEN_EXCHANGE_AUDIENCE,
        now: Callable[[], float] = time.time,
    ) -> None:
        """Wrap ``source`` (``TokenFile`` or ``ActionsTokenRequest``)."""
        self.source = source
        self._audience = audience
        self._now = now

    def __call__(self) -> str:
        """A token that is present, unexpired and for the token-exchange audience.

        Raises:
            AuthError: what is wrong with it, in one sentence.
        """
        return check_token(self.source(), str(self.source), self._audience, self._now)


def from_environment(
    env: Mapping[str, str] | None = None,
    token_file: Path | None = None,
    get: Callable[[str, dict[str, str]], Any] | None = None,
) -> FederatedAssertion:
    """The federated assertion the environment offers (as ``azure-identity`` looks for it).

    Args:
        env: the environment (``os.environ`` by default).
        token_file: a token file named on the command line (wins over the environment).
        get: the HTTP GET for GitHub's token request (tests).

    Returns:
        The assertion callable.

    Raises:
        AuthError: no token file and no GitHub Actions token request in the environment.
    """
    env = os.environ if env is None else env
    if token_file is not None:
        return FederatedAssertion(TokenFile(token_file))
    if env.get(TOKEN_FILE_VAR):
        return FederatedAssertion(TokenFile(Path(env[TOKEN_FILE_VAR])))
    if env.get(ACTIONS_URL_VAR) and env.get(ACTIONS_TOKEN_VAR):
        return FederatedAssertion(
            ActionsTokenRequest(env[ACTIONS_URL_VAR], env[ACTIONS_TOKEN_VAR], get=get)
        )
    raise AuthError(
        f"Federated sign-in needs {TOKEN_FILE_VAR}, or {ACTIONS_URL_VAR} and "
        f"{ACTIONS_TOKEN_VAR} (a GitHub Actions job with `permissions: id-token: write`)."
    )


def federation_sentence(codes: list[int]) -> str | None:
    """One sentence for Entra's answer to a federated assertion, when one of ``codes`` has one."""
    return next((FEDERATION_SENTENCES[c] for c in codes if c in FEDERATION_SENTENCES), None)
