"""Which delegated Microsoft Graph permissions each journey asks for: the one place.

Each journey lists the Graph operations it calls, by their id in Microsoft's table
(``bgwizard/data/graph-ground-truth.json``), with the delegated permission that table gives as
least privileged. Where the table's first entry cannot do what bgwizard does, the ``why`` says
which line of the table was followed instead (``tests/unit/test_scopes.py`` checks every scope
against the table and that every departure has a reason).

Sign-in asks for exactly the journey's scopes (no ``.default``, which returns only what was
consented before and never asks for more); a journey that needs more asks when it starts
(incremental consent). The audit journey asks for read permissions only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Use:
    """One Graph operation a journey calls and the delegated permissions bgwizard asks for."""

    operation: str
    """The operation's ``id`` in ``graph-ground-truth.json``."""
    scopes: tuple[str, ...]
    why: str = ""
    """Why these and not the table's first least-privileged entry (empty when they are)."""
    also: str = ""
    """Another operation of the table whose notes name a scope used here."""


_OTHER_USERS: Final = (
    "the table's least (User.Read) reads only the signed-in user; bgwizard reads other "
    "accounts, for which it lists User.Read.All"
)

SIGN_IN: Final = (
    Use("user-get", ("User.Read",)),  # /me: who signed in
    Use("organization-list", ("User.Read",)),
    Use("domains-list", ("Domain.Read.All",)),
)
_READ_ACCOUNTS: Final = (
    Use("user-get", ("User.Read.All",), _OTHER_USERS),
    Use("user-signInActivity", ("AuditLog.Read.All",)),
    Use("user-transitiveMemberOf", ("User.Read.All",)),
    Use("roleAssignments-list", ("RoleManagement.Read.Directory",)),
    Use("roleEligibilitySchedules-list", ("RoleEligibilitySchedule.Read.Directory",)),
    Use("roleAssignmentSchedules-list", ("RoleAssignmentSchedule.Read.Directory",)),
    Use("authentication-list-methods", ("UserAuthenticationMethod.Read.All",)),
)
AUDIT: Final = (
    *SIGN_IN,
    *_READ_ACCOUNTS,
    # Also security defaults (identitySecurityDefaultsEnforcementPolicy): no row in the table;
    # Microsoft documents Policy.Read.All, held already for the policies.
    Use("ca-list", ("Policy.Read.All",)),
    # The restricted management unit the profile names (get and members borrow the list's row):
    # a group in it counts as a protected exclusion group.
    Use("administrativeUnits-list", ("AdministrativeUnit.Read.All",)),
    Use("signIns-list", ("AuditLog.Read.All",)),
    Use("directoryAudits-list", ("AuditLog.Read.All",)),
)
CA_CHANGE: Final = (
    Use("ca-list", ("Policy.Read.All",)),
    Use("ca-update", ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess")),
    Use(
        "ca-create",
        ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"),
        "the create row's sources conflict: an older v1.0 page adds Application.Read.All, the "
        "beta page and the newer include ask what PATCH asks; the dedicated policy names no "
        "application, so PATCH's pair is asked for",
    ),
)
PASSKEYS: Final = (
    *SIGN_IN,
    Use("user-get", ("User.Read.All",), _OTHER_USERS),
    Use("fido2-config-get", ("Policy.Read.AuthenticationMethod",)),
    Use(
        "fido2-list",
        ("UserAuthMethod-Passkey.ReadWrite.All",),
        "the table's least (UserAuthMethod-Passkey.Read) is for the signed-in user's own keys; "
        "the journey already holds UserAuthMethod-Passkey.ReadWrite.All, listed as higher",
    ),
    Use("fido2-creationOptions-v1", ("UserAuthMethod-Passkey.ReadWrite.All",)),
    Use("fido2-create", ("UserAuthMethod-Passkey.ReadWrite.All",)),
)
SET_UP: Final = (
    *AUDIT,
    Use(
        "user-list",
        ("User.Read.All",),
        "finding an account by UPN also reads its properties; the journey already holds "
        "User.Read.All, listed as higher",
    ),
    Use("user-create", ("User.Create",)),
    Use("user-update", ("User.ReadUpdate.All",)),  # passwordPolicies: DisablePasswordExpiration
    Use("roleAssignments-create", ("RoleManagement.ReadWrite.Directory",)),
    Use("roleAssignmentScheduleRequests-create", ("RoleAssignmentSchedule.ReadWrite.Directory",)),
    *CA_CHANGE,
    Use(
        "group-create",
        ("Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory"),
        "the exclusion group is role-assignable, which the table says also needs "
        "RoleManagement.ReadWrite.Directory",
    ),
    Use(
        "group-add-member",
        ("GroupMember.ReadWrite.All", "RoleManagement.ReadWrite.Directory"),
        "the group is role-assignable; the table (POST /groups) says changing the membership "
        "of such a group also needs RoleManagement.ReadWrite.Directory",
        also="group-create",
    ),
    Use(
        "administrativeUnits-list",
        ("AdministrativeUnit.ReadWrite.All",),
        "the exclusion step creates a restricted management unit and adds the group to it; the "
        "table has only the unit list, whose higher entry AdministrativeUnit.ReadWrite.All is "
        "what its restricted_management_admin_units section needs to manage a unit",
    ),
    *PASSKEYS,
)
ROTATION: Final = (
    *SIGN_IN,
    Use("user-get", ("User.Read.All",), _OTHER_USERS),
    Use("user-transitiveMemberOf", ("User.Read.All",)),  # is the account in an RMAU?
    Use("user-update-passwordProfile", ("User-PasswordProfile.ReadWrite.All",)),
)
DRILL: Final = (
    *SIGN_IN,
    Use("user-get", ("User.Read.All",), _OTHER_USERS),
    Use("user-signInActivity", ("AuditLog.Read.All",)),
    Use("signIns-list", ("AuditLog.Read.All",)),
    Use("directoryAudits-list", ("AuditLog.Read.All",)),
)
BREAK_GLASS_SELF: Final = (
    *AUDIT,
    Use("user-signInActivity", ("AuditLog.Read.All",)),
)
"""A break glass account's own verification and drill sign-ins: the drill checks it can do
admin work by running the audit's reads as that account (read-only, like the audit)."""

JOURNEYS: Final[Mapping[str, tuple[Use, ...]]] = {
    "sign-in": SIGN_IN,
    "audit": AUDIT,
    "set-up": SET_UP,
    "rotation": ROTATION,
    "passkeys": PASSKEYS,
    "ca-change": CA_CHANGE,
    "drill": DRILL,
    "break-glass": BREAK_GLASS_SELF,
}
"""Journey name → the Graph operations it calls."""

SCREEN_JOURNEYS: Final[Mapping[str, str]] = {
    "setup": "set-up",
    "drill": "drill",
    "audit": "audit",
    "rotate": "rotation",
    "passkey": "passkeys",
    "use": "sign-in",
    "monitoring": "sign-in",
    "runbook": "sign-in",
}
"""The app's journey ids (home menu) → the scope journeys above (monitoring uses Azure Resource
Manager and the runbook nothing of Graph, so they keep the sign-in's)."""

WRITE_MARKERS: Final = ("ReadWrite", "Create", "Update")
"""Parts of a permission name that mean it can change the tenant."""


def scopes_for(journey: str) -> tuple[str, ...]:
    """The delegated permissions ``journey`` asks for, sorted, without duplicates.

    Args:
        journey: a key of ``JOURNEYS``.

    Returns:
        Bare Graph permission names (``User.Read`` means Microsoft Graph's).

    Raises:
        KeyError: no such journey.
    """
    return tuple(sorted({s for use in JOURNEYS[journey] for s in use.scopes}))


def for_screen(journey_id: str, *more: str) -> tuple[str, ...]:
    """The scopes the app asks for when its journey ``journey_id`` opens (plus ``more``
    scope journeys, e.g. ``ca-change`` when the audit's fix opens the CA step).

    Args:
        journey_id: a key of ``SCREEN_JOURNEYS`` (an unknown one gets the sign-in's scopes).
        *more: further keys of ``JOURNEYS``.

    Returns:
        The scopes, sorted.
    """
    names = (SCREEN_JOURNEYS.get(journey_id, "sign-in"), *more)
    return tuple(sorted({s for name in names for s in scopes_for(name)}))


def is_write(scope: str) -> bool:
    """Whether ``scope`` lets its holder change the tenant."""
    return any(marker in scope for marker in WRITE_MARKERS)


def table() -> list[tuple[str, tuple[str, ...]]]:
    """Every journey and its scopes (for the README and the closing note)."""
    return [(name, scopes_for(name)) for name in JOURNEYS]
