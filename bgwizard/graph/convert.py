"""msgraph-sdk models → bgwizard's domain dataclasses.

The SDK's models are typed ``Any`` here (msgraph ships no stubs mypy follows); every
attribute is read with ``getattr`` defaults so a missing property never raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from bgwizard.graph.model import (
    AuditRecord,
    AuthMethod,
    DirectoryUser,
    DomainInfo,
    GroupKind,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
    ScheduleKind,
    SignInRecord,
)

USER_FIELDS: Final = (
    "id",
    "userPrincipalName",
    "displayName",
    "accountEnabled",
    "passwordPolicies",
    "onPremisesSyncEnabled",
    "userType",
    "createdDateTime",
    "lastPasswordChangeDateTime",
    "authorizationInfo",
)
"""The user properties bgwizard reads (``signInActivity`` is added on request)."""


def _text(value: Any) -> str:
    """An enum's value or a plain value as text ('' for None)."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def odata_kind(odata_type: str | None) -> str:
    """``#microsoft.graph.fido2AuthenticationMethod`` → ``fido2``.

    Args:
        odata_type: the ``@odata.type`` of an object.

    Returns:
        The short kind name.
    """
    name = (odata_type or "").rsplit(".", 1)[-1]
    return name.removesuffix("AuthenticationMethod") or name


def user(model: Any) -> DirectoryUser:
    """A ``microsoft.graph.user`` as a ``DirectoryUser``."""
    activity = getattr(model, "sign_in_activity", None)
    return DirectoryUser(
        id=_text(model.id),
        upn=_text(getattr(model, "user_principal_name", None)),
        display_name=_text(getattr(model, "display_name", None)),
        account_enabled=getattr(model, "account_enabled", None),
        password_policies=getattr(model, "password_policies", None),
        on_premises_sync_enabled=getattr(model, "on_premises_sync_enabled", None),
        user_type=getattr(model, "user_type", None),
        created=_when(getattr(model, "created_date_time", None)),
        last_sign_in=_when(getattr(activity, "last_sign_in_date_time", None)),
        last_successful_sign_in=_when(getattr(activity, "last_successful_sign_in_date_time", None)),
        last_password_change=_when(getattr(model, "last_password_change_date_time", None)),
        certificate_user_ids=tuple(
            _text(i)
            for i in getattr(
                getattr(model, "authorization_info", None), "certificate_user_ids", None
            )
            or ()
        ),
    )


def _certificate_ids(model: Any) -> tuple[str, ...]:
    info = getattr(model, "authorization_info", None)
    return tuple(_text(i) for i in getattr(info, "certificate_user_ids", None) or ())


def domain(model: Any) -> DomainInfo:
    """A ``microsoft.graph.domain`` as a ``DomainInfo``."""
    return DomainInfo(
        id=_text(model.id),
        is_initial=bool(getattr(model, "is_initial", False)),
        is_default=bool(getattr(model, "is_default", False)),
        is_verified=bool(getattr(model, "is_verified", False)),
    )


def role_assignment(model: Any) -> RoleAssignment:
    """A ``microsoft.graph.unifiedRoleAssignment`` as a ``RoleAssignment``."""
    return RoleAssignment(
        id=_text(model.id),
        principal_id=_text(getattr(model, "principal_id", None)),
        role_definition_id=_text(getattr(model, "role_definition_id", None)),
        directory_scope_id=_text(getattr(model, "directory_scope_id", None)) or "/",
    )


def role_schedule(model: Any, kind: ScheduleKind) -> RoleSchedule:
    """A role eligibility or assignment schedule as a ``RoleSchedule``."""
    info = getattr(model, "schedule_info", None)
    expiration = getattr(info, "expiration", None)
    end = _when(getattr(expiration, "end_date_time", None))
    if _text(getattr(expiration, "type", None)) == "noExpiration":
        end = None
    return RoleSchedule(
        id=_text(model.id),
        kind=kind,
        principal_id=_text(getattr(model, "principal_id", None)),
        role_definition_id=_text(getattr(model, "role_definition_id", None)),
        directory_scope_id=_text(getattr(model, "directory_scope_id", None)) or "/",
        member_type=_text(getattr(model, "member_type", None)),
        status=_text(getattr(model, "status", None)),
        start=_when(getattr(info, "start_date_time", None)),
        end=end,
        assignment_type=_text(getattr(model, "assignment_type", None)),
    )


def sign_in(model: Any) -> SignInRecord:
    """A ``microsoft.graph.signIn`` as a ``SignInRecord``."""
    status = getattr(model, "status", None)
    return SignInRecord(
        id=_text(model.id),
        created=_when(getattr(model, "created_date_time", None)),
        user_id=_text(getattr(model, "user_id", None)),
        upn=_text(getattr(model, "user_principal_name", None)),
        app_display_name=_text(getattr(model, "app_display_name", None)),
        client_app_used=_text(getattr(model, "client_app_used", None)),
        ip_address=_text(getattr(model, "ip_address", None)),
        error_code=int(getattr(status, "error_code", None) or 0),
        failure_reason=_text(getattr(status, "failure_reason", None)),
        conditional_access_status=_text(getattr(model, "conditional_access_status", None)),
    )


def _initiator(initiated_by: Any) -> str:
    who = getattr(initiated_by, "user", None)
    if who is not None and getattr(who, "user_principal_name", None):
        return _text(who.user_principal_name)
    app = getattr(initiated_by, "app", None)
    return _text(getattr(app, "display_name", None))


def audit(model: Any) -> AuditRecord:
    """A ``microsoft.graph.directoryAudit`` as an ``AuditRecord``."""
    targets = list(getattr(model, "target_resources", None) or [])
    return AuditRecord(
        id=_text(model.id),
        activity=_text(getattr(model, "activity_display_name", None)),
        when=_when(getattr(model, "activity_date_time", None)),
        category=_text(getattr(model, "category", None)),
        result=_text(getattr(model, "result", None)),
        operation_type=_text(getattr(model, "operation_type", None)),
        initiated_by=_initiator(getattr(model, "initiated_by", None)),
        target_ids=tuple(_text(t.id) for t in targets if getattr(t, "id", None)),
        target_names=tuple(
            _text(getattr(t, "user_principal_name", None) or getattr(t, "display_name", None))
            for t in targets
        ),
    )


def _method_detail(model: Any) -> str:
    for attribute in ("model", "phone_number", "device_tag", "email_address", "device_name"):
        value = getattr(model, attribute, None)
        if value:
            return _text(value)
    return ""


def auth_method(model: Any) -> AuthMethod:
    """A ``microsoft.graph.authenticationMethod`` (any subtype) as an ``AuthMethod``."""
    return AuthMethod(
        id=_text(model.id),
        kind=odata_kind(getattr(model, "odata_type", None)),
        display_name=_text(getattr(model, "display_name", None)),
        created=_when(getattr(model, "created_date_time", None)),
        detail=_method_detail(model),
        passkey_type=_enum_text(getattr(model, "passkey_type", None)),
    )


def _enum_text(value: Any) -> str:
    """An SDK enum (or plain string) as its Graph value; "" for None."""
    if value is None:
        return ""
    return _text(getattr(value, "value", value))


_GROUP_KINDS: Final[Mapping[str, GroupKind]] = {
    "group": "group",
    "directoryRole": "directoryRole",
    "administrativeUnit": "administrativeUnit",
}


def _group_kind(odata_type: str | None) -> GroupKind:
    return _GROUP_KINDS.get(odata_kind(odata_type), "other")


def group_ref(model: Any) -> GroupRef:
    """A ``directoryObject`` from ``transitiveMemberOf`` as a ``GroupRef``."""
    return GroupRef(
        id=_text(model.id),
        display_name=_text(getattr(model, "display_name", None)),
        kind=_group_kind(getattr(model, "odata_type", None)),
        role_template_id=getattr(model, "role_template_id", None),
        role_assignable=getattr(model, "is_assignable_to_role", None),
        restricted=getattr(model, "is_member_management_restricted", None),
    )
