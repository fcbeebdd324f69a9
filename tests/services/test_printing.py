"""Printing on the spooler's standard input, and saving to a path the user typed."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

from bgwizard.errors import PrintError
from bgwizard.sheets.model import Spooler
from bgwizard.sheets.printing import find_spooler, save_to_path, send_to_spooler

DATA = b"%PDF-1.4\n" + os.urandom(50_000) + b"\n%%EOF\n"
FAKE = """#!/bin/sh
printf '%s\\n' "$@" > "$FAKE_LP_DIR/{name}.args"
cat > "$FAKE_LP_DIR/.stdin-$$"
wc -c < "$FAKE_LP_DIR/.stdin-$$" | tr -d ' ' > "$FAKE_LP_DIR/{name}.length"
sha256sum "$FAKE_LP_DIR/.stdin-$$" | cut -d' ' -f1 > "$FAKE_LP_DIR/{name}.sha256"
rm -f "$FAKE_LP_DIR/.stdin-$$"
{tail}
"""


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH directory for fake spoolers and a report directory; TMPDIR kept empty."""
    for name in ("bin", "tools", "report", "tmp"):
        (tmp_path / name).mkdir()
    for tool in ("sh", "cat", "wc", "tr", "sha256sum", "cut", "rm"):  # what the fakes run;
        found = shutil.which(tool)  # not /usr/bin itself, where a real lp may be installed
        assert found, tool
        (tmp_path / "tools" / tool).symlink_to(found)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{tmp_path / 'tools'}")
    monkeypatch.setenv("FAKE_LP_DIR", str(tmp_path / "report"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    return tmp_path


def fake(spool: Path, name: str, tail: str = 'echo "request id is fake-7 (1 file(s))"') -> None:
    path = spool / "bin" / name
    path.write_text(FAKE.format(name=name, tail=tail))
    path.chmod(stat.S_IRWXU)


def test_lp_gets_the_pdf_on_stdin_and_no_file_argument(spool: Path) -> None:
    fake(spool, "lp")
    said = send_to_spooler(DATA, "sheet S-ABCD-2345")
    report = spool / "report"
    assert said == "request id is fake-7 (1 file(s))"
    assert (report / "lp.length").read_text().strip() == str(len(DATA))
    assert (report / "lp.sha256").read_text().strip() == hashlib.sha256(DATA).hexdigest()
    assert (report / "lp.args").read_text().splitlines() == ["-t", "sheet S-ABCD-2345"]
    assert list((spool / "tmp").iterdir()) == []  # no temp file
    assert sorted(p.name for p in report.iterdir()) == ["lp.args", "lp.length", "lp.sha256"]


def test_printer_name_is_passed(spool: Path) -> None:
    fake(spool, "lp")
    send_to_spooler(DATA, "t", printer="office")
    assert (spool / "report" / "lp.args").read_text().split() == ["-t", "t", "-d", "office"]


def test_lpr_is_the_fallback(spool: Path) -> None:
    fake(spool, "lpr", tail="")
    assert find_spooler() == Spooler("lpr", str(spool / "bin" / "lpr"))
    assert send_to_spooler(DATA, "t", printer="p") == "Sent to the printer with lpr."
    assert (spool / "report" / "lpr.args").read_text().split() == ["-T", "t", "-P", "p"]
    assert (spool / "report" / "lpr.length").read_text().strip() == str(len(DATA))


def test_lp_is_preferred(spool: Path) -> None:
    fake(spool, "lpr")
    fake(spool, "lp")
    spooler = find_spooler()
    assert spooler is not None and spooler.name == "lp"


def test_no_spooler_is_one_clear_sentence(spool: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(spool / "bin"))
    assert find_spooler() is None
    with pytest.raises(PrintError, match=r"^No print spooler \(lp or lpr\) was found; save"):
        send_to_spooler(DATA, "t")


def test_refused_job_reports_the_spooler_reason(spool: Path) -> None:
    fake(spool, "lp", tail='echo "lp: The printer or class does not exist." >&2; exit 1')
    with pytest.raises(PrintError) as info:
        send_to_spooler(DATA, "t")
    assert str(info.value) == (
        "The print spooler refused the job: lp: The printer or class does not exist."
    )


def test_save_creates_0600_file(tmp_path: Path) -> None:
    target = tmp_path / "sheet.pdf"
    written = save_to_path(DATA, target)
    assert written == target
    assert target.read_bytes() == DATA
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_save_ignores_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        save_to_path(DATA, tmp_path / "sheet.pdf")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "sheet.pdf").stat().st_mode) == 0o600


def test_save_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"keep me")
    with pytest.raises(PrintError, match="already exists; choose a new file name"):
        save_to_path(DATA, target)
    assert target.read_bytes() == b"keep me"


def test_save_refuses_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "link.pdf").symlink_to(elsewhere)
    with pytest.raises(PrintError):
        save_to_path(DATA, tmp_path / "link.pdf")
    assert not elsewhere.exists()


def test_save_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PrintError, match=r"^Cannot create .*: No such file or directory\.$"):
        save_to_path(DATA, tmp_path / "missing" / "sheet.pdf")


def test_save_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert save_to_path(DATA, "~/s.pdf") == tmp_path / "s.pdf"
