"""``SheetService``: what the credential-sheet screen and the CLI call.

Generate a password, lay out the sheet, draw the PDF in memory, send it to the spooler or a
file the user named, compare a read-back, record the serial in the profile. The password only
ever travels as a ``Secret``; PDF bytes travel as a ``RenderedSheet`` (both redacted in
tracebacks), and failures inside the PDF library are replaced by a one-sentence error whose
traceback holds none of the library's frames (their locals hold the characters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from bgwizard.errors import PrintError, SheetError
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.secret import Secret
from bgwizard.sheets.cups import PrintSystem
from bgwizard.sheets.jobs import JobStatus, PrintJob, PrintQueue, SpoolCheck, parse_request_id
from bgwizard.sheets.model import (
    DEFAULT_COPIES,
    DEFAULT_SIGN_IN_URL,
    NO_LP,
    PAPER_SIZES,
    SHEET_SPOOLERS,
    PinSheet,
    ReadBack,
    RenderedSheet,
    SheetContent,
    Spooler,
    compare_readback,
    new_serial,
    security_key_line,
)
from bgwizard.sheets.password import PasswordPolicy, generate_password
from bgwizard.sheets.pdf import register_fonts, render_sheet
from bgwizard.sheets.pin_sheet import render_pin_sheet
from bgwizard.sheets.printing import find_spooler, save_to_path, send_to_spooler

JOB_TITLE: Final = "sheet {serial}"
"""Print queue title: neutral, never the account or the password."""
JOB_WAIT_SECONDS: Final = 120.0
"""How long ``wait_for_job`` follows a job before it reports where it stands."""


class SheetService:
    """Credential sheets for break glass accounts."""

    def __init__(
        self,
        *,
        spoolers: Sequence[str] = SHEET_SPOOLERS,
        printer: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        serials: Callable[[], str] = new_serial,
        print_system: PrintSystem | None = None,
    ) -> None:
        """Configure the service.

        Args:
            spoolers: spooler commands to look for on ``PATH``, in order.
            printer: destination printer name, or None for the system default.
            today: the clock (tests pin it).
            serials: makes a new sheet serial (tests pin it).
            print_system: the CUPS scheduler the jobs are followed on (found when None).
        """
        self._spoolers = tuple(spoolers)
        self._printer = printer
        self._today = today
        self._serials = serials
        self._cups = print_system or PrintSystem()

    def warm_up(self) -> None:
        """Import reportlab and load the fonts (~0.8 s cold) so the first draw is quick."""
        register_fonts()

    def new_password(self, policy: PasswordPolicy | None = None) -> Secret:
        """A fresh random password (see ``bgwizard.sheets.password``)."""
        return generate_password(policy)

    def build(
        self,
        profile: Profile,
        account: BreakGlassAccount,
        password: Secret,
        *,
        locations: Sequence[str] | None = None,
        include_qr: bool | None = None,
        test_page: bool = False,
    ) -> SheetContent:
        """Lay out a new sheet (new serial) for ``account``.

        Args:
            profile: the tenant's profile (tenant name and id, QR preference).
            account: the account the password belongs to.
            password: the password to print.
            locations: storage location of each copy; default the account's, two copies.
            include_qr: print the QR code; default the profile's ``sheet_qr``.
            test_page: mark every page as a test page that is not a credential.
        """
        places = list(locations if locations is not None else account.locations)
        places += [""] * (DEFAULT_COPIES - len(places))
        return SheetContent(
            serial=self._serials(),
            tenant_name=profile.tenant_name,
            tenant_id=profile.tenant_id,
            upn=account.upn,
            object_id=account.object_id,
            generated=self._today(),
            password=password,
            locations=tuple(places),
            include_qr=profile.sheet_qr if include_qr is None else include_qr,
            sign_in_url=profile.authority_host if profile.demo else DEFAULT_SIGN_IN_URL,
            test_page=test_page,
            security_keys=tuple(
                security_key_line(k) for k in account.security_keys if k.retired is None
            ),
        )

    def render(self, content: SheetContent, paper: str = "a4") -> RenderedSheet:
        """Draw the PDF in memory.

        Raises:
            SheetError: unknown paper size, or the PDF library failed.
        """
        return _draw("sheet", lambda: render_sheet(content, paper), paper)

    def render_pin(self, sheet: PinSheet, paper: str = "a4") -> RenderedSheet:
        """Draw a security key's PIN sheet in memory.

        Raises:
            SheetError: unknown paper size, or the PDF library failed.
        """
        return _draw("PIN sheet", lambda: render_pin_sheet(sheet, paper), paper)

    def spooler(self) -> Spooler | None:
        """The print spooler found on ``PATH``, or None (then offer saving to a file)."""
        return find_spooler(self._spoolers)

    def printers(self) -> list[PrintQueue]:
        """The print system's queues, the default marked (empty: nowhere to print).

        Raises:
            PrintError: the scheduler is not running or cannot be reached.
        """
        return self._cups.queues()

    def print_risks(self, queue: str | None = None) -> list[str]:
        """What the operator should know before a secret goes to ``queue``, one sentence each:
        the print system keeps printed documents, the queue is a network printer, or it is
        stopped or refusing jobs. Empty when there is nothing to say.

        Raises:
            PrintError: the scheduler is not running, or ``queue`` does not exist.
        """
        queues = self._cups.queues()
        name = queue or self._printer or next((q.name for q in queues if q.is_default), "")
        chosen = next((q for q in queues if q.name == name), None)
        if chosen is None:
            raise PrintError(
                f"There is no printer called {name!r}; choose one of the printers listed."
                if name
                else "There is no default printer; choose a printer first."
            )
        risks = [self._cups.settings().sentence()]
        if chosen.network:
            risks.append(
                f"{chosen.name} is a network printer ({chosen.device_uri.split(':', 1)[0]}):"
                " the document crosses the network to reach it."
            )
        if not chosen.accepting:
            risks.append(f"{chosen.name} is not accepting jobs now.")
        if chosen.stopped:
            reason = f": {chosen.message}" if chosen.message else ""
            risks.append(f"{chosen.name} is stopped{reason}.")
        return [r for r in risks if r]

    def print_sheet(self, sheet: RenderedSheet, queue: str | None = None) -> PrintJob:
        """Send every copy to ``queue`` (default: the system's) in one job, on ``lp``'s stdin.

        Returns:
            The job the scheduler made; follow it with ``wait_for_job``.

        Raises:
            PrintError: no spooler, it refused the job, or it named no job.
        """
        spooler = self.spooler()
        if spooler is None:
            raise PrintError(NO_LP)
        said = send_to_spooler(
            sheet.data,
            JOB_TITLE.format(serial=sheet.serial),
            spooler=spooler,
            printer=queue or self._printer,
            paper=sheet.paper,
        )
        job = parse_request_id(said)
        if job is None:
            raise PrintError(
                "The print spooler did not say which job it made; check the printer's queue"
                " and remove the job there."
            )
        return job

    def wait_for_job(
        self, job: PrintJob, progress: Callable[[JobStatus], None] | None = None
    ) -> JobStatus:
        """Follow ``job`` until it printed, ended or needs the operator (held, stopped), or for
        ``JOB_WAIT_SECONDS``; each new status goes to ``progress``.

        Raises:
            PrintError: the scheduler cannot be reached or forgot the job.
        """
        return self._cups.wait(job, timeout=JOB_WAIT_SECONDS, progress=progress)

    def purge_job(self, job: PrintJob) -> SpoolCheck:
        """Cancel ``job`` if it has not ended, remove it and its document from the print system
        (``cancel -x``), then look in the spool folder for anything of it left.

        Raises:
            PrintError: the job could not be cancelled or purged.
        """
        self._cups.purge(job)
        left = self._cups.leftovers(job)
        return SpoolCheck(job, None if left is None else tuple(str(p) for p in left))

    def save_sheet(self, sheet: RenderedSheet, path: str | Path) -> Path:
        """Save the PDF to the path the user typed (new file, mode 0600).

        Raises:
            PrintError: the file exists or cannot be written.
        """
        return save_to_path(sheet.data, path)

    def check(self, content: SheetContent, typed: Sequence[str]) -> ReadBack:
        """Compare a typed read-back with the sheet, line by line."""
        return compare_readback(content, typed)

    def confirm(
        self, account: BreakGlassAccount, content: SheetContent, *, retire_current: bool = False
    ) -> SheetRecord:
        """Record a sheet that was printed and read back: serial and locations on ``account``.

        The caller saves the profile (``ProfileStore.save``).

        Args:
            account: the account (in the profile) the sheet belongs to.
            content: the sheet.
            retire_current: mark the account's current sheets retired today (rotation).

        Returns:
            The new record, appended to ``account.sheets``.
        """
        if retire_current:
            for old in account.sheets:
                if old.retired is None:
                    old.retired = content.generated
        record = content.record()
        if all(s.serial != record.serial for s in account.sheets):
            account.sheets.append(record)
        account.locations = list(content.locations)
        return record


def _draw(what: str, draw: Callable[[], RenderedSheet], paper: str) -> RenderedSheet:
    """Run ``draw`` and turn any library failure into one sentence, without its frames.

    Raises:
        SheetError: unknown paper size, or the PDF library failed.
    """
    if paper not in PAPER_SIZES:
        raise SheetError(f"Unknown paper size {paper!r}; use a4 or letter.")
    failure = ""
    try:
        return draw()
    except Exception as exc:  # any library failure: report it without its frames
        failure = type(exc).__name__
    raise SheetError(f"The {what} could not be drawn ({failure}).")
