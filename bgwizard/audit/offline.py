"""The snapshot of an offline audit: exported policies and the accounts' object ids. Pure.

Offline there is no user object, role or method to read, so only the account count and
the Conditional Access rule run. Group exclusions are resolved from a group file when one
is given; groups it does not list stay unresolved and are reported as warnings by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bgwizard.audit.exports import groups_of
from bgwizard.audit.model import AccountSnapshot, AuditSnapshot, Unread
from bgwizard.graph.model import CaPolicy, GroupRef
from bgwizard.profile.model import BreakGlassAccount

OFFLINE_REASON = "Offline audit: only the exported Conditional Access policies were read."


def offline_snapshot(
    policies: Sequence[CaPolicy],
    accounts: Sequence[BreakGlassAccount],
    now: dt.datetime,
    *,
    groups: Mapping[str, frozenset[str]] | None = None,
    names: Mapping[str, str] | None = None,
) -> AuditSnapshot:
    """The snapshot the rules judge in an offline audit.

    Args:
        policies: the exported policies.
        accounts: the break glass accounts (object ids from ``--accounts`` or the profile).
        now: the time of the audit.
        groups: group id → direct member ids, from ``--groups`` (None: no group known).
        names: group id → display name, for evidence.

    Returns:
        The snapshot, marked offline.
    """
    members = dict(groups or {})
    all_names = dict(names or {})
    snaps = tuple(
        AccountSnapshot(
            account=account,
            user=Unread(OFFLINE_REASON),
            groups=tuple(
                GroupRef(g, all_names.get(g, ""))
                for g in sorted(groups_of(account.object_id, members))
            ),
        )
        for account in accounts
    )
    return AuditSnapshot(
        now=now,
        accounts=snaps,
        policies=tuple(policies),
        known_groups=frozenset(members),
        group_names=all_names,
        offline=True,
    )
