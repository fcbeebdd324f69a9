"""Who is calling Graph (from the bearer token) and whether they may do what they ask."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bgwizard.emulator.errors import TokenError
from bgwizard.emulator.http.core import HttpError, Request, graph_error
from bgwizard.emulator.identity.jwt import decode
from bgwizard.emulator.tenant import catalog as c
from bgwizard.emulator.tenant.catalog import BUILTIN_ROLES
from bgwizard.emulator.tenant.records import Caller
from bgwizard.emulator.tenant.state import TenantState

_READ_DIR = ("Directory.Read.All", "Directory.ReadWrite.All")


@dataclass(frozen=True)
class Need:
    """What an operation needs: one of ``permissions``, and (delegated) one of ``roles``."""

    permissions: tuple[str, ...]
    """Acceptable scopes / application permissions; the first is the least privileged."""
    roles: tuple[str, ...] | None = None
    """Directory role template ids a signed-in user needs one of; None: no role needed."""


DOMAINS = Need(("Domain.Read.All", *_READ_DIR))
ORGANIZATION = Need(("Organization.Read.All", "User.Read", *_READ_DIR))
ME = Need(("User.Read", "User.Read.All", "User.ReadWrite.All", *_READ_DIR))
USERS_READ = Need(("User.Read.All", "User.ReadWrite.All", *_READ_DIR))
USERS_WRITE = Need(
    (
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
        "User.Create",
        "User.ReadUpdate.All",
        "User-PasswordProfile.ReadWrite.All",
    ),
    (c.GLOBAL_ADMIN, c.USER_ADMIN),
)
GROUPS_READ = Need(
    ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "User.Read.All", *_READ_DIR)
)
METHODS_READ = Need(
    ("UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"),
    (c.GLOBAL_ADMIN, c.GLOBAL_READER, c.AUTH_ADMIN, c.PRIVILEGED_AUTH_ADMIN),
)
METHODS_WRITE = Need(
    ("UserAuthenticationMethod.ReadWrite.All",),
    (c.GLOBAL_ADMIN, c.AUTH_ADMIN, c.PRIVILEGED_AUTH_ADMIN),
)
PASSKEY_WRITE = Need(
    ("UserAuthMethod-Passkey.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"),
    (c.GLOBAL_ADMIN, c.AUTH_ADMIN, c.PRIVILEGED_AUTH_ADMIN),
)
AUTH_METHODS_POLICY_READ = Need(
    (
        "Policy.Read.All",
        "Policy.ReadWrite.AuthenticationMethod",
        "Policy.Read.AuthenticationMethod",
    ),
    (c.GLOBAL_ADMIN, c.GLOBAL_READER, c.SECURITY_ADMIN, c.SECURITY_READER),
)
ROLES_READ = Need(
    (
        "RoleManagement.Read.Directory",
        "RoleManagement.Read.All",
        "RoleManagement.ReadWrite.Directory",
        *_READ_DIR,
    )
)
ROLES_WRITE = Need(
    ("RoleManagement.ReadWrite.Directory",), (c.GLOBAL_ADMIN, c.PRIVILEGED_ROLE_ADMIN)
)
_PIM_READERS = (
    c.GLOBAL_ADMIN,
    c.GLOBAL_READER,
    c.PRIVILEGED_ROLE_ADMIN,
    c.SECURITY_ADMIN,
    c.SECURITY_READER,
)
ELIGIBILITY_READ = Need(
    (
        "RoleEligibilitySchedule.Read.Directory",
        "RoleEligibilitySchedule.ReadWrite.Directory",
        "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
    ),
    _PIM_READERS,
)
ASSIGNMENT_SCHEDULE_READ = Need(
    (
        "RoleAssignmentSchedule.Read.Directory",
        "RoleAssignmentSchedule.ReadWrite.Directory",
        "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
    ),
    _PIM_READERS,
)
CA_READ = Need(
    ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
    (c.GLOBAL_ADMIN, c.GLOBAL_READER, c.CA_ADMIN, c.SECURITY_ADMIN, c.SECURITY_READER),
)
CA_WRITE = Need(
    ("Policy.ReadWrite.ConditionalAccess",), (c.GLOBAL_ADMIN, c.CA_ADMIN, c.SECURITY_ADMIN)
)
AUDIT_READ = Need(
    ("AuditLog.Read.All",),
    (c.GLOBAL_ADMIN, c.GLOBAL_READER, c.SECURITY_ADMIN, c.SECURITY_READER, c.REPORTS_READER),
)
#: Resetting an administrator's password needs one of these roles.
ADMIN_PASSWORD_ROLES = (c.GLOBAL_ADMIN, c.PRIVILEGED_AUTH_ADMIN)


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


def require(caller: Caller, need: Need) -> None:
    """Raise 403 unless ``caller`` has a permission (and, if delegated, a role) in ``need``.

    Raises:
        HttpError: 403 naming the missing permission or the roles that would do.
    """
    if not caller.scopes & set(need.permissions):
        kind = "application permission" if caller.kind == "app" else "permission"
        raise denied(
            f"Insufficient privileges to complete the operation: requires {kind} "
            f"{need.permissions[0]}."
        )
    if caller.kind == "user" and need.roles is not None and not caller.role_ids & set(need.roles):
        names = ", ".join(BUILTIN_ROLES[r] for r in need.roles)
        raise denied(
            "Insufficient privileges to complete the operation: the signed-in user needs "
            f"one of these roles: {names}."
        )
