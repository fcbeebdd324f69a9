"""The sheet PDF: real bytes, read back through pypdfium2 (text layer) and zxing-cpp (QR)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from bgwizard.errors import SheetError
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.secret import Secret
from bgwizard.sheets.model import PAPER_SIZES, RenderedSheet, SheetContent
from bgwizard.sheets.password import PasswordPolicy, generate_password
from bgwizard.sheets.pdf import render_sheet
from bgwizard.sheets.service import SheetService

DAY = dt.date(2026, 11, 27)
LINE_RE = re.compile(r"(?<!\S)(\d{1,2})((?: \S{1,4}){1,4}) check (\d\d)(?!\S)")
"""A printed password line in the text layer: number, four blocks, check code."""


def make(password: Secret, **kwargs: Any) -> SheetContent:
    service = SheetService(today=lambda: DAY)
    profile = Profile(
        tenant_id="5f1c6f0e-7d3b-4a55-9c2e-1a2b3c4d5e6f", tenant_name="Contoso Logistics"
    )
    account = BreakGlassAccount(
        "bg-alpha@contosologistics.onmicrosoft.com", locations=["Safe A, HQ", "Bank box 12"]
    )
    return service.build(profile, account, password, **kwargs)


def page_texts(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    return [page.get_textpage().get_text_range() for page in doc]


def password_from_text(text: str) -> str:
    """The password as the text layer gives it: the numbered lines, in order, joined."""
    found = LINE_RE.findall(text)
    assert [int(m[0]) for m in found] == list(range(1, len(found) + 1))
    return "".join(m[1].replace(" ", "") for m in found)


def qr_texts(data: bytes, page: int = 0, dpi: int = 200) -> list[str]:
    image = pdfium.PdfDocument(data)[page].render(scale=dpi / 72).to_pil()
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


@pytest.fixture(scope="module")
def password() -> Secret:
    return generate_password()


@pytest.fixture(scope="module")
def sheet(password: Secret) -> tuple[SheetContent, RenderedSheet]:
    content = make(password)
    return content, render_sheet(content, "a4")


def test_pdf_bytes_two_pages_one_per_copy(sheet: tuple[SheetContent, RenderedSheet]) -> None:
    content, rendered = sheet
    assert rendered.data.startswith(b"%PDF-")
    assert rendered.data.rstrip().endswith(b"%%EOF")
    assert rendered.pages == 2 and len(pdfium.PdfDocument(rendered.data)) == 2
    assert rendered.serial == content.serial


def test_text_layer_holds_the_password_in_four_lines_in_order(
    sheet: tuple[SheetContent, RenderedSheet], password: Secret
) -> None:
    for text in page_texts(sheet[1].data):
        lines = [m[1].replace(" ", "") for m in LINE_RE.findall(text)]
        assert lines == [line.reveal() for line in sheet[0].lines()]
        assert "".join(lines) == password.reveal()


def test_check_codes_follow_their_lines(sheet: tuple[SheetContent, RenderedSheet]) -> None:
    text = page_texts(sheet[1].data)[0]
    assert re.findall(r"check (\d\d)", text) == sheet[0].check_codes()


def test_qr_decodes_to_the_password(
    sheet: tuple[SheetContent, RenderedSheet], password: Secret
) -> None:
    for page in (0, 1):
        assert qr_texts(sheet[1].data, page) == [password.reveal()]


def test_copy_marks_locations_and_identity(sheet: tuple[SheetContent, RenderedSheet]) -> None:
    content, rendered = sheet
    first, second = page_texts(rendered.data)
    assert "copy 1 of 2 — location: Safe A, HQ" in first
    assert "copy 2 of 2 — location: Bank box 12" in second
    for text in (first, second):
        assert f"Serial {content.serial}" in text
        assert "Contoso Logistics" in text and "5f1c6f0e-7d3b-4a55-9c2e-1a2b3c4d5e6f" in text
        assert "bg-alpha@contosologistics.onmicrosoft.com" in text and "2026-11-27" in text
        for label in ("Sealed by", "Witnessed by", "Envelope number", "Object id"):
            assert label in text
        assert "with a phone" in text and "offline USB scanner" in text and "rotate" in text
        low = text.lower()
        assert "break glass" not in low and "emergency" not in low and "test page" not in low


def test_object_id_is_printed_once_known(password: Secret) -> None:
    content = make(password)
    known = SheetContent(
        **{**content.__dict__, "object_id": "0b1e2c3d-1111-4000-8000-0000000000a1"}
    )
    assert "0b1e2c3d-1111-4000-8000-0000000000a1" in page_texts(render_sheet(known).data)[0]


def test_fonts_are_embedded_dejavu(sheet: tuple[SheetContent, RenderedSheet]) -> None:
    fonts = set(re.findall(rb"/BaseFont\s*/(\S+)", sheet[1].data))
    assert b"AAAAAA+DejaVuSansMono" in fonts
    assert all(b"+" in name for name in fonts), fonts  # every font is an embedded subset
    assert b"/FontFile2" in sheet[1].data


def test_pdf_bytes_hold_no_plain_password(sheet: tuple[SheetContent, RenderedSheet]) -> None:
    data = sheet[1].data
    for line in sheet[0].lines():
        assert line.reveal().encode() not in data
    assert "RenderedSheet(serial=" in repr(sheet[1]) and "bytes" in repr(sheet[1])


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.28, 841.89)), ("letter", (612.0, 792.0))])
def test_paper_sizes(password: Secret, paper: str, size: tuple[float, float]) -> None:
    doc = pdfium.PdfDocument(render_sheet(make(password), paper).data)
    for page in doc:
        assert tuple(round(v, 2) for v in page.get_size()) == size


@pytest.mark.parametrize("paper", sorted(PAPER_SIZES))
@pytest.mark.parametrize(
    ("length", "symbols"), [(64, True), (128, False), (200, True), (256, False)]
)
def test_long_passwords_fit_and_decode(paper: str, length: int, symbols: bool) -> None:
    password = generate_password(PasswordPolicy(length, symbols))
    rendered = render_sheet(make(password), paper)  # raises if the content overflows the page
    assert password_from_text(page_texts(rendered.data)[1]) == password.reveal()
    assert qr_texts(rendered.data, 1, dpi=300) == [password.reveal()]


def test_qr_can_be_left_off(password: Secret) -> None:
    rendered = render_sheet(make(password, include_qr=False))
    assert qr_texts(rendered.data) == []
    assert "never with a phone" not in page_texts(rendered.data)[0]
    assert password_from_text(page_texts(rendered.data)[0]) == password.reveal()


def test_profile_qr_preference_is_the_default(password: Secret) -> None:
    service = SheetService()
    account = BreakGlassAccount("bg@x.onmicrosoft.com")
    assert not service.build(Profile(sheet_qr=False), account, password).include_qr
    assert service.build(Profile(), account, password).include_qr


def test_test_page_is_marked_in_large_type(password: Secret) -> None:
    rendered = render_sheet(make(password, test_page=True), "letter")
    for index, text in enumerate(page_texts(rendered.data)):
        assert "TEST PAGE — NOT A CREDENTIAL" in text
        page = pdfium.PdfDocument(rendered.data)[index].get_textpage()
        start = text.index("TEST PAGE — NOT A CREDENTIAL")
        assert pdfium.raw.FPDFText_GetFontSize(page.raw, start) >= 24


def test_unknown_paper_is_a_clear_error(password: Secret) -> None:
    with pytest.raises(SheetError, match="Unknown paper size 'a5'"):
        SheetService().render(make(password), "a5")


def test_reportlab_is_imported_lazily() -> None:
    code = (
        "import sys, bgwizard.sheets.service, bgwizard.sheets.pdf, bgwizard.screens.sheets.screen;"
        "print('reportlab' in sys.modules, 'segno' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
