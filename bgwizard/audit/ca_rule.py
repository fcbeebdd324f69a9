"""The Conditional Access rule: every policy, every state, must exclude every account.

Graded per account and policy: a direct ``excludeUsers`` entry passes; an exclusion through
a group (nesting resolved) or a role is a warning, because a group change removes it; no
exclusion is an error for enabled policies and a warning for report-only and disabled ones
(they get switched on). Policies that name the accounts in their *include* lists are info
with their grant controls. Policies that can target no member user (``None``, guests only,
workload identities) do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from bgwizard.audit.model import (
    AccountSnapshot,
    AuditSnapshot,
    Finding,
    PolicyRef,
    Severity,
    Unread,
    unread_finding,
)
from bgwizard.graph.model import CaPolicy

GUESTS: Final = "GuestsOrExternalUsers"
ENABLED: Final = "enabled"
REPORT_ONLY: Final = "enabledForReportingButNotEnforced"
FIX_DIRECT: Final = (
    "Add the account to the policy's excluded users (set-up wizard, Conditional Access step)."
)
_STATE_WORDS: Final = {
    ENABLED: "enabled",
    REPORT_ONLY: "report-only",
    "disabled": "disabled",
}


@dataclass(frozen=True)
class Membership:
    """What the audit knows about one account's groups and roles."""

    user_id: str
    upn: str
    groups: frozenset[str]
    """Groups the account belongs to, nesting resolved."""
    roles: frozenset[str]
    """Directory role template ids the account holds actively."""
    unknown: Unread | None = None
    """Why memberships are not known (the group read failed); None when they are."""
    known_groups: frozenset[str] | None = None
    """Offline: groups whose members are known; None when every group is."""
    offline: bool = False

    def knows(self, group_id: str) -> bool:
        """Whether membership of ``group_id`` is known for this account."""
        if self.unknown is not None:
            return False
        return self.known_groups is None or group_id in self.known_groups


def membership(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Membership:
    """Build the account's membership from what was read.

    Args:
        snap: the account.
        snapshot: the whole snapshot (offline knowledge of groups).

    Returns:
        The membership.
    """
    roles: set[str] = set()
    groups: set[str] = set()
    unknown = snap.groups if isinstance(snap.groups, Unread) else None
    if not isinstance(snap.groups, Unread):
        for ref in snap.groups:
            if ref.kind == "group":
                groups.add(ref.id)
            elif ref.role_template_id:
                roles.add(ref.role_template_id)
    if not isinstance(snap.assignments, Unread):
        roles.update(a.role_definition_id for a in snap.assignments)
    return Membership(
        user_id=snap.object_id,
        upn=snap.upn,
        groups=frozenset(groups),
        roles=frozenset(roles),
        unknown=unknown,
        known_groups=snapshot.known_groups,
        offline=snapshot.offline,
    )


def targets_members(policy: CaPolicy) -> bool:
    """Whether the policy can apply to a member user at all.

    Args:
        policy: the policy.

    Returns:
        False for ``includeUsers: None`` (workload identities, agents) and guest-only ones.
    """
    users = set(policy.include_users) - {"None", GUESTS}
    return bool(users or policy.include_groups or policy.include_roles)


def _names(ids: tuple[str, ...] | frozenset[str] | list[str], names: dict[str, str]) -> str:
    return ", ".join(f"{names[i]} ({i})" if names.get(i) else i for i in sorted(ids))


def describe(policy: CaPolicy, names: dict[str, str]) -> str:
    """Evidence lines about a policy: state, targets, exclusions and grant controls.

    Args:
        policy: the policy.
        names: group id → display name.

    Returns:
        The lines, joined with newlines.
    """
    lines = [f"State: {policy.state or 'not given'}."]
    for label, ids in (
        ("includeUsers", policy.include_users),
        ("includeGroups", policy.include_groups),
        ("includeRoles", policy.include_roles),
        ("excludeUsers", policy.exclude_users),
        ("excludeGroups", policy.exclude_groups),
        ("excludeRoles", policy.exclude_roles),
    ):
        if ids:
            lines.append(f"{label}: {_names(ids, names)}.")
    controls = ", ".join(policy.grant_controls) or "none (session controls only)"
    lines.append(f"Grant controls: {controls}.")
    return "\n".join(lines)


def _state_word(policy: CaPolicy) -> str:
    return _STATE_WORDS.get(policy.state, policy.state or "unknown-state")


def grade(policy: CaPolicy, member: Membership, names: dict[str, str]) -> Finding:
    """How well ``policy`` excludes one account.

    Args:
        policy: the policy.
        member: the account's membership.
        names: group id → display name, for evidence.

    Returns:
        One finding (``ok`` when excluded directly or the policy cannot apply).
    """
    evidence = describe(policy, names)

    def make(severity: Severity, message: str, fix: str = "") -> Finding:
        return Finding(
            rule="ca.exclusion",
            severity=severity,
            message=message,
            evidence=evidence,
            fix=fix,
            account=member.user_id,
            upn=member.upn,
            policy=PolicyRef.of(policy),
        )

    if not targets_members(policy):
        return make("ok", "Does not apply to member users (none, guests or workloads only).")
    if member.user_id in policy.exclude_users:
        return make("ok", "Excluded directly.")
    via_groups = member.groups & set(policy.exclude_groups)
    if via_groups:
        return make(
            "warning",
            f"Excluded only through group {_names(via_groups, names)}: a group change removes it.",
            "Also add the account itself to the policy's excluded users.",
        )
    via_roles = member.roles & set(policy.exclude_roles)
    if via_roles:
        return make(
            "warning",
            f"Excluded only through directory role {', '.join(sorted(via_roles))}.",
            "Also add the account itself to the policy's excluded users.",
        )
    return _not_excluded(policy, member, names, make)


def _not_excluded(
    policy: CaPolicy, member: Membership, names: dict[str, str], make: _Make
) -> Finding:
    unresolved = [g for g in policy.exclude_groups if not member.knows(g)]
    if unresolved and member.unknown is not None:
        return make("not_checked", member.unknown.reason)
    if unresolved and member.offline:
        return make(
            "warning",
            f"Excluded only if the account is in group {_names(unresolved, names)}, "
            "which cannot be resolved offline.",
            "Pass --groups FILE (group id → member ids) to resolve it, "
            "or exclude the account directly.",
        )
    included = member.user_id in policy.include_users or bool(
        member.groups & set(policy.include_groups)
    )
    if included:
        controls = ", ".join(policy.grant_controls) or "session controls only"
        return make(
            "info",
            f"Targets the account explicitly ({_state_word(policy)}; grant: {controls}); "
            "it can still lock the account out.",
            "Make sure every control it demands is one the account can always satisfy.",
        )
    if policy.state == ENABLED:
        return make("error", "Not excluded from this enabled policy.", FIX_DIRECT)
    return make(
        "warning",
        f"Not excluded from this {_state_word(policy)} policy; it applies once switched on.",
        FIX_DIRECT,
    )


class _Make(Protocol):
    """The signature of ``grade``'s finding factory."""

    def __call__(self, severity: Severity, message: str, fix: str = "") -> Finding: ...


def evaluate(snapshot: AuditSnapshot) -> list[Finding]:
    """Grade every policy against every account that exists.

    Args:
        snapshot: the tenant as read.

    Returns:
        One finding per account and policy, plus a ``ca.read`` finding.
    """
    if isinstance(snapshot.policies, Unread):
        return [unread_finding(None, "ca.read", snapshot.policies)]
    policies = snapshot.policies
    findings = [Finding("ca.read", "ok", f"{len(policies)} Conditional Access policies read.")]
    for snap in snapshot.accounts:
        if not snap.object_id:
            continue
        if not snapshot.offline and (snap.user is None or isinstance(snap.user, Unread)):
            continue
        member = membership(snap, snapshot)
        findings.extend(grade(p, member, snapshot.group_names) for p in policies)
    return findings
