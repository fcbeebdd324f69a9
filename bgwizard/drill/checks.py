"""The drill's automatic checks as pure rules: what was read in, a recorded item out.

Each function takes what the drill service read from the tenant (or an ``Unread`` with the
reason it could not be read) and returns the item's result. A read that failed is "not run",
never a pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bgwizard.audit.model import AuditReport, Finding, Unread
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.drill.model import ItemResult, failed, not_run, passed, warned
from bgwizard.graph.model import AuditRecord, CaPolicy, SignInRecord
from bgwizard.profile.model import BreakGlassAccount

_CLOCK_SKEW = dt.timedelta(minutes=5)
DRILL_AUDIT_RULES: Final = ("account.", "role.", "password.", "auth.", "ca.")
"""The audit's account and CA rules the drill re-checks (not the drill and sign-in rules, which
the drill itself is about to satisfy)."""


def check_serial(account: BreakGlassAccount, serial: str) -> ItemResult:
    """The serial the operator reads from the sheet must be a current one of this account."""
    typed = serial.strip().upper()
    if not typed:
        return failed("serial", "No serial was entered.", "Type the serial printed on the sheet.")
    sheet = next((s for s in account.sheets if s.serial.upper() == typed), None)
    if sheet is None:
        return failed(
            "serial", f"Serial {typed} is not a sheet of {account.upn}.",
            "This is not one of the account's sheets: find the right one, or rotate the "
            "password and print new sheets if the current sheets are missing.",
            serial=typed,
        )  # fmt: skip
    if sheet.retired is not None:
        return failed(
            "serial", f"Serial {typed} was retired on {sheet.retired.isoformat()}.",
            "Destroy this retired sheet; use a current one (or print new sheets). The password "
            "on it must no longer work.",
            serial=typed, retired=sheet.retired.isoformat(),
        )  # fmt: skip
    return passed("serial", f"Serial {typed} is a current sheet.", serial=typed)


def check_token(identity: SignedInIdentity, account: BreakGlassAccount) -> ItemResult:
    """The token's ``oid`` must be the account's object id (not just a matching UPN)."""
    evidence = {"oid": identity.object_id, "upn": identity.upn, "tid": identity.tenant_id}
    if not account.object_id:
        return not_run("token_account", f"The profile has no object id for {account.upn}.")
    if identity.object_id != account.object_id:
        return failed(
            "token_account",
            f"The token is for {identity.upn} ({identity.object_id}), not {account.upn}.",
            **evidence,
        )
    return passed("token_account", f"The token is for {account.upn}.", **evidence)


def amr_of(identity: SignedInIdentity) -> tuple[str, ...]:
    """The token's ``amr`` claim (how the person authenticated), lower case."""
    raw = identity.extra.get("amr")
    values = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list | tuple) else ()
    return tuple(str(v).lower() for v in values)


def sign_in_method(identity: SignedInIdentity) -> str:
    """How the account signed in, in words: the security key, password and MFA, or password."""
    amr = amr_of(identity)
    if "fido" in amr:
        return "FIDO2 security key"
    if "mfa" in amr:
        return "multifactor (" + ", ".join(amr) + ")"
    if "pwd" in amr:
        return "password"
    return "not stated in the token"


def check_portal_sign_in(identity: SignedInIdentity) -> ItemResult:
    """Since mandatory MFA the admin portals need a multifactor sign-in; a passkey is the one
    meant for break glass accounts. ``fido`` in ``amr`` passes; password only is a warning."""
    amr = amr_of(identity)
    evidence = {"method": sign_in_method(identity), "amr": ", ".join(amr) or "none"}
    if "fido" in amr:
        return passed(
            "portal_signin",
            "Signed in with the FIDO2 security key: the admin portals accept this sign-in.",
            **evidence,
        )
    if "mfa" in amr:
        return passed(
            "portal_signin",
            "Signed in with multifactor authentication, but not with a security key: the "
            "portals accept it; a passkey is the method meant for break glass accounts.",
            **evidence,
        )
    if "pwd" in amr:
        return warned(
            "portal_signin", "Password only: the admin portals will refuse it.", **evidence
        )
    return warned(
        "portal_signin", "The token does not say how the account signed in (no amr claim).",
        **evidence,
    )  # fmt: skip


def check_global_admin(identity: SignedInIdentity) -> ItemResult:
    """The token's ``wids`` must hold Global Administrator (active, not merely eligible)."""
    roles = ", ".join(identity.role_ids) or "none"
    if GLOBAL_ADMIN_ROLE_ID in identity.role_ids:
        return passed("global_admin", "Global Administrator is active in the token.", wids=roles)
    return failed(
        "global_admin",
        "The token carries no Global Administrator role (removed, or only eligible).",
        wids=roles,
    )


def check_ca_readable(policies: Sequence[CaPolicy] | Unread) -> ItemResult:
    """Conditional Access policies must be readable with the break glass token."""
    if isinstance(policies, Unread):
        return failed("ca_readable", f"Policies could not be read: {policies.reason}")
    return passed(
        "ca_readable",
        f"Read {len(policies)} Conditional Access policies.",
        count=str(len(policies)),
    )


def check_audit(report: AuditReport | Unread | None, account_id: str) -> ItemResult:
    """The audit's account and CA rules must pass for this account.

    None (the audit is not available) and an audit that could not run are "not run".
    """
    if report is None:
        return not_run("audit_rules", "The audit rules are not available in this version.")
    if isinstance(report, Unread):
        return not_run("audit_rules", f"The audit could not run: {report.reason}")
    mine = [
        f for f in report.findings
        if f.account == account_id and f.rule.startswith(DRILL_AUDIT_RULES)
    ]  # fmt: skip
    errors = [f for f in mine if f.severity == "error"]
    if errors:
        fixes = " ".join(dict.fromkeys(f.fix for f in errors if f.fix))
        return failed(
            "audit_rules", _summary(errors), fixes,
            rules=", ".join(sorted({f.rule for f in errors})),
        )  # fmt: skip
    unchecked = [f for f in mine if f.severity == "not_checked"]
    if unchecked:
        return not_run("audit_rules", "Not checked: " + "; ".join(f.message for f in unchecked))
    ok = sum(f.severity == "ok" for f in mine)
    return passed("audit_rules", f"{ok} audit checks pass for the account.", passed=str(ok))


def _summary(errors: Sequence[Finding]) -> str:
    """Distinct messages, each with the policies it concerns (at most five named)."""
    by_message: dict[str, list[str]] = {}
    for finding in errors:
        names = by_message.setdefault(finding.message.rstrip("."), [])
        if finding.policy is not None:
            names.append(finding.policy.display_name)
    parts = []
    for message, names in by_message.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        parts.append(f"{message}: {shown}" if names else message)
    return "; ".join(parts) + "."


def check_no_changes(
    records: Sequence[AuditRecord] | Unread,
    account: BreakGlassAccount,
    start: dt.datetime,
    end: dt.datetime,
) -> ItemResult:
    """The account must have made no directory changes between ``start`` and ``end``."""
    if isinstance(records, Unread):
        return not_run("no_changes", f"The directory audit log could not be read: {records.reason}")
    upn = account.upn.casefold()
    changes = [
        r for r in records
        if r.initiated_by.casefold() in (upn, account.object_id)
        and r.when is not None and start - _CLOCK_SKEW <= r.when <= end + _CLOCK_SKEW
    ]  # fmt: skip
    if changes:
        listed = "; ".join(f"{r.activity} at {_iso(r.when)}" for r in changes[:5])
        return failed(
            "no_changes", f"The account made {len(changes)} change(s): {listed}.",
            ids=", ".join(r.id for r in changes),
        )  # fmt: skip
    return passed(
        "no_changes", f"No directory changes by {account.upn} in the window.",
        window=f"{_iso(start)} – {_iso(end)}", records_read=str(len(records)),
    )  # fmt: skip


def check_sign_in_evidence(
    sign_ins: Sequence[SignInRecord] | Unread,
    last_success: dt.datetime | Unread | None,
    start: dt.datetime,
    end: dt.datetime,
    own_sign_in: OwnSignIn | None = None,
) -> ItemResult:
    """Find the drill's sign-in: the sign-in log (request id, IP, time), else ``signInActivity``;
    in a tenant whose licence has neither (Entra ID Free), the drill's own sign-in (the
    account's token) is the evidence, and the result says what is missing and why."""
    low, high = start - _CLOCK_SKEW, end + _CLOCK_SKEW
    if not isinstance(sign_ins, Unread):
        found = [s for s in sign_ins if s.succeeded and s.created and low <= s.created <= high]
        if found:
            first = min(found, key=lambda s: s.created or end)
            detail = f"Sign-in {first.id} at {_iso(first.created)} from {first.ip_address}."
            return passed(
                "signin_evidence", detail,
                source="signIns", request_id=first.id, ip=first.ip_address,
                time=_iso(first.created), app=first.app_display_name,
            )  # fmt: skip
    if isinstance(last_success, dt.datetime) and low <= last_success <= high:
        why = "" if not isinstance(sign_ins, Unread) else f" (sign-in log: {sign_ins.reason})"
        detail = f"signInActivity shows a successful sign-in at {_iso(last_success)}{why}."
        return passed(
            "signin_evidence", detail,
            source="signInActivity", time=_iso(last_success),
        )  # fmt: skip
    unlicensed = _unlicensed(sign_ins, last_success)
    if unlicensed and own_sign_in is not None and low <= own_sign_in.when <= high:
        detail = (
            f"The drill's own sign-in is the evidence: a token for {own_sign_in.upn} (object id "
            f"{own_sign_in.object_id}) issued at {_iso(own_sign_in.when)}. Missing: the sign-in "
            f"log and signInActivity, which need {unlicensed} (this tenant does not have it)."
        )
        return passed(
            "signin_evidence", detail,
            source="token", time=_iso(own_sign_in.when), missing=f"sign-in log ({unlicensed})",
        )  # fmt: skip
    if isinstance(sign_ins, Unread) and not isinstance(last_success, dt.datetime | type(None)):
        return not_run("signin_evidence", f"Neither log could be read: {sign_ins.reason}")
    return failed(
        "signin_evidence", "No successful sign-in of the account in the window was found."
    )


@dataclass(frozen=True)
class OwnSignIn:
    """The drill's own sign-in as the break glass account (from its token's claims)."""

    upn: str
    object_id: str
    when: dt.datetime


def _unlicensed(
    sign_ins: Sequence[SignInRecord] | Unread, last_success: dt.datetime | Unread | None
) -> str:
    """The licence both logs need, when the tenant lacks it for both ('' otherwise)."""
    if not isinstance(sign_ins, Unread) or not isinstance(last_success, Unread):
        return ""
    return sign_ins.licence if sign_ins.licence and last_success.licence else ""


def _iso(when: dt.datetime | None) -> str:
    if when is None:
        return "?"
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
