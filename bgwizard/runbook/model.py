"""What the offline runbook says: the facts templates are filled with. Pure data, no secrets.

The context is built from the profile and the drill history. There is no field for a password
anywhere in it, by construction: the runbook says *where* the sheets are and *who* holds them,
never what is on them. Templates (``bgwizard.runbook_templates``) turn it into Markdown; the
services turn that into a PDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Final

from bgwizard.profile.model import DRILL_INTERVAL_DAYS, BreakGlassAccount, Profile
from bgwizard.runbook.markdown import PAGE_BREAK

ENTRA_ADMIN_CENTER: Final = "https://entra.microsoft.com"
AZURE_PORTAL: Final = "https://portal.azure.com"
DEVICE_LOGIN: Final = "https://microsoft.com/devicelogin"
RESULT_PASS: Final = "pass"
RESULT_FAIL: Final = "fail"
RECENT_DRILLS: Final = 8
"""How many drills the drill record lists (newest first)."""
NOT_RECORDED: Final = "(not recorded)"

RUNBOOK_SECTIONS: Final = (
    "emergency_procedure.md.j2",
    "account_register.md.j2",
    "drill_record.md.j2",
    "contacts.md.j2",
)
"""The packaged templates of the full runbook, in binder order."""
CHECKLIST_SECTIONS: Final = ("drill_checklist.md.j2",)
"""The blank pen-and-paper drill checklist alone."""
DOCUMENTS: Final = {"runbook": RUNBOOK_SECTIONS, "checklist": CHECKLIST_SECTIONS}
"""Document id → its sections (template names)."""
DOCUMENT_TITLES: Final = {"runbook": "Break glass runbook", "checklist": "Drill checklist"}


@dataclass(frozen=True)
class DrillRecord:
    """One drill as the runbook lists it (from the signed log, or the profile's last drill)."""

    date: dt.date
    operator: str = NOT_RECORDED
    result: str = RESULT_PASS
    """``pass`` or ``fail`` (any other word is shown as it is)."""
    notes: str = ""
    account: str = ""
    """UPN of the account drilled, when the log says."""

    @property
    def passed(self) -> bool:
        """Whether the drill passed."""
        return self.result.lower() == RESULT_PASS


@dataclass(frozen=True)
class AccountEntry:
    """One break glass account as the register and the procedure show it."""

    upn: str
    object_id: str
    serials: tuple[str, ...]
    """Serials of the current (not retired) paper sheets."""
    retired_serials: tuple[str, ...]
    locations: tuple[str, ...]
    custodians: tuple[str, ...]
    created: dt.date | None
    last_rotation: dt.date | None
    sign_in_method: str
    """``passkey`` or ``password`` (from the paper sheet)."""


@dataclass(frozen=True)
class RunbookContext:
    """Everything a runbook template may print. Deliberately has no credential field."""

    tenant_name: str
    tenant_id: str
    initial_domain: str
    accounts: tuple[AccountEntry, ...]
    contacts: tuple[str, ...]
    drills: tuple[DrillRecord, ...]
    """Recent drills, newest first."""
    last_drill: dt.date | None
    """Day of the last passed drill."""
    next_due: dt.date
    """Day the next drill is due (today when none was ever run)."""
    printed_on: dt.date
    sign_in_urls: tuple[tuple[str, str], ...]
    """(label, URL) pairs, in the order to try them."""
    demo: bool = False
    interval_days: int = DRILL_INTERVAL_DAYS
    custodians: tuple[str, ...] = field(default=())
    """Everyone who holds a sheet, each once."""
    drill_log_note: str = ""
    """Why the signed log could not be used (does not verify, unreadable), or empty."""
    log_head: str = ""
    """The signed log's head after the last entry this profile recorded: all 64 hex digits, so
    ``bgwizard log verify --head`` can check that nothing was cut off since ('' before one)."""

    @property
    def tenant_label(self) -> str:
        """The tenant as the page header names it."""
        name = self.tenant_name or self.initial_domain or "Unnamed tenant"
        return f"{name} ({self.tenant_id})" if self.tenant_id else name

    @property
    def overdue(self) -> bool:
        """Whether the next drill is past due on the day of printing."""
        return self.last_drill is None or self.next_due < self.printed_on

    @property
    def days_to_due(self) -> int:
        """Days from printing until the next drill is due (negative when overdue)."""
        return (self.next_due - self.printed_on).days

    def as_template_vars(self) -> dict[str, object]:
        """The names templates see: every field and property, by name."""
        names = [f.name for f in fields(self)] + ["tenant_label", "overdue", "days_to_due"]
        return {name: getattr(self, name) for name in names}


def account_entry(account: BreakGlassAccount, passkeys: Iterable[str] = ()) -> AccountEntry:
    """The runbook's view of ``account``.

    Args:
        account: the profile's account.
        passkeys: UPNs (any case) whose sign-in is a passkey rather than the paper password.

    Returns:
        The entry.
    """
    keyed = {upn.lower() for upn in passkeys}
    return AccountEntry(
        upn=account.upn,
        object_id=account.object_id,
        serials=tuple(account.current_serials),
        retired_serials=tuple(s.serial for s in account.sheets if s.retired is not None),
        locations=tuple(account.locations),
        custodians=tuple(account.custodians),
        created=account.created,
        last_rotation=account.last_rotation,
        sign_in_method="passkey" if account.upn.lower() in keyed else "password",
    )


def last_passed(drills: Sequence[DrillRecord], recorded: dt.date | None) -> dt.date | None:
    """The day of the last passed drill: the log's newest pass or the profile's, the later.

    Args:
        drills: the drill history (any order).
        recorded: the profile's ``last_drill``.

    Returns:
        The day, or None when no drill ever passed.
    """
    days = [d.date for d in drills if d.passed]
    if recorded is not None:
        days.append(recorded)
    return max(days, default=None)


def sign_in_urls(profile: Profile) -> tuple[tuple[str, str], ...]:
    """Where to sign in, in order: the emulator in demo mode, Microsoft's portals otherwise."""
    if profile.demo:
        return (("Demo tenant (emulator)", profile.authority_host),)
    return (
        ("Microsoft Entra admin center", ENTRA_ADMIN_CENTER),
        ("Azure portal", AZURE_PORTAL),
        ("Device code sign-in (only where the tenant allows device code)", DEVICE_LOGIN),
    )


def build_context(
    profile: Profile,
    drills: Sequence[DrillRecord],
    today: dt.date,
    *,
    passkeys: Iterable[str] = (),
    drill_log_note: str = "",
) -> RunbookContext:
    """The runbook's facts for ``profile`` on ``today``.

    Args:
        profile: the tenant's profile.
        drills: the drill history (any order); the newest ``RECENT_DRILLS`` are listed.
        today: the printing day.
        passkeys: UPNs that sign in with a passkey.
        drill_log_note: why the signed log could not be read, printed on the drill record.

    Returns:
        The context.
    """
    newest = tuple(sorted(drills, key=lambda d: d.date, reverse=True)[:RECENT_DRILLS])
    last = last_passed(drills, profile.last_drill)
    accounts = tuple(account_entry(a, passkeys) for a in profile.accounts)
    holders = dict.fromkeys(c for a in accounts for c in a.custodians if c.strip())
    return RunbookContext(
        tenant_name=profile.tenant_name,
        tenant_id=profile.tenant_id,
        initial_domain=profile.initial_domain,
        accounts=accounts,
        contacts=tuple(c for c in profile.contacts if c.strip()),
        drills=newest,
        last_drill=last,
        next_due=today if last is None else last + dt.timedelta(days=DRILL_INTERVAL_DAYS),
        printed_on=today,
        sign_in_urls=sign_in_urls(profile),
        demo=profile.demo,
        custodians=tuple(holders),
        drill_log_note=drill_log_note,
        log_head=profile.drill.head,
    )


def profile_drills(profile: Profile) -> list[DrillRecord]:
    """The drill history the profile alone knows: its ``last_drill``, when there is one."""
    if profile.last_drill is None:
        return []
    return [DrillRecord(profile.last_drill, NOT_RECORDED, RESULT_PASS, "from the profile")]


@dataclass(frozen=True)
class RunbookDocument:
    """A rendered document: the runbook or the checklist, as Markdown sections."""

    kind: str
    """``runbook`` or ``checklist``."""
    title: str
    sections: tuple[str, ...]
    """One Markdown text per template, in order."""
    context: RunbookContext

    def markdown(self) -> str:
        """The whole document as one Markdown file (sections split by page-break comments)."""
        head = (
            f"{self.title} · {self.context.tenant_label}"
            f" · printed on {self.context.printed_on.isoformat()}"
        )
        body = f"\n{PAGE_BREAK}\n\n".join(self.sections)
        return f"{head}\n\n---\n\n{body}"


class RenderedRunbook:
    """PDF bytes of a runbook or checklist, with its page count."""

    __slots__ = ("data", "pages", "title")

    def __init__(self, data: bytes, title: str, pages: int) -> None:
        self.data = data
        """The PDF file's bytes."""
        self.title = title
        self.pages = pages

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"RenderedRunbook(title={self.title!r}, pages={self.pages}, {len(self.data)} bytes)"
