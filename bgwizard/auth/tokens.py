"""Access tokens: reading their claims, and handing them to msgraph-sdk.

msal does the OAuth work; this module knows what a token says (``SignedInIdentity``)
and wraps any token source as the async azure-core ``TokenCredential`` kiota expects.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Mapping
from typing import Any, Final

from bgwizard.auth.identity import SignedInIdentity, TokenSource
from bgwizard.errors import AuthError

GRAPH_SCOPES: Final = ("https://graph.microsoft.com/.default",)
"""What bgwizard asks for: the Graph permissions consented to the client app."""
_UNREADABLE: Final = "The sign-in service returned an access token bgwizard cannot read."


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT access token, read without checking its signature.

    Args:
        token: the compact JWT.

    Returns:
        The payload as a dictionary.

    Raises:
        AuthError: the token is not a JWT.
    """
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError) as exc:
        raise AuthError(_UNREADABLE) from exc
    if not isinstance(claims, dict):
        raise AuthError(_UNREADABLE)
    return claims


def _words(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def identity_from_claims(claims: Mapping[str, Any], *, app_only: bool = False) -> SignedInIdentity:
    """Who an access token speaks for.

    Args:
        claims: the token's claims.
        app_only: whether the token was issued to an application (client credentials).

    Returns:
        The identity: object id, tenant, UPN, roles (``wids``) and scopes (``scp``/``roles``).
    """
    upn = claims.get("upn") or claims.get("preferred_username") or claims.get("unique_name")
    if app_only and not upn:
        upn = claims.get("app_displayname") or claims.get("appid") or claims.get("azp") or ""
    scopes = _words(claims.get("scp")) or _words(claims.get("roles"))
    known = {"oid", "tid", "upn", "preferred_username", "name", "wids", "scp", "roles"}
    return SignedInIdentity(
        object_id=str(claims.get("oid", "")),
        tenant_id=str(claims.get("tid", "")),
        upn=str(upn or ""),
        display_name=str(claims.get("name") or ""),
        role_ids=_words(claims.get("wids")),
        scopes=scopes,
        app_only=app_only,
        extra={k: v for k, v in claims.items() if k not in known},
    )


def expires_on(result: Mapping[str, Any]) -> int:
    """The Unix time an msal token result expires.

    Args:
        result: msal's successful result (with ``expires_in``).

    Returns:
        Seconds since the epoch.
    """
    return int(time.time()) + int(result.get("expires_in", 3600))


class MsalTokenCredential:
    """An async ``TokenCredential`` (azure-core shape) for kiota / msgraph-sdk.

    kiota calls ``get_token(*scopes, claims=..., enable_cae=True)`` and awaits the result;
    the blocking msal work runs in a thread.
    """

    def __init__(self, source: TokenSource) -> None:
        """Wrap a token source.

        Args:
            source: an authenticator (or anything with a blocking ``token(scopes)``).
        """
        self._source = source

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> Any:
        """An ``azure.core.credentials.AccessToken`` for ``scopes``.

        Args:
            *scopes: requested scopes (Graph's ``.default`` when empty).
            claims: a claims challenge (not supported by the cache; ignored).
            tenant_id: ignored; the profile names the tenant.
            enable_cae: ignored; msal handles CAE itself.
            **kwargs: other azure-core options, ignored.

        Returns:
            The access token and its expiry.
        """
        from azure.core.credentials import AccessToken

        wanted = tuple(scopes) or GRAPH_SCOPES
        token, expires_on = await asyncio.to_thread(self._source.token, wanted)
        return AccessToken(token, expires_on)

    async def close(self) -> None:
        """Nothing to close: the msal application outlives the credential."""

    async def __aenter__(self) -> MsalTokenCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()
