"""The PIN sheet of a security key: one page, in memory, kept apart from the key.

The credential sheet says "PIN on the PIN sheet"; this is that sheet. Like the credential
sheet it is drawn with the shipped fonts and never touches the disk; the PIN is revealed
only into the PDF's drawing calls.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Final

from bgwizard.secret import Secret
from bgwizard.sheets.model import blocks, new_serial
from bgwizard.sheets.pdf import MARGIN, MONO, PAPER_SIZES, SANS, SANS_BOLD, RenderedSheet
from bgwizard.sheets.pdf import register_fonts as _register_fonts

TITLE: Final = "Key PIN"
"""Neutral on purpose, like the credential sheet's title."""


@dataclass(frozen=True)
class PinSheet:
    """What a PIN sheet says."""

    upn: str
    key_label: str
    model: str
    aaguid: str
    pin: Secret = field(repr=False)
    generated: dt.date
    tenant_name: str = ""
    serial: str = field(default_factory=new_serial)

    def instructions(self) -> list[str]:
        """The short instructions printed under the PIN."""
        return [
            "Keep this sheet in a different envelope or safe from the key and its account sheet.",
            f"Sign in as {self.upn}: choose sign-in options, then security key; insert the key,"
            " type this PIN and touch the key.",
            "The key locks after 8 wrong PINs; a locked key must be reset and registered again.",
            "Never photograph, scan or type this PIN into a file.",
        ]


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
    return RenderedSheet(buffer.getvalue(), sheet.serial, 1)
