"""Who is calling Graph, from the bearer token (``caller_of``) and Graph's 403 (``denied``).

What each operation needs is checked by ``bgwizard.emulator.graph.requirements``, from the
ground-truth table.
"""

from __future__ import annotations

import time

from bgwizard.emulator.errors import TokenError
from bgwizard.emulator.http.core import HttpError, Request, graph_error
from bgwizard.emulator.identity.jwt import decode
from bgwizard.emulator.tenant import catalog as c
from bgwizard.emulator.tenant.records import Caller
from bgwizard.emulator.tenant.state import TenantState


def _unauthorized(message: str) -> HttpError:
    return HttpError(graph_error(401, "InvalidAuthenticationToken", message))


def caller_of(state: TenantState, request: Request) -> Caller:
    """The caller behind the request's bearer token.

    Raises:
        HttpError: 401 when the token is missing, malformed, expired or for another tenant.
    """
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise _unauthorized("Access token is empty.")
    try:
        _, claims, _, _ = decode(header[7:].strip())
    except TokenError:
        raise _unauthorized("IDX14100: JWT is not well formed.") from None
    if claims.get("aud") not in (c.GRAPH_AUDIENCE, c.GRAPH_RESOURCE_ID):
        raise _unauthorized("Invalid audience: the token is not for Microsoft Graph.")
    if claims.get("tid") != state.tenant_id:
        raise _unauthorized("The token is for another tenant.")
    if float(claims.get("exp", 0)) < time.time():
        raise _unauthorized("Lifetime validation failed, the token is expired.")
    app_id = str(claims.get("appid", ""))
    app = state.apps.get(app_id)
    if app is None:
        raise _unauthorized("The token names an application unknown to this tenant.")
    if claims.get("idtyp") == "app":
        return Caller(
            kind="app",
            app_id=app_id,
            app_name=app.display_name,
            scopes=frozenset(app.application_permissions) & frozenset(claims.get("roles", [])),
            service_principal_id=app.service_principal_id,
        )
    user = state.users.get(str(claims.get("oid", "")))
    if user is None or not user.get("accountEnabled", True):
        raise _unauthorized("The user of this token does not exist or is disabled.")
    return Caller(
        kind="user",
        app_id=app_id,
        app_name=app.display_name,
        user_id=str(user["id"]),
        upn=str(user["userPrincipalName"]),
        display_name=str(user.get("displayName") or ""),
        scopes=frozenset(str(claims.get("scp", "")).split()),
        role_ids=frozenset(state.active_role_ids(str(user["id"]))),
    )


def denied(message: str) -> HttpError:
    """A 403 ``Authorization_RequestDenied`` whose message names what is missing."""
    return HttpError(graph_error(403, "Authorization_RequestDenied", message))
