"""Print queues, print jobs and the print system's settings, as data (no I/O).

``bgwizard.sheets.cups`` reads these from the CUPS scheduler; the sheet screen and the CLI show
them. A sheet is only "printed" when the scheduler says its job completed; a held or stopped job
is reported as such, with the scheduler's reason, and can be cancelled and purged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

NETWORK_SCHEMES: Final = frozenset(
    {"ipp", "ipps", "http", "https", "socket", "lpd", "smb", "dnssd", "ipp14", "beh"}
)
"""Device URI schemes whose jobs leave this machine over the network (the PDF crosses it)."""

JobState = Literal["pending", "held", "processing", "stopped", "printed", "canceled", "aborted"]
"""What the operator is told about a job."""

IPP_JOB_STATES: Final[dict[int, JobState]] = {
    3: "pending",
    4: "held",
    5: "processing",
    6: "stopped",
    7: "canceled",
    8: "aborted",
    9: "printed",
}
"""RFC 8011 ``job-state`` values; ``completed`` (9) is reported as printed."""

FINAL_STATES: Final = frozenset({"printed", "canceled", "aborted"})
"""States a job never leaves."""

WAITING_STATES: Final = frozenset({"held", "stopped"})
"""States that need the operator: the job will not print by itself."""

_REQUEST_ID = re.compile(r"request id is (?P<queue>\S+)-(?P<id>\d+)\b")


@dataclass(frozen=True)
class PrintQueue:
    """One destination of the print system."""

    name: str
    device_uri: str = ""
    is_default: bool = False
    accepting: bool = True
    stopped: bool = False
    message: str = ""
    """The scheduler's ``printer-state-message`` (why it is stopped, for example)."""

    @property
    def network(self) -> bool:
        """True when jobs for this queue are sent over the network."""
        return urlsplit(self.device_uri).scheme.lower() in NETWORK_SCHEMES

    def label(self) -> str:
        """How the printer list shows the queue: ``office (default, network)``."""
        notes = [
            note
            for note, present in (
                ("default", self.is_default),
                ("network", self.network),
                ("stopped", self.stopped),
                ("not accepting jobs", not self.accepting),
            )
            if present
        ]
        return f"{self.name} ({', '.join(notes)})" if notes else self.name


@dataclass(frozen=True)
class SchedulerSettings:
    """What the scheduler says about keeping printed documents (``cupsctl``)."""

    preserve_job_files: str | None
    """``PreserveJobFiles`` as the scheduler reports it (``Yes``, ``No``, seconds), or None when
    it reports nothing: then CUPS's documented default applies (86400, one day)."""
    readable: bool = True
    """False when the settings could not be read (then the worst is assumed)."""

    @property
    def keeps_files(self) -> bool:
        """True when a printed document stays in the spool folder after the job."""
        if not self.readable:
            return True
        value = (self.preserve_job_files or "86400").strip().lower()
        return value not in ("no", "off", "false", "0")

    def sentence(self) -> str:
        """One sentence for the operator, or "" when documents are not kept."""
        if not self.readable:
            return (
                "The print system's settings could not be read, so it may keep a copy of the"
                " document after printing; bgwizard purges the job once it has printed."
            )
        if not self.keeps_files:
            return ""
        value = (self.preserve_job_files or "").strip()
        if value.isdigit():
            keep = f"for {_duration(int(value))} (PreserveJobFiles {value})"
        elif value:
            keep = f"(PreserveJobFiles {value})"
        else:
            keep = "for 1 day (the CUPS default, PreserveJobFiles 86400)"
        return (
            f"This print system keeps a copy of every printed document {keep}; bgwizard"
            " purges this job as soon as it has printed."
        )


@dataclass(frozen=True)
class PrintJob:
    """A job the scheduler accepted."""

    queue: str
    job_id: int

    @property
    def name(self) -> str:
        """The scheduler's name for the job (``office-42``), as ``lpstat`` and ``cancel`` use."""
        return f"{self.queue}-{self.job_id}"


@dataclass(frozen=True)
class JobStatus:
    """Where a job stands."""

    job: PrintJob
    state: JobState
    reason: str = ""
    """Why it is held or stopped, in the scheduler's words (may be empty)."""

    @property
    def final(self) -> bool:
        """True when the job will not change any more."""
        return self.state in FINAL_STATES

    @property
    def needs_operator(self) -> bool:
        """True when the job will not print by itself (held or stopped)."""
        return self.state in WAITING_STATES

    def sentence(self) -> str:
        """The job's state in one sentence: "printed", "held", "stopped: <reason>"..."""
        said = {
            "pending": "is waiting in the queue",
            "held": "is held",
            "processing": "is printing",
            "stopped": "is stopped",
            "printed": "printed",
            "canceled": "was cancelled",
            "aborted": "was aborted by the print system",
        }[self.state]
        reason = f": {self.reason}" if self.reason else ""
        return f"Job {self.job.name} {said}{reason}."


@dataclass(frozen=True)
class SpoolCheck:
    """What the spool folder held of a job after it was purged."""

    job: PrintJob
    left: tuple[str, ...] | None
    """Paths of the job's documents still there; None when the folder could not be read."""

    @property
    def clean(self) -> bool:
        """True only when the folder was read and holds nothing of the job."""
        return self.left == ()

    def sentence(self) -> str:
        """One sentence for the operator."""
        if self.left is None:
            return (
                f"Job {self.job.name} was purged; the spool folder could not be read to confirm"
                " no copy is left (that needs the print system's administrator rights)."
            )
        if self.left:
            return (
                f"Job {self.job.name} was purged but its document is still in the spool folder"
                f" ({', '.join(self.left)}): delete it there."
            )
        return f"Job {self.job.name} was purged: no copy is left in the spool folder."


def parse_request_id(said: str) -> PrintJob | None:
    """The job in ``lp``'s answer (``request id is office-42 (1 file(s))``), or None."""
    found = _REQUEST_ID.search(said)
    if found is None:
        return None
    return PrintJob(found["queue"], int(found["id"]))


def job_reason(reasons: list[str], message: str) -> str:
    """A readable reason from ``job-state-reasons`` and the printer's state message."""
    if message.strip():
        return message.strip()
    shown = [r for r in reasons if r not in ("none", "job-printing", "job-incoming")]
    return ", ".join(r.replace("-", " ") for r in shown)


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{seconds} seconds"
