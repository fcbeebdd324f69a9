"""The account rules of the audit: count, existence and hygiene (and the rule table).

Each rule is a pure function of an ``AccountSnapshot`` (or the whole snapshot) returning
findings; ``ok`` findings record what passed. Roles, methods, use and drills are in
``audit_rules_access``; Conditional Access is ``audit_ca``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from bgwizard.audit.model import (
    AccountSnapshot,
    AuditSnapshot,
    Finding,
    Unread,
    account_finding,
    unread_finding,
)
from bgwizard.audit.rules_2026 import (
    check_credentials,
    check_global_admin_count,
    check_pim,
    check_security_defaults,
)
from bgwizard.audit.rules_access import (
    check_global_admin,
    check_last_drill,
    check_sign_in,
)
from bgwizard.graph.model import DirectoryUser

RULES: Final[dict[str, str]] = {
    "accounts.count": "Two break glass accounts are named in the profile",
    "account.exists": "The account exists in the tenant",
    "account.enabled": "The account is enabled",
    "account.cloud_only": "The account is cloud-only (not synced from on-premises)",
    "account.upn_domain": "The UPN is on the tenant's initial *.onmicrosoft.com domain",
    "account.name": "The name does not advertise the account's purpose",
    "role.global_admin": "Global Administrator is permanently active at scope /",
    "password.expiration": "The password never expires (DisablePasswordExpiration)",
    "role.pim": "In a PIM (Entra ID P2) tenant, Global Administrator came through PIM",
    "role.global_admin_count": "Between 2 and 8 Global Administrators in the tenant",
    "auth.strong_method": "A device-bound passkey or certificate-based auth is bound",
    "auth.other_methods": "No method other than phishing-resistant ones (each one named)",
    "signin.unexplained": "The last successful sign-in is explained by the signed log",
    "drill.last": "The last drill is less than 90 days old",
    "ca.exclusion": "Excluded from every policy that can apply (directly or via a protected group)",
    "ca.dedicated_policy": "A policy demands phishing-resistant MFA of the break glass accounts",
    "ca.targets_account": "Policies that target the accounts explicitly",
    "ca.read": "Conditional Access policies were read",
    "ca.security_defaults": "Security defaults are off (CA exclusions don't apply under them)",
    "graph.read": "Every Microsoft Graph read the audit makes succeeded",
}
"""Rule id → what the rule checks (``ca.*`` rules live in ``audit_ca``)."""

_PURPOSE_WORDS: Final = re.compile(
    r"break[\W_]*glass|emergency|bg[\W_]*admin|notfall|urgence",
    re.IGNORECASE,
)
_FIX_NAME: Final = "Rename the account to something that does not say what it is for."

AccountRule = Callable[[AccountSnapshot, AuditSnapshot], Iterator[Finding]]


_finding = account_finding


def _not_checked(snap: AccountSnapshot, rule: str, unread: Unread) -> Finding:
    return unread_finding(snap, rule, unread)


def check_count(snapshot: AuditSnapshot) -> Finding:
    """Two accounts expected: none or one is an error, more than two a warning."""
    count = len(snapshot.accounts)
    upns = ", ".join(a.upn for a in snapshot.accounts) or "none"
    evidence = f"The profile names {count}: {upns}."
    if count == 2:
        return Finding("accounts.count", "ok", "Two break glass accounts.", evidence=evidence)
    if count > 2:
        return Finding(
            "accounts.count",
            "warning",
            f"{count} break glass accounts; two are expected.",
            evidence=evidence,
            fix="Retire the extra accounts, or keep them if each one has a reason.",
        )
    return Finding(
        "accounts.count",
        "error",
        f"{count} break glass account{'' if count == 1 else 's'}; two are needed.",
        evidence=evidence,
        fix="Create a second break glass account with the set-up wizard.",
    )


def check_exists(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """The account has an object id and the tenant has a user with it."""
    if not snap.object_id:
        yield _finding(
            snap,
            "account.exists",
            "error",
            f"{snap.upn} has not been created yet.",
            evidence="The profile has no object id for this account.",
            fix="Finish the set-up wizard for this account.",
        )
    elif isinstance(snap.user, Unread):
        yield _not_checked(snap, "account.exists", snap.user)
    elif snap.user is None:
        yield _finding(
            snap,
            "account.exists",
            "error",
            f"{snap.account.upn} does not exist in the tenant.",
            evidence=f"No user has object id {snap.object_id}.",
            fix="Find out who deleted it (directory audit log), then recreate it with the wizard.",
        )
    else:
        renamed = snap.user.upn.lower() != snap.account.upn.lower()
        yield _finding(
            snap,
            "account.exists",
            "warning" if renamed else "ok",
            f"{snap.account.upn} was renamed to {snap.user.upn}." if renamed else "Exists.",
            evidence=f"User {snap.object_id} has UPN {snap.user.upn}.",
            fix="Update the profile and the paper sheets, or rename it back." if renamed else "",
        )


def _user(snap: AccountSnapshot) -> DirectoryUser | None:
    return snap.user if isinstance(snap.user, DirectoryUser) else None


def check_enabled(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """The account can sign in."""
    user = _user(snap)
    if user is None:
        return
    if user.account_enabled is False:
        yield _finding(
            snap,
            "account.enabled",
            "error",
            "The account is disabled: nobody can sign in with it.",
            evidence="accountEnabled is false.",
            fix="Enable it, and exempt it from inactive-account clean-ups.",
        )
    elif user.account_enabled is None:
        yield _finding(snap, "account.enabled", "not_checked", "Graph did not say if enabled.")
    else:
        yield _finding(
            snap, "account.enabled", "ok", "Enabled.", evidence="accountEnabled is true."
        )


def check_cloud_only(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """The account is not synced from on-premises Active Directory."""
    user = _user(snap)
    if user is None:
        return
    if user.is_cloud_only:
        yield _finding(snap, "account.cloud_only", "ok", "Cloud-only.")
    else:
        yield _finding(
            snap,
            "account.cloud_only",
            "error",
            "The account is synced from on-premises: an AD outage or compromise takes it down.",
            evidence="onPremisesSyncEnabled is true.",
            fix="Replace it with a cloud-only account created in Entra ID.",
        )


def check_upn_domain(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """The UPN is on the initial ``*.onmicrosoft.com`` domain (no federation, no DNS)."""
    if not snap.object_id or isinstance(snap.user, Unread) or snap.user is None:
        return
    domain = snap.upn.rpartition("@")[2].lower()
    wanted = snapshot.initial_domain.lower()
    good = domain == wanted if wanted else domain.endswith(".onmicrosoft.com")
    where = wanted or "*.onmicrosoft.com"
    if good:
        yield _finding(snap, "account.upn_domain", "ok", f"UPN on {domain}.")
        return
    yield _finding(
        snap,
        "account.upn_domain",
        "error",
        f"The UPN is on {domain}, not on {where}.",
        evidence=f"UPN {snap.upn}.",
        fix=f"Change the UPN to a name @{where}: federation or DNS trouble cannot touch it.",
    )


def check_name(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """Neither the UPN nor the display name says "break glass" or "emergency"."""
    user = _user(snap)
    names = [snap.upn.partition("@")[0]]
    if user is not None and user.display_name:
        names.append(user.display_name)
    hits = [m.group(0) for name in names if (m := _PURPOSE_WORDS.search(name))]
    if hits:
        yield _finding(
            snap,
            "account.name",
            "warning",
            f"The name advertises what the account is for ({hits[0]!r}).",
            evidence="Names checked: " + ", ".join(names) + ".",
            fix=_FIX_NAME,
        )
    else:
        yield _finding(snap, "account.name", "ok", "The name does not advertise the purpose.")


def check_password_expiration(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """``DisablePasswordExpiration`` is set, so the paper password stays valid."""
    user = _user(snap)
    if user is None:
        return
    if user.password_never_expires:
        yield _finding(snap, "password.expiration", "ok", "The password never expires.")
        return
    yield _finding(
        snap,
        "password.expiration",
        "error",
        "The password can expire under a tenant expiry policy; the paper copy would stop working.",
        evidence=f"passwordPolicies is {user.password_policies or 'not set'}.",
        fix='Set passwordPolicies to "DisablePasswordExpiration" on the account.',
    )


ACCOUNT_RULES: Final[tuple[AccountRule, ...]] = (
    check_exists,
    check_enabled,
    check_cloud_only,
    check_upn_domain,
    check_name,
    check_global_admin,
    check_pim,
    check_password_expiration,
    check_credentials,
    check_sign_in,
)


def evaluate(snapshot: AuditSnapshot) -> list[Finding]:
    """Every account rule over the snapshot.

    Args:
        snapshot: the tenant as read.

    Returns:
        The findings, ``ok`` ones included.
    """
    findings = [check_count(snapshot), check_last_drill(snapshot)]
    if snapshot.offline:
        return findings[:1]
    count = check_global_admin_count(snapshot)
    if count is not None:
        findings.append(count)
    defaults = check_security_defaults(snapshot)
    if defaults is not None:
        findings.append(defaults)
    for snap in snapshot.accounts:
        # An account not created yet has nothing else to grade.
        rules = ACCOUNT_RULES if snap.object_id else ACCOUNT_RULES[:1]
        for rule in rules:
            findings.extend(rule(snap, snapshot))
    return findings
