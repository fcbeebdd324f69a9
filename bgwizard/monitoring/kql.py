"""KQL text generated from a rule's matching conditions (``bgwizard.monitoring.matching``).

Pure: no I/O. Every query declares what it watches (``let`` lists of object ids and UPNs),
its own window (``LookBack`` longer than ``RunEvery``, the rule's frequency) and keeps only
rows **ingested** since the previous run (``ingestion_time() > ago(RunEvery)``): an event that
reaches the workspace late still falls into exactly one run, and none is counted twice
(Microsoft Sentinel's guidance on ingestion delay). The deployed rule's window (Azure Monitor
``windowSize``, Sentinel ``queryPeriod``) equals ``LookBack``, so the platform's own time
filter never cuts the query's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bgwizard.monitoring.matching import Activities, Conditions, Watched

#: Repeated failed sign-ins within the look-back that count as probing.
FAILED_SIGNIN_THRESHOLD: Final = 3

_ISO_RE: Final = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")


@dataclass(frozen=True)
class Schedule:
    """How often a rule runs and how far back it reads (ISO 8601 durations)."""

    frequency: str
    lookback: str

    @property
    def minutes(self) -> tuple[int, int]:
        """(frequency, look-back) in minutes."""
        return iso_minutes(self.frequency), iso_minutes(self.lookback)

    def selects(self, run_at: float, generated: float, ingested: float) -> bool:
        """Whether the run at ``run_at`` reads an event (times in minutes, any origin).

        The same test as the query's window: generated within the look-back, ingested
        since the previous run.
        """
        every, back = self.minutes
        return generated > run_at - back and run_at - every < ingested <= run_at

    def describe(self) -> str:
        """The sentence every rule's description ends with."""
        every, back = (kql_timespan(d) for d in (self.frequency, self.lookback))
        return (
            f"Runs every {every} over the last {back} and keeps only rows ingested since the "
            "previous run, so an event that reaches the workspace late is still alerted on, once."
        )


def iso_minutes(duration: str) -> int:
    """Minutes in an ISO 8601 duration of hours and minutes (``PT1H30M`` → 90)."""
    found = _ISO_RE.match(duration)
    if not found or not any(found.groups()):
        raise ValueError(f"unsupported duration {duration!r}")
    hours, minutes = (int(g) if g else 0 for g in found.groups())
    return hours * 60 + minutes


def kql_timespan(duration: str) -> str:
    """The KQL timespan literal of an ISO 8601 duration (``PT1H`` → ``1h``, ``PT90M`` → ``90m``)."""
    minutes = iso_minutes(duration)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def kql_string(value: str) -> str:
    """Quote ``value`` as a KQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kql_list(values: Sequence[str]) -> str:
    """A KQL ``dynamic([...])`` literal of strings."""
    return "dynamic([" + ", ".join(kql_string(v) for v in values) + "])"


def header(title: str, watched: Watched, schedule: Schedule) -> str:
    """Comment lines and the ``let`` statements every query starts with."""
    group = ", ".join(watched.group_ids) or "none given"
    rmau = ", ".join(watched.rmau_ids) or "none given"
    return (
        f"// bgwizard: {title}\n"
        f"// Break glass accounts: {', '.join(watched.upns)}\n"
        f"// Exclusion group: {group}; restricted management administrative unit: {rmau}\n"
        f"// {schedule.describe()}\n"
        f"let BreakGlassObjectIds = {kql_list(watched.object_ids)};\n"
        f"let BreakGlassUpns = {kql_list(watched.upns)};\n"
        f"let ExclusionGroupIds = {kql_list(watched.group_ids)};\n"
        f"let RmauIds = {kql_list(watched.rmau_ids)};\n"
        f"let LookBack = {kql_timespan(schedule.lookback)};\n"
        f"let RunEvery = {kql_timespan(schedule.frequency)};\n"
    )


def _window(table: str, *, keep_ingestion: bool = False) -> str:
    ingested = (
        "| extend Ingested = ingestion_time()"
        if keep_ingestion
        else "| where ingestion_time() > ago(RunEvery)"
    )
    return f"{table}\n| where TimeGenerated > ago(LookBack)\n{ingested}\n"


def activity_filter(activities: Activities) -> str:
    """The ``where`` line selecting the activities (every group or-ed)."""
    groups: list[str] = []
    if activities.exact:
        names = ", ".join(kql_string(e) for e in activities.exact)
        groups.append(f"OperationName in~ ({names})")
    groups += [f"OperationName startswith {kql_string(p)}" for p in activities.prefixes]
    if activities.contains_all:
        groups.append(
            " and ".join(f"OperationName contains {kql_string(c)}" for c in activities.contains_all)
        )
    if len(groups) == 1:
        return f"| where {groups[0]}\n"
    joined = "\n    or ".join(f"({g})" if " and " in g else g for g in groups)
    return f"| where {joined}\n"


_SIGNIN_SUBJECT: Final = (
    "| where UserId in (BreakGlassObjectIds) or UserPrincipalName in~ (BreakGlassUpns)\n"
)


def _signin_source(conditions: Conditions, *, keep_ingestion: bool = False) -> str:
    legs = ",\n".join(
        "    (" + _window(t, keep_ingestion=keep_ingestion).rstrip("\n").replace("\n", " ") + ")"
        for t in conditions.tables
    )
    outcome = {"any": "", "success": '| where ResultType == "0"\n'}.get(
        conditions.outcome, '| where ResultType != "0"\n'
    )
    return f"union isfuzzy=true\n{legs}\n{_SIGNIN_SUBJECT}{outcome}"


_AUTH_METHODS: Final = (
    "| extend AuthenticationMethods = extract_all("
    '@\'"authenticationMethod"\\s*:\\s*"([^"]*)"\', AuthenticationDetails)\n'
)
_UPN_PARTS: Final = (
    '| extend AccountName = tostring(split(UserPrincipalName, "@")[0]),\n'
    '    AccountUPNSuffix = tostring(split(UserPrincipalName, "@")[1])\n'
)


def signin_kql(title: str, conditions: Conditions, watched: Watched, schedule: Schedule) -> str:
    """Every selected sign-in, one row each, with the methods used (``AuthenticationDetails``)."""
    return (
        header(title, watched, schedule)
        + _signin_source(conditions)
        + _AUTH_METHODS
        + _UPN_PARTS
        + "| project TimeGenerated, SignInTable = Type, IsInteractive, UserPrincipalName, UserId,\n"
        "    AccountName, AccountUPNSuffix, ResultType, ResultDescription, AppDisplayName,\n"
        "    ResourceDisplayName, IPAddress, Location, ClientAppUsed, AuthenticationProtocol,\n"
        "    AuthenticationRequirement, AuthenticationMethods, AuthenticationDetails,\n"
        "    ConditionalAccessStatus, UserAgent, CorrelationId\n"
        "| order by TimeGenerated desc\n"
    )


def signin_failures_kql(
    title: str, conditions: Conditions, watched: Watched, schedule: Schedule
) -> str:
    """Failed sign-ins summed over the look-back; fires when one arrived since the last run."""
    return (
        header(title, watched, schedule)
        + f"let FailureThreshold = {FAILED_SIGNIN_THRESHOLD};\n"
        + _signin_source(conditions, keep_ingestion=True)
        + _AUTH_METHODS
        + "| summarize FailedAttempts = count(),\n"
        "    NewSinceLastRun = countif(Ingested > ago(RunEvery)),\n"
        "    FirstFailure = min(TimeGenerated), LastFailure = max(TimeGenerated),\n"
        "    ResultTypes = make_set(ResultType, 20), IPAddresses = make_set(IPAddress, 50),\n"
        "    Apps = make_set(AppDisplayName, 20), Tables = make_set(Type, 2),\n"
        "    Methods = make_set(AuthenticationMethods, 20)\n"
        "    by UserId, UserPrincipalName\n"
        "| where FailedAttempts >= FailureThreshold and NewSinceLastRun > 0\n" + _UPN_PARTS
    )


_AUDIT_SUBJECT: Final = {
    "accounts": ("BreakGlassObjectIds", "BreakGlassUpns"),
    "group": ("ExclusionGroupIds", "BreakGlassObjectIds", "BreakGlassUpns"),
    "rmau": ("RmauIds", "BreakGlassObjectIds", "BreakGlassUpns"),
}

_AUDIT_PROJECTION: Final = (
    "| extend InitiatedByUser = tostring(InitiatedBy.user.userPrincipalName),\n"
    "    InitiatedByApp = tostring(InitiatedBy.app.displayName),\n"
    "    InitiatedByIp = tostring(InitiatedBy.user.ipAddress),\n"
    "    TargetId = tostring(TargetResources[0].id),\n"
    "    TargetName = tostring(TargetResources[0].displayName),\n"
    "    TargetUpn = tostring(TargetResources[0].userPrincipalName),\n"
    "    ModifiedProperties = tostring(TargetResources[0].modifiedProperties)\n"
    "| project TimeGenerated, OperationName, Result, ResultReason, TargetId, TargetName,\n"
    "    TargetUpn, InitiatedByUser, InitiatedByApp, InitiatedByIp, ModifiedProperties,\n"
    "    TargetResources, CorrelationId\n"
)


def audit_kql(title: str, conditions: Conditions, watched: Watched, schedule: Schedule) -> str:
    """Audit events with the activities, about the watched objects (or any, per subject)."""
    if conditions.activities is None:
        raise ValueError("an audit rule needs activities")
    subject = ""
    lists = _AUDIT_SUBJECT.get(conditions.subject)
    if lists:
        tests = "\n    or ".join(f"Targets has_any ({name})" for name in lists)
        subject = f"| extend Targets = tostring(TargetResources)\n| where {tests}\n"
    return (
        header(title, watched, schedule)
        + _window(conditions.tables[0])
        + activity_filter(conditions.activities)
        + subject
        + _AUDIT_PROJECTION
    )


def ca_weakened_kql(
    title: str, conditions: Conditions, watched: Watched, schedule: Schedule
) -> str:
    """Conditional Access updates that drop an exclusion covering the accounts, or enable."""
    if conditions.activities is None:
        raise ValueError("a Conditional Access rule needs activities")
    return (
        header(title, watched, schedule)
        + _window(conditions.tables[0])
        + activity_filter(conditions.activities)
        + "| mv-expand Target = TargetResources\n"
        "| mv-expand Property = Target.modifiedProperties\n"
        "| extend OldPolicy = parse_json(tostring(Property.oldValue)),\n"
        "    NewPolicy = parse_json(tostring(Property.newValue))\n"
        "| extend UsersGone = set_difference(\n"
        "        coalesce(todynamic(OldPolicy.conditions.users.excludeUsers), dynamic([])),\n"
        "        coalesce(todynamic(NewPolicy.conditions.users.excludeUsers), dynamic([]))),\n"
        "    GroupsGone = set_difference(\n"
        "        coalesce(todynamic(OldPolicy.conditions.users.excludeGroups), dynamic([])),\n"
        "        coalesce(todynamic(NewPolicy.conditions.users.excludeGroups), dynamic([]))),\n"
        "    RolesGone = set_difference(\n"
        "        coalesce(todynamic(OldPolicy.conditions.users.excludeRoles), dynamic([])),\n"
        "        coalesce(todynamic(NewPolicy.conditions.users.excludeRoles), dynamic([]))),\n"
        "    OldState = tostring(OldPolicy.state), NewState = tostring(NewPolicy.state)\n"
        "| extend RemovedAccounts = set_intersect(BreakGlassObjectIds, UsersGone),\n"
        "    RemovedGroups = iff(array_length(ExclusionGroupIds) > 0,\n"
        "        set_intersect(ExclusionGroupIds, GroupsGone), GroupsGone),\n"
        "    RemovedRoles = RolesGone,\n"
        '    EnabledNow = isnotempty(OldState) and OldState != "enabled"\n'
        '        and NewState == "enabled"\n'
        "| where array_length(RemovedAccounts) > 0 or array_length(RemovedGroups) > 0\n"
        "    or array_length(RemovedRoles) > 0 or EnabledNow\n"
        "| extend PolicyId = tostring(Target.id), PolicyName = tostring(Target.displayName),\n"
        "    InitiatedByUser = tostring(InitiatedBy.user.userPrincipalName),\n"
        "    InitiatedByApp = tostring(InitiatedBy.app.displayName),\n"
        "    InitiatedByIp = tostring(InitiatedBy.user.ipAddress)\n"
        "| project TimeGenerated, OperationName, PolicyId, PolicyName, RemovedAccounts,\n"
        "    RemovedGroups, RemovedRoles, OldState, NewState, InitiatedByUser, InitiatedByApp,\n"
        "    InitiatedByIp, CorrelationId\n"
    )
