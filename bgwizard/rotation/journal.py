"""The rotation journal: a rotation is written into the profile before Graph is asked to reset
the password, and cleared once the new sheet is recorded as current. Pure.

While a rotation is pending the tenant may hold the old password or the new one (the app may
have died between Graph accepting the reset and the profile save). It is finished by a sign-in
with the new sheet, or started again: the pending serial is then recorded as retired, so that
sheet can never pass a drill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.graph.model import GroupRef
from bgwizard.profile.model import BreakGlassAccount, PendingRotation, SheetRecord
from bgwizard.setup.checks import apply_rotation


@dataclass(frozen=True)
class Rotated:
    """What a completed password reset recorded."""

    upn: str
    new_serial: str
    retired: tuple[str, ...]


def begin_rotation(
    account: BreakGlassAccount,
    record: SheetRecord,
    locations: Sequence[str],
    today: dt.date,
    now: dt.datetime | None = None,
) -> list[str]:
    """Journal ``record`` as the account's pending rotation (call before the reset).

    A different rotation still pending is abandoned first (see ``abandon_rotation``).

    Args:
        account: the profile's account.
        record: the new sheet.
        locations: where its copies are kept.
        today: the day, for a sheet retired now.
        now: the moment (UTC) the rotation is journaled.

    Returns:
        The serials retired now (an abandoned pending sheet).
    """
    pending = account.pending_rotation
    retired = []
    if pending is not None and pending.serial != record.serial:
        retired = abandon_rotation(account, today)
    account.pending_rotation = PendingRotation(
        record.serial, record.created, list(locations), started=now
    )
    return retired


def abandon_rotation(account: BreakGlassAccount, today: dt.date) -> list[str]:
    """Give up the pending rotation: its sheet is recorded as retired, the journal cleared.

    Returns:
        The serial retired now (empty when nothing was pending).
    """
    pending = account.pending_rotation
    if pending is None:
        return []
    account.pending_rotation = None
    if any(s.serial == pending.serial for s in account.sheets):
        return []
    account.sheets.append(SheetRecord(pending.serial, pending.created, retired=today))
    return [pending.serial]


def finish_rotation(account: BreakGlassAccount, today: dt.date) -> list[str]:
    """Record the pending rotation as done: its sheet current, every other one retired.

    Call only once Graph accepted the new password (or a sign-in with it succeeded).

    Returns:
        The serials retired now (empty when nothing was pending).
    """
    pending = account.pending_rotation
    if pending is None:
        return []
    record = SheetRecord(pending.serial, pending.created)
    retired = apply_rotation(account, record, pending.locations, today)
    account.pending_rotation = None
    return retired


def pending_sentence(account: BreakGlassAccount) -> str:
    """One sentence about the account's unfinished rotation (empty when none)."""
    pending = account.pending_rotation
    if pending is None:
        return ""
    return (
        f"The rotation of {account.upn} to sheet {pending.serial} was interrupted, so the"
        " account may have the old password or the new one: finish it by signing in with the"
        " NEW sheet, or start again."
    )


def restricted_unit_note(
    upn: str, memberships: Sequence[GroupRef], *, global_admin: bool = False
) -> str | None:
    """Who can reset the password of an account in a restricted management administrative unit.

    In an RMAU, tenant-wide admins (Global Administrator and Privileged Authentication
    Administrator included) cannot reset members' passwords; only admins whose role is scoped
    to that unit can. A Global Administrator in an RMAU cannot have the password reset by
    anyone (no role scoped to a unit may reset a Global Administrator's) until removed from it.

    Args:
        upn: the account.
        memberships: its ``transitiveMemberOf`` (groups, roles, administrative units).
        global_admin: the account holds Global Administrator (every break glass account
            does once set up); also read from a ``directoryRole`` in ``memberships``.

    Returns:
        One sentence, or None when the account is in no RMAU.
    """
    units = sorted(
        m.display_name or m.id
        for m in memberships
        if m.kind == "administrativeUnit" and m.restricted
    )
    if not units:
        return None
    named = ", ".join(units)
    if global_admin or any(
        m.kind == "directoryRole" and m.role_template_id == GLOBAL_ADMIN_ROLE_ID
        for m in memberships
    ):
        return (
            f"{upn} is a Global Administrator in the restricted management administrative unit"
            f" {named}: nobody can reset its password while it is there (no role scoped to a"
            " unit may reset a Global Administrator's), so a Global or Privileged Role"
            " Administrator must first remove it from the unit."
        )
    return (
        f"{upn} is in the restricted management administrative unit {named}: only an"
        " administrator with a role scoped to that unit (such as Privileged Authentication"
        " Administrator on the unit) can reset its password, not a tenant-wide one."
    )
