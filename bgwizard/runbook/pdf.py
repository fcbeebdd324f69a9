"""The runbook as PDF bytes, drawn in memory from the rendered Markdown sections.

Same renderer family and fonts as the credential sheet (``bgwizard.sheets.pdf``: reportlab,
the embedded DejaVu fonts). Every page carries the document title, the tenant, the day it was
printed and "page N of M"; each section starts on a new page. reportlab is imported on first use.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

from bgwizard.runbook import markdown as md
from bgwizard.runbook.model import RenderedRunbook
from bgwizard.sheets.model import PAPER_SIZES
from bgwizard.sheets.pdf import MARGIN, MONO, SANS, SANS_BOLD, register_fonts

BODY_SIZE: Final = 9.5
HEADING_SIZES: Final = {1: 16.0, 2: 12.5, 3: 11.0}
CHECKBOX: Final = {False: "☐", True: "☑"}
_GREY: Final = (0.93, 0.93, 0.93)
_PAD: Final = 14.0
"""Left plus right cell padding, with a little slack."""


def render_runbook_pdf(
    sections: Sequence[str],
    *,
    title: str,
    tenant_label: str,
    printed_on: dt.date,
    paper: str = "a4",
) -> RenderedRunbook:
    """Draw Markdown ``sections`` into one PDF, each section from a new page.

    Args:
        sections: the rendered templates (Markdown subset of ``runbook_markdown``).
        title: the document title, in every page's header.
        tenant_label: the tenant's name (and id), in every page's header.
        printed_on: the printing day, in every page's footer.
        paper: ``a4`` or ``letter``.

    Returns:
        The PDF.

    Raises:
        ValueError: ``paper`` is not a known size.
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"Unknown paper size {paper!r}; use a4 or letter.")
    _register_family()
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAPER_SIZES[paper],
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 12,
        bottomMargin=MARGIN + 8,
        title=title,
        author="",
        subject=tenant_label,
        creator="bgwizard",
    )
    builder = _Flowables(doc.width)
    story: list[Any] = []
    for index, section in enumerate(sections):
        if index:
            story.append(PageBreak())
        story += builder.blocks(md.parse(section))
    pages: list[int] = []
    canvas_class = _numbered_canvas(title, tenant_label, printed_on, pages)
    doc.build(story, canvasmaker=canvas_class)
    return RenderedRunbook(buffer.getvalue(), title, pages[0] if pages else 0)


def _register_family() -> None:
    register_fonts()
    from reportlab.pdfbase.pdfmetrics import registerFontFamily

    registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)


def inline_markup(text: str) -> str:
    """Markdown inline text as reportlab paragraph markup (escaped; bold and code kept)."""
    out: list[str] = []
    for style, span in md.inline_spans(text):
        safe = escape(span)
        if style == "bold":
            out.append(f"<b>{safe}</b>")
        elif style == "code":
            out.append(f'<font face="{MONO}">{safe}</font>')
        else:
            out.append(safe)
    return "".join(out)


class _Flowables:
    """Turns Markdown blocks into reportlab flowables for a frame ``width`` points wide."""

    def __init__(self, width: float) -> None:
        from reportlab.lib.styles import ParagraphStyle

        self.width = width
        self.body = ParagraphStyle("body", fontName=SANS, fontSize=BODY_SIZE, leading=13)
        self.body_after = ParagraphStyle("body-after", parent=self.body, spaceAfter=6)
        # splitLongWords off: a word too wide for its column overflows rather than printing
        # as "PAS|S"; column_widths leaves no word too wide unless the page cannot hold it.
        self.cell = ParagraphStyle(
            "cell", parent=self.body, fontSize=9, leading=11.5, splitLongWords=0
        )
        self.cell_head = ParagraphStyle("cell-head", parent=self.cell, fontName=SANS_BOLD)
        self.headings = {
            level: ParagraphStyle(
                f"h{level}",
                fontName=SANS_BOLD,
                fontSize=size,
                leading=size * 1.3,
                spaceBefore=0 if level == 1 else 8,
                spaceAfter=6 if level == 1 else 4,
                keepWithNext=1,
            )
            for level, size in HEADING_SIZES.items()
        }

    def blocks(self, blocks: Sequence[md.Block]) -> list[Any]:
        """The flowables of ``blocks``, in order."""
        out: list[Any] = []
        for block in blocks:
            out += self.block(block)
        return out

    def block(self, block: md.Block) -> list[Any]:
        """The flowables of one block."""
        from reportlab.platypus import HRFlowable, PageBreak, Paragraph, Spacer

        match block:
            case md.Heading(level, text):
                return [Paragraph(inline_markup(text), self.headings[level])]
            case md.Paragraph(text):
                return [Paragraph(inline_markup(text), self.body_after)]
            case md.ItemList(items):
                return [*(self._item(item) for item in items), Spacer(1, 5)]
            case md.Table():
                return [self._table(block), Spacer(1, 8)]
            case md.Note(text):
                return [self._note(text), Spacer(1, 8)]
            case md.Rule():
                return [HRFlowable(width="100%", thickness=0.5, spaceBefore=4, spaceAfter=6)]
            case md.PageBreak():
                return [PageBreak()]
        return []

    def _item(self, item: md.Item) -> Any:
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.platypus import Paragraph

        indent = 16.0 * item.indent
        if item.checkbox is not None:
            bullet, size = CHECKBOX[item.checkbox], 12.0
        elif item.number is not None:
            bullet, size = f"{item.number}.", BODY_SIZE
        else:
            bullet, size = "•", BODY_SIZE
        style = ParagraphStyle(
            "item",
            parent=self.body,
            leftIndent=indent + 18,
            bulletIndent=indent + 2,
            bulletFontName=SANS,
            bulletFontSize=size,
            spaceAfter=3 if item.checkbox is None else 5,
        )
        return Paragraph(inline_markup(item.text), style, bulletText=bullet)

    def _table(self, table: md.Table) -> Any:
        from reportlab.platypus import Paragraph, Table, TableStyle

        has_header = any(cell.strip() for cell in table.header)
        rows = [list(table.header)] if has_header else []
        rows += [list(row) for row in table.rows]
        # The header prints in bold: measure it so (a regular measure split "Custodian|s").
        measured = [[f"**{c}**" if i == 0 and has_header and c else c for c in row]
                    for i, row in enumerate(rows)]  # fmt: skip
        widths = column_widths(measured, self.width, _measure)
        cells = [
            [
                Paragraph(
                    cell_markup(c, widths[j] - _PAD, _measure),
                    self.cell_head if i == 0 and has_header else self.cell,
                )
                for j, c in enumerate(row)
            ]
            for i, row in enumerate(rows)
        ]
        style = [
            ("FONTNAME", (0, 0), (-1, -1), SANS),
            ("GRID", (0, 0), (-1, -1), 0.4, (0.55, 0.55, 0.55)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if has_header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), _GREY))
        return Table(
            cells,
            colWidths=widths,
            repeatRows=1 if has_header else 0,
            style=TableStyle(style),
            hAlign="LEFT",
        )

    def _note(self, text: str) -> Any:
        from reportlab.platypus import Paragraph, Table, TableStyle

        style = TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("BOX", (0, 0), (-1, -1), 0.8, (0.2, 0.2, 0.2)),
                ("BACKGROUND", (0, 0), (-1, -1), _GREY),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
        return Table(
            [[Paragraph(inline_markup(text), self.body)]], colWidths=[self.width], style=style
        )


def column_widths(
    rows: Sequence[Sequence[str]], total: float, measure: Callable[[str], float]
) -> list[float]:
    """Column widths in points: each column gets its longest word whole, when it fits, and
    the rest of ``total`` is shared out by how much text each column holds.

    Args:
        rows: the table's rows as Markdown text.
        total: the width to fill.
        measure: the printed width of a text span (Markdown inline markup included).

    Returns:
        One width per column, summing to ``total``.
    """
    count = max((len(r) for r in rows), default=1)
    columns = [[r[i] for r in rows if i < len(r)] for i in range(count)]
    least = [max((_longest_word(c, measure) for c in col), default=0) + _PAD for col in columns]
    if sum(least) >= total:
        return [w * total / sum(least) for w in least]
    wants = [min(max((measure(c) for c in col), default=0), total * 0.6) + 1 for col in columns]
    spare = total - sum(least)
    return [w + spare * want / sum(wants) for w, want in zip(least, wants, strict=True)]


def _longest_word(text: str, measure: Callable[[str], float]) -> float:
    """The widest single word of ``text`` as printed (bold measured bold).

    A code span counts as one word, except that it may break before an ``@`` (a UPN prints
    as its name and, below it, ``@domain``: ``cell_markup`` puts the break there).
    """
    widths = []
    for style, t in md.inline_spans(text):
        if style == "code":
            widths += [measure(f"`{piece}`") for piece in _code_pieces(t)]
        else:
            mark = "**" if style == "bold" else ""
            widths += [measure(f"{mark}{w}{mark}") for w in t.split()]
    return max(widths, default=0.0)


def _code_pieces(code: str) -> list[str]:
    """A code span cut before each ``@``: where a too-narrow column may break it."""
    return [piece for piece in re.split(r"(?=@)", code) if piece]


def cell_markup(text: str, room: float, measure: Callable[[str], float]) -> str:
    """``inline_markup`` of a table cell whose text has ``room`` points per line.

    Code spans wider than ``room`` break before their ``@`` instead of mid-word; other words
    are never broken (``column_widths`` gives every column its longest word).
    """
    out: list[str] = []
    for style, span in md.inline_spans(text):
        if style == "code" and measure(f"`{span}`") > room:
            pieces = [inline_markup(f"`{piece}`") for piece in _code_pieces(span)]
            out.append("<br/>".join(pieces))
        elif style == "code":
            out.append(inline_markup(f"`{span}`"))
        elif style == "bold":
            out.append(inline_markup(f"**{span}**"))
        else:
            out.append(inline_markup(span))
    return "".join(out)


def _measure(text: str) -> float:
    """Printed width of Markdown inline ``text`` in table cells."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = 9.0
    return sum(
        float(stringWidth(t, MONO if s == "code" else SANS_BOLD if s == "bold" else SANS, size))
        for s, t in md.inline_spans(text)
    )


def _numbered_canvas(
    title: str, tenant: str, printed_on: dt.date, pages_out: list[int]
) -> type[Any]:
    """A canvas class that holds pages back until the end, to print "page N of M" on each."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = kwargs.get("initialFontName") or SANS
            kwargs.setdefault("pageCompression", 1)
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            pages_out.append(total)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                _decorate(self, title, tenant, printed_on, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _decorate(
    canvas: Any, title: str, tenant: str, printed_on: dt.date, number: int, total: int
) -> None:
    """The header and footer every page carries."""
    width, height = canvas._pagesize
    right = float(width) - MARGIN
    canvas.saveState()
    canvas.setFont(SANS_BOLD, 8.5)
    canvas.drawString(MARGIN, float(height) - MARGIN + 6, title)
    canvas.setFont(SANS, 8.5)
    canvas.drawRightString(right, float(height) - MARGIN + 6, tenant)
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN, float(height) - MARGIN + 2, right, float(height) - MARGIN + 2)
    canvas.line(MARGIN, MARGIN - 6, right, MARGIN - 6)
    canvas.setFont(SANS, 8)
    canvas.drawString(MARGIN, MARGIN - 18, f"Printed on {printed_on.isoformat()} · {tenant}")
    canvas.drawRightString(right, MARGIN - 18, f"Page {number} of {total}")
    canvas.restoreState()
