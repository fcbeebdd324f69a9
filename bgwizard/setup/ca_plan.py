"""The Conditional Access step: which policies miss a direct exclusion, the exact change, and
the backup document to restore from. Pure.

Every policy counts, whatever its state: disabled and report-only policies get switched on
one day. Only a direct ``excludeUsers`` entry is accepted: an exclusion through a group is
shown as weaker (anyone who can edit the group can remove it) and the direct one is added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bgwizard.errors import BackupError
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

    def describe(self, names: Mapping[str, str]) -> str:
        """One line: the policy, its state, and what is added.

        Args:
            names: object id → UPN.
        """
        who = ", ".join(
            names.get(i, i) + (" (now only through a group)" if i in self.via_group else "")
            for i in self.missing
        )
        return f"{self.display_name} ({state_word(self.state)}): add {who} to excluded users"


@dataclass(frozen=True)
class CaPlan:
    """What the Conditional Access step will change."""

    changes: tuple[PolicyChange, ...]
    total: int
    """Policies read (all states)."""

    @property
    def already_done(self) -> int:
        """Policies that exclude every account directly."""
        return self.total - len(self.changes)

    @property
    def complete(self) -> bool:
        """Whether every policy excludes every account directly."""
        return not self.changes


def plan_exclusions(
    policies: Sequence[CaPolicy],
    account_ids: Sequence[str],
    groups: Mapping[str, frozenset[str]] | None = None,
) -> CaPlan:
    """Which policies need which accounts added to ``excludeUsers``.

    Args:
        policies: every Conditional Access policy, any state.
        account_ids: the break glass accounts' object ids.
        groups: account id → ids of the groups it belongs to (nesting resolved), to tell a
            group exclusion apart from none.

    Returns:
        The plan, policies in the order given.
    """
    member_of = groups or {}
    changes: list[PolicyChange] = []
    for policy in policies:
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
    return CaPlan(tuple(changes), len(policies))


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
