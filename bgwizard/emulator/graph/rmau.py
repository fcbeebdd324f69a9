"""Restricted management administrative units (RMAU): what they refuse, in one place.

From the ground-truth table's ``restricted_management_admin_units`` section: tenant-scoped
administrators (Global Administrator and Privileged Role Administrator included) and apps with
Graph application permissions cannot change the properties or the password of an RMAU's
member, nor the members of a member group; only roles scoped to that unit can. A
role-assignable group in an RMAU is the exception: its members change by Global
Administrators and Privileged Role Administrators only. A Global Administrator inside an RMAU
cannot have the password reset by anyone (no unit-scopable role can reset a Global
Administrator's password).

Microsoft does not document the Graph error code of an RMAU refusal; the emulator answers
403 ``Authorization_RequestDenied`` (the code of every other directory authorization refusal)
with a message naming the unit.
"""

from __future__ import annotations

from typing import Final

from bgwizard.emulator.graph.authz import denied
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.records import Caller
from bgwizard.emulator.tenant.state import JsonDict, TenantState

#: The roles that still change the members of a role-assignable group inside an RMAU.
_ROLE_GROUP_MANAGERS: Final = frozenset({catalog.GLOBAL_ADMIN, catalog.PRIVILEGED_ROLE_ADMIN})


def _unit_names(state: TenantState, unit_ids: list[str]) -> str:
    return ", ".join(str(state.admin_units[u].get("displayName") or u) for u in unit_ids)


def _principal(caller: Caller) -> str:
    return caller.user_id if caller.kind == "user" else caller.service_principal_id


def _blocking(state: TenantState, caller: Caller, object_id: str) -> list[str]:
    """The RMAUs holding ``object_id`` that the caller holds no role scoped to."""
    who = _principal(caller)
    return [u for u in state.restricted_units(object_id) if not state.scoped_on_unit(who, u)]


def check_user_change(
    state: TenantState, caller: Caller, user: JsonDict, *, password: bool
) -> None:
    """Refuse a change to an RMAU member user by an admin not scoped to the unit.

    Args:
        state: the tenant.
        caller: who changes the user.
        user: the target user.
        password: the change sets the password.

    Raises:
        HttpError: 403 ``Authorization_RequestDenied`` naming the unit.
    """
    user_id = str(user["id"])
    if caller.kind == "user" and caller.user_id == user_id:
        return
    units = state.restricted_units(user_id)
    if not units:
        return
    names = _unit_names(state, units)
    if password and catalog.GLOBAL_ADMIN in state.active_role_ids(user_id):
        raise denied(
            "Insufficient privileges to complete the operation: the user is a Global "
            f"Administrator in the restricted management administrative unit {names}; nobody "
            "can reset the password until the user is removed from the unit."
        )
    if _blocking(state, caller, user_id):
        raise denied(
            "Insufficient privileges to complete the operation: the user is a member of the "
            f"restricted management administrative unit {names}; only administrators with a "
            "role scoped to that unit can change it."
        )


def check_group_members_change(state: TenantState, caller: Caller, group: JsonDict) -> None:
    """Refuse a membership change of a group in an RMAU by an admin the unit does not allow.

    Raises:
        HttpError: 403 ``Authorization_RequestDenied`` naming the unit.
    """
    units = state.restricted_units(str(group["id"]))
    if not units:
        return
    if group.get("isAssignableToRole"):
        if caller.kind == "user" and caller.role_ids & _ROLE_GROUP_MANAGERS:
            return
        raise denied(
            "Insufficient privileges to complete the operation: the role-assignable group is in "
            f"the restricted management administrative unit {_unit_names(state, units)}; only "
            "Global Administrators and Privileged Role Administrators can change its members."
        )
    if _blocking(state, caller, str(group["id"])):
        raise denied(
            "Insufficient privileges to complete the operation: the group is in the restricted "
            f"management administrative unit {_unit_names(state, units)}; only administrators "
            "with a role scoped to that unit can change its members."
        )
