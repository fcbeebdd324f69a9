"""The PIN sheet of a security key: one page, in memory, kept apart from the key.

The credential sheet says "its PIN is on its own PIN sheet"; this is that sheet. Like the credential
sheet it is drawn with the shipped fonts and never touches the disk; the PIN is revealed
only into the PDF's drawing calls.
"""

from __future__ import annotations

import io
from typing import Final

from bgwizard.sheets.model import PAPER_SIZES, PinSheet, RenderedSheet, blocks
from bgwizard.sheets.pdf import MARGIN, MONO, SANS, SANS_BOLD
from bgwizard.sheets.pdf import register_fonts as _register_fonts

TITLE: Final = "Key PIN"
"""Neutral on purpose, like the credential sheet's title."""


def render_pin_sheet(sheet: PinSheet, paper: str = "a4") -> RenderedSheet:
    """Draw the PIN sheet as a one-page PDF.

    Raises:
        ValueError: ``paper`` is not a known size.
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"Unknown paper size {paper!r}; use a4 or letter.")
    _register_fonts()
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    width, height = PAPER_SIZES[paper]
    c = Canvas(buffer, pagesize=(width, height), pageCompression=1, initialFontName=SANS)
    c.setTitle(f"Sheet {sheet.serial}")
    c.setAuthor("")
    c.setCreator("bgwizard")
    right, y = width - MARGIN, height - MARGIN - 9
    c.setFont(SANS, 9)
    c.drawString(MARGIN, y, TITLE)
    c.setFont(MONO, 10)
    c.drawRightString(right, y, f"Serial {sheet.serial}")
    y -= 14
    c.line(MARGIN, y, right, y)
    rows = [
        ("Tenant", sheet.tenant_name or "—"),
        ("Account", sheet.upn),
        ("Key", sheet.key_label),
        ("Model", sheet.model or "—"),
        ("AAGUID", sheet.aaguid),
        ("Generated", sheet.generated.isoformat()),
    ]
    for label, value in rows:
        y -= 16
        c.setFont(SANS, 9)
        c.drawString(MARGIN, y, label)
        c.setFont(MONO, 10)
        c.drawString(MARGIN + 70, y, value)
    y -= 40
    c.setFont(SANS, 9)
    c.drawString(MARGIN, y + 24, f"PIN: {len(sheet.pin)} digits")
    c.rect(MARGIN, y - 14, right - MARGIN, 44)
    c.setFont(MONO, 26)
    c.drawString(MARGIN + 12, y, "  ".join(blocks(sheet.pin.reveal())))
    y -= 44
    c.setFont(SANS_BOLD, 9)
    c.drawString(MARGIN, y, "Instructions")
    y -= 13
    for item in sheet.instructions():
        for line in simpleSplit(f"•  {item}", SANS, 9, right - MARGIN):
            c.setFont(SANS, 9)
            c.drawString(MARGIN, y, line)
            y -= 12
    c.showPage()
    c.save()
    return RenderedSheet(buffer.getvalue(), sheet.serial, 1, paper)
