"""The credential sheet as PDF bytes, built in memory: one page per copy, A4 or Letter.

reportlab is imported on first use (the app must start fast). The fonts are the DejaVu Sans
and Sans Mono files shipped in ``bgwizard/data/fonts`` and embedded (subset) in every PDF.
Nothing here touches the disk except reading those fonts.
"""

from __future__ import annotations

import io
import threading
from importlib import resources
from typing import Any, Final

from bgwizard.sheets.model import (
    CUSTODY_FIELDS,
    PAPER_SIZES,
    QR_WARNING,
    TEST_MARK,
    TITLE,
    RenderedSheet,
    SheetContent,
    blocks,
)

SANS: Final = "BgwSans"
SANS_BOLD: Final = "BgwSans-Bold"
MONO: Final = "BgwMono"
MONO_BOLD: Final = "BgwMono-Bold"
_FONT_FILES: Final = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    MONO: "DejaVuSansMono.ttf",
    MONO_BOLD: "DejaVuSansMono-Bold.ttf",
}
MARGIN: Final = 50.0
NEVER_USED: Final = "Never used on sheets: 0 O o 1 l I y Y z Z."
PASSWORD_STYLE: tuple[str, float] = (MONO_BOLD, 0.0)
"""Font of the password lines and extra space between characters (a fraction of the size).
Measured with ``bench/ocr.py`` (tesseract at 300 dpi, the same 20 sheets, 80 lines): DejaVu
Sans Mono 30% of lines read exactly, with 10% spacing 29%; DejaVu Sans Mono Bold 54%, with 10%
spacing 44%. Bold strokes survive printing and scanning better, for OCR and for eyes alike."""
_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts() -> None:
    """Register the shipped TTF fonts with reportlab (once per process)."""
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        folder = resources.files("bgwizard.data") / "fonts"
        for name, filename in _FONT_FILES.items():
            with resources.as_file(folder / filename) as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        _fonts_ready = True


def render_sheet(content: SheetContent, paper: str = "a4") -> RenderedSheet:
    """Draw every copy of ``content`` into one PDF, in memory.

    Args:
        content: what the sheet says.
        paper: ``a4`` or ``letter``.

    Returns:
        The PDF, one page per copy.

    Raises:
        ValueError: ``paper`` is not a known size.
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"Unknown paper size {paper!r}; use a4 or letter.")
    register_fonts()
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAPER_SIZES[paper], pageCompression=1, initialFontName=SANS)
    canvas.setTitle(f"Sheet {content.serial}")
    canvas.setAuthor("")
    canvas.setSubject("")
    canvas.setCreator("bgwizard")
    for number in range(1, content.copies + 1):
        if _Page(canvas, content, number).draw() < MARGIN - 4:
            raise RuntimeError("The sheet's content does not fit on the page.")
        canvas.showPage()
    canvas.save()
    return RenderedSheet(buffer.getvalue(), content.serial, content.copies, paper)


class _Page:
    """One copy's page, drawn top to bottom with a moving ``y``."""

    def __init__(self, canvas: Any, content: SheetContent, number: int) -> None:
        self.c = canvas
        self.content = content
        self.number = number
        width, height = canvas._pagesize
        self.width: float = float(width)
        self.height: float = float(height)
        self.right = self.width - MARGIN
        self.y = self.height - MARGIN

    def draw(self) -> float:
        """Draw the page; returns the lowest ``y`` the content reached."""
        if self.content.test_page:
            self._watermark()
        self._header()
        self._details()
        self._password()
        self._custody()
        self._instructions()
        self._footer()
        return self.y

    def _text(self, x: float, text: str, font: str = SANS, size: float = 10.0) -> None:
        self.c.setFont(font, size)
        self.c.drawString(x, self.y, text)

    def _header(self) -> None:
        self.y -= 9
        self._text(MARGIN, TITLE, SANS, 9)
        self.c.setFont(MONO, 10)
        self.c.drawRightString(self.right, self.y, f"Serial {self.content.serial}")
        self.y -= 22
        self._text(MARGIN, self.content.copy_label(self.number), SANS_BOLD, 12)
        if self.content.test_page:
            self.y -= 40
            self._text(MARGIN, TEST_MARK, SANS_BOLD, self._fit(TEST_MARK, SANS_BOLD, 30))
        self.y -= 14
        self.c.line(MARGIN, self.y, self.right, self.y)

    def _fit(self, text: str, font: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        room = self.right - MARGIN
        return min(size, size * room / float(stringWidth(text, font, size)))

    def _details(self) -> None:
        c = self.content
        rows = [
            ("Tenant", c.tenant_name or "—"),
            ("Tenant id", c.tenant_id or "—"),
            ("Account", c.upn),
            ("Object id", c.object_id),
            ("Generated", c.generated.isoformat()),
        ]
        for label, value in rows:
            self.y -= 16
            self._text(MARGIN, label, SANS, 9)
            if value:
                self._text(MARGIN + 70, value, MONO, 10)
            else:
                self.c.line(MARGIN + 70, self.y - 2, MARGIN + 330, self.y - 2)
        for line in c.security_keys:
            self.y -= 16
            self._text(MARGIN, "Security key", SANS, 9)
            share = (self.right - MARGIN - 70) / (self.right - MARGIN)
            self._text(MARGIN + 70, line, SANS, min(10.0, self._fit(line, SANS, 10) * share))

    def _password(self) -> None:
        lines = self.content.lines()
        compact = len(lines) > 8
        box_right = MARGIN + 290 if compact and self.content.include_qr else self.right
        size = 22.0 if len(lines) <= 4 else 15.0 if not compact else 11.0
        pitch = size * (1.55 if len(lines) <= 4 else 1.4)
        self.y -= 30
        self._text(MARGIN, f"Password: {len(lines)} lines of 16, then a check code", SANS, 9)
        top = self.y - 6
        self.y = top - pitch + size * 0.25
        for index, (line, code) in enumerate(zip(lines, self.content.check_codes(), strict=True)):
            self._text(MARGIN + 8, str(index + 1), SANS, 9)
            self._password_line(MARGIN + 30, line.reveal(), size)
            self.c.setFont(MONO, 11)
            self.c.drawRightString(box_right - 8, self.y, f"check {code}")
            self.y -= pitch
        bottom = self.y + pitch - size * 0.55
        self.c.rect(MARGIN, bottom, box_right - MARGIN, top - bottom)
        self.y = bottom - 13
        self._text(MARGIN, NEVER_USED, SANS, 8)
        if self.content.include_qr and compact:
            self.y = min(self.y, self._qr(box_right + 12, top, 90.0))
        elif self.content.include_qr:
            self.y = self._qr(MARGIN, self.y - 12, 108.0)

    def _password_line(self, x: float, line: str, size: float) -> None:
        """One line of the password in blocks, in ``PASSWORD_STYLE`` (see its docstring)."""
        font, spacing = PASSWORD_STYLE
        text = self.c.beginText(x, self.y)
        text.setFont(font, size)
        text.setCharSpace(spacing * size)
        text.textLine(" ".join(blocks(line)))
        self.c.drawText(text)

    def _qr(self, left: float, top: float, side: float) -> float:
        """Draw the QR code at ``left``/``top`` with its warning; returns the lowest y used."""
        import segno

        rows = segno.make(self.content.password.reveal(), error="m", micro=False).matrix
        module = side / (len(rows) + 8)
        self.c.setFillColorRGB(0, 0, 0)
        for r, row in enumerate(rows):
            start: int | None = None
            for col, dark in enumerate((*row, 0)):
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    x = left + (start + 4) * module
                    y = top - (r + 5) * module
                    self.c.rect(x, y, (col - start) * module, module, stroke=0, fill=1)
                    start = None
        if left > MARGIN:
            return self._paragraph(QR_WARNING, left, top - side - 6, SANS, 9)
        self._paragraph(QR_WARNING, left + side + 12, top - 16, SANS, 9)
        return top - side

    def _paragraph(self, text: str, x: float, y: float, font: str, size: float) -> float:
        from reportlab.lib.utils import simpleSplit

        for line in simpleSplit(text, font, size, self.right - x):
            self.c.setFont(font, size)
            self.c.drawString(x, y, line)
            y -= size * 1.35
        return y

    def _custody(self) -> None:
        self.y -= 22
        self._text(MARGIN, "Custody (fill in by hand)", SANS_BOLD, 9)
        half = (self.right - MARGIN) / 2
        for index, label in enumerate(CUSTODY_FIELDS):
            if index % 2 == 0:
                self.y -= 24
            x = MARGIN + (index % 2) * half
            self._text(x, label, SANS, 9)
            self.c.line(x + 80, self.y - 2, x + half - 12, self.y - 2)

    def _instructions(self) -> None:
        self.y -= 26
        self._text(MARGIN, "Instructions", SANS_BOLD, 9)
        y = self.y - 13
        for item in self.content.instructions():
            y = self._paragraph(f"•  {item}", MARGIN, y, SANS, 9) - 2
        self.y = y

    def _footer(self) -> None:
        self.c.setFont(SANS, 7.5)
        footer = f"{self.content.serial} · {self.content.copy_label(self.number)}"
        self.c.drawString(MARGIN, MARGIN - 20, footer)

    def _watermark(self) -> None:
        self.c.saveState()
        self.c.setFillColorRGB(0.85, 0.85, 0.85)
        self.c.translate(self.width / 2, self.height / 2)
        self.c.rotate(35)
        self.c.setFont(SANS_BOLD, 64)
        self.c.drawCentredString(0, 0, "TEST PAGE")
        self.c.restoreState()
