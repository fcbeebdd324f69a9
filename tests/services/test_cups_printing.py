"""Credential sheets through a real CUPS scheduler (tests/cups_server.py), job by job.

The product's own code path sends the sheet (``lp`` on standard input, with its options), then
follows the job over IPP, purges it and checks the spool folder. The virtual printer keeps what
it received, so the tests read the printed document back: QR, text layer, pages, paper size.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from cups_server import CupsServer, running_cups

from bgwizard.errors import PrintError
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.sheets.jobs import PrintJob
from bgwizard.sheets.model import PAPER_SIZES
from bgwizard.sheets.service import SheetService

LINE_RE = re.compile(r"^\s*([1-4])\s+((?:\S{4} ){3}\S{4})\s+check\s+(\d\d)\s*$", re.MULTILINE)


@pytest.fixture
def cups(tmp_path: Path) -> Iterator[CupsServer]:
    """A scheduler that keeps documents for a day (CUPS's default) and a default queue."""
    with running_cups(tmp_path / "cups", preserve_job_files="86400") as server:
        server.add_queue("office", default=True)
        yield server


def sheet(service: SheetService, paper: str = "a4") -> tuple[str, list[str], bytes, object]:
    profile = Profile(tenant_name="Contoso", tenant_id="tid")
    account = BreakGlassAccount("bg-alpha@contoso.onmicrosoft.com", locations=["Safe A", "B"])
    password = service.new_password()
    content = service.build(profile, account, password)
    rendered = service.render(content, paper)
    return password.reveal(), content.check_codes(), rendered.data, rendered


def qr_texts(data: bytes, page: int) -> list[str]:
    image = pdfium.PdfDocument(data)[page].render(scale=200 / 72).to_pil()
    found = zxingcpp.read_barcodes(image)
    return [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_printer_receives_the_sheet_and_no_copy_stays_in_the_spool(
    cups: CupsServer, paper: str
) -> None:
    service = SheetService()
    password, codes, data, rendered = sheet(service, paper)
    seen: list[str] = []
    job = service.print_sheet(rendered, "office")  # type: ignore[arg-type]
    status = service.wait_for_job(job, progress=lambda s: seen.append(s.state))
    assert status.state == "printed" and seen[-1] == "printed"
    assert cups.documents(job.job_id), "PreserveJobFiles 86400 keeps the document: the risk"
    check = service.purge_job(job)
    assert check.clean and check.sentence().endswith("no copy is left in the spool folder.")
    assert cups.documents(job.job_id) == [] and not list(cups.spool.glob("d*"))

    received = (cups.printed / "office" / f"job-{job.job_id}.pdf").read_bytes()
    assert received == data
    document = pdfium.PdfDocument(received)
    assert len(document) == 2  # one page per copy
    width, height = PAPER_SIZES[paper]
    for page in document:
        assert page.get_size() == pytest.approx((width, height), abs=0.5)
    for number in (0, 1):
        assert qr_texts(received, number) == [password]
        text = document[number].get_textpage().get_text_range()
        lines = LINE_RE.findall(text)
        assert "".join(m[1].replace(" ", "") for m in lines) == password
        assert [m[2] for m in lines] == codes
    media = "A4" if paper == "a4" else "Letter"
    options = (cups.printed / "office" / f"job-{job.job_id}.options").read_text()
    assert f"media={media}" in options.split()
    title = (cups.printed / "office" / f"job-{job.job_id}.title").read_text().strip()
    assert title == f"sheet {rendered.serial}"  # type: ignore[attr-defined]
    assert "bg-alpha" not in title


def test_a_held_job_is_reported_and_purged_on_request(cups: CupsServer) -> None:
    cups.admin("lpadmin", "-p", "office", "-o", "job-hold-until-default=indefinite")
    service = SheetService()
    *_, rendered = sheet(service)
    job = service.print_sheet(rendered)  # type: ignore[arg-type]
    status = service.wait_for_job(job)
    assert status.state == "held" and status.needs_operator
    assert status.sentence().startswith(f"Job {job.name} is held")
    assert cups.documents(job.job_id)  # waiting in the queue, document and all
    assert service.purge_job(job).clean
    assert cups.documents(job.job_id) == []
    assert job.name not in cups.admin("lpstat", "-W", "all", "-o")
    assert not (cups.printed / "office" / f"job-{job.job_id}.pdf").exists()


def test_a_stopped_printer_is_reported_with_its_reason(cups: CupsServer) -> None:
    (cups.printed / "office" / "JAM").touch()
    service = SheetService()
    *_, rendered = sheet(service)
    job = service.print_sheet(rendered)  # type: ignore[arg-type]
    status = service.wait_for_job(job)
    assert status.state == "stopped"
    assert status.sentence() == f"Job {job.name} is stopped: Paper jam in tray 1."
    assert service.purge_job(job).clean
    assert job.name not in cups.admin("lpstat", "-W", "all", "-o")
    risks = service.print_risks("office")
    assert "office is stopped: Paper jam in tray 1." in risks


def test_print_risks_name_kept_documents_and_network_printers(cups: CupsServer) -> None:
    cups.add_queue("remote", uri="ipp://192.0.2.7/ipp/print")
    service = SheetService()
    queues = {q.name: q for q in service.printers()}
    assert queues["office"].label() == "office (default)"
    assert queues["remote"].label() == "remote (network)"
    office = service.print_risks(None)
    assert office == [
        "This print system keeps a copy of every printed document for 1 day"
        " (PreserveJobFiles 86400); bgwizard purges this job as soon as it has printed."
    ]
    remote = service.print_risks("remote")
    assert remote[1] == (
        "remote is a network printer (ipp): the document crosses the network to reach it."
    )
    with pytest.raises(PrintError, match=r"^There is no printer called 'nowhere'; choose"):
        service.print_risks("nowhere")


def test_a_scheduler_that_keeps_nothing_raises_no_risk(tmp_path: Path) -> None:
    with running_cups(tmp_path / "cups", preserve_job_files="No") as server:
        server.add_queue("office", default=True)
        assert SheetService().print_risks() == []


def test_no_queue_no_default_and_unknown_queue(tmp_path: Path) -> None:
    with running_cups(tmp_path / "cups") as server:
        service = SheetService()
        assert service.printers() == []
        with pytest.raises(PrintError, match=r"^There is no default printer; choose a printer"):
            service.print_risks()
        server.add_queue("office")
        *_, rendered = sheet(service)
        with pytest.raises(PrintError) as refused:
            service.print_sheet(rendered, "nowhere")  # type: ignore[arg-type]
        assert str(refused.value).startswith("The print spooler refused the job:")
        assert str(refused.value).count(".") >= 1 and "\n" not in str(refused.value)
        assert not list(server.spool.glob("d*"))


def test_a_scheduler_that_is_down_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-such.sock"))
    service = SheetService()
    with pytest.raises(PrintError) as down:
        service.printers()
    said = str(down.value)
    assert said.startswith("The print system (CUPS at ") and "is not running" in said
    with pytest.raises(PrintError):
        service.wait_for_job(PrintJob("office", 1))


def test_cli_test_sheet_prints_and_reports_the_job(cups: CupsServer) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bgwizard", "print", "test-sheet", "--paper", "letter"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Job office-1 printed. Job office-1 was purged: no copy is left" in run.stdout
    assert "PreserveJobFiles 86400" in run.stderr and "Traceback" not in run.stderr
    assert (cups.printed / "office" / "job-1.pdf").read_bytes().startswith(b"%PDF")
    assert cups.documents(1) == []


def test_cli_test_sheet_on_a_jammed_printer_fails_in_one_sentence(cups: CupsServer) -> None:
    (cups.printed / "office" / "JAM").touch()
    run = subprocess.run(
        [sys.executable, "-m", "bgwizard", "print", "test-sheet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2  # could not print: one sentence, exit 2
    last = run.stderr.strip().splitlines()[-1]
    assert last == (
        "bgwizard: Job office-1 is stopped: Paper jam in tray 1. Job office-1 was purged:"
        " no copy is left in the spool folder."
    )
    assert cups.documents(1) == []


def test_a_queue_refusing_jobs_is_one_sentence_and_nothing_is_queued(cups: CupsServer) -> None:
    cups.admin("cupsreject", "-r", "Out of toner", "office")
    service = SheetService()
    assert "office is not accepting jobs now." in service.print_risks("office")
    *_, rendered = sheet(service)
    with pytest.raises(PrintError) as refused:
        service.print_sheet(rendered)  # type: ignore[arg-type]
    said = str(refused.value)
    assert said.startswith("The print spooler refused the job: ") and "\n" not in said
    assert "not accepting jobs" in said
    assert cups.admin("lpstat", "-W", "all", "-o") == ""
    assert not list(cups.spool.glob("d*"))


def processes_naming(text: str) -> list[int]:
    """Ids of running processes whose command line holds ``text`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and text.encode() in command:
            found.append(int(entry.name))
    return found


def test_the_scheduler_is_gone_after_the_test(tmp_path: Path) -> None:
    with running_cups(tmp_path / "cups") as server:
        conf = str(server.conf / "cupsd.conf")
        assert processes_naming(conf), "the scheduler runs during the test"
    assert processes_naming(conf) == []
    assert not server.socket.exists()
