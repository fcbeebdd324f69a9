"""The quarterly drill as data: the checklist, each item's recorded result, the verdict.

Pure. Three phases — before, during, after — each with items. Manual items are what the
operator records (who was notified, the ticket…); automatic items are what bgwizard checked
(token, role, policies, audit, sign-in evidence). Every item ends up recorded: passed, failed
(with what to fix), recorded (a fact written down), a warning (passes, but says what to fix),
or not run (never counted as a pass).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Literal

from bgwizard.ledger.chain import Entry, JsonValue
from bgwizard.ledger.fields import made_printable
from bgwizard.profile.model import DRILL_INTERVAL_DAYS

Phase = Literal["before", "during", "after"]
Status = Literal["pending", "pass", "fail", "recorded", "not_run", "warn"]
Outcome = Literal["pass", "fail", "incomplete"]
PHASES: Final[tuple[Phase, ...]] = ("before", "during", "after")


@dataclass(frozen=True)
class ItemSpec:
    """One checklist item: what it asks, what the operator records, what fixes a failure."""

    id: str
    phase: Phase
    title: str
    automatic: bool = False
    """Checked by bgwizard rather than recorded by the operator."""
    fields: tuple[str, ...] = ()
    """What the operator writes down (manual items)."""
    confirm: str = ""
    """A yes/no question for the operator; "no" fails the item."""
    fix: str = ""
    """What to do when the item fails (may be refined by the check)."""


def _m(
    item_id: str, phase: Phase, title: str, fields: tuple[str, ...] = (), confirm: str = "",
    fix: str = "",
) -> ItemSpec:  # fmt: skip
    return ItemSpec(item_id, phase, title, False, fields, confirm, fix)


def _a(item_id: str, phase: Phase, title: str, fix: str) -> ItemSpec:
    return ItemSpec(item_id, phase, title, True, (), "", fix)


CHECKLIST: Final[tuple[ItemSpec, ...]] = (
    _m("notified", "before", "Security team notified", ("who", "how", "when")),
    _m("window", "before", "Test window agreed", ("start", "end")),
    _m("ticket", "before", "Ticket or incident number", ("number",)),
    _m("operator", "before", "Operator", ("name",)),
    _m("sheet_retrieved", "before", "Sheet retrieved from its location", ("location", "by")),
    _m("people_current", "before", "Authorised-people list is current",
       confirm="Is the list of people allowed to open the safe current?",
       fix="Update the authorised-people list and the runbook before the next drill."),
    _m("runbook_current", "before", "Runbook is current",
       confirm="Does the printed runbook match the current set-up?",
       fix="Print the runbook again (bgwizard print runbook) and replace the old copies."),
    _m("safe_changed", "before", "Safe combination changed when people left",
       confirm="Was the safe combination changed after everyone who left?",
       fix="Change the safe combination now and record who holds it."),
    _a("serial", "during", "Sheet serial is current",
       "Use the current sheet; if this one is lost or stale, rotate the password and print "
       "new sheets."),
    _a("signin", "during", "Signed in with the sheet's password or the security key",
       "Rotate the password (set-up step 'Password') and print new sheets, then drill again."),
    _a("portal_signin", "during", "Portal-ready sign-in (passkey)",
       "Register a FIDO2 security key on the account (Passkeys) and sign in with it in the "
       "next drill: since mandatory MFA the admin portals refuse a password-only sign-in."),
    _a("token_account", "during", "Token is for the break glass account",
       "Sign in again in a private browser window with the account from the sheet."),
    _a("global_admin", "during", "Global Administrator is active (wids)",
       "Re-run set-up step 'Global Administrator': a permanent, active assignment."),
    _a("ca_readable", "during", "Entra reachable and Conditional Access readable",
       "Check the account's role and the network path to Microsoft Graph."),
    _a("audit_rules", "during", "Audit account and Conditional Access rules pass",
       "Run the audit and fix each finding it lists."),
    _a("no_changes", "after", "No changes made by the account in the window",
       "Review the listed changes in the directory audit log; undo them if unplanned."),
    _a("signin_evidence", "after", "Sign-in found in the logs",
       "Grant AuditLog.Read.All (the sign-in log needs Entra ID P1) or wait for the logs "
       "(up to 15 minutes), then check again."),
    _m("alert", "after", "Alert arrived", ("time",),
       confirm="Did the sign-in alert arrive?",
       fix="Fix the alert rule (Monitoring screen) and test it before the next drill."),
    _m("sheet_returned", "after", "Sheet returned and sealed", ("seal",),
       confirm="Is the sheet back in its location and sealed?",
       fix="Return and seal the sheet now; if it is lost, rotate the password."),
)  # fmt: skip
SPECS: Final[dict[str, ItemSpec]] = {spec.id: spec for spec in CHECKLIST}


@dataclass(frozen=True)
class ItemResult:
    """What was recorded for one item."""

    id: str
    status: Status = "pending"
    detail: str = ""
    """One sentence: what was checked or recorded."""
    evidence: dict[str, str] = field(default_factory=dict)
    """Facts behind it (request id, IP, time, fields the operator typed)."""
    fix: str = ""
    """What to do, for failed items."""
    at: str = ""
    """When it was recorded (UTC, ISO 8601)."""

    def to_json(self) -> dict[str, JsonValue]:
        """The item as it goes into the signed log."""
        spec = SPECS[self.id]
        return {
            "id": self.id, "phase": spec.phase, "title": spec.title, "status": self.status,
            "detail": self.detail, "evidence": dict(self.evidence), "fix": self.fix, "at": self.at,
        }  # fmt: skip


def passed(item_id: str, detail: str, **evidence: str) -> ItemResult:
    """A passed item."""
    return ItemResult(item_id, "pass", detail, evidence)


def failed(item_id: str, detail: str, fix: str = "", **evidence: str) -> ItemResult:
    """A failed item; ``fix`` defaults to the checklist's advice."""
    return ItemResult(item_id, "fail", detail, evidence, fix or SPECS[item_id].fix)


def warned(item_id: str, detail: str, fix: str = "", **evidence: str) -> ItemResult:
    """An item that does not fail the drill but needs attention; ``fix`` says what to do."""
    return ItemResult(item_id, "warn", detail, evidence, fix or SPECS[item_id].fix)


def not_run(item_id: str, why: str) -> ItemResult:
    """An item that could not be checked (never a pass)."""
    return ItemResult(item_id, "not_run", why, {}, SPECS[item_id].fix)


def record_manual(item_id: str, values: dict[str, str], answer: bool | None = None) -> ItemResult:
    """Record a manual item from what the operator typed (and their yes/no answer).

    Missing fields leave the item failed with a request to fill them in; a "no" fails it with the
    checklist's fix.
    """
    spec = SPECS[item_id]
    missing = [name for name in spec.fields if not values.get(name, "").strip()]
    evidence = {k: v.strip() for k, v in values.items() if v.strip()}
    if spec.confirm and answer is None:
        return ItemResult(item_id, "pending", "Not answered yet.", evidence)
    if spec.confirm and answer is False:
        return failed(item_id, f"No: {spec.confirm}", **evidence)
    if missing:
        detail = "Missing: " + ", ".join(missing) + "."
        return ItemResult(item_id, "fail", detail, evidence, f"Record the {', '.join(missing)}.")
    summary = "; ".join(f"{k} {v}" for k, v in evidence.items()) or "Yes."
    return ItemResult(item_id, "pass" if spec.confirm else "recorded", summary, evidence)


@dataclass(frozen=True)
class Drill:
    """One drill in progress or finished: the account, the items recorded, the notes."""

    account_upn: str
    account_id: str
    started: dt.datetime
    items: dict[str, ItemResult] = field(default_factory=dict)
    notes: str = ""
    finished: dt.datetime | None = None

    def record(self, result: ItemResult, when: dt.datetime) -> Drill:
        """A copy with ``result`` recorded at ``when``."""
        stamped = replace(result, at=_stamp(when))
        return replace(self, items={**self.items, result.id: stamped})

    def item(self, item_id: str) -> ItemResult:
        """The recorded result of an item (pending when nothing was recorded)."""
        return self.items.get(item_id, ItemResult(item_id))

    def phase_items(self, phase: Phase) -> list[ItemResult]:
        """Every item of ``phase`` in checklist order."""
        return [self.item(spec.id) for spec in CHECKLIST if spec.phase == phase]

    @property
    def outcome(self) -> Outcome:
        """``fail`` on any failed item, ``incomplete`` while one is pending or not run, or pass."""
        statuses = [self.item(spec.id).status for spec in CHECKLIST]
        if "fail" in statuses:
            return "fail"
        if "pending" in statuses or "not_run" in statuses:
            return "incomplete"
        return "pass"

    def warnings(self) -> list[ItemResult]:
        """Items recorded as warnings (they do not fail the drill), each with its fix."""
        return [i for i in map(self.item, SPECS) if i.status == "warn"]

    def failures(self) -> list[ItemResult]:
        """Failed and not-run items, each with its fix."""
        return [i for i in map(self.item, SPECS) if i.status in ("fail", "not_run")]

    def finish(self, when: dt.datetime, notes: str = "") -> Drill:
        """A copy marked finished; pending items become "not run" so nothing reads as passed."""
        items = dict(self.items)
        for spec in CHECKLIST:
            if self.item(spec.id).status == "pending":
                items[spec.id] = replace(
                    not_run(spec.id, "Not done in this drill."), at=_stamp(when)
                )
        return replace(self, items=items, notes=notes or self.notes, finished=when)

    def next_due(self) -> dt.date:
        """The next drill is due 90 days after this one started."""
        return next_due(self.started.date())

    def to_log_data(self) -> dict[str, JsonValue]:
        """The ``data`` of the drill's signed log entry, every text made printable (evidence
        read from the tenant may hold a control character; the entry is kept, escaped)."""
        data: dict[str, JsonValue] = {
            "account": self.account_upn,
            "account_id": self.account_id,
            "started": _stamp(self.started),
            "finished": _stamp(self.finished) if self.finished else "",
            "result": self.outcome,
            "next_due": self.next_due().isoformat(),
            "notes": self.notes,
            "items": [self.item(spec.id).to_json() for spec in CHECKLIST],
        }
        return {key: made_printable(value) for key, value in data.items()}


@dataclass(frozen=True)
class RecordedDrill:
    """A drill (or a rotation, or a real use) written to the signed log."""

    entry: Entry
    head: str
    """SHA-256 of the new last line: note it to detect entries cut off later (``--head``)."""
    log_path: Path
    next_due: dt.date | None
    """The profile's next due date after this entry."""


def next_due(last: dt.date) -> dt.date:
    """The day a drill is due after one on ``last`` (+90 days)."""
    return last + dt.timedelta(days=DRILL_INTERVAL_DAYS)


def is_overdue(last: dt.date | None, today: dt.date) -> bool:
    """Whether a drill is overdue (never drilled counts as overdue)."""
    return last is None or today > next_due(last)


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
