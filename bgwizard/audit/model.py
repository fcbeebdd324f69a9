"""The audit of break glass accounts: findings, the snapshot they are judged on, the report.

Pure data and rules. The service (``bgwizard.audit.service``) reads the tenant into an
``AuditSnapshot``; ``bgwizard.audit.engine.run_audit`` applies every rule (``rules``,
``ca_rule``) to it and returns an ``AuditReport``. A read that failed is an ``Unread`` with
the reason, and every rule that needs it reports "not checked" instead of passing: the
overall result is then never ``pass``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias, TypeVar

from bgwizard.graph.model import (
    AuthMethod,
    CaPolicy,
    DirectoryUser,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
)
from bgwizard.profile.model import BreakGlassAccount

Severity = Literal["error", "warning", "info", "not_checked", "not_applicable", "ok"]
"""How bad a finding is; ``ok`` records a check that passed, ``not_checked`` one that could
not run, ``not_applicable`` one the tenant's licence makes impossible (it does not make the
result incomplete: no tenant without Entra ID P1 can ever run it)."""
Result = Literal["pass", "fail", "incomplete"]

SEVERITY_ORDER: Final[tuple[Severity, ...]] = (
    "error",
    "warning",
    "not_checked",
    "info",
    "not_applicable",
    "ok",
)
EXIT_CODES: Final[dict[Result, int]] = {"pass": 0, "fail": 1, "incomplete": 2}
"""Exit code of ``bgwizard audit`` per result (the README's command table)."""


@dataclass(frozen=True)
class ProtectedUnit:
    """The administrative unit the profile names for the exclusion group, as read."""

    id: str
    name: str
    restricted: bool
    """``isMemberManagementRestricted``: only admins scoped to the unit change its members."""
    members: frozenset[str]
    """Object ids of its direct members."""


@dataclass(frozen=True)
class Unread:
    """A part of the tenant that could not be read, and why (one sentence)."""

    reason: str
    licence: str = ""
    """``Entra ID P1``/``P2`` when the tenant's licence does not include the feature: the
    rules then grade "not applicable", not "not checked"."""
    code: str = ""
    """Graph's error code, when the read failed with one (e.g. ``AadPremiumLicenseRequired``)."""


T = TypeVar("T")
Read: TypeAlias = T | Unread
"""Either what was read, or why it could not be."""


@dataclass(frozen=True)
class PolicyRef:
    """Names a Conditional Access policy in a finding."""

    id: str
    display_name: str

    @classmethod
    def of(cls, policy: CaPolicy) -> PolicyRef:
        """The reference to ``policy``."""
        return cls(policy.id, policy.display_name)


@dataclass(frozen=True)
class Finding:
    """The outcome of one rule for one account (and one policy, for CA rules)."""

    rule: str
    """Stable rule id, e.g. ``ca.exclusion`` (see ``audit_rules.RULES``)."""
    severity: Severity
    message: str
    """One line saying what is wrong (or, for ``ok``, what was checked)."""
    evidence: str = ""
    """What was read that shows it (ids, dates, states); may hold several lines."""
    fix: str = ""
    """What to do about it."""
    account: str | None = None
    """The account's object id, when the finding is about one account."""
    upn: str = ""
    """The account's UPN (for people; ``account`` is the key)."""
    policy: PolicyRef | None = None


@dataclass(frozen=True)
class DrillRecord:
    """A drill entry from the signed drill log (filled in by the drill feature)."""

    account: str
    """Object id of the account the drill signed in with."""
    when: dt.datetime
    """When the drill's sign-in happened (aware, UTC); for a real use, when it started."""
    kind: str = "drill"
    """``drill``; ``use``: a real use recorded after the fact (post-mortem); or a sign-in
    bgwizard made: ``setup-signin``, ``passkey-signin``, ``rotation`` (its check sign-in)."""
    until: dt.datetime | None = None
    """When a real use ended (None for drills)."""
    seq: int = field(default=0, compare=False)
    """The entry's number in the signed log (0 when unknown; evidence only, not identity)."""


@dataclass(frozen=True)
class AccountSnapshot:
    """What was read about one break glass account named in the profile."""

    account: BreakGlassAccount
    user: Read[DirectoryUser | None] = None
    """The user object; None when no user has the profile's object id."""
    last_success: Read[dt.datetime | None] = None
    """``signInActivity.lastSuccessfulSignInDateTime``; None when never used."""
    groups: Read[tuple[GroupRef, ...]] = ()
    """Transitive memberships (groups and directory roles)."""
    assignments: Read[tuple[RoleAssignment, ...]] = ()
    """Active directory role assignments whose principal is the account."""
    eligibilities: Read[tuple[RoleSchedule, ...]] = ()
    """PIM eligibility schedules of the account."""
    schedules: Read[tuple[RoleSchedule, ...]] = ()
    """PIM active assignment schedules of the account (end dates live here)."""
    methods: Read[tuple[AuthMethod, ...]] = ()
    """Registered authentication methods."""

    @property
    def object_id(self) -> str:
        """The account's object id from the profile ('' until created)."""
        return self.account.object_id

    @property
    def upn(self) -> str:
        """The UPN the tenant has, or the profile's when the user was not read."""
        if isinstance(self.user, DirectoryUser):
            return self.user.upn
        return self.account.upn


@dataclass(frozen=True)
class AuditSnapshot:
    """Everything the rules look at, read at one moment."""

    now: dt.datetime
    accounts: tuple[AccountSnapshot, ...]
    policies: Read[tuple[CaPolicy, ...]]
    initial_domain: str = ""
    """The tenant's ``*.onmicrosoft.com`` domain ('' when unknown)."""
    tenant_id: str = ""
    tenant_name: str = ""
    drills: tuple[DrillRecord, ...] | Unread | None = None
    """The signed drill log's entries; None until the drill log exists (interim rules)."""
    last_drill: dt.date | None = None
    """The profile's record of the last drill (used while ``drills`` is None)."""
    known_groups: frozenset[str] | None = None
    """Offline audits: the groups whose members are known (``--groups``); None online,
    where memberships come from ``transitiveMemberOf`` and are complete."""
    group_names: dict[str, str] = field(default_factory=dict)
    """Group id → display name, for evidence."""
    offline: bool = False
    global_admins: tuple[RoleAssignment, ...] | Unread | None = None
    """Every active Global Administrator assignment of the tenant; None when not read."""
    security_defaults: bool | Unread | None = None
    unit: ProtectedUnit | Unread | None = None
    """The restricted management unit the profile names (``exclusion_rmau_id``); None when it
    names none. A group in it counts as protected, like a role-assignable one."""
    """Whether the tenant's security defaults are on; None when not read (offline)."""


@dataclass(frozen=True)
class AuditReport:
    """Every finding of one audit, and the verdict."""

    findings: tuple[Finding, ...]
    """All outcomes, ``ok`` and ``not_checked`` included, sorted by severity."""
    generated: dt.datetime
    tenant_id: str = ""
    tenant_name: str = ""
    accounts: tuple[tuple[str, str], ...] = ()
    """(object id, UPN) of each audited account."""
    policy_count: int | None = None
    """How many CA policies were read (None when they could not be)."""
    offline: bool = False

    def of(self, *severities: Severity) -> tuple[Finding, ...]:
        """The findings with one of the given severities, in report order."""
        return tuple(f for f in self.findings if f.severity in severities)

    @property
    def problems(self) -> tuple[Finding, ...]:
        """Errors, warnings and infos: what the JSON lists under ``findings``."""
        return self.of("error", "warning", "info")

    @property
    def not_checked(self) -> tuple[Finding, ...]:
        """Checks that could not run."""
        return self.of("not_checked")

    @property
    def not_applicable(self) -> tuple[Finding, ...]:
        """Checks the tenant's licence makes impossible (they do not make it incomplete)."""
        return self.of("not_applicable")

    @property
    def passed(self) -> tuple[Finding, ...]:
        """Checks that passed."""
        return self.of("ok")

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return len(self.of(severity))

    @property
    def result(self) -> Result:
        """``fail`` on any error, else ``incomplete`` if a check could not run, else ``pass``.

        Warnings and infos alone pass; a check that could not run never does. Checks the
        licence makes impossible neither pass nor block: a report with nothing else is
        incomplete.
        """
        if self.count("error"):
            return "fail"
        if self.count("not_checked") or not self.of("ok", "info", "warning"):
            return "incomplete"
        return "pass"

    @property
    def exit_code(self) -> int:
        """0 pass, 1 errors found, 2 incomplete (the README's command table)."""
        return EXIT_CODES[self.result]


def account_finding(
    snap: AccountSnapshot,
    rule: str,
    severity: Severity,
    message: str,
    *,
    evidence: str = "",
    fix: str = "",
) -> Finding:
    """A finding about one account (its object id and UPN filled in).

    Args:
        snap: the account.
        rule: the rule id.
        severity: how bad.
        message: one line.
        evidence: what shows it.
        fix: what to do.

    Returns:
        The finding.
    """
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        evidence=evidence,
        fix=fix,
        account=snap.object_id or None,
        upn=snap.upn,
    )


def unread_finding(snap: AccountSnapshot | None, rule: str, unread: Unread) -> Finding:
    """The finding for a rule whose input could not be read: "not applicable" when the
    tenant's licence lacks the feature, else "not checked".

    Args:
        snap: the account, or None for a tenant-wide rule.
        rule: the rule id.
        unread: why the input is missing.

    Returns:
        The finding.
    """
    if unread.licence:
        message = f"Not applicable: needs {unread.licence}, which this tenant does not have."
        severity: Severity = "not_applicable"
    else:
        message, severity = unread.reason, "not_checked"
    if snap is None:
        return Finding(rule, severity, message, evidence=unread.reason)
    return account_finding(snap, rule, severity, message, evidence=unread.reason)


def sort_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings ordered by severity, then rule, account and policy name (stable).

    Args:
        findings: any findings.

    Returns:
        The sorted tuple.
    """
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return tuple(
        sorted(
            findings,
            key=lambda f: (
                rank[f.severity],
                f.rule,
                f.upn,
                f.policy.display_name if f.policy else "",
            ),
        )
    )
