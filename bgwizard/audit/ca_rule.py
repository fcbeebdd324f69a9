"""The Conditional Access rule: every policy that can apply must exclude every account.

Graded per account and policy, as Microsoft's 2026 guidance asks: a direct ``excludeUsers``
entry passes; an exclusion through a role-assignable group (nesting resolved) passes too, as
only Privileged Role Administrators and Global Administrators can change its members, and so
does one through a group in the restricted management unit the profile names (only admins scoped
to the unit can change its members); through another group or a role it is a warning (any Groups
Administrator can remove it). No exclusion is an error for enabled policies and info for report-
only and disabled ones (they enforce nothing today). The dedicated break glass policy — it
targets the accounts and demands the phishing-resistant authentication strength — passes, and
must not exclude them; other policies that name the accounts in their *include* lists are info
with their grant controls. Policies that can target no member user (``None``, guests only,
workload identities) do not apply and give no finding beyond ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from bgwizard.audit.model import (
    AccountSnapshot,
    AuditSnapshot,
    Finding,
    PolicyRef,
    ProtectedUnit,
    Severity,
    Unread,
    unread_finding,
)
from bgwizard.graph.ca_scope import applies_to_members, requires_phishing_resistant
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
    protected: frozenset[str] = frozenset()
    """Of ``groups``: the role-assignable ones (``isAssignableToRole``)."""
    restricted: frozenset[str] = frozenset()
    """Of ``groups``: those in the profile's restricted management unit (``unit_name``)."""
    unit_name: str = ""

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
    protected: set[str] = set()
    unknown = snap.groups if isinstance(snap.groups, Unread) else None
    if not isinstance(snap.groups, Unread):
        for ref in snap.groups:
            if ref.kind == "group":
                groups.add(ref.id)
                if ref.role_assignable:
                    protected.add(ref.id)
            elif ref.role_template_id:
                roles.add(ref.role_template_id)
    if not isinstance(snap.assignments, Unread):
        roles.update(a.role_definition_id for a in snap.assignments)
    unit = snapshot.unit
    in_unit = unit.members if isinstance(unit, ProtectedUnit) and unit.restricted else frozenset()
    return Membership(
        user_id=snap.object_id,
        upn=snap.upn,
        groups=frozenset(groups),
        roles=frozenset(roles),
        unknown=unknown,
        known_groups=snapshot.known_groups,
        offline=snapshot.offline,
        protected=frozenset(protected),
        restricted=frozenset(groups) & in_unit,
        unit_name=unit.name if isinstance(unit, ProtectedUnit) else "",
    )


def targets_members(policy: CaPolicy) -> bool:
    """Whether the policy can apply to a member user at all (``ca_scope.applies_to_members``).

    Args:
        policy: the policy.

    Returns:
        False for ``includeUsers: None`` (workload identities, agents) and guest-only ones.
    """
    return applies_to_members(policy)


def _targeted(policy: CaPolicy, member: Membership) -> bool:
    return member.user_id in policy.include_users or bool(
        member.groups & set(policy.include_groups)
    )


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
    via_groups = member.groups & set(policy.exclude_groups)
    if _targeted(policy, member) and requires_phishing_resistant(policy):
        return _dedicated(policy, member, bool(via_groups), make)
    if member.user_id in policy.exclude_users:
        return make("ok", "Excluded directly.")
    shielded = via_groups & member.protected
    if shielded:
        return make(
            "ok",
            f"Excluded through role-assignable group {_names(shielded, names)}: only Privileged"
            " Role Administrators and Global Administrators can change its members.",
        )
    fenced = via_groups & member.restricted
    if fenced:
        return make(
            "ok",
            f"Excluded through group {_names(fenced, names)} in restricted management unit"
            f" {member.unit_name}: only administrators scoped to that unit can change its"
            " members.",
        )
    if via_groups:
        return make(
            "warning",
            f"Excluded only through group {_names(via_groups, names)}, which is not"
            " role-assignable: any Groups Administrator can remove the account from it.",
            "Exclude the account directly, or through a role-assignable group"
            " (isAssignableToRole) holding only the break glass accounts.",
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
        "info",
        f"Not excluded from this {_state_word(policy)} policy: it enforces nothing today, but"
        " will once switched on.",
        FIX_DIRECT,
    )


def _dedicated(policy: CaPolicy, member: Membership, via_group: bool, make: _Make) -> Finding:
    """The dedicated break glass policy: it must target the account and not exclude it."""
    if member.user_id in policy.exclude_users or via_group:
        return make(
            "warning",
            "The dedicated phishing-resistant policy targets the account and also excludes it,"
            " which neutralises it.",
            "Remove the break glass accounts (and their group) from this policy's exclusions.",
        )
    return make(
        "ok",
        f"Dedicated break glass policy ({_state_word(policy)}): it demands phishing-resistant"
        " MFA of the account.",
    )


def dedicated_policy(snapshot: AuditSnapshot, policies: tuple[CaPolicy, ...]) -> Finding:
    """Whether a policy demands phishing-resistant MFA of every break glass account.

    Args:
        snapshot: the tenant as read (accounts and their groups).
        policies: every policy.

    Returns:
        ``ca.dedicated_policy``: ok when an enabled one covers every account, info otherwise.
    """
    members = [membership(a, snapshot) for a in snapshot.accounts if a.object_id]
    found = [
        p
        for p in policies
        if requires_phishing_resistant(p)
        and members
        and all(_targeted(p, m) and not p.excludes(m.user_id, m.groups) for m in members)
    ]
    on = [p for p in found if p.state == ENABLED]
    if on:
        return Finding(
            "ca.dedicated_policy",
            "ok",
            "Dedicated break glass policy present.",
            evidence=", ".join(p.display_name for p in on) + ": phishing-resistant strength.",
        )
    if found:
        return Finding(
            "ca.dedicated_policy",
            "info",
            f"The dedicated break glass policy {found[0].display_name} is"
            f" {_state_word(found[0])}, so it enforces nothing yet.",
            fix="Switch it on once each account's passkey sign-in has been verified.",
        )
    return Finding(
        "ca.dedicated_policy",
        "info",
        "No policy demands phishing-resistant MFA of the break glass accounts.",
        fix=(
            "Create one that targets only the break glass accounts (or their group) with the"
            " built-in phishing-resistant authentication strength; never exclude them from it."
        ),
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
    if not snapshot.offline:
        findings.append(dedicated_policy(snapshot, policies))
    for snap in snapshot.accounts:
        if not snap.object_id:
            continue
        if not snapshot.offline and (snap.user is None or isinstance(snap.user, Unread)):
            continue
        member = membership(snap, snapshot)
        findings.extend(grade(p, member, snapshot.group_names) for p in policies)
    return findings
