"""``bgwizard print runbook|checklist``: exit codes, outputs, one-sentence errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from runbook_sample import ALPHA, BRAVO, NEXT_DUE, SERIALS, contoso_profile

from bgwizard.cli.main import main
from bgwizard.profile.store import TomlProfileStore

FAKE_LP = '#!/bin/sh\ncat > "$LP_OUT"\necho "request id is fake-9 (1 file(s))"\n'


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "profile.toml"
    TomlProfileStore(path).save(contoso_profile())
    return path


def run_print(what: str, argv: list[str]) -> int:
    """``bgwizard print WHAT ARGV…``, in this process."""
    return main(["print", what, *argv])


def pdf_text(path: Path) -> str:
    return " ".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(path))


def test_runbook_pdf_saved_to_a_new_0600_file(
    profile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runbook.pdf"
    assert run_print("runbook", ["--profile", str(profile_file), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = pdf_text(out)
    for fact in (ALPHA, BRAVO, *SERIALS.values(), NEXT_DUE.isoformat()):
        assert fact in text
    said = capsys.readouterr().out
    assert said.startswith("Break glass runbook (") and f"saved to {out}" in said


def test_checklist_markdown_to_stdout(
    profile_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_print("checklist", ["--profile", str(profile_file), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "# Drill checklist (fill in by hand)" in out
    assert "- [ ] Security team notified" in out
    assert ALPHA in out and NEXT_DUE.isoformat() in out


def test_letter_paper(profile_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.pdf"
    args = ["--profile", str(profile_file), "--paper", "letter", "--out", str(out)]
    assert run_print("checklist", args) == 0
    assert pdfium.PdfDocument(out)[0].get_size() == pytest.approx((612, 792), abs=0.5)


def test_print_goes_to_the_spooler(
    profile_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lp").write_text(FAKE_LP)
    (bin_dir / "lp").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LP_OUT", str(tmp_path / "job.pdf"))
    assert run_print("runbook", ["--profile", str(profile_file)]) == 0
    assert "request id is fake-9" in capsys.readouterr().out
    assert ALPHA in pdf_text(tmp_path / "job.pdf")


def test_no_spooler_is_one_sentence(
    profile_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert run_print("runbook", ["--profile", str(profile_file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bgwizard: No print spooler") and err.count("\n") == 1


def test_existing_output_is_never_overwritten(
    profile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runbook.md"
    out.write_text("keep me")
    args = ["--profile", str(profile_file), "--format", "md", "--out", str(out)]
    assert run_print("runbook", args) == 2
    assert out.read_text() == "keep me"
    assert "already exists" in capsys.readouterr().err


def test_broken_user_template_names_file_and_line(
    profile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "contacts.md.j2").write_text("# Contacts\n{% for c in contacts %}\n")
    args = ["--profile", str(profile_file), "--templates", str(templates), "--format", "md"]
    assert run_print("runbook", args) == 2
    err = capsys.readouterr().err
    assert f"{templates / 'contacts.md.j2'} has a syntax error on line" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_user_template_from_the_profile_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "drill_checklist.md.j2").write_text(
        "# House checklist\n\n- [ ] ring {{ tenant_name }}\n"
    )
    profile = contoso_profile()
    profile.runbook_templates_dir = str(templates)
    path = tmp_path / "p.toml"
    TomlProfileStore(path).save(profile)
    assert run_print("checklist", ["--profile", str(path), "--format", "md"]) == 0
    assert "# House checklist\n\n- [ ] ring Contoso Logistics" in capsys.readouterr().out


def test_bad_usage_exits_2(profile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_print("runbook", ["--format", "docx"]) == 2
    assert "See --help." in capsys.readouterr().err
    assert run_print("poster", []) == 2


def test_help_needs_no_heavy_imports() -> None:
    code = (
        "import sys\nfrom bgwizard.cli.main import main\n"
        "main(['print', 'runbook', '--help'])\n"
        "print([m for m in ('reportlab', 'jinja2', 'textual') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.rstrip().endswith("[]")
    assert "--format {pdf,md}" in done.stdout
