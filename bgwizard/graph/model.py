"""What Microsoft Graph tells bgwizard about a tenant's directory. Pure data.

The gateway (``bgwizard.graph.directory``) turns Graph's answers into these frozen
dataclasses, so the rest of the app never sees an SDK model. Conditional Access policies
keep the raw JSON Graph returned: backups before a PATCH must be exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

NEVER_EXPIRE_POLICY: Final = "DisablePasswordExpiration"
"""The ``passwordPolicies`` flag that stops a password from expiring."""
PASSWORD_METHOD_ID: Final = "28c10230-6103-485e-b985-444c60001490"
"""The fixed id of the password authentication method of every user."""


@dataclass(frozen=True)
class DirectoryUser:
    """A user object, with the properties the break glass checks need."""

    id: str
    upn: str
    display_name: str = ""
    account_enabled: bool | None = None
    password_policies: str | None = None
    """Comma-separated flags, e.g. ``DisablePasswordExpiration``; None when not read."""
    on_premises_sync_enabled: bool | None = None
    """True for accounts synced from Active Directory (never right for break glass)."""
    user_type: str | None = None
    created: dt.datetime | None = None
    last_sign_in: dt.datetime | None = None
    """``signInActivity.lastSignInDateTime`` (interactive, successful or not)."""
    last_successful_sign_in: dt.datetime | None = None
    """``signInActivity.lastSuccessfulSignInDateTime``: survives log retention."""
    last_password_change: dt.datetime | None = None
    """``lastPasswordChangeDateTime``: tells whether a journaled reset reached the tenant."""
    certificate_user_ids: tuple[str, ...] = ()
    """``authorizationInfo.certificateUserIds``: certificate-based auth is bound to the user
    (v1.0's ``/authentication/methods`` never lists CBA)."""

    @property
    def password_never_expires(self) -> bool:
        """Whether ``DisablePasswordExpiration`` is among the password policies."""
        flags = (self.password_policies or "").replace(" ", "").split(",")
        return NEVER_EXPIRE_POLICY in flags

    @property
    def is_cloud_only(self) -> bool:
        """Whether the account lives in Entra ID only (not synced from on-premises)."""
        return not self.on_premises_sync_enabled


@dataclass(frozen=True)
class CreateOutcome:
    """What ``create_user`` did: the user, and whether this call created it."""

    user: DirectoryUser
    created: bool
    """False when a user with that UPN existed before the call."""


@dataclass(frozen=True)
class DomainInfo:
    """One of the tenant's domains."""

    id: str
    is_initial: bool = False
    is_default: bool = False
    is_verified: bool = False


GroupKind = Literal["group", "directoryRole", "administrativeUnit", "other"]


@dataclass(frozen=True)
class GroupRef:
    """A directory object a user belongs to (directly or through nesting)."""

    id: str
    display_name: str = ""
    kind: GroupKind = "group"
    role_template_id: str | None = None
    """For a ``directoryRole``: the role template id (e.g. Global Administrator's)."""
    role_assignable: bool | None = None
    """For a group: ``isAssignableToRole`` (only Privileged Role Administrators and Global
    Administrators can change its members); None when Graph did not say."""
    restricted: bool | None = None
    """For an administrative unit: ``isMemberManagementRestricted`` (an RMAU: only admins
    scoped to the unit can change its members, reset their passwords or edit them)."""


@dataclass(frozen=True)
class DirectoryGroup:
    """A group as the exclusion step needs it."""

    id: str
    display_name: str
    role_assignable: bool
    """``isAssignableToRole``: only Privileged Role Administrators and Global Administrators
    can change its members."""
    security_enabled: bool
    mail_enabled: bool
    dynamic: bool
    """``groupTypes`` holds ``DynamicMembership``."""


@dataclass(frozen=True)
class AdminUnit:
    """An administrative unit."""

    id: str
    display_name: str
    restricted: bool
    """``isMemberManagementRestricted`` (set at creation only): a restricted management unit."""


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if item is not None)


def _section(value: object, key: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        inner = value.get(key)
        if isinstance(inner, Mapping):
            return inner
    return {}


@dataclass(frozen=True)
class CaPolicy:
    """A Conditional Access policy: the fields bgwizard reasons about plus Graph's JSON."""

    id: str
    display_name: str
    state: str
    """``enabled``, ``disabled`` or ``enabledForReportingButNotEnforced``."""
    include_users: tuple[str, ...] = ()
    exclude_users: tuple[str, ...] = ()
    include_groups: tuple[str, ...] = ()
    exclude_groups: tuple[str, ...] = ()
    include_roles: tuple[str, ...] = ()
    exclude_roles: tuple[str, ...] = ()
    grant_controls: tuple[str, ...] = ()
    """Built-in grant controls, e.g. ``block`` or ``mfa``."""
    grant_operator: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The policy exactly as Graph returned it (for backups and PATCH bodies)."""

    @classmethod
    def from_graph(cls, raw: Mapping[str, Any]) -> CaPolicy:
        """Read a policy from Graph's ``conditionalAccessPolicy`` JSON.

        Args:
            raw: one policy object as Graph returns it.

        Returns:
            The policy, with ``raw`` holding the same mapping.
        """
        users = _section(raw.get("conditions"), "users")
        grant = raw.get("grantControls")
        grant_map: Mapping[str, Any] = grant if isinstance(grant, Mapping) else {}
        return cls(
            id=str(raw.get("id", "")),
            display_name=str(raw.get("displayName") or ""),
            state=str(raw.get("state") or ""),
            include_users=_strings(users.get("includeUsers")),
            exclude_users=_strings(users.get("excludeUsers")),
            include_groups=_strings(users.get("includeGroups")),
            exclude_groups=_strings(users.get("excludeGroups")),
            include_roles=_strings(users.get("includeRoles")),
            exclude_roles=_strings(users.get("excludeRoles")),
            grant_controls=_strings(grant_map.get("builtInControls")),
            grant_operator=str(grant_map.get("operator") or ""),
            raw=raw,
        )

    def excludes(self, user_id: str, group_ids: tuple[str, ...] | frozenset[str] = ()) -> bool:
        """Whether the policy excludes ``user_id`` directly or through one of ``group_ids``.

        Args:
            user_id: the user's object id.
            group_ids: ids of the groups the user belongs to (transitively).

        Returns:
            True when the user or one of the groups is in the exclusions.
        """
        return user_id in self.exclude_users or bool(set(group_ids) & set(self.exclude_groups))

    def exclusion_patch(
        self, user_ids: tuple[str, ...] = (), group_ids: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The PATCH body that adds users and groups to the policy's exclusions.

        The whole ``conditions.users`` object is sent (from ``raw``), with the ids appended
        to ``excludeUsers`` / ``excludeGroups`` unless already there; nothing else changes.

        Args:
            user_ids: object ids of users to exclude.
            group_ids: object ids of groups to exclude.

        Returns:
            ``{"conditions": {"users": {...}}}``.
        """
        users = dict(_section(self.raw.get("conditions"), "users"))
        for key, current, extra in (
            ("excludeUsers", self.exclude_users, user_ids),
            ("excludeGroups", self.exclude_groups, group_ids),
        ):
            users[key] = [*current, *(i for i in dict.fromkeys(extra) if i not in current)]
        return {"conditions": {"users": users}}


@dataclass(frozen=True)
class RoleAssignment:
    """An active directory role assignment (``unifiedRoleAssignment``)."""

    id: str
    principal_id: str
    role_definition_id: str
    directory_scope_id: str = "/"


ScheduleKind = Literal["eligible", "active"]


@dataclass(frozen=True)
class RoleSchedule:
    """A PIM schedule: an eligibility (``roleEligibilitySchedules``) or an active one."""

    id: str
    kind: ScheduleKind
    principal_id: str
    role_definition_id: str
    directory_scope_id: str = "/"
    member_type: str = ""
    """``Direct`` or ``Group`` (inherited through a role-assignable group)."""
    status: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    """None when the schedule never ends (``noExpiration``)."""
    assignment_type: str = ""
    """For active schedules: ``Assigned`` (permanent) or ``Activated`` (from eligibility)."""

    @property
    def is_permanent(self) -> bool:
        """Whether the schedule has no end date."""
        return self.end is None


@dataclass(frozen=True)
class SignInRecord:
    """One entry of the sign-in log."""

    id: str
    created: dt.datetime | None
    user_id: str
    upn: str = ""
    app_display_name: str = ""
    client_app_used: str = ""
    ip_address: str = ""
    error_code: int = 0
    """0 means the sign-in succeeded."""
    failure_reason: str = ""
    conditional_access_status: str = ""

    @property
    def succeeded(self) -> bool:
        """Whether the sign-in succeeded (error code 0)."""
        return self.error_code == 0


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the directory audit log."""

    id: str
    activity: str
    """``activityDisplayName``, e.g. ``Reset user password``."""
    when: dt.datetime | None
    category: str = ""
    result: str = ""
    operation_type: str = ""
    initiated_by: str = ""
    """UPN of the user or name of the app that made the change."""
    target_ids: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthMethod:
    """A registered authentication method of a user."""

    id: str
    kind: str
    """The OData type without prefix and suffix, e.g. ``password``, ``fido2``, ``phone``."""
    display_name: str = ""
    created: dt.datetime | None = None
    detail: str = ""
    """Model of a FIDO2 key, phone number, device name: whatever tells methods apart."""
    passkey_type: str = ""
    """For a passkey (``fido2``): ``deviceBound`` or ``synced``; "" when not given."""

    @property
    def phishing_resistant_device_bound(self) -> bool:
        """Whether this is a device-bound passkey (a synced one lives in someone's cloud)."""
        return self.kind in ("fido2", "passkey") and self.passkey_type != "synced"
