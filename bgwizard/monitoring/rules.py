"""Alert rules for break glass accounts: the KQL for every rule, from the accounts alone.

Pure: no I/O. Each query names the accounts by **object id first** (an object id never
changes) and by UPN as well, because a renamed account keeps its id but a rule written with
the old UPN alone would go quiet. The ARM templates built from these rules live in
``bgwizard.monitoring.arm``; writing them to disk is ``bgwizard.monitoring.service``.

Queries carry no time filter: Azure Monitor applies the rule's window and Microsoft Sentinel
its query period, so the same text works in both and in the Logs blade.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bgwizard.errors import MonitoringError
from bgwizard.profile.model import BreakGlassAccount

#: Repeated failed sign-ins within the Sentinel query period that count as probing.
FAILED_SIGNIN_THRESHOLD: Final = 3
#: Namespace for the stable ids (uuid5) of the Sentinel rules, so a rerun updates in place.
RULE_ID_NAMESPACE: Final = uuid.UUID("6f1c9e1e-2b1f-4f0e-9a51-8a3f0d1b7c42")

_GUID_RE: Final = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Characters Entra allows in a UPN (plus the domain); anything else is a typo or an attack.
_UPN_RE: Final = re.compile(r"^[A-Za-z0-9'.\-_!#^~+]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")

#: Audit activities that change a break glass account (Entra audit log activity names).
ACCOUNT_CHANGE_ACTIVITIES: Final[tuple[str, ...]] = (
    # password reset or change
    "Reset user password",
    "Change user password",
    "Reset password (by admin)",
    "Reset password (self-service)",
    "Change password (self-service)",
    "Set force change user password",
    # authentication methods added or removed
    "User registered security info",
    "User deleted security info",
    "User changed default security info",
    "User updated security info",
    "Admin registered security info",
    "Admin deleted security info",
    "Admin updated security info",
    # role assignment removed
    "Remove member from role",
    "Remove eligible member from role",
    "Remove scoped member from role",
    "Remove member from role outside of PIM",
    # exclusion group membership removed
    "Remove member from group",
    # disabled, deleted, renamed (a rename is an "Update user" of userPrincipalName)
    "Disable account",
    "Delete user",
    "Hard delete user",
    "Update user",
)

#: Audit activity for a Conditional Access policy change.
CA_POLICY_UPDATE_ACTIVITY: Final = "Update conditional access policy"


@dataclass(frozen=True)
class AccountRef:
    """A break glass account as the alert rules name it."""

    upn: str
    """User principal name (lower-cased)."""
    object_id: str
    """Entra object id (lower-cased GUID)."""


@dataclass(frozen=True)
class LogAnalyticsAlert:
    """How a rule is deployed as an Azure Monitor log search alert."""

    severity: int
    """0 (critical) to 4 (verbose)."""
    frequency: str
    """ISO 8601 duration between evaluations."""
    window: str
    """ISO 8601 duration the query looks back over."""


@dataclass(frozen=True)
class EntityMapping:
    """One Sentinel entity mapping: entity type and identifier → column."""

    entity_type: str
    fields: tuple[tuple[str, str], ...]
    """(identifier, column) pairs."""


@dataclass(frozen=True)
class SentinelRule:
    """How a rule is deployed as a Microsoft Sentinel scheduled analytics rule."""

    severity: Literal["High", "Medium", "Low", "Informational"]
    frequency: str
    period: str
    tactics: tuple[str, ...]
    entities: tuple[EntityMapping, ...]


@dataclass(frozen=True)
class AlertRule:
    """One detection: its KQL and where it can be deployed."""

    key: str
    """Short stable name, also the ``.kql`` file name."""
    title: str
    description: str
    table: Literal["SigninLogs", "AuditLogs"]
    kql: str
    log_analytics: LogAnalyticsAlert | None = None
    sentinel: SentinelRule | None = None

    @property
    def sentinel_rule_id(self) -> str:
        """Stable GUID of the Sentinel rule, the same on every export."""
        return str(uuid.uuid5(RULE_ID_NAMESPACE, f"bgwizard/{self.key}"))


def account_refs(accounts: Iterable[BreakGlassAccount]) -> list[AccountRef]:
    """Validate the profile's accounts and turn them into rule references.

    Args:
        accounts: The break glass accounts the profile names.

    Returns:
        One reference per account, sorted by UPN, duplicates removed.

    Raises:
        MonitoringError: no account, an account without an object id, or a malformed value.
    """
    refs: dict[str, AccountRef] = {}
    for account in accounts:
        ref = make_ref(account.upn, account.object_id)
        refs[ref.object_id] = ref
    if not refs:
        raise MonitoringError("No break glass accounts to monitor: add them to the profile first.")
    return sorted(refs.values(), key=lambda r: r.upn)


def make_ref(upn: str, object_id: str) -> AccountRef:
    """Check one UPN and object id and return the normalised reference.

    Raises:
        MonitoringError: the UPN or the object id is not well formed.
    """
    upn, object_id = upn.strip().lower(), object_id.strip().lower()
    if not object_id:
        raise MonitoringError(f"Account {upn} has no object id yet: create it before monitoring.")
    if not _GUID_RE.match(object_id):
        raise MonitoringError(f"Object id {object_id!r} of {upn} is not a GUID.")
    if not _UPN_RE.match(upn):
        raise MonitoringError(f"{upn!r} is not a valid user principal name.")
    return AccountRef(upn=upn, object_id=object_id)


def kql_string(value: str) -> str:
    """Quote ``value`` as a KQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kql_list(values: Sequence[str]) -> str:
    """A KQL ``dynamic([...])`` literal of strings."""
    return "dynamic([" + ", ".join(kql_string(v) for v in values) + "])"


def _header(title: str, accounts: Sequence[AccountRef]) -> str:
    names = ", ".join(a.upn for a in accounts)
    return (
        f"// bgwizard: {title}\n"
        f"// Break glass accounts: {names}\n"
        f"let BreakGlassObjectIds = {kql_list([a.object_id for a in accounts])};\n"
        f"let BreakGlassUpns = {kql_list([a.upn for a in accounts])};\n"
    )


_SIGNIN_MATCH: Final = (
    "SigninLogs\n"
    "| where UserId in (BreakGlassObjectIds) or UserPrincipalName in~ (BreakGlassUpns)\n"
)


def signin_any_kql(accounts: Sequence[AccountRef]) -> str:
    """Any sign-in (success or failure) by a break glass account."""
    return (
        _header("any sign-in by a break glass account (success or failure)", accounts)
        + _SIGNIN_MATCH
        + "| project TimeGenerated, UserPrincipalName, UserId, ResultType, ResultDescription,\n"
        "    AppDisplayName, IPAddress, Location, ClientAppUsed, ConditionalAccessStatus,\n"
        "    AuthenticationRequirement, CorrelationId\n"
        "| order by TimeGenerated desc\n"
    )


def signin_success_kql(accounts: Sequence[AccountRef]) -> str:
    """Successful sign-ins, shaped for Sentinel's Account and IP entities."""
    return (
        _header("successful sign-in by a break glass account", accounts)
        + _SIGNIN_MATCH
        + '| where ResultType == "0"\n'
        '| extend AccountName = tostring(split(UserPrincipalName, "@")[0]),\n'
        '    AccountUPNSuffix = tostring(split(UserPrincipalName, "@")[1])\n'
        "| project TimeGenerated, UserPrincipalName, UserId, AccountName, AccountUPNSuffix,\n"
        "    IPAddress, AppDisplayName, Location, ClientAppUsed, ConditionalAccessStatus,\n"
        "    AuthenticationRequirement, CorrelationId\n"
    )


def signin_failures_kql(accounts: Sequence[AccountRef]) -> str:
    """Repeated failed sign-ins (someone probing the accounts)."""
    return (
        _header("repeated failed sign-ins to a break glass account (probing)", accounts)
        + f"let FailureThreshold = {FAILED_SIGNIN_THRESHOLD};\n"
        + _SIGNIN_MATCH
        + '| where ResultType != "0"\n'
        "| summarize FailedAttempts = count(), FirstFailure = min(TimeGenerated),\n"
        "    LastFailure = max(TimeGenerated), ResultTypes = make_set(ResultType, 20),\n"
        "    IPAddresses = make_set(IPAddress, 50), Apps = make_set(AppDisplayName, 20)\n"
        "    by UserId, UserPrincipalName\n"
        "| where FailedAttempts >= FailureThreshold\n"
        '| extend AccountName = tostring(split(UserPrincipalName, "@")[0]),\n'
        '    AccountUPNSuffix = tostring(split(UserPrincipalName, "@")[1])\n'
    )


def account_changes_kql(accounts: Sequence[AccountRef]) -> str:
    """Audit events that change a break glass account (password, methods, role, state, name)."""
    activities = ",\n    ".join(kql_string(a) for a in ACCOUNT_CHANGE_ACTIVITIES)
    return (
        _header("change to a break glass account (audit log)", accounts)
        + f"let WatchedActivities = dynamic([\n    {activities}\n]);\n"
        "AuditLogs\n"
        "| where OperationName in (WatchedActivities)\n"
        "| mv-expand Target = TargetResources\n"
        "| where tostring(Target.id) in (BreakGlassObjectIds)\n"
        "    or tostring(Target.userPrincipalName) in~ (BreakGlassUpns)\n"
        "| extend TargetId = tostring(Target.id), TargetUpn = tostring(Target.userPrincipalName),\n"
        "    ModifiedProperties = tostring(Target.modifiedProperties),\n"
        "    InitiatedByUser = tostring(InitiatedBy.user.userPrincipalName),\n"
        "    InitiatedByApp = tostring(InitiatedBy.app.displayName),\n"
        "    InitiatedByIp = tostring(InitiatedBy.user.ipAddress)\n"
        "| project TimeGenerated, OperationName, Result, TargetId, TargetUpn, InitiatedByUser,\n"
        "    InitiatedByApp, InitiatedByIp, ModifiedProperties, CorrelationId\n"
    )


def ca_exclusion_removed_kql(accounts: Sequence[AccountRef]) -> str:
    """Conditional Access policy updates that drop an account from ``excludeUsers``."""
    return (
        _header("Conditional Access policy no longer excludes a break glass account", accounts)
        + "AuditLogs\n"
        + f"| where OperationName == {kql_string(CA_POLICY_UPDATE_ACTIVITY)}\n"
        "| mv-expand Target = TargetResources\n"
        "| mv-expand Property = Target.modifiedProperties\n"
        "| extend OldPolicy = parse_json(tostring(Property.oldValue)),\n"
        "    NewPolicy = parse_json(tostring(Property.newValue))\n"
        "| extend OldExcluded = todynamic(OldPolicy.conditions.users.excludeUsers),\n"
        "    NewExcluded = todynamic(NewPolicy.conditions.users.excludeUsers)\n"
        "| extend RemovedAccounts = set_intersect(BreakGlassObjectIds,\n"
        "    set_difference(OldExcluded, coalesce(NewExcluded, dynamic([]))))\n"
        "| where array_length(RemovedAccounts) > 0\n"
        "| extend PolicyId = tostring(Target.id), PolicyName = tostring(Target.displayName),\n"
        "    InitiatedByUser = tostring(InitiatedBy.user.userPrincipalName),\n"
        "    InitiatedByIp = tostring(InitiatedBy.user.ipAddress)\n"
        "| project TimeGenerated, PolicyId, PolicyName, RemovedAccounts, InitiatedByUser,\n"
        "    InitiatedByIp, CorrelationId\n"
    )


_ACCOUNT: Final = EntityMapping(
    "Account", (("FullName", "UserPrincipalName"), ("AadUserId", "UserId"))
)
_IP: Final = EntityMapping("IP", (("Address", "IPAddress"),))
_CHANGE_LA: Final = LogAnalyticsAlert(severity=1, frequency="PT15M", window="PT15M")


def build_rules(accounts: Sequence[AccountRef]) -> list[AlertRule]:
    """Every alert rule for ``accounts``, in a fixed order.

    Args:
        accounts: Validated account references (see :func:`account_refs`).

    Returns:
        The rules: any sign-in (Azure Monitor, severity 0, every 5 minutes), successful
        sign-in, repeated failures, account changes and CA exclusion removal (Sentinel; the
        two audit rules also as Azure Monitor alerts for tenants without Sentinel).
    """
    if not accounts:
        raise MonitoringError("No break glass accounts to monitor: add them to the profile first.")
    return [
        AlertRule(
            key="signin-any",
            title="Break glass account sign-in",
            description="Any sign-in, successful or not, by a break glass account. Every use is "
            "an emergency or a drill: confirm which, at once.",
            table="SigninLogs",
            kql=signin_any_kql(accounts),
            log_analytics=LogAnalyticsAlert(severity=0, frequency="PT5M", window="PT5M"),
        ),
        AlertRule(
            key="signin-success",
            title="Break glass account signed in successfully",
            description="A break glass account signed in. Open an incident; after the "
            "emergency, rotate the password and run the post-use review.",
            table="SigninLogs",
            kql=signin_success_kql(accounts),
            sentinel=SentinelRule("High", "PT5M", "PT5M", ("InitialAccess",), (_ACCOUNT, _IP)),
        ),
        AlertRule(
            key="signin-failures",
            title="Repeated failed sign-ins to a break glass account",
            description=f"{FAILED_SIGNIN_THRESHOLD} or more failed sign-ins to a break glass "
            "account within an hour: someone may be probing it.",
            table="SigninLogs",
            kql=signin_failures_kql(accounts),
            sentinel=SentinelRule("Medium", "PT15M", "PT1H", ("CredentialAccess",), (_ACCOUNT,)),
        ),
        AlertRule(
            key="account-changes",
            title="Break glass account changed",
            description="Password reset or change, authentication method added or removed, "
            "role or exclusion-group membership removed, account disabled, deleted or renamed.",
            table="AuditLogs",
            kql=account_changes_kql(accounts),
            log_analytics=_CHANGE_LA,
            sentinel=SentinelRule(
                "High",
                "PT15M",
                "PT15M",
                ("Persistence", "Impact"),
                (EntityMapping("Account", (("AadUserId", "TargetId"), ("FullName", "TargetUpn"))),),
            ),
        ),
        AlertRule(
            key="ca-exclusion-removed",
            title="Conditional Access policy no longer excludes a break glass account",
            description="A Conditional Access policy update removed a break glass account from "
            "its excluded users: the account may be locked out when it is needed.",
            table="AuditLogs",
            kql=ca_exclusion_removed_kql(accounts),
            log_analytics=_CHANGE_LA,
            sentinel=SentinelRule(
                "High",
                "PT15M",
                "PT15M",
                ("DefenseEvasion", "Impact"),
                (EntityMapping("Account", (("FullName", "InitiatedByUser"),)),),
            ),
        ),
    ]
