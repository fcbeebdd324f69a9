"""How well OCR reads the password lines of credential sheets: tesseract at 300 dpi.

Generates N sheets (random 64-character passwords, the default policy), renders the password
box of page 1 with ``pdftoppm -r 300 -gray``, runs ``tesseract --psm 6`` on it, and counts the
password lines read exactly (spaces ignored). People misread the same shapes OCR does (k/K,
r/F, 7//, 8/S, 9/O), so the figure is a proxy for legibility; the check codes catch what is
still misread.

Each style is ``font:spacing`` (spacing: extra space between characters, a fraction of the
size), compared on the same passwords. Needs tesseract-ocr and poppler-utils.

Usage: ``python bench/ocr.py [--sheets 20] [--style BgwMono:0 --style BgwMono-Bold:0.08]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.secret import Secret
from bgwizard.sheets import pdf
from bgwizard.sheets.password import generate_password
from bgwizard.sheets.service import SheetService


def read_lines(data: bytes, work: Path) -> list[str]:
    """The OCR text of page 1 of the PDF ``data``, one entry per line, spaces removed."""
    (work / "sheet.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
         "-x", "0", "-y", "700", "-W", "2480", "-H", "900",  # the password box (A4)
         str(work / "sheet.pdf"), str(work / "page")],
        check=True,
    )  # fmt: skip
    out = subprocess.run(
        ["tesseract", str(work / "page.png"), "stdout", "--psm", "6"],
        check=True,
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    ).stdout.decode("utf-8", "replace")
    return ["".join(line.split()) for line in out.splitlines()]


def measure(passwords: list[Secret], style: tuple[str, float], work: Path) -> tuple[int, int]:
    """(lines read exactly, lines) over ``passwords`` drawn in ``style``."""
    pdf.PASSWORD_STYLE = style
    service = SheetService(today=lambda: dt.date(2026, 12, 2))
    account = BreakGlassAccount("svc-iam-recovery01@contosologistics.onmicrosoft.com", "oid")
    good = total = 0
    for password in passwords:
        content = service.build(Profile(tenant_name="Contoso"), account, password)
        ocr = read_lines(pdf.render_sheet(content).data, work)
        for line in content.lines():
            total += 1
            good += any(line.reveal() in text for text in ocr)
    return good, total


def main() -> int:
    """Print the line accuracy of each style."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=20)
    parser.add_argument("--style", action="append", default=[])
    args = parser.parse_args()
    if not (shutil.which("tesseract") and shutil.which("pdftoppm")):
        print("needs tesseract-ocr and poppler-utils", file=sys.stderr)
        return 2
    styles = args.style or [f"{pdf.MONO}:0", f"{pdf.PASSWORD_STYLE[0]}:{pdf.PASSWORD_STYLE[1]}"]
    passwords = [generate_password() for _ in range(args.sheets)]
    with tempfile.TemporaryDirectory() as folder:
        for text in styles:
            font, spacing = text.rsplit(":", 1)
            good, total = measure(passwords, (font, float(spacing)), Path(folder))
            print(
                f"{font} spacing {spacing}: {good}/{total} lines read exactly ({good / total:.0%})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
