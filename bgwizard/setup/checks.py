"""The wizard's judgements: can this admin do the set-up, is Global Admin permanent, did the
right account sign in with the right role, which methods are registered, what rotation
changes in the profile. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.graph.model import AuthMethod, RoleAssignment, RoleSchedule
from bgwizard.profile.model import BreakGlassAccount, SheetRecord

USER_ADMIN: Final = "fe930be7-5e62-47db-91af-98c3a49a38b1"
PRIVILEGED_ROLE_ADMIN: Final = "e8611ab8-c189-46e8-94e1-60213ab1f814"
CA_ADMIN: Final = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
SECURITY_ADMIN: Final = "194ae4cb-b126-40b2-bd5b-6091b380977d"


@dataclass(frozen=True)
class Need:
    """One thing the wizard does, the roles that allow it and the delegated permission."""

    doing: str
    roles: tuple[tuple[str, str], ...]
    """(role template id, role name) pairs; any one is enough."""
    permission: str


NEEDS: Final = (
    Need(
        "create the accounts",
        ((GLOBAL_ADMIN_ROLE_ID, "Global Administrator"), (USER_ADMIN, "User Administrator")),
        "User.Create",
    ),
    Need(
        "assign Global Administrator",
        (
            (GLOBAL_ADMIN_ROLE_ID, "Global Administrator"),
            (PRIVILEGED_ROLE_ADMIN, "Privileged Role Administrator"),
        ),
        "RoleManagement.ReadWrite.Directory",
    ),
    Need(
        "read Conditional Access policies",
        (
            (GLOBAL_ADMIN_ROLE_ID, "Global Administrator"),
            (CA_ADMIN, "Conditional Access Administrator"),
            (SECURITY_ADMIN, "Security Administrator"),
        ),
        "Policy.Read.All",
    ),
    Need(
        "change Conditional Access policies",
        (
            (GLOBAL_ADMIN_ROLE_ID, "Global Administrator"),
            (CA_ADMIN, "Conditional Access Administrator"),
            (SECURITY_ADMIN, "Security Administrator"),
        ),
        "Policy.ReadWrite.ConditionalAccess",
    ),
)
"""What the set-up needs from the signed-in administrator (DOMAIN.md's table)."""
_IMPLIED: Final = {
    "User.Create": ("User.ReadWrite.All", "Directory.ReadWrite.All"),
    "Policy.Read.All": ("Policy.ReadWrite.ConditionalAccess",),
}


def missing_for_setup(identity: SignedInIdentity) -> list[str]:
    """What the signed-in administrator lacks for the set-up, one sentence each.

    Roles come from the token's ``wids``; permissions from ``scp`` (checked only when the
    token lists scopes: a token without them gets a 403 later, which names the permission).

    Args:
        identity: the administrator.

    Returns:
        Empty when everything is there.
    """
    problems: list[str] = []
    held = set(identity.role_ids)
    scopes = {s.casefold() for s in identity.scopes}
    for need in NEEDS:
        if not held & {r for r, _ in need.roles}:
            names = " or ".join(n for _, n in need.roles)
            problems.append(f"To {need.doing}, {identity.upn} needs the role {names}.")
        wanted = (need.permission, *_IMPLIED.get(need.permission, ()))
        if scopes and not any(w.casefold() in scopes for w in wanted):
            problems.append(
                f"To {need.doing}, the sign-in needs the permission {need.permission}"
                " (an administrator must consent to it)."
            )
    return problems


@dataclass(frozen=True)
class RoleStatus:
    """Where an account stands with Global Administrator."""

    assignment: RoleAssignment | None
    """The active assignment at ``/``, if any."""
    end: dt.datetime | None = None
    """When the active assignment ends; None when permanent."""
    eligible: bool = False
    """Whether a PIM eligibility for Global Administrator exists."""

    @property
    def permanent(self) -> bool:
        """Whether the account holds Global Administrator actively, at ``/``, forever."""
        return self.assignment is not None and self.end is None

    def problem(self) -> str | None:
        """What is wrong, in one sentence; None when the assignment is permanent."""
        if self.permanent:
            return None
        if self.assignment is not None:
            return f"Global Administrator is assigned only until {self.end:%Y-%m-%d %H:%M} UTC."
        if self.eligible:
            return "Global Administrator is only eligible (PIM): it must be activated to be used."
        return "Global Administrator is not assigned."


def role_status(
    user_id: str,
    assignments: Sequence[RoleAssignment],
    active: Sequence[RoleSchedule] = (),
    eligible: Sequence[RoleSchedule] = (),
) -> RoleStatus:
    """Judge an account's Global Administrator assignment.

    Args:
        user_id: the account's object id.
        assignments: its active role assignments.
        active: its PIM active assignment schedules (for end dates).
        eligible: its PIM eligibility schedules.

    Returns:
        The status.
    """
    found = next(
        (
            a
            for a in assignments
            if a.principal_id == user_id
            and a.role_definition_id == GLOBAL_ADMIN_ROLE_ID
            and a.directory_scope_id == "/"
        ),
        None,
    )
    end = None
    if found is not None:
        for schedule in active:
            same = schedule.id == found.id or (
                schedule.principal_id == user_id
                and schedule.role_definition_id == GLOBAL_ADMIN_ROLE_ID
                and schedule.directory_scope_id == "/"
            )
            if same and schedule.end is not None:
                end = schedule.end
    is_eligible = any(
        e.principal_id == user_id and e.role_definition_id == GLOBAL_ADMIN_ROLE_ID for e in eligible
    )
    return RoleStatus(found, end, is_eligible)


def sign_in_problems(expected_object_id: str, upn: str, identity: SignedInIdentity) -> list[str]:
    """What is wrong with a break glass account's verification token.

    Args:
        expected_object_id: the account's object id.
        upn: the account's UPN (for the messages).
        identity: who the token speaks for.

    Returns:
        Empty when the token is for the account and carries Global Administrator.
    """
    problems = []
    if identity.object_id != expected_object_id:
        problems.append(
            f"The token is for {identity.upn or identity.object_id}, not {upn}"
            f" (object id {expected_object_id})."
        )
    if not identity.is_global_admin:
        problems.append(f"The token of {upn} does not carry Global Administrator (wids).")
    return problems


STRONG_KINDS: Final = frozenset({"fido2", "x509Certificate", "passkey"})
"""Methods that satisfy the portals' mandatory MFA on a break glass account."""
PERSONAL_KINDS: Final = frozenset(
    {
        "phone",
        "microsoftAuthenticator",
        "softwareOath",
        "email",
        "passwordlessMicrosoftAuthenticator",
    }
)
"""Methods that usually live on someone's own device or mailbox."""
MFA_WARNING: Final = (
    "No passkey or certificate: the Azure portal and the Entra and Intune admin centers will"
    " refuse this account (mandatory MFA); register a FIDO2 security key kept with the sheet."
)


def method_warnings(methods: Sequence[AuthMethod]) -> list[str]:
    """Warnings about a break glass account's registered authentication methods.

    Args:
        methods: every registered method (the password is always one).

    Returns:
        One sentence per warning; empty when a strong method is there and no personal one.
    """
    kinds = {m.kind for m in methods}
    warnings = []
    if not kinds & STRONG_KINDS:
        warnings.append(MFA_WARNING)
    for method in methods:
        if method.kind in PERSONAL_KINDS:
            label = method.detail or method.display_name or method.id
            warnings.append(
                f"A {method.kind} method ({label}) is registered: it ties the account to a"
                " personal device or mailbox; remove it."
            )
    return warnings


def apply_rotation(
    account: BreakGlassAccount,
    record: SheetRecord,
    locations: Sequence[str],
    today: dt.date,
) -> list[str]:
    """Record a completed rotation: the new sheet current, every older one retired.

    Call only after the new password was set through Graph.

    Args:
        account: the profile's account.
        record: the new sheet.
        locations: where the new copies are kept.
        today: the day of the rotation.

    Returns:
        The serials retired now.
    """
    retired = []
    for sheet in account.sheets:
        if sheet.retired is None and sheet.serial != record.serial:
            sheet.retired = today
            retired.append(sheet.serial)
    if all(s.serial != record.serial for s in account.sheets):
        account.sheets.append(record)
    if any(locations):
        account.locations = list(locations)
    account.last_rotation = today
    return retired
