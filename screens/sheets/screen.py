"""The paper credential step: generate → print both copies (or save) → read back → done.

The password is never shown unless the operator asks to reveal it (with a warning). The read-back
inputs are masked; beside each, the check code of what was typed lets the operator compare with
the paper without the screen ever showing the password. Dismisses with a ``SheetOutcome`` once
a read-back matched (the serial is then recorded on the account), or None when cancelled.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, Switch

from bgwizard.errors import BgWizardError
from bgwizard.ports import ProfileStore, SheetMaker
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.screens.sheets.readback import ReadBackPanel
from bgwizard.secret import Secret
from bgwizard.sheets.jobs import JobStatus, PrintJob, PrintQueue
from bgwizard.sheets.model import PAPER_SIZES, SAVE_WARNING, RenderedSheet, SheetContent, blocks
from bgwizard.sheets.password import DEFAULT_LENGTH, PasswordPolicy
from bgwizard.text import plural

REVEAL_WARNING = (
    "Revealing shows the password on this screen, where a camera, a screen recorder or a"
    " person behind you can see it. Do it only when there is no printer, to copy it by hand."
)


@dataclass(frozen=True)
class SheetOutcome:
    """What the step produced: the password (for creating the account) and the sheet record."""

    password: Secret
    record: SheetRecord
    content: SheetContent


class SheetsScreen(Screen[SheetOutcome | None]):
    """Makes and checks the paper credential for one account."""

    CSS_PATH = "sheets.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel_sheets", tooltip="Leave without a sheet."),
        Binding(
            "f7",
            "reveal",
            "Reveal password",
            id="reveal_password",
            tooltip="Show the password on screen (warns first).",
        ),
    ]

    stage: var[str] = var("options")
    """``options`` → ``drawn`` (PDF ready) → ``out`` (printed, saved or revealed) → ``verified``."""

    def __init__(
        self,
        profile: Profile,
        account: BreakGlassAccount,
        service: SheetMaker,
        *,
        profiles: ProfileStore | None = None,
        retire_current: bool = False,
    ) -> None:
        """Build the step for ``account``.

        Args:
            profile: the tenant's profile; the new sheet's serial is recorded in it.
            account: the account (an entry of ``profile.accounts``).
            service: draws, prints, saves and checks sheets.
            profiles: saves the profile once the read-back matched; None leaves it to the caller.
            retire_current: retire the account's current sheets (rotation).
        """
        super().__init__()
        self._profile = profile
        self._account = account
        self._service = service
        self._profiles = profiles
        self._retire_current = retire_current
        self._password: Secret | None = None
        self._content: SheetContent | None = None
        self._sheet: RenderedSheet | None = None
        self._outcome: SheetOutcome | None = None
        self._revealed = False
        self._job: PrintJob | None = None
        """The print job in flight or waiting for the operator (held, stopped)."""
        self._risks_seen: str | None = None
        """The queue whose warnings the operator has seen (the next Print goes ahead)."""
        self._printed = False
        """True once this sheet's job printed: the same sheet is never printed twice."""

    def compose(self) -> ComposeResult:
        yield Header()
        locations = [*self._account.locations, "", ""]
        with VerticalScroll(id="sheets-body"):
            yield Static(f"Paper credential for {self._account.upn}", id="sheets-title")
            yield Static(
                "Generate a password, print two copies, then type one copy back. The password"
                " is never shown on screen and is not stored anywhere.",
                id="sheets-intro",
            )
            with Vertical(id="options", classes="section"):
                with Horizontal(classes="row"):
                    yield Label("Length", classes="label")
                    yield Input(str(DEFAULT_LENGTH), type="integer", id="length", max_length=3)
                    yield Label("Symbols", classes="label")
                    yield Switch(False, id="symbols")
                    yield Label("QR code", classes="label")
                    yield Switch(self._profile.sheet_qr, id="qr")
                    yield Select(
                        [("A4", "a4"), ("Letter", "letter")],
                        value=self._paper_default(),
                        allow_blank=False,
                        id="paper",
                    )
                for number in (1, 2):
                    with Horizontal(classes="row"):
                        yield Label(f"Copy {number} kept at", classes="label wide")
                        yield Input(
                            locations[number - 1],
                            placeholder="e.g. fire safe, head office",
                            id=f"location-{number}",
                        )
                yield Button("Generate and draw the sheet", id="generate", variant="primary")
            with Vertical(id="output", classes="section"):
                yield Static("", id="sheet-status")
                with Horizontal(classes="row"):
                    yield Label("Printer", classes="label")
                    yield Select[str]([], prompt="Looking for printers…", id="printer")
                    yield Button("Print both copies", id="print", variant="primary")
                    yield Button("Save to a file…", id="save-open")
                    yield Button("Reveal…", id="reveal-open", variant="warning")
                yield Static("", id="print-status")
                with Horizontal(classes="row", id="job-box"):
                    yield Button("Check the job again", id="job-recheck")
                    yield Button("Cancel and purge the job", id="job-purge", variant="error")
                with Vertical(id="save-box"):
                    yield Static(SAVE_WARNING, classes="warning")
                    with Horizontal(classes="row"):
                        yield Input(placeholder="/media/usb/sheet.pdf", id="save-path")
                        yield Button("Save", id="save", variant="warning")
                with Vertical(id="reveal-box"):
                    yield Static(REVEAL_WARNING, classes="warning")
                    yield Button("Show the password", id="reveal", variant="error")
                    yield Static("", id="revealed")
            yield ReadBackPanel(id="readback", classes="section")
            with Vertical(id="done-box", classes="section"):
                yield Static("", id="done-status")
                yield Button("Continue", id="done", variant="success")
        yield Footer()

    def _paper_default(self) -> str:
        paper = self._profile.sheet_paper.lower()
        return paper if paper in PAPER_SIZES else "a4"

    def watch_stage(self, stage: str) -> None:
        order = ("options", "drawn", "out", "verified")
        reached = order.index(stage)
        self.query_one("#output").display = reached >= 1
        self.query_one("#readback").display = reached >= 2
        self.query_one("#done-box").display = reached >= 3
        self.query_one("#options").disabled = reached >= 3
        self.query_one("#output").disabled = reached >= 3
        if self.is_mounted and reached:
            # The section of the next action is scrolled into view: no hunting below the fold.
            self.call_after_refresh(
                self._show_section, ("#output", "#readback", "#done-box")[reached - 1]
            )

    def _show_section(self, selector: str) -> None:
        section = self.query_one(selector)
        section.scroll_visible(animate=False, top=True)
        if selector == "#done-box":
            self.query_one("#done", Button).focus(scroll_visible=False)

    def on_mount(self) -> None:
        self.query_one("#job-box").display = False
        self.query_one("#save-box").display = False
        self.query_one("#reveal-box").display = False
        self.watch_stage(self.stage)
        self._warm_up()

    @work(thread=True, group="sheet-warm-up")
    def _warm_up(self) -> None:
        try:
            self._service.warm_up()
        except Exception:  # a real failure resurfaces, as one sentence, on the first draw
            return

    @on(Button.Pressed, "#generate")
    def generate(self) -> None:
        """Make a new password and draw its sheet (in a thread: the PDF takes a moment)."""
        try:
            policy = PasswordPolicy(
                length=int(self.query_one("#length", Input).value or 0),
                symbols=self.query_one("#symbols", Switch).value,
            )
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        locations = [self.query_one(f"#location-{n}", Input).value.strip() for n in (1, 2)]
        self._forget()
        self.stage = "options"
        self._password = self._service.new_password(policy)
        self._content = self._service.build(
            self._profile,
            self._account,
            self._password,
            locations=locations,
            include_qr=self.query_one("#qr", Switch).value,
        )
        self.query_one("#sheet-status", Static).update("Drawing the sheet…")
        self._draw(self._content, str(self.query_one("#paper", Select).value))

    @work(thread=True, exclusive=True, group="sheet")
    def _draw(self, content: SheetContent, paper: str) -> None:
        try:
            sheet = self._service.render(content, paper)
        except BgWizardError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._drawn, content, sheet)

    def _drawn(self, content: SheetContent, sheet: RenderedSheet) -> None:
        if content is not self._content:
            return  # a newer draw replaced this one
        self._sheet = sheet
        self._printed = False
        self._risks_seen = None
        self.query_one("#print", Button).label = "Print both copies"
        self.query_one("#sheet-status", Static).update(
            f"Sheet {content.serial} is ready: {plural(sheet.pages, 'page')},"
            f" {plural(content.copies, 'copy', 'copies')}"
            f" ({plural(len(content.lines()), 'line')} each). Destroy any copy drawn earlier."
        )
        self.query_one(ReadBackPanel).prepare(content, self._service.check)
        self.stage = "drawn"
        self._find_printers()

    @work(thread=True, exclusive=True, group="printers")
    def _find_printers(self) -> None:
        problem = ""
        queues: list[PrintQueue] = []
        if self._service.spooler() is None:
            problem = "No lp command (CUPS) was found to print with: save to a file, or reveal."
        else:
            try:
                queues = self._service.printers()
            except BgWizardError as exc:
                problem = f"{exc} Save to a file, or reveal."
            if not queues and not problem:
                problem = "No printer is set up on this machine: save to a file, or reveal."
        self.app.call_from_thread(self._show_printers, queues, problem)

    def _show_printers(self, queues: list[PrintQueue], problem: str) -> None:
        select: Select[str] = self.query_one("#printer", Select)
        select.set_options([(q.label(), q.name) for q in queues])
        default = next((q.name for q in queues if q.is_default), queues[0].name if queues else None)
        if default is not None:
            select.value = default
        select.disabled = not queues
        self.query_one("#print", Button).disabled = not queues or self._printed
        self._say(problem, warning=True)

    def _queue(self) -> str | None:
        value = self.query_one("#printer", Select).value
        return value if isinstance(value, str) else None

    def _say(self, text: str, *, warning: bool = False) -> None:
        status = self.query_one("#print-status", Static)
        status.update(text)
        status.set_class(warning, "warning")

    @on(Button.Pressed, "#print")
    def print_sheet(self) -> None:
        """Print both copies: warnings first (once per printer), then the job, followed."""
        if self._sheet is None or self._job is not None or self._printed:
            return
        queue = self._queue()
        if queue is None:
            self._say("Choose a printer first.", warning=True)
            return
        self.query_one("#print", Button).disabled = True
        self._print(self._sheet, queue, confirmed=self._risks_seen == queue)

    @work(thread=True, exclusive=True, group="sheet-output")
    def _print(self, sheet: RenderedSheet, queue: str, *, confirmed: bool) -> None:
        call = self.app.call_from_thread
        try:
            if not confirmed:
                risks = self._service.print_risks(queue)
                if risks:
                    call(self._ask, queue, risks)
                    return
            call(self._say, f"Sending sheet {sheet.serial} to {queue}…")
            job = self._service.print_sheet(sheet, queue)
        except BgWizardError as exc:
            call(self._print_failed, str(exc))
            return
        call(self._submitted, job)

    def _ask(self, queue: str, risks: list[str]) -> None:
        self._risks_seen = queue
        button = self.query_one("#print", Button)
        button.label = "Print anyway"
        button.disabled = False
        self._say(" ".join([*risks, "Press Print anyway to go ahead."]), warning=True)

    def _print_failed(self, said: str) -> None:
        self._say(said, warning=True)
        self.query_one("#print", Button).disabled = self._printed

    def _submitted(self, job: PrintJob) -> None:
        self._job = job
        self.query_one("#job-box").display = False
        self._say(f"Job {job.name} sent; waiting for the printer…")
        self._follow(job)

    @work(thread=True, exclusive=True, group="print-job")
    def _follow(self, job: PrintJob) -> None:
        call = self.app.call_from_thread
        try:
            status = self._service.wait_for_job(
                job, progress=lambda s: call(self._say, s.sentence())
            )
        except BgWizardError as exc:
            call(self._job_waiting, None, str(exc))
            return
        if status.state != "printed":
            call(self._job_waiting, status, "")
            return
        try:
            spool = self._service.purge_job(job).sentence()
        except BgWizardError as exc:
            spool = str(exc)
        call(self._job_printed, status, spool)

    def _job_printed(self, status: JobStatus, spool: str) -> None:
        self._job = None
        self._printed = True
        self.query_one("#job-box").display = False
        self.query_one("#print", Button).disabled = True
        self._say(f"{status.sentence()} {spool}", warning="no copy is left" not in spool)
        self.notify("Now type one printed copy back.", title="Sheet printed")
        if self.stage == "drawn":
            self.stage = "out"

    def _job_waiting(self, status: JobStatus | None, problem: str) -> None:
        if status is not None and status.final:
            # cancelled or aborted by the print system: nothing printed; the sheet may be sent again
            self._job_purged(status.sentence(), self._purge_quietly(status.job))
            return
        said = status.sentence() if status is not None else problem
        self._say(
            f"{said} The read-back opens once the job has printed. Check again, or cancel and"
            " purge the job so no copy stays in the queue.",
            warning=True,
        )
        self.query_one("#job-box").display = True

    def _purge_quietly(self, job: PrintJob) -> str:
        try:
            return self._service.purge_job(job).sentence()
        except BgWizardError as exc:
            return str(exc)

    @on(Button.Pressed, "#job-recheck")
    def recheck_job(self) -> None:
        """Follow the waiting job again."""
        if self._job is not None:
            self.query_one("#job-box").display = False
            self._say(f"Checking job {self._job.name}…")
            self._follow(self._job)

    @on(Button.Pressed, "#job-purge")
    def purge_job(self) -> None:
        """Cancel the waiting job and remove it and its document from the print system."""
        if self._job is not None:
            self.query_one("#job-box").display = False
            self._purge(self._job)

    @work(thread=True, exclusive=True, group="print-job")
    def _purge(self, job: PrintJob) -> None:
        call = self.app.call_from_thread
        try:
            said = self._service.purge_job(job).sentence()
        except BgWizardError as exc:
            call(self._say, str(exc), warning=True)
            call(self._show_job_box)
            return
        call(self._job_purged, f"Job {job.name} was cancelled.", said)

    def _show_job_box(self) -> None:
        self.query_one("#job-box").display = True

    def _job_purged(self, said: str, spool: str) -> None:
        self._job = None
        self._say(f"{said} {spool} Print again when the printer is ready.", warning=True)
        self.query_one("#print", Button).disabled = False

    @on(Button.Pressed, "#save-open")
    def open_save(self) -> None:
        """Show the save box with its warning."""
        self.query_one("#save-box").display = True
        self.query_one("#save-path", Input).focus()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#save-path")
    def save_sheet(self) -> None:
        """Save the PDF to the path the user typed."""
        path = self.query_one("#save-path", Input).value.strip()
        if not path:
            self.notify("Type the path of a new file first.", severity="error")
        elif self._sheet is not None:
            self._output(self._sheet, path)

    @work(thread=True, exclusive=True, group="sheet-output")
    def _output(self, sheet: RenderedSheet, path: str) -> None:
        try:
            said = f"Saved to {self._service.save_sheet(sheet, path)}."
        except BgWizardError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._sent, said)

    def _sent(self, said: str) -> None:
        self.notify(f"{said} Now type one printed copy back.", title="Sheet saved")
        self.query_one("#save-box").display = False
        if self.stage == "drawn":
            self.stage = "out"

    @on(Button.Pressed, "#reveal-open")
    def action_reveal(self) -> None:
        """Show the warning and the button that reveals the password."""
        if self._content is None:
            self.notify("Generate a password first.", severity="warning")
            return
        self.query_one("#reveal-box").display = True

    @on(Button.Pressed, "#reveal")
    def reveal(self) -> None:
        """Show the password on screen, in blocks, with its check codes; pressed again, hide it."""
        shown = self.query_one("#revealed", Static)
        button = self.query_one("#reveal", Button)
        if self._content is None or self._revealed:
            self._revealed = False
            shown.update("")
            button.label = "Show the password"
            return
        self._revealed = True
        button.label = "Hide the password"
        text = "\n".join(
            f"{n}  {' '.join(blocks(line.reveal()))}   check {code}"
            for n, (line, code) in enumerate(
                zip(self._content.lines(), self._content.check_codes(), strict=True), start=1
            )
        )
        shown.update(text)
        if self.stage == "drawn":
            self.stage = "out"

    @on(ReadBackPanel.Matched)
    def read_back_matched(self) -> None:
        """Record the sheet on the account and let the operator continue."""
        if self._content is None or self._password is None:
            return
        record = self._service.confirm(
            self._account, self._content, retire_current=self._retire_current
        )
        self._outcome = SheetOutcome(self._password, record, self._content)
        self._sheet = None  # printed and checked: drop the PDF bytes
        self.query_one("#revealed", Static).update("")
        self._revealed = False
        self.query_one("#done-status", Static).update(
            f"The read-back matched. Sheet {record.serial} is recorded for"
            f" {self._account.upn}. Seal each copy in its envelope."
        )
        self.stage = "verified"
        if self._profiles is not None:
            self._save_profile()

    @work(thread=True, exclusive=True, group="profile")
    def _save_profile(self) -> None:
        if self._profiles is None:
            return
        try:
            self._profiles.save(self._profile)
        except BgWizardError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")

    @on(Button.Pressed, "#done")
    def finish(self) -> None:
        """Leave the step with its outcome."""
        self.dismiss(self._outcome)

    def action_cancel(self) -> None:
        """Leave without a sheet (nothing is recorded)."""
        self._forget()
        self.dismiss(self._outcome)

    def _forget(self) -> None:
        if self._job is not None:
            # a sheet replaced or abandoned leaves no job in the queue (the screen may be gone
            # by the time the scheduler answers, so the app reports a failure)
            job, self._job = self._job, None
            app, purge = self.app, self._service.purge_job

            def run() -> None:
                try:
                    purge(job)
                except BgWizardError as exc:
                    app.call_from_thread(app.notify, str(exc), severity="error")

            threading.Thread(target=run, name="purge-print-job", daemon=True).start()
        self._password = None
        self._content = None
        self._sheet = None
        self.query_one("#revealed", Static).update("")
        self._revealed = False
        self.query_one("#reveal", Button).label = "Show the password"
        self.query_one("#reveal-box").display = False
