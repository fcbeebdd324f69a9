"""Whether a caller may run a Graph operation, as Microsoft's table says (``ground_truth``).

Every Graph route of the emulator names one operation of ``bgwizard/data/graph-ground-truth.json``
(``GraphContext.route``); the requirement (delegated and application permissions, directory
roles with the admin-target rule, the app's own role, licence and supported query options) is
read from that table, never written here. The order of checks is Graph's: permissions and
roles (403 ``Authorization_RequestDenied``), then the licence (the table's error), then the
query options (400).

Routes Microsoft's table has no entry for borrow the requirement of the documented operation on
the same resource; ``BORROWED`` lists each of them with its reason, in this one place.
"""

from __future__ import annotations

from typing import Final

from bgwizard.emulator.graph.authz import denied
from bgwizard.emulator.http.core import HttpError, Request, graph_error
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.records import Caller
from bgwizard.emulator.tenant.state import TenantState
from bgwizard.ground_truth import Requirement, licence_covers, requirement

#: Emulator operations that are not rows of the table → the row whose requirement they use.
BORROWED: Final[dict[str, tuple[str, str]]] = {
    "me-get": ("user-get", "GET /me is user-get on the signed-in user (its self-only row)"),
    "domain-get": ("domains-list", "GET /domains/{id}: same resource as the domain list"),
    "group-list": ("group-transitiveMembers", "group reads: same group-read permissions"),
    "group-get": ("group-transitiveMembers", "group reads: same group-read permissions"),
    "group-members": ("group-transitiveMembers", "direct members: same as transitive members"),
    "group-remove-member": ("group-add-member", "removing a member: same as adding one"),
    "user-memberOf": ("user-transitiveMemberOf", "direct memberships: same as transitive"),
    "roleDefinitions-list": ("roleAssignments-list", "role definitions: same role-read rights"),
    "roleAssignment-get": ("roleAssignments-list", "one assignment: same as the list"),
    "roleAssignment-delete": ("roleAssignments-create", "removing: same as assigning"),
    "signIn-get": ("signIns-list", "one sign-in: same as the list"),
    "directoryAudit-get": ("directoryAudits-list", "one audit record: same as the list"),
    "administrativeUnit-get": ("administrativeUnits-list", "one unit: same as the list"),
    "administrativeUnit-members": ("administrativeUnits-list", "a unit's members: unit reads"),
    "administrativeUnit-create": (
        "administrativeUnits-list",
        "creating a unit is not a row; the handler adds the table's restricted_management_"
        "admin_units rule (GA or PRA, AdministrativeUnit.ReadWrite.All)",
    ),
    "administrativeUnit-add-member": (
        "administrativeUnits-list",
        "adding a unit member is not a row; the handler adds the table's restricted_"
        "management_admin_units rule (GA or PRA, AdministrativeUnit.ReadWrite.All)",
    ),
    "ca-create": (
        "ca-update",
        "sources conflict on the create row (an older v1.0 page adds Application.Read.All; the"
        " beta page and the newer include ask what PATCH asks, and name no roles): the"
        " permissive reading, PATCH's permissions and roles (Security or Conditional Access"
        " Administrator), is used",
    ),
    "securityDefaults-get": (
        "ca-list",
        "GET /policies/identitySecurityDefaultsEnforcementPolicy has no row; Microsoft documents"
        " Policy.Read.All as its least permission, the same as the CA policy list",
    ),
}
#: Graph's server-issued paging token, carried by every ``@odata.nextLink``.
ALWAYS_ALLOWED: Final = frozenset({"$skiptoken"})


def table_requirement(op_id: str) -> Requirement:
    """The requirement for an emulator operation (borrowed ones resolved).

    Raises:
        KeyError: the operation is neither in the table nor in ``BORROWED``.
    """
    return requirement(BORROWED[op_id][0] if op_id in BORROWED else op_id)


def _ids(names: tuple[str, ...]) -> set[str]:
    return {catalog.ROLE_IDS[n] for n in names if n in catalog.ROLE_IDS} | {catalog.GLOBAL_ADMIN}


def _is_admin(state: TenantState, user_id: str) -> bool:
    return bool(set(state.active_role_ids(user_id)) & catalog.PRIVILEGED_ROLES)


def check(state: TenantState, caller: Caller, need: Requirement, target: str | None = None) -> None:
    """Raise Graph's 403 unless ``caller`` holds what ``need`` documents.

    Args:
        state: the tenant (roles of the target and of the app's service principal).
        caller: who calls.
        need: the operation's requirement.
        target: the object id of the user the operation acts on, if any.

    Raises:
        HttpError: 403 naming the missing permission or the roles that would do.
    """
    if caller.kind == "app":
        _check_app(state, caller, need, target)
        return
    own = target is not None and target == caller.user_id
    usable = [
        o
        for o in need.delegated
        if o <= caller.scopes and (own or not (need.user_target and o & need.self_only))
    ]
    if need.delegated and not usable:
        raise denied(
            "Insufficient privileges to complete the operation: requires permission "
            f"{need.least_delegated}."
        )
    roles = need.roles
    if need.admin_target_roles and target and not own and _is_admin(state, target):
        roles = need.admin_target_roles
    if roles is not None and not caller.role_ids & _ids(roles):
        why = "the target user holds an administrator role, so " if roles != need.roles else ""
        names = ", ".join(dict.fromkeys((*roles, "Global Administrator")))
        raise denied(
            f"Insufficient privileges to complete the operation: {why}the signed-in user needs "
            f"one of these roles: {names}."
        )


def _check_app(state: TenantState, caller: Caller, need: Requirement, target: str | None) -> None:
    if not need.application and need.delegated:
        raise denied(
            "Insufficient privileges to complete the operation: this operation does not "
            "support application permissions (app-only access)."
        )
    if need.application and not any(o <= caller.scopes for o in need.application):
        raise denied(
            "Insufficient privileges to complete the operation: requires application "
            f"permission {need.least_application}."
        )
    if need.app_role is None:
        return
    wanted: tuple[str, ...] = (need.app_role, *(need.admin_target_roles or ()))
    if need.admin_target_roles and target and _is_admin(state, target):
        wanted = need.admin_target_roles
    held = set(state.active_role_ids(caller.service_principal_id))
    if not held & _ids(wanted):
        raise denied(
            "Insufficient privileges to complete the operation: the application's service "
            f"principal needs the directory role {wanted[0]}."
        )


def check_licence(state: TenantState, need: Requirement) -> None:
    """Raise the table's error when the tenant's licence lacks what ``need`` requires."""
    licence = need.licence
    if licence is not None and not licence_covers(state.licence, licence.tier):
        raise HttpError(graph_error(licence.status, licence.code, licence.message))


_OPTION_NAMES: Final = {
    "$orderby": "OrderBy",
    "$select": "Select",
    "$expand": "Expand",
    "$count": "Count",
    "$search": "Search",
    "$skip": "Skip",
    "$filter": "Filter",
    "$top": "Top",
    "$format": "Format",
}


def check_query(request: Request, need: Requirement) -> None:
    """Raise Graph's 400 for a ``$`` query option the operation does not support."""
    if need.query_options is None:
        return
    allowed = need.query_options | ALWAYS_ALLOWED
    for key in request.query:
        name = key.lower()
        if name.startswith("$") and name not in allowed:
            option = _OPTION_NAMES.get(name, key.lstrip("$"))
            raise HttpError(
                graph_error(
                    400,
                    "BadRequest",
                    f"Query option '{option}' is not allowed. To allow it, set the "
                    "'AllowedQueryOptions' property on QueryValidationSettings.",
                )
            )
