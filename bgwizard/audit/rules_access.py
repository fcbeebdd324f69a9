"""The access rules of the audit: Global Administrator, use, drills. Pure.

Part of ``audit_rules`` (split for size); each rule returns findings, ``ok`` ones included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

from bgwizard.audit.model import (
    AccountSnapshot,
    AuditSnapshot,
    DrillRecord,
    Finding,
    Unread,
    account_finding,
    unread_finding,
)
from bgwizard.audit.rules_2026 import PIM_LICENCE_ERROR
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.profile.model import DRILL_INTERVAL_DAYS

DRILL_MATCH_WINDOW: Final = dt.timedelta(hours=12)
"""A sign-in this close to a drill of the same account is that drill's."""
USE_MATCH_MARGIN: Final = dt.timedelta(hours=2)
PRODUCT_SIGNIN_WINDOW: Final = dt.timedelta(hours=1)
"""How far a sign-in bgwizard logged (set-up, rotation, passkey check) may be from the account's
last sign-in and still explain it: it is logged when the token arrives, minutes at most after."""
PRODUCT_SIGNINS: Final = {
    "setup-signin": "the set-up's verification sign-in",
    "rotation": "the check sign-in of a password rotation",
    "passkey-signin": "a passkey's registration check",
}
"""The log entry kinds of sign-ins bgwizard itself makes, and what they are called."""
"""A sign-in within a recorded real use, widened by this much (times are typed from notes)."""
_finding = account_finding


def _not_checked(snap: AccountSnapshot, rule: str, unread: Unread) -> Finding:
    return unread_finding(snap, rule, unread)


def _eligible_ga(snap: AccountSnapshot) -> bool:
    items = snap.eligibilities if not isinstance(snap.eligibilities, Unread) else ()
    return any(s.role_definition_id == GLOBAL_ADMIN_ROLE_ID for s in items)


def _ga_through_group(snap: AccountSnapshot) -> bool:
    groups = snap.groups if not isinstance(snap.groups, Unread) else ()
    return any(g.role_template_id == GLOBAL_ADMIN_ROLE_ID for g in groups if g.kind != "group")


def check_global_admin(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """Global Administrator assigned directly, active, permanent, at ``/``."""
    if not snap.object_id or snap.user is None or isinstance(snap.user, Unread):
        return
    if isinstance(snap.assignments, Unread):
        yield _not_checked(snap, "role.global_admin", snap.assignments)
        return
    direct = [
        a
        for a in snap.assignments
        if a.role_definition_id == GLOBAL_ADMIN_ROLE_ID and a.principal_id == snap.object_id
    ]
    root = [a for a in direct if a.directory_scope_id == "/"]
    fix = (
        "Assign Global Administrator permanently (active, no end date) at scope / with the wizard."
    )
    if root:
        yield from _check_permanent(snap, fix)
    elif direct:
        scopes = ", ".join(a.directory_scope_id for a in direct)
        yield _finding(
            snap,
            "role.global_admin",
            "error",
            "Global Administrator only at a limited scope, not the whole tenant.",
            evidence=f"Scopes: {scopes}.",
            fix=fix,
        )
    elif _ga_through_group(snap):
        yield _finding(
            snap,
            "role.global_admin",
            "warning",
            "Global Administrator only through a group: a membership change removes it.",
            evidence="An active Global Administrator membership comes from a group.",
            fix=fix,
        )
    elif _eligible_ga(snap):
        yield _finding(
            snap,
            "role.global_admin",
            "error",
            "Global Administrator is only eligible (PIM): activation can fail in an emergency.",
            evidence="A roleEligibilitySchedule exists and no active assignment.",
            fix=fix,
        )
    else:
        yield _finding(
            snap,
            "role.global_admin",
            "error",
            "The account is not a Global Administrator.",
            evidence="No active Global Administrator assignment.",
            fix=fix,
        )


def _check_permanent(snap: AccountSnapshot, fix: str) -> Iterator[Finding]:
    if isinstance(snap.schedules, Unread) and (
        snap.schedules.licence or snap.schedules.code == PIM_LICENCE_ERROR
    ):
        # Without PIM (Entra ID P2) an active assignment cannot be time-bound or activated:
        # when the licence lapses, time-bound ones become permanent (Microsoft's licensing).
        yield _finding(
            snap,
            "role.global_admin",
            "ok",
            "Global Administrator, permanently active at / (no PIM in this tenant).",
            evidence=f"{snap.schedules.reason} Without PIM no assignment can have an end date.",
        )
        return
    if isinstance(snap.schedules, Unread):
        yield _not_checked(snap, "role.global_admin", snap.schedules)
        return
    ga = [s for s in snap.schedules if s.role_definition_id == GLOBAL_ADMIN_ROLE_ID]
    bounded = [s for s in ga if s.end is not None or s.assignment_type == "Activated"]
    if not bounded:
        yield _finding(
            snap, "role.global_admin", "ok", "Global Administrator, permanently active at /."
        )
        return
    item = bounded[0]
    detail = f"ends {item.end:%Y-%m-%d %H:%M} UTC" if item.end else "activated from eligibility"
    yield _finding(
        snap,
        "role.global_admin",
        "error",
        f"Global Administrator is time-bound ({detail}); the account loses it then.",
        evidence=f"roleAssignmentSchedule {item.id}: type {item.assignment_type or '?'}, {detail}.",
        fix=fix,
    )


def check_sign_in(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """The last successful sign-in was a drill, or a sign-in bgwizard made and logged (set-up
    verification, rotation check, passkey check), or a recorded real use; otherwise it is
    unexplained use."""
    if not snap.object_id or snap.user is None or isinstance(snap.user, Unread):
        return
    last = snap.last_success
    if isinstance(last, Unread):
        yield _not_checked(snap, "signin.unexplained", last)
        return
    if last is None:
        yield _finding(snap, "signin.unexplained", "ok", "Never signed in.")
        return
    seen = f"signInActivity.lastSuccessfulSignInDateTime is {last:%Y-%m-%d %H:%M} UTC."
    if snapshot.drills is None:
        yield _finding(
            snap,
            "signin.unexplained",
            "info",
            f"Last successful sign-in on {last:%Y-%m-%d}; check it was a drill.",
            evidence=seen + " No signed drill log yet to compare with.",
            fix="If it was not a drill, treat it as a real use: rotate the password, investigate.",
        )
        return
    if isinstance(snapshot.drills, Unread):
        yield _not_checked(snap, "signin.unexplained", snapshot.drills)
        return
    records = [d for d in snapshot.drills if d.account == snap.object_id]
    drills = [d.when for d in records if d.kind == "drill"]
    if any(abs(last - when) <= DRILL_MATCH_WINDOW for when in drills):
        yield _finding(snap, "signin.unexplained", "ok", "The last sign-in was a logged drill.")
        return
    own = _product_sign_in(records, last)
    if own is not None:
        what = PRODUCT_SIGNINS[own.kind]
        yield _finding(
            snap,
            "signin.unexplained",
            "ok",
            f"The last sign-in was {what}, signed into the log.",
            evidence=f"{seen} Signed log entry {own.seq or '?'} ({own.kind}) records it at"
            f" {own.when:%Y-%m-%d %H:%M} UTC.",
        )
        return
    use = _recorded_use(records, last)
    if use is not None:
        yield _explained_by_use(snap, use, seen)
        return
    yield _finding(
        snap,
        "signin.unexplained",
        "error",
        f"Unexplained use: signed in on {last:%Y-%m-%d %H:%M} UTC with no drill, set-up,"
        " rotation or passkey check logged then.",
        evidence=seen,
        fix="Find out who used it and why; rotate the password and sheets afterwards.",
    )


def _product_sign_in(records: list[DrillRecord], last: dt.datetime) -> DrillRecord | None:
    """The logged sign-in bgwizard made closest to ``last``, within the window."""
    near = [
        r
        for r in records
        if r.kind in PRODUCT_SIGNINS and abs(last - r.when) <= PRODUCT_SIGNIN_WINDOW
    ]
    return min(near, key=lambda r: abs(last - r.when), default=None)


def _recorded_use(records: list[DrillRecord], last: dt.datetime) -> DrillRecord | None:
    """The latest recorded real use whose time span (plus a margin) holds ``last``."""
    uses = [
        r
        for r in records
        if r.kind == "use"
        and r.when - USE_MATCH_MARGIN <= last <= (r.until or r.when) + USE_MATCH_MARGIN
    ]
    return max(uses, key=lambda r: r.when, default=None)


def _explained_by_use(snap: AccountSnapshot, use: DrillRecord, seen: str) -> Finding:
    rotated = snap.account.last_rotation
    done = rotated is not None and rotated >= use.when.date()
    after = f" The profile records a rotation on {rotated:%Y-%m-%d}." if done and rotated else ""
    return _finding(
        snap,
        "signin.unexplained",
        "info",
        f"The last sign-in is a recorded real use on {use.when:%Y-%m-%d}; rotate if not done.",
        evidence=f"{seen} A signed 'use' entry covers it.{after}",
        fix="" if done else "Rotate the password and sheets (bgwizard: Rotate).",
    )


def check_last_drill(snapshot: AuditSnapshot) -> Finding:
    """The quarterly drill happened within 90 days (error if never, once the log exists)."""
    if snapshot.drills is None:
        last = snapshot.last_drill
        said = f"The profile records the last drill on {last:%Y-%m-%d}." if last else ""
        return Finding(
            "drill.last",
            "info",
            "Drills are not checked yet: the signed drill log is not set up.",
            evidence=said or "The profile records no drill.",
            fix="Run a drill every 90 days.",
        )
    if isinstance(snapshot.drills, Unread):
        return unread_finding(None, "drill.last", snapshot.drills)
    drills = [d for d in snapshot.drills if d.kind == "drill"]
    if not drills:
        return Finding(
            "drill.last",
            "error",
            "No drill was ever run: nobody knows the accounts still work.",
            evidence="The signed drill log has no entries.",
            fix="Run the quarterly drill now.",
        )
    latest = max(d.when for d in drills)
    age = (snapshot.now - latest).days
    evidence = f"Last drill on {latest:%Y-%m-%d}, {age} days ago."
    if age > DRILL_INTERVAL_DAYS:
        return Finding(
            "drill.last",
            "warning",
            f"The last drill is {age} days old (more than {DRILL_INTERVAL_DAYS}).",
            evidence=evidence,
            fix="Run the quarterly drill now.",
        )
    return Finding("drill.last", "ok", "Drilled within 90 days.", evidence=evidence)
