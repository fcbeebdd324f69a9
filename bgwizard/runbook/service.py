"""``RunbookService``: what the runbook screen and ``bgwizard print runbook|checklist`` call.

It reads the drill history (the signed log when there is one, else the profile's last drill),
builds the runbook context, renders the templates to Markdown, draws the PDF in memory, and
sends it to the print spooler or a file the user names. Nothing here ever sees a password.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bgwizard.errors import LogError, RunbookError
from bgwizard.ledger.anchored import ProfileLog
from bgwizard.ledger.chain import printable
from bgwizard.ledger.store import default_log_path
from bgwizard.profile.model import Profile
from bgwizard.runbook.model import (
    DOCUMENT_TITLES,
    DOCUMENTS,
    NOT_RECORDED,
    RESULT_FAIL,
    RESULT_PASS,
    RUNBOOK_SECTIONS,
    DrillRecord,
    RenderedRunbook,
    RunbookContext,
    RunbookDocument,
    build_context,
    profile_drills,
)
from bgwizard.runbook.pdf import render_runbook_pdf
from bgwizard.runbook.templates import TemplateStore
from bgwizard.sheets.model import PAPER_SIZES, SPOOLERS, Spooler
from bgwizard.sheets.pdf import register_fonts
from bgwizard.sheets.printing import find_spooler, save_to_path, send_to_spooler


@dataclass(frozen=True)
class DrillHistory:
    """The drills the runbook lists, and a note when the signed log could not be used."""

    drills: tuple[DrillRecord, ...]
    note: str = ""


def drill_history(profile: Profile, log_path: Path | None = None) -> DrillHistory:
    """The drill history: drill entries of the signed log, or the profile's last drill.

    Args:
        profile: the profile (its ``drill_log`` path and ``last_drill``).
        log_path: the log to read; default the profile's, else the default log location.

    Returns:
        The history. A log that does not verify or cannot be read is not used: the note says
        why and the profile's last drill stands in.
    """
    path = log_path or (Path(profile.drill_log).expanduser() if profile.drill_log else None)
    log = ProfileLog(profile, path=path or default_log_path())
    if not log.exists() and not log.head:
        return DrillHistory(tuple(profile_drills(profile)))
    try:
        entries = log.entries()
    except LogError as exc:
        note = f"The signed drill log could not be used ({exc}); listed from the profile instead."
        return DrillHistory(tuple(profile_drills(profile)), note)
    drills = [drill_record(e.time, e.operator, e.data) for e in entries if e.kind == "drill"]
    return DrillHistory(tuple(drills) or tuple(profile_drills(profile)))


def drill_record(time: str, operator: str, data: dict[str, Any]) -> DrillRecord:
    """A log entry's drill as the runbook lists it.

    Args:
        time: the entry's UTC time (ISO 8601).
        operator: who signed the entry.
        data: the entry's record (``bgwizard.drill.model.Drill.to_log_data``): ``result``
            (``pass``/``fail``/``incomplete``) or ``passed`` (bool); optional ``date`` or
            ``started`` (the drill's day), ``account`` and ``notes``.

    Returns:
        The record.
    """
    result = data.get("result")
    if not isinstance(result, str):
        passed = data.get("passed")
        result = NOT_RECORDED if passed is None else RESULT_PASS if passed else RESULT_FAIL
    days = [data.get("date"), data.get("started"), time]
    day = next(d for d in days if isinstance(d, str) and d)
    try:
        date = dt.date.fromisoformat(day[:10])
    except ValueError:
        date = dt.date.fromisoformat(time[:10])
    notes, account = data.get("notes"), data.get("account")
    return DrillRecord(
        date,
        printable(operator) or NOT_RECORDED,
        printable(result),
        printable(notes) if isinstance(notes, str) else "",
        printable(account) if isinstance(account, str) else "",
    )


class RunbookService:
    """Offline runbook sheets for one profile."""

    def __init__(
        self,
        profile: Profile,
        *,
        today: Callable[[], dt.date] = dt.date.today,
        spoolers: Sequence[str] = SPOOLERS,
        printer: str | None = None,
        log_path: Path | None = None,
    ) -> None:
        """Configure the service.

        Args:
            profile: the tenant's profile (accounts, contacts, template directory, drill log).
            today: the clock (tests pin it).
            spoolers: spooler commands to look for on ``PATH``, in order.
            printer: destination printer, or None for the system default.
            log_path: the signed drill log; default the profile's.
        """
        self.profile = profile
        self._today = today
        self._spoolers = tuple(spoolers)
        self._printer = printer
        self._log_path = log_path

    def templates(self) -> TemplateStore:
        """The template store: packaged templates plus the profile's template directory.

        Raises:
            TemplateError: the profile names a template directory that does not exist.
        """
        return TemplateStore(self.profile.runbook_templates_dir or None)

    def context(self) -> RunbookContext:
        """The runbook's facts today."""
        history = drill_history(self.profile, self._log_path)
        passkeys = [
            a.upn for a in self.profile.accounts if any(k.retired is None for k in a.security_keys)
        ]
        return build_context(
            self.profile,
            history.drills,
            self._today(),
            passkeys=passkeys,
            drill_log_note=history.note,
        )

    def document(self, kind: str = "runbook") -> RunbookDocument:
        """Render ``kind`` (``runbook`` or ``checklist``) to Markdown.

        The runbook is the packaged sections (each overridable) plus the user's added sections.

        Raises:
            RunbookError: unknown kind.
            TemplateError: a template is missing or broken (file and line named).
        """
        if kind not in DOCUMENTS:
            raise RunbookError(f"Unknown document {kind!r}; use runbook or checklist.")
        store = self.templates()
        names = list(DOCUMENTS[kind])
        if kind == "runbook":
            names += store.user_additions(RUNBOOK_SECTIONS + DOCUMENTS["checklist"])
        store.check(names)
        context = self.context()
        variables = context.as_template_vars()
        sections = tuple(store.render(name, variables) for name in names)
        return RunbookDocument(kind, DOCUMENT_TITLES[kind], sections, context)

    def render_pdf(self, document: RunbookDocument, paper: str = "a4") -> RenderedRunbook:
        """Draw ``document`` as a PDF in memory.

        Raises:
            RunbookError: unknown paper size, or the PDF library failed.
        """
        if paper not in PAPER_SIZES:
            raise RunbookError(f"Unknown paper size {paper!r}; use a4 or letter.")
        failure = ""
        try:
            return render_runbook_pdf(
                document.sections,
                title=document.title,
                tenant_label=document.context.tenant_label,
                printed_on=document.context.printed_on,
                paper=paper,
            )
        except Exception as exc:  # any library failure, reported as one sentence
            failure = f"{type(exc).__name__}: {exc}"
        raise RunbookError(f"The {document.title.lower()} could not be drawn ({failure}).")

    def warm_up(self) -> None:
        """Import reportlab and jinja2 and load the fonts, so the first draw is quick."""
        import jinja2  # noqa: F401

        register_fonts()

    def spooler(self) -> Spooler | None:
        """The print spooler found on ``PATH``, or None (then offer saving to a file)."""
        return find_spooler(self._spoolers)

    def print_pdf(self, rendered: RenderedRunbook) -> str:
        """Send the PDF to the printer on the spooler's standard input.

        Raises:
            PrintError: no spooler, or it refused the job.
        """
        return send_to_spooler(
            rendered.data, rendered.title, spooler=self.spooler(), printer=self._printer
        )

    def save(self, data: bytes | str, path: str | Path) -> Path:
        """Save a PDF (bytes) or Markdown (text) to a new file (mode 0600, never overwritten).

        Raises:
            PrintError: the file exists or cannot be written.
        """
        return save_to_path(data.encode("utf-8") if isinstance(data, str) else data, path)
