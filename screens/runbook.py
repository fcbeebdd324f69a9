"""Print the offline runbook: choose the document and paper, preview it, print or save it.

The preview is the very Markdown that is saved and drawn into the PDF. Rendering, drawing and
printing run in thread workers (jinja2 and reportlab load on first use); results come back as
messages. The runbook holds no password: it says where the sheets are, never what is on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Markdown, Select, Static

from bgwizard.errors import BgWizardError
from bgwizard.ports import RunbookMaker
from bgwizard.runbook.markdown import PAGE_BREAK
from bgwizard.runbook.model import RunbookDocument
from bgwizard.text import plural

SAVE_NOTE = (
    "The runbook holds no password, but it names the accounts and where their sheets are kept:"
    " store copies only where the custodians can reach them."
)
DOCUMENT_CHOICES = [("Runbook (all sections)", "runbook"), ("Drill checklist (blank)", "checklist")]
PAPER_CHOICES = [("A4", "a4"), ("Letter", "letter")]
FORMAT_CHOICES = [("PDF", "pdf"), ("Markdown", "md")]


def preview_text(document: RunbookDocument) -> str:
    """The document's Markdown as the preview shows it (page breaks as rules)."""
    return document.markdown().replace(PAGE_BREAK, "---")


class RunbookScreen(Screen[None]):
    """Preview, print and save the runbook or the drill checklist."""

    CSS_PATH = "runbook.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="close_runbook", tooltip="Back to the home screen."),
        Binding("f5", "print", "Print", id="print_runbook", tooltip="Send the PDF to the printer."),
        Binding("f6", "save", "Save…", id="save_runbook", tooltip="Save the PDF or Markdown."),
    ]

    @dataclass
    class Drawn(Message):
        """The document was rendered from the templates."""

        document: RunbookDocument

    @dataclass
    class Failed(Message):
        """Rendering, printing or saving failed (one sentence)."""

        error: str

    @dataclass
    class Done(Message):
        """The document was printed or saved."""

        said: str

    def __init__(self, service: RunbookMaker, *, paper: str = "a4") -> None:
        """Build the screen.

        Args:
            service: renders, draws, prints and saves the runbook.
            paper: the initial paper size (``a4`` or ``letter``).
        """
        super().__init__()
        self._service = service
        self._paper = paper if paper in ("a4", "letter") else "a4"
        self.document: RunbookDocument | None = None
        """The document on screen (None until the first render, or after a failure)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runbook-controls"):
            with Horizontal(classes="row"):
                yield Select(DOCUMENT_CHOICES, value="runbook", allow_blank=False, id="document")
                yield Select(PAPER_CHOICES, value=self._paper, allow_blank=False, id="paper")
                yield Button("Print", id="print", variant="primary")
                yield Button("Save…", id="save-open")
            with Vertical(id="save-box"):
                yield Static(SAVE_NOTE, classes="note")
                with Horizontal(classes="row"):
                    yield Input(placeholder="/media/usb/runbook.pdf", id="save-path")
                    yield Select(FORMAT_CHOICES, value="pdf", allow_blank=False, id="format")
                    yield Button("Save", id="save", variant="warning")
            yield Static("Rendering the runbook…", id="runbook-status")
        with VerticalScroll(id="runbook-preview"):
            yield Markdown("", id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#save-box").display = False
        self._draw_document(self._kind())

    def _kind(self) -> str:
        return str(self.query_one("#document", Select).value)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#runbook-status", Static)
        status.update(text)
        status.set_class(error, "error")

    # -- actions -----------------------------------------------------------------------

    def action_close(self) -> None:
        """Back to where the screen was opened from."""
        self.dismiss(None)

    def action_print(self) -> None:
        """Draw the PDF and send it to the printer."""
        if self.document is None:
            self.notify("Nothing to print yet.", severity="warning")
            return
        self._status("Sending to the printer…")
        self._print(self.document, str(self.query_one("#paper", Select).value))

    def action_save(self) -> None:
        """Show the save box and focus its path."""
        self.query_one("#save-box").display = True
        self.query_one("#save-path", Input).focus()

    @on(Select.Changed, "#document")
    def _document_changed(self) -> None:
        self._status("Rendering…")
        self._draw_document(self._kind())

    @on(Button.Pressed, "#print")
    def _print_pressed(self) -> None:
        self.action_print()

    @on(Button.Pressed, "#save-open")
    def _save_open_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#save-path")
    def _save_pressed(self) -> None:
        path = self.query_one("#save-path", Input).value.strip()
        if not path:
            self.notify("Type the file to save to.", severity="warning")
            return
        if self.document is None:
            self.notify("Nothing to save yet.", severity="warning")
            return
        fmt = str(self.query_one("#format", Select).value)
        self._save(self.document, path, fmt, str(self.query_one("#paper", Select).value))

    # -- workers -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="runbook-render")
    def _draw_document(self, kind: str) -> None:
        try:
            self.post_message(self.Drawn(self._service.document(kind)))
        except BgWizardError as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="runbook-output")
    def _print(self, document: RunbookDocument, paper: str) -> None:
        try:
            rendered = self._service.render_pdf(document, paper)
            said = self._service.print_pdf(rendered)
        except BgWizardError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(f"{document.title}: {said or 'sent to the printer'}"))

    @work(thread=True, exclusive=True, group="runbook-output")
    def _save(self, document: RunbookDocument, path: str, fmt: str, paper: str) -> None:
        try:
            if fmt == "md":
                where = self._service.save(document.markdown(), path)
            else:
                where = self._service.save(self._service.render_pdf(document, paper).data, path)
        except BgWizardError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Done(f"{document.title} saved to {where}"))

    # -- results -----------------------------------------------------------------------

    @on(Drawn)
    async def _show(self, message: Drawn) -> None:
        self.document = message.document
        context = message.document.context
        due = "overdue" if context.overdue else f"due {context.next_due.isoformat()}"
        self._status(
            f"{message.document.title} · {plural(len(message.document.sections), 'section')} ·"
            f" {plural(len(context.accounts), 'account')} · next drill {due}"
        )
        await self.query_one("#preview", Markdown).update(preview_text(message.document))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._status(message.error, error=True)
        self.notify(message.error, title="Runbook", severity="error")

    @on(Done)
    def _done(self, message: Done) -> None:
        self._status(message.said)
        self.notify(message.said, title="Runbook")
