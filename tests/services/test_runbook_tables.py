"""Issue 20: runbook tables wrap at word boundaries ("Custodian|s", "Res|ult", "PAS|S",
"2026-12-|02" were printed), a UPN too wide for its column breaks before its ``@``, and a
snapshot of the rendered page (pdftoppm, 40 dpi, grey) shows the layout.

Regenerate the snapshot after an intended layout change with
``BGWIZARD_UPDATE_SNAPSHOTS=1 pytest tests/services/test_runbook_tables.py`` and look at it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageStat
from runbook_sample import TODAY

from bgwizard.runbook.pdf import render_runbook_pdf

SNAPSHOT = Path(__file__).parent / "snapshots" / "runbook_tables.png"
UPN = "svc-iam-recovery01@contosologistics.onmicrosoft.com"
UPN2 = "svc-iam-recovery02@contosologistics.onmicrosoft.com"
STORED = "Fire safe, HQ Felixstowe; Bank deposit box 12, Ipswich"
NOTES = "training drill in the demo tenant, alert arrived at 09:16"
TABLES = "\n".join(
    [
        "# Drill record",
        "",
        "| Account | Current sheet serials | Stored at | Custodians |",
        "|---|---|---|---|",
        f"| `{UPN}` | S-7KQ4-M2XP | {STORED} | Grace Okafor, Tom Becker |",
        "",
        "| Date | Account | Operator | Result | Notes |",
        "|---|---|---|---|---|",
        f"| 2026-12-02 | `{UPN}` | alex.doe | **PASS** | {NOTES} |",
        f"| 2026-09-14 | `{UPN2}` | grace.okafor | FAIL | sheet serial retired |",
        "",
    ]
)
WORDS = ["Custodians", "Result", "PASS", "FAIL", "2026-12-02", "2026-09-14", "Operator",
         "S-7KQ4-M2XP", "grace.okafor", "svc-iam-recovery01",
         "@contosologistics.onmicrosoft.com"]  # fmt: skip


def _pdf() -> bytes:
    return render_runbook_pdf([TABLES], title="T", tenant_label="L", printed_on=TODAY).data


def test_table_words_are_never_broken() -> None:
    text = pdfium.PdfDocument(_pdf())[0].get_textpage().get_text_range()
    tokens = {token for line in text.splitlines() for token in line.split()}
    missing = [word for word in WORDS if word not in tokens]
    assert missing == [], text


def test_rendered_page_matches_its_snapshot(tmp_path: Path) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: run make system-deps (poppler-utils)"
    pdf = tmp_path / "tables.pdf"
    pdf.write_bytes(_pdf())
    subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    page = Image.open(tmp_path / "page.png").convert("L")
    if os.environ.get("BGWIZARD_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        page.save(SNAPSHOT)
    expected = Image.open(io.BytesIO(SNAPSHOT.read_bytes())).convert("L")
    assert page.size == expected.size
    difference = ImageStat.Stat(ImageChops.difference(page, expected)).mean[0]
    assert difference < 1.0, f"the page differs from {SNAPSHOT.name} (mean {difference:.2f})"
