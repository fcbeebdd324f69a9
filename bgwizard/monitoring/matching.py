"""What each alert rule selects, as data: tables, activity names, the objects it watches.

Pure: no I/O. ``bgwizard.monitoring.rules`` generates every rule's KQL from these conditions,
and :func:`selects` applies the same conditions to one log row (a mapping of column → value,
the shape of a Log Analytics row), so tests can hold each rule against documented sample
events: a rule must select the events it is about and no unrelated one.

Activity names are matched the way Microsoft Sentinel's own rules match them: exactly
(case-insensitive) where the name is fixed, by prefix where Entra appends a suffix (PIM's
``"Add member to role in PIM completed (permanent)"``), by substring where Microsoft documents
no exact name (the authentication methods policy, administrative units) — permissive, never
silent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

SIGNIN_TABLES: Final = ("SigninLogs", "AADNonInteractiveUserSignInLogs")
"""Interactive and non-interactive user sign-ins (a replayed refresh token is non-interactive)."""
AUDIT_TABLES: Final = ("AuditLogs",)

Subject = Literal["signin", "accounts", "group", "rmau", "anything", "ca-weakened"]
"""Which rows of the tables a rule keeps:

- ``signin``: the signing-in user is a break glass account (object id or UPN);
- ``accounts``: a target of the audit event names an account (object id or UPN);
- ``group``: a target names the exclusion group or an account (membership either way);
- ``rmau``: a target names the restricted management administrative unit or an account;
- ``anything``: every event with the activity (CA policy created or deleted, methods policy);
- ``ca-weakened``: a Conditional Access update that removes an exclusion protecting the
  accounts (users: theirs; groups: the exclusion group, or any group when none is known;
  roles: any, since the accounts hold Global Administrator) or switches a policy to enabled.
"""
Outcome = Literal["any", "success", "failure"]

#: The Conditional Access property Entra logs, old and new, as the whole policy in JSON.
ENABLED: Final = "enabled"


@dataclass(frozen=True)
class Activities:
    """Audit activity names (``OperationName``) a rule selects; any one group matching is enough."""

    exact: tuple[str, ...] = ()
    """Names compared whole, case-insensitively (KQL ``in~``)."""
    prefixes: tuple[str, ...] = ()
    """Names that may carry a suffix (KQL ``startswith``, case-insensitive)."""
    contains_all: tuple[str, ...] = ()
    """Substrings that must all occur (KQL ``contains``, case-insensitive)."""

    def matches(self, name: str) -> bool:
        """Whether ``name`` is one of these activities."""
        low = name.lower()
        if any(low == e.lower() for e in self.exact):
            return True
        if any(low.startswith(p.lower()) for p in self.prefixes):
            return True
        return bool(self.contains_all) and all(c.lower() in low for c in self.contains_all)

    def describe(self) -> str:
        """The activities in words, for the screen and DEPLOY.md."""
        parts = [f'"{e}"' for e in self.exact]
        parts += [f'"{p}…"' for p in self.prefixes]
        if self.contains_all:
            parts.append("names containing " + " and ".join(f'"{c}"' for c in self.contains_all))
        return ", ".join(parts)


@dataclass(frozen=True)
class Conditions:
    """Everything a rule matches on; its KQL is generated from this."""

    tables: tuple[str, ...]
    subject: Subject
    activities: Activities | None = None
    """None for sign-in rules (every sign-in row)."""
    outcome: Outcome = "any"
    """Sign-ins only: every result, success (``ResultType == "0"``) or failure."""

    def describe(self) -> str:
        """One line: which tables, which activities, about what."""
        about = {
            "signin": "sign-ins by the accounts",
            "accounts": "events whose targets name an account",
            "group": "events naming the exclusion group or an account",
            "rmau": "events naming the restricted management administrative unit or an account",
            "anything": "every such event",
            "ca-weakened": "updates removing an exclusion (users, groups, roles) or enabling "
            "a policy",
        }[self.subject]
        outcome = {"any": "", "success": " (successful)", "failure": " (failed)"}[self.outcome]
        what = f": {self.activities.describe()}" if self.activities else ""
        return f"{' + '.join(self.tables)}{what} — {about}{outcome}"


@dataclass(frozen=True)
class Watched:
    """The objects the rules name, normalised (lower-case)."""

    object_ids: tuple[str, ...]
    """The break glass accounts' object ids."""
    upns: tuple[str, ...]
    """Their user principal names."""
    group_ids: tuple[str, ...] = ()
    """The exclusion group's object id, when there is one."""
    rmau_ids: tuple[str, ...] = ()
    """The restricted management administrative unit's object id, when there is one."""


ACCOUNT_ACTIVITIES: Final = Activities(
    exact=(
        "Update user",
        "Disable account",
        "Delete user",
        "Hard delete user",
        "Restore user",
        "Reset user password",
        "Change user password",
        "Reset password (by admin)",
        "Reset password (self-service)",
        "Change password (self-service)",
        "Set force change user password",
    )
)
"""Account properties (a rename is an ``Update user`` of userPrincipalName), state, password."""

SECURITY_INFO_ACTIVITIES: Final = Activities(contains_all=("security info",))
"""Authentication methods registered, changed or removed: Sentinel's names ("User registered
security info", "Admin deleted security info", …) all end in "security info"."""

ROLE_ACTIVITIES: Final = Activities(
    prefixes=(
        "Add member to role",
        "Remove member from role",
        "Add eligible member to role",
        "Remove eligible member from role",
        "Add scoped member to role",
        "Remove scoped member from role",
        "Remove permanent direct role assignment",
        "Remove permanent eligible role assignment",
    )
)
"""Role assignments and PIM schedules, active and eligible, added and removed; PIM appends
suffixes such as "in PIM completed (permanent)" or "(PIM activation expired)"."""

CA_CREATED: Final = Activities(exact=("Add conditional access policy",))
CA_UPDATED: Final = Activities(exact=("Update conditional access policy",))
CA_DELETED: Final = Activities(exact=("Delete conditional access policy",))

GROUP_ACTIVITIES: Final = Activities(
    prefixes=(
        "Add member to group",
        "Remove member from group",
        "Add owner to group",
        "Remove owner from group",
        "Update group",
        "Delete group",
        "Hard Delete group",
    )
)
"""Membership and ownership of the exclusion group, and the group itself."""

METHODS_POLICY_ACTIVITIES: Final = Activities(contains_all=("authentication method", "policy"))
"""The authentication methods policy ("Authentication Methods Policy Update"; Microsoft lists
no fixed set of names, so any activity naming the policy)."""

RMAU_ACTIVITIES: Final = Activities(contains_all=("administrative unit",))
"""Members, scoped roles and settings of an administrative unit."""


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.lower()
    return json.dumps(value).lower()


def _names_any(row: Mapping[str, object], values: Sequence[str]) -> bool:
    # KQL: ``tostring(TargetResources) has_any (...)``; a GUID or UPN is found as a substring of
    # the JSON here, as a whole term there — the same for ids and UPNs, which end at a quote.
    targets = _text(row.get("TargetResources", []))
    return any(v and v.lower() in targets for v in values)


def _signin_selected(row: Mapping[str, object], outcome: Outcome, watched: Watched) -> bool:
    # KQL: ``UserId in (...)`` compares exactly, ``UserPrincipalName in~ (...)`` ignoring case.
    user_id = str(row.get("UserId", ""))
    upn = str(row.get("UserPrincipalName", "")).lower()
    if user_id not in watched.object_ids and upn not in watched.upns:
        return False
    result = str(row.get("ResultType", ""))
    return outcome == "any" or (result == "0") == (outcome == "success")


def _policy(value: object) -> Mapping[str, object]:
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def _excluded(policy: Mapping[str, object], key: str) -> list[str]:
    conditions = policy.get("conditions")
    users = conditions.get("users") if isinstance(conditions, Mapping) else None
    found = users.get(key) if isinstance(users, Mapping) else None
    return [str(v) for v in found] if isinstance(found, list) else []


def ca_weakening(old: Mapping[str, object], new: Mapping[str, object], watched: Watched) -> bool:
    """Whether a Conditional Access update from ``old`` to ``new`` weakens the accounts' cover.

    The same test as the ``ca-policy-updated`` KQL: an account's user exclusion removed; the
    exclusion group's exclusion removed (any group's when no group is known); any role
    exclusion removed; or the policy switched to enabled from another state.
    """

    def gone(key: str) -> set[str]:
        return set(_excluded(old, key)) - set(_excluded(new, key))

    groups = gone("excludeGroups")
    if watched.group_ids:
        groups &= set(watched.group_ids)
    old_state, new_state = str(old.get("state", "")), str(new.get("state", ""))
    enabled_now = bool(old_state) and old_state != ENABLED and new_state == ENABLED
    return bool(gone("excludeUsers") & set(watched.object_ids) or groups) or bool(
        gone("excludeRoles") or enabled_now
    )


def _ca_weakened(row: Mapping[str, object], watched: Watched) -> bool:
    targets = row.get("TargetResources")
    for target in targets if isinstance(targets, list) else []:
        props = target.get("modifiedProperties") if isinstance(target, Mapping) else None
        for prop in props if isinstance(props, list) else []:
            if not isinstance(prop, Mapping):
                continue
            old, new = _policy(prop.get("oldValue")), _policy(prop.get("newValue"))
            if ca_weakening(old, new, watched):
                return True
    return False


def selects(
    conditions: Conditions, table: str, row: Mapping[str, object], watched: Watched
) -> bool:
    """Whether a rule with ``conditions`` selects ``row`` of ``table`` (time windows aside).

    Args:
        conditions: The rule's matching conditions.
        table: The Log Analytics table the row is from.
        row: Column → value, as Log Analytics holds it (``TargetResources`` a list).
        watched: The objects the rule names.

    Returns:
        True when the rule's query would keep the row.
    """
    if table not in conditions.tables:
        return False
    if conditions.subject == "signin":
        return _signin_selected(row, conditions.outcome, watched)
    if conditions.activities is None or not conditions.activities.matches(
        str(row.get("OperationName", ""))
    ):
        return False
    accounts = (*watched.object_ids, *watched.upns)
    match conditions.subject:
        case "accounts":
            return _names_any(row, accounts)
        case "group":
            return _names_any(row, (*watched.group_ids, *accounts))
        case "rmau":
            return _names_any(row, (*watched.rmau_ids, *accounts))
        case "ca-weakened":
            return _ca_weakened(row, watched)
        case _:
            return True
