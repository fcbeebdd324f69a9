"""``bgwizard print test-sheet``: the real sheet with a dummy password, marked as a test page."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from cups_server import real_printer

from bgwizard.cli.main import main


def run_test_sheet(argv: list[str]) -> int:
    """``bgwizard print test-sheet ARGV…``, in this process."""
    return main(["print", "test-sheet", *argv])


def dummy_lines(stdout: str) -> list[str]:
    return [
        m.replace(" ", "")
        for m in re.findall(r"^  ((?:\S{4} ){3}\S{4})   check \d\d$", stdout, re.M)
    ]


def check_pdf(data: bytes, password: str, size: tuple[float, float]) -> None:
    doc = pdfium.PdfDocument(data)
    assert len(doc) == 2
    for page in doc:
        assert tuple(round(v, 2) for v in page.get_size()) == size
        assert "TEST PAGE — NOT A CREDENTIAL" in page.get_textpage().get_text_range()
    image = doc[0].render(scale=200 / 72).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [password]


def test_out_saves_a_test_sheet_and_prints_the_dummy_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "test.pdf"
    assert run_test_sheet(["--out", str(target), "--paper", "letter"]) == 0
    out = capsys.readouterr().out
    lines = dummy_lines(out)
    assert len(lines) == 4 and all(len(line) == 16 for line in lines)
    assert "NOT a credential" in out and f"saved to {target}" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    check_pdf(target.read_bytes(), "".join(lines), (612.0, 792.0))


def test_default_prints_through_cups_and_follows_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cups = real_printer(tmp_path, monkeypatch)
    assert run_test_sheet([]) == 0
    out = capsys.readouterr().out
    assert "Job office-1 printed. Job office-1 was purged: no copy is left" in out
    received = (cups.printed / "office" / "job-1.pdf").read_bytes()
    check_pdf(received, "".join(dummy_lines(out)), (595.28, 841.89))


def test_no_spooler_fails_with_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run_test_sheet(["--paper", "a4"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        "bgwizard: No lp command (CUPS) was found to print with; save the sheet to a file instead."
    )
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_existing_out_file_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "test.pdf"
    target.write_text("mine")
    assert run_test_sheet(["--out", str(target)]) == 2
    assert target.read_text() == "mine"
    assert "already exists" in capsys.readouterr().err


def test_no_qr_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "t.pdf"
    assert run_test_sheet(["--out", str(target), "--no-qr"]) == 0
    image = pdfium.PdfDocument(target.read_bytes())[0].render(scale=200 / 72).to_pil()
    assert zxingcpp.read_barcodes(image) == []


def test_bad_paper_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_test_sheet(["--paper", "a5"]) == 2
    assert "invalid choice: 'a5'" in capsys.readouterr().err
