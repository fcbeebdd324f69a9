"""The runbook PDF and Markdown: real bytes, read back through pypdfium2's text layer."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from runbook_sample import (
    ALPHA,
    BRAVO,
    LAST_DRILL,
    NEXT_DUE,
    SERIALS,
    TENANT_NAME,
    TODAY,
    contoso_profile,
)

from bgwizard.errors import PrintError, RunbookError
from bgwizard.runbook.model import RUNBOOK_SECTIONS
from bgwizard.runbook.pdf import column_widths, render_runbook_pdf
from bgwizard.runbook.service import RunbookService, drill_record
from bgwizard.sheets.model import PAPER_SIZES

FAKE_LP = '#!/bin/sh\ncat > "$LP_OUT"\necho "request id is fake-3 (1 file(s))"\n'


def page_texts(data: bytes) -> list[str]:
    return [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data)]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def service() -> RunbookService:
    return RunbookService(contoso_profile(), today=lambda: TODAY, log_path=Path("/nonexistent"))


def test_text_layer_holds_upns_serials_and_drill_dates(service: RunbookService) -> None:
    rendered = service.render_pdf(service.document("runbook"))
    text = flat(" ".join(page_texts(rendered.data)))
    for upn in (ALPHA, BRAVO):
        assert upn in text
    for serial in SERIALS.values():
        assert serial in text
    assert f"Last passed drill {LAST_DRILL.isoformat()}" in text
    assert f"Next drill due {NEXT_DUE.isoformat()}" in text
    assert "Fire safe, HQ Felixstowe" in text and "Grace Okafor, CISO" in text


def test_every_page_has_tenant_printed_on_and_page_number(service: RunbookService) -> None:
    rendered = service.render_pdf(service.document("runbook"))
    pages = page_texts(rendered.data)
    assert rendered.pages == len(pages) >= len(RUNBOOK_SECTIONS)
    for number, text in enumerate(pages, start=1):
        assert TENANT_NAME in text
        assert f"Printed on {TODAY.isoformat()}" in text
        assert f"Page {number} of {len(pages)}" in text
        assert "Break glass runbook" in text


def test_each_section_starts_on_a_new_page(service: RunbookService) -> None:
    pages = page_texts(service.render_pdf(service.document("runbook")).data)
    heads = ["Emergency access procedure", "Account register", "Drill record", "Contacts"]
    found = [next(i for i, t in enumerate(pages) if t.lstrip().startswith(h)) for h in heads]
    assert found[0] == 0
    assert found == sorted(set(found))


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_paper_sizes(service: RunbookService, paper: str) -> None:
    rendered = service.render_pdf(service.document("checklist"), paper)
    size = pdfium.PdfDocument(rendered.data)[0].get_size()
    assert size == pytest.approx(PAPER_SIZES[paper], abs=0.5)
    assert rendered.pages == 1
    assert "Drill checklist" in page_texts(rendered.data)[0]


def test_same_fonts_as_the_credential_sheet_embedded(service: RunbookService) -> None:
    data = service.render_pdf(service.document("runbook")).data
    fonts = set(re.findall(rb"/BaseFont /(\S+)", data))
    assert {f.split(b"+")[-1] for f in fonts} == {
        b"DejaVuSans",
        b"DejaVuSans-Bold",
        b"DejaVuSansMono",
    }
    assert data.count(b"/FontFile2") == len(fonts)


def test_unknown_paper_is_one_sentence(service: RunbookService) -> None:
    with pytest.raises(RunbookError, match="Unknown paper size 'legal'"):
        service.render_pdf(service.document("checklist"), "legal")
    with pytest.raises(RunbookError, match="Unknown document"):
        service.document("poster")


def test_markdown_holds_the_same_facts_and_page_breaks(service: RunbookService) -> None:
    document = service.document("runbook")
    text = document.markdown()
    assert text.startswith(f"Break glass runbook · {TENANT_NAME} (")
    assert f"printed on {TODAY.isoformat()}" in text
    assert text.count("<!-- page break -->") >= len(RUNBOOK_SECTIONS) - 1
    for fact in (ALPHA, BRAVO, *SERIALS.values(), NEXT_DUE.isoformat()):
        assert fact in text


def test_print_goes_to_the_spooler_on_stdin(
    service: RunbookService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lp").write_text(FAKE_LP)
    (bin_dir / "lp").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LP_OUT", str(tmp_path / "job.pdf"))
    rendered = service.render_pdf(service.document("runbook"))
    assert service.print_pdf(rendered) == "request id is fake-3 (1 file(s))"
    assert (tmp_path / "job.pdf").read_bytes() == rendered.data


def test_save_pdf_and_markdown_0600_never_overwrite(
    service: RunbookService, tmp_path: Path
) -> None:
    document = service.document("checklist")
    md_path = service.save(document.markdown(), tmp_path / "checklist.md")
    assert md_path.read_text(encoding="utf-8") == document.markdown()
    assert stat.S_IMODE(md_path.stat().st_mode) == 0o600
    pdf = service.save(service.render_pdf(document).data, tmp_path / "checklist.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    with pytest.raises(PrintError, match="already exists"):
        service.save(b"x", pdf)


def test_drill_record_from_log_data() -> None:
    record = drill_record("2026-11-20T10:00:00Z", "tom.becker", {"passed": False, "notes": "n"})
    assert (record.date, record.operator, record.result, record.notes) == (
        dt.date(2026, 11, 20),
        "tom.becker",
        "fail",
        "n",
    )
    dated = drill_record("2026-11-21T01:00:00Z", "a", {"result": "pass", "date": "2026-11-20"})
    assert dated.date == dt.date(2026, 11, 20) and dated.passed
    assert drill_record("2026-11-21T01:00:00Z", "a", {}).result == "(not recorded)"


def test_column_widths_keep_long_words_whole_and_fill_the_width() -> None:
    rows = [["Account", "Serial"], ["`bg-alpha@contoso.onmicrosoft.com`", "S-7KQ4-M2XP"]]
    widths = column_widths(rows, 400.0, lambda text: 6.0 * len(text))
    assert sum(widths) == pytest.approx(400.0)
    assert widths[0] >= 6.0 * len("`bg-alpha@contoso.onmicrosoft.com`")


def test_markup_characters_are_escaped() -> None:
    rendered = render_runbook_pdf(
        ["# A & B <c>\n\nx < y & **z**"], title="T", tenant_label="L", printed_on=TODAY
    )
    assert "A & B <c>" in page_texts(rendered.data)[0]


def test_importing_the_services_loads_neither_reportlab_nor_jinja2() -> None:
    code = (
        "import sys, bgwizard.runbook.service, bgwizard.runbook.templates;"
        "import bgwizard.cli.print_runbook;"
        "print([m for m in ('reportlab', 'jinja2', 'textual') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_account_with_a_current_security_key_signs_in_with_its_passkey() -> None:
    """The register says "passkey" only for an account whose key is registered and not retired."""
    from bgwizard.profile.model import SecurityKeyRecord

    profile = contoso_profile()
    alpha, bravo = profile.accounts
    alpha.security_keys.append(SecurityKeyRecord("BG key 1", "aaguid-1", "YubiKey 5"))
    bravo.security_keys.append(
        SecurityKeyRecord("BG key 2", "aaguid-2", "YubiKey 5", retired=TODAY)
    )
    service = RunbookService(profile, today=lambda: TODAY, log_path=Path("/nonexistent"))
    methods = {a.upn: a.sign_in_method for a in service.context().accounts}
    assert methods == {ALPHA: "passkey", BRAVO: "password"}
