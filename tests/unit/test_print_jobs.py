"""Print jobs as data (bgwizard.sheets.jobs) and the IPP encoding (bgwizard.sheets.ipp)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgwizard.errors import PrintError
from bgwizard.sheets.ipp import decode, encode
from bgwizard.sheets.jobs import (
    JobStatus,
    PrintJob,
    PrintQueue,
    SchedulerSettings,
    SpoolCheck,
    parse_request_id,
)


@pytest.mark.parametrize(
    ("said", "job"),
    [
        ("request id is office-42 (1 file(s))", PrintJob("office", 42)),
        ("request id is Brother_HL-L2350DW-7 (0 file(s))", PrintJob("Brother_HL-L2350DW", 7)),
        ("", None),
        ("lp: Error - no default destination available.", None),
    ],
)
def test_request_id(said: str, job: PrintJob | None) -> None:
    assert parse_request_id(said) == job


@pytest.mark.parametrize(
    ("value", "keeps", "words"),
    [
        (None, True, "for 1 day (the CUPS default, PreserveJobFiles 86400)"),
        ("No", False, ""),
        ("Yes", True, "(PreserveJobFiles Yes)"),
        ("3600", True, "for 1 hour (PreserveJobFiles 3600)"),
        ("172800", True, "for 2 days (PreserveJobFiles 172800)"),
    ],
)
def test_kept_documents(value: str | None, keeps: bool, words: str) -> None:
    settings = SchedulerSettings(value)
    assert settings.keeps_files is keeps
    assert (words in settings.sentence()) if words else settings.sentence() == ""


def test_unreadable_settings_assume_the_worst() -> None:
    settings = SchedulerSettings(None, readable=False)
    assert settings.keeps_files
    assert settings.sentence().startswith("The print system's settings could not be read")


@pytest.mark.parametrize(
    ("uri", "network"),
    [
        ("ipp://printer.local/ipp/print", True),
        ("ipps://192.0.2.1/ipp/print", True),
        ("socket://192.0.2.1:9100", True),
        ("lpd://host/queue", True),
        ("smb://server/share", True),
        ("dnssd://Office._ipp._tcp.local/", True),
        ("usb://Brother/HL-L2350DW?serial=1", False),
        ("cups-pdf:/", False),
        ("", False),
    ],
)
def test_network_queues(uri: str, network: bool) -> None:
    assert PrintQueue("q", uri).network is network


def test_queue_labels() -> None:
    assert PrintQueue("a").label() == "a"
    queue = PrintQueue("b", "ipp://x/", is_default=True, accepting=False, stopped=True)
    assert queue.label() == "b (default, network, stopped, not accepting jobs)"


@pytest.mark.parametrize(
    ("state", "reason", "sentence"),
    [
        ("printed", "", "Job q-3 printed."),
        ("held", "job hold until specified", "Job q-3 is held: job hold until specified."),
        ("stopped", "Paper jam", "Job q-3 is stopped: Paper jam."),
        ("canceled", "", "Job q-3 was cancelled."),
        ("aborted", "", "Job q-3 was aborted by the print system."),
        ("pending", "", "Job q-3 is waiting in the queue."),
    ],
)
def test_job_sentences(state: str, reason: str, sentence: str) -> None:
    status = JobStatus(PrintJob("q", 3), state, reason)  # type: ignore[arg-type]
    assert status.sentence() == sentence
    assert status.final is (state in ("printed", "canceled", "aborted"))
    assert status.needs_operator is (state in ("held", "stopped"))


def test_spool_check_sentences() -> None:
    job = PrintJob("q", 5)
    assert SpoolCheck(job, ()).clean
    assert not SpoolCheck(job, None).clean
    assert "could not be read" in SpoolCheck(job, None).sentence()
    left = SpoolCheck(job, ("/var/spool/cups/d00005-001",))
    assert not left.clean and "d00005-001): delete it there." in left.sentence()


def _answer(groups: list[tuple[int, list[tuple[int, str, bytes]]]], status: int = 0) -> bytes:
    out = bytearray(struct.pack(">BBHI", 2, 0, status, 1))
    for tag, attributes in groups:
        out.append(tag)
        for value_tag, name, raw in attributes:
            key = name.encode()
            out += struct.pack(">BH", value_tag, len(key)) + key + struct.pack(">H", len(raw))
            out += raw
    out.append(0x03)
    return bytes(out)


def test_decode_reads_groups_values_and_skips_collections() -> None:
    data = _answer(
        [
            (0x01, [(0x47, "attributes-charset", b"utf-8")]),
            (
                0x02,
                [
                    (0x23, "job-state", struct.pack(">i", 9)),
                    (0x44, "job-state-reasons", b"job-completed-successfully"),
                    (0x44, "", b"printer-stopped"),
                    (0x22, "job-preserved", b"\x01"),
                    (0x34, "media-col", b""),
                    (0x4A, "", b"media-size"),
                    (0x37, "", b""),
                    (0x35, "job-printer-state-message", b"\x00\x02en\x00\x03Jam"),
                ],
            ),
        ]
    )
    answer = decode(data)
    assert answer.ok
    job = answer.of(0x02)[0]
    assert job.first("job-state") == 9
    assert job.texts("job-state-reasons") == ["job-completed-successfully", "printer-stopped"]
    assert job.first("job-preserved") is True
    assert job.first("job-printer-state-message") == "Jam"
    assert "media-col" not in job.attributes and "" not in job.attributes


def test_encode_names_each_attribute_once_and_repeats_values() -> None:
    data = encode(
        0x000B, 7, [(0x44, "requested-attributes", "a"), (0x44, "requested-attributes", "b")]
    )
    assert data[:8] == struct.pack(">BBHI", 2, 0, 0x000B, 7)
    assert data.count(b"requested-attributes") == 1 and data.endswith(b"\x03")


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_print_error(data: bytes) -> None:
    try:
        decode(data)
    except PrintError as exc:
        assert str(exc) == "The print system sent an answer that is not IPP."
