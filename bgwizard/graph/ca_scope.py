"""Which Conditional Access policies can reach a break glass account at all. Pure.

Shared by the set-up plan (which policies get an exclusion) and the audit (which policies are
graded): Microsoft's 2026 guidance excludes the accounts from every policy that can apply to
internal members, skips policies that cannot (workload-identity-only, guest-only), and never
adds an exclusion to a policy that targets the break glass accounts or their group — typically
the dedicated policy that demands a phishing-resistant authentication strength of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final, Literal

from bgwizard.graph.model import CaPolicy

GUESTS: Final = "GuestsOrExternalUsers"
"""The ``includeUsers`` keyword for guests and external users."""
NOBODY: Final = "None"
"""The ``includeUsers`` keyword of policies aimed at workload identities or agents only."""
PHISHING_RESISTANT_STRENGTH: Final = "00000000-0000-0000-0000-000000000004"
"""The built-in "Phishing-resistant MFA" authentication strength (same id in every tenant)."""

Scope = Literal["applies", "no_members", "targets_break_glass"]
"""How a policy relates to the break glass accounts: ``applies`` (needs the exclusion),
``no_members`` (cannot reach an internal member: workload identities, guests only),
``targets_break_glass`` (aimed at the accounts or their group: never exclude them)."""


def applies_to_members(policy: CaPolicy) -> bool:
    """Whether the policy can apply to an internal member user at all.

    Args:
        policy: the policy.

    Returns:
        False for ``includeUsers: None`` (workload identities, agents) and guest-only policies
        (``GuestsOrExternalUsers`` or ``includeGuestsOrExternalUsers`` with no users, groups
        or roles).
    """
    users = set(policy.include_users) - {NOBODY, GUESTS}
    return bool(users or policy.include_groups or policy.include_roles)


def targets(policy: CaPolicy, account_ids: Collection[str], group_ids: Collection[str]) -> bool:
    """Whether the policy names a break glass account or group in its *include* lists.

    Args:
        policy: the policy.
        account_ids: the break glass accounts' object ids.
        group_ids: the break glass group(s), when the accounts have one.

    Returns:
        True when an account is in ``includeUsers`` or a group in ``includeGroups``.
    """
    return bool(set(policy.include_users) & set(account_ids)) or bool(
        set(policy.include_groups) & set(group_ids)
    )


def scope(
    policy: CaPolicy,
    account_ids: Collection[str],
    group_ids: Collection[str] = (),
    member_groups: Collection[str] = (),
) -> Scope:
    """How ``policy`` relates to the break glass accounts (see ``Scope``).

    Args:
        policy: the policy.
        account_ids: the break glass accounts' object ids.
        group_ids: the break glass group(s), if any.
        member_groups: groups the accounts belong to; a policy that includes one of them and
            demands phishing-resistant MFA is taken for the dedicated break glass policy.

    Returns:
        The scope.
    """
    if targets(policy, account_ids, group_ids):
        return "targets_break_glass"
    if requires_phishing_resistant(policy) and set(policy.include_groups) & set(member_groups):
        return "targets_break_glass"
    if not applies_to_members(policy):
        return "no_members"
    return "applies"


def strength_id(policy: CaPolicy) -> str:
    """The id of the authentication strength the policy demands ("" when none)."""
    grant = policy.raw.get("grantControls")
    strength: Any = grant.get("authenticationStrength") if isinstance(grant, Mapping) else None
    return str(strength.get("id") or "") if isinstance(strength, Mapping) else ""


def requires_phishing_resistant(policy: CaPolicy) -> bool:
    """Whether the policy's grant is the built-in phishing-resistant authentication strength."""
    return strength_id(policy) == PHISHING_RESISTANT_STRENGTH
