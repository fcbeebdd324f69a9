"""The Conditional Access step: which policies miss an exclusion, the exact change, and
the backup document to restore from. Pure.

Every policy that can apply to an internal member counts, whatever its state: disabled and
report-only policies get switched on one day. Policies that cannot apply (workload-identity-
only, guest-only) are skipped, and a policy that targets the break glass accounts or their
group (the dedicated phishing-resistant policy) never gets an exclusion: it would neutralise
that policy. By default only a direct ``excludeUsers`` entry is accepted (an exclusion through
an ordinary group is shown as weaker and the direct one is added); with a protected group
(role-assignable) the group goes into ``excludeGroups`` instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bgwizard.errors import BackupError
from bgwizard.graph.ca_scope import Scope, scope
from bgwizard.graph.model import CaPolicy

BACKUP_FORMAT: Final = "bgwizard-ca-backup/1"
"""The ``format`` field of a backup file."""
_EXCLUDE_LISTS: Final = ("excludeUsers", "excludeGroups")
_STATE_WORDS: Final = {
    "enabled": "on",
    "enabledForReportingButNotEnforced": "report-only",
    "disabled": "off",
}


def state_word(state: str) -> str:
    """``on``, ``report-only`` or ``off`` for a policy state."""
    return _STATE_WORDS.get(state, state or "unknown state")


@dataclass(frozen=True)
class PolicyChange:
    """One policy that does not exclude every account directly, and its fix."""

    policy_id: str
    display_name: str
    state: str
    missing: tuple[str, ...]
    """Object ids of accounts not in ``excludeUsers``."""
    via_group: tuple[str, ...]
    """Of ``missing``: the accounts excluded only through a group (weaker)."""
    patch: Mapping[str, Any]
    """The PATCH body: ``{"conditions": {"users": {...}}}`` with the ids appended."""
    group_id: str = ""
    """The protected group added to ``excludeGroups`` instead of the accounts ("" for none)."""

    def describe(self, names: Mapping[str, str]) -> str:
        """One line: the policy, its state, and what is added.

        Args:
            names: object id → UPN (or group display name).
        """
        if self.group_id:
            group = names.get(self.group_id, self.group_id)
            return (
                f"{self.display_name} ({state_word(self.state)}): add group {group} to excluded"
                " groups"
            )
        who = ", ".join(
            names.get(i, i) + (" (now only through a group)" if i in self.via_group else "")
            for i in self.missing
        )
        return f"{self.display_name} ({state_word(self.state)}): add {who} to excluded users"


@dataclass(frozen=True)
class SkippedPolicy:
    """A policy the step leaves alone, and why."""

    policy_id: str
    display_name: str
    state: str
    reason: Scope
    """``no_members`` (cannot apply) or ``targets_break_glass`` (never excluded)."""

    def describe(self) -> str:
        """One line: the policy and why it gets no exclusion."""
        why = (
            "targets the break glass accounts; an exclusion would neutralise it"
            if self.reason == "targets_break_glass"
            else "cannot apply to member accounts (workload identities or guests only)"
        )
        return f"{self.display_name} ({state_word(self.state)}): left alone, it {why}"


@dataclass(frozen=True)
class CaPlan:
    """What the Conditional Access step will change."""

    changes: tuple[PolicyChange, ...]
    total: int
    """Policies read (all states)."""
    skipped: tuple[SkippedPolicy, ...] = ()
    """Policies that get no exclusion (cannot apply, or target the accounts)."""

    @property
    def already_done(self) -> int:
        """Policies that can apply and already exclude every account."""
        return self.total - len(self.changes) - len(self.skipped)

    @property
    def complete(self) -> bool:
        """Whether every policy that can apply excludes every account (directly, or through
        the protected group when one was chosen)."""
        return not self.changes


def plan_exclusions(
    policies: Sequence[CaPolicy],
    account_ids: Sequence[str],
    groups: Mapping[str, frozenset[str]] | None = None,
    *,
    protected_group: str = "",
) -> CaPlan:
    """Which policies need which accounts (or the protected group) added to the exclusions.

    Args:
        policies: every Conditional Access policy, any state.
        account_ids: the break glass accounts' object ids.
        groups: account id → ids of the groups it belongs to (nesting resolved), to tell a
            group exclusion apart from none.
        protected_group: the role-assignable break glass group, when the user chose to
            exclude it instead of the accounts ("" for direct exclusion).

    Returns:
        The plan, policies in the order given.
    """
    member_of = groups or {}
    changes: list[PolicyChange] = []
    skipped: list[SkippedPolicy] = []
    bg_groups = (protected_group,) if protected_group else ()
    all_groups = frozenset().union(*member_of.values()) if member_of else frozenset()
    for policy in policies:
        reach = scope(policy, account_ids, bg_groups, all_groups)
        if reach != "applies":
            skipped.append(SkippedPolicy(policy.id, policy.display_name, policy.state, reach))
            continue
        if protected_group:
            change = _group_change(policy, account_ids, protected_group)
            if change is not None:
                changes.append(change)
            continue
        missing = tuple(i for i in account_ids if i not in policy.exclude_users)
        if not missing:
            continue
        via_group = tuple(i for i in missing if policy.excludes(i, member_of.get(i, frozenset())))
        changes.append(
            PolicyChange(
                policy_id=policy.id,
                display_name=policy.display_name,
                state=policy.state,
                missing=missing,
                via_group=via_group,
                patch=policy.exclusion_patch(user_ids=missing),
            )
        )
    return CaPlan(tuple(changes), len(policies), tuple(skipped))


def _group_change(
    policy: CaPolicy, account_ids: Sequence[str], group_id: str
) -> PolicyChange | None:
    """The change that adds the protected group, or None when the policy needs none."""
    if group_id in policy.exclude_groups or all(i in policy.exclude_users for i in account_ids):
        return None
    return PolicyChange(
        policy_id=policy.id,
        display_name=policy.display_name,
        state=policy.state,
        missing=tuple(i for i in account_ids if i not in policy.exclude_users),
        via_group=(),
        patch=policy.exclusion_patch(group_ids=(group_id,)),
        group_id=group_id,
    )


def backup_document(
    policies: Sequence[CaPolicy], *, tenant_id: str, when: dt.datetime
) -> dict[str, Any]:
    """The JSON document saved before any PATCH: every policy about to change, as Graph sent it.

    Args:
        policies: the policies the plan changes (their ``raw`` JSON).
        tenant_id: the tenant, so a backup is never restored into another one.
        when: the time of the backup.

    Returns:
        ``{"format", "tenantId", "created", "policies": [raw, ...]}``.
    """
    return {
        "format": BACKUP_FORMAT,
        "tenantId": tenant_id,
        "created": when.isoformat(),
        "policies": [dict(p.raw) for p in policies],
    }


def restore_patches(
    document: Mapping[str, Any], tenant_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """The PATCH bodies that put each backed-up policy's users back as they were.

    The wizard changes only ``conditions.users``; the restore sends that whole object, every
    list included (an exclusion list the backup lacked is sent empty, so an added exclusion
    goes away).

    Args:
        document: a parsed backup file.
        tenant_id: the tenant signed in to now.

    Returns:
        (policy id, body) per policy.

    Raises:
        BackupError: not a bgwizard backup, or from another tenant.
    """
    if document.get("format") != BACKUP_FORMAT:
        raise BackupError("This file is not a bgwizard Conditional Access backup.")
    if tenant_id and document.get("tenantId") not in ("", tenant_id):
        raise BackupError("This backup was made in another tenant; it was not restored.")
    policies = document.get("policies")
    if not isinstance(policies, list):
        raise BackupError("This backup holds no policies.")
    patches = []
    for raw in policies:
        if not isinstance(raw, Mapping) or not raw.get("id"):
            raise BackupError("This backup holds a policy without an id.")
        conditions = raw.get("conditions")
        users = conditions.get("users") if isinstance(conditions, Mapping) else None
        body = dict(users) if isinstance(users, Mapping) else {}
        for key in _EXCLUDE_LISTS:
            body.setdefault(key, [])
        patches.append((str(raw["id"]), {"conditions": {"users": body}}))
    return patches
