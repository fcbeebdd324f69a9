"""Issuing the emulator's tokens: access, id and refresh tokens for users and apps."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from bgwizard.emulator.identity import consent
from bgwizard.emulator.identity.jwt import b64url, encode_unsigned
from bgwizard.emulator.tenant.catalog import ARM_AUDIENCE, GRAPH_AUDIENCE
from bgwizard.emulator.tenant.state import App, JsonDict, RefreshGrant, TenantState, new_id

RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


def graph_scopes(scope: str) -> list[str]:
    """Graph permission names in a scope string (resource prefix and reserved scopes dropped)."""
    names = []
    for item in scope.split():
        if item in RESERVED_SCOPES:
            continue
        for prefix in (GRAPH_AUDIENCE + "/", "https://graph.microsoft.com//"):
            if item.startswith(prefix):
                item = item[len(prefix) :]
        names.append(item)
    return names


def echo_scope(scope: str) -> str:
    """The scope string to return: what was asked, minus the reserved OIDC scopes."""
    kept = [s for s in scope.split() if s not in RESERVED_SCOPES]
    return " ".join(kept) or f"{GRAPH_AUDIENCE}/.default"


def resource_of(scope: str) -> str:
    """The audience a scope string asks for: Azure Resource Manager or (by default) Graph."""
    return (
        ARM_AUDIENCE if any(s.startswith(ARM_AUDIENCE) for s in scope.split()) else GRAPH_AUDIENCE
    )


def delegated_scopes(state: TenantState, app: App, user_id: str, scope: str) -> list[str]:
    """The ``scp`` a user's token gets for ``scope``: only what was consented (``consent``).

    Azure Resource Manager tokens carry ``user_impersonation`` (ARM authorises with roles).

    Raises:
        ScopeError: A named scope has not been consented for the app (AADSTS65001).
    """
    if resource_of(scope) == ARM_AUDIENCE:
        return ["user_impersonation"]
    return consent.token_scopes(state, app.app_id, user_id, scope)


def user_tokens(
    state: TenantState,
    issuer_base: str,
    user: JsonDict,
    app: App,
    scope: str,
    amr: tuple[str, ...] = ("pwd",),
    nonce: str | None = None,
) -> JsonDict:
    """The token response for a delegated sign-in (code, device code, refresh or password).

    ``amr`` is how the person authenticated: ``pwd``, or ``fido`` and ``mfa`` for a key.

    Raises:
        ScopeError: A requested scope is not consented.
    """
    scp = delegated_scopes(state, app, str(user["id"]), scope)
    now = int(time.time())
    life = state.settings.token_lifetime
    tid = state.tenant_id
    oid = str(user["id"])
    upn = str(user["userPrincipalName"])
    access: dict[str, Any] = {
        "aud": resource_of(scope),
        "iss": f"https://sts.windows.net/{tid}/",
        "iat": now,
        "nbf": now,
        "exp": now + life,
        "appid": app.app_id,
        "app_displayname": app.display_name,
        "idtyp": "user",
        "name": user.get("displayName"),
        "oid": oid,
        "sub": oid,
        "tid": tid,
        "upn": upn,
        "unique_name": upn,
        "preferred_username": upn,
        "scp": " ".join(scp),
        "wids": state.active_role_ids(oid),
        "amr": list(amr),
        "uti": new_id(),
        "ver": "1.0",
    }
    id_claims: dict[str, Any] = {
        "aud": app.app_id,
        "iss": f"{issuer_base}/{tid}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + life,
        "name": user.get("displayName"),
        "oid": oid,
        "sub": oid,
        "tid": tid,
        "preferred_username": upn,
        "amr": list(amr),
        "ver": "2.0",
    }
    if nonce:
        id_claims["nonce"] = nonce
    refresh = secrets.token_urlsafe(32)
    state.refresh_tokens[refresh] = RefreshGrant(user_id=oid, client_id=app.app_id, amr=amr)
    client_info = b64url(json.dumps({"uid": oid, "utid": tid}).encode())
    return {
        "token_type": "Bearer",
        "scope": echo_scope(scope),
        "expires_in": life,
        "ext_expires_in": life,
        "access_token": encode_unsigned(access),
        "refresh_token": refresh,
        "id_token": encode_unsigned(id_claims),
        "client_info": client_info,
    }


def app_tokens(state: TenantState, app: App, scope: str) -> JsonDict:
    """The token response for client credentials: app-only, with the ``roles`` claim."""
    audience = resource_of(scope)
    now = int(time.time())
    life = state.settings.token_lifetime
    access = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{state.tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + life,
        "appid": app.app_id,
        "app_displayname": app.display_name,
        "idtyp": "app",
        "oid": app.service_principal_id,
        "sub": app.service_principal_id,
        "tid": state.tenant_id,
        "roles": list(app.application_permissions) if audience == GRAPH_AUDIENCE else [],
        "uti": new_id(),
        "ver": "1.0",
    }
    return {
        "token_type": "Bearer",
        "expires_in": life,
        "ext_expires_in": life,
        "access_token": encode_unsigned(access),
    }
