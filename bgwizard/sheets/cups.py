"""The CUPS print system: its queues, its settings, and following a job until it printed.

A job is submitted with ``lp`` on standard input (``bgwizard.sheets.printing``); this module
asks the scheduler (IPP, ``bgwizard.sheets.ipp``) what became of it, cancels and purges it
(IPP Cancel-Job with ``purge-job``, as ``cancel -x``), reads ``PreserveJobFiles``
(``cupsctl``), and looks in the scheduler's spool folder for a document of the job left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from bgwizard.errors import PrintError
from bgwizard.sheets.ipp import (
    CANCEL_JOB,
    CUPS_GET_DEFAULT,
    CUPS_GET_PRINTERS,
    GET_JOB_ATTRIBUTES,
    GET_PRINTER_ATTRIBUTES,
    Group,
    IppClient,
)
from bgwizard.sheets.jobs import (
    IPP_JOB_STATES,
    JobStatus,
    PrintJob,
    PrintQueue,
    SchedulerSettings,
    job_reason,
)

COMMAND_TIMEOUT: Final = 20.0
POLL_SECONDS: Final = 0.25
PRINTER_STOPPED: Final = 5
_PRINTER_GROUP: Final = 0x04
_JOB_GROUP: Final = 0x02
_QUEUE_ATTRIBUTES: Final = (
    "printer-name",
    "device-uri",
    "printer-state",
    "printer-state-message",
    "printer-is-accepting-jobs",
)


class PrintSystem:
    """The local CUPS scheduler, as the sheet service needs it."""

    def __init__(self, client: IppClient | None = None) -> None:
        """Args:
        client: talks IPP to the scheduler; found as the CUPS tools find it when None.
        """
        self._client = client

    @property
    def ipp(self) -> IppClient:
        """The IPP client (made on first use, so ``CUPS_SERVER`` is read when printing)."""
        if self._client is None:
            self._client = IppClient()
        return self._client

    def queues(self) -> list[PrintQueue]:
        """Every queue, the default marked, in the scheduler's order.

        Raises:
            PrintError: the scheduler is not running or cannot be reached.
        """
        answer = self.ipp.request(
            CUPS_GET_PRINTERS, [(0x44, "requested-attributes", a) for a in _QUEUE_ATTRIBUTES]
        )
        default = self.default_queue()
        return [
            _queue(group, default)
            for group in answer.of(_PRINTER_GROUP)
            if group.first("printer-name")
        ]

    def default_queue(self) -> str:
        """The default destination's name, or "" when there is none."""
        asked = [(0x44, "requested-attributes", "printer-name")]
        answer = self.ipp.request(CUPS_GET_DEFAULT, asked)
        groups = answer.of(_PRINTER_GROUP)
        return str(groups[0].first("printer-name")) if answer.ok and groups else ""

    def settings(self) -> SchedulerSettings:
        """``PreserveJobFiles`` as ``cupsctl`` reports it (unreadable: assume the worst)."""
        said = _run(["cupsctl"])
        if said is None:
            return SchedulerSettings(None, readable=False)
        for line in said.splitlines():
            key, _, value = line.partition("=")
            if key.strip().lower() == "preservejobfiles":
                return SchedulerSettings(value.strip())
        return SchedulerSettings(None)

    def status(self, job: PrintJob) -> JobStatus:
        """Where ``job`` stands now.

        Raises:
            PrintError: the scheduler cannot be reached or does not know the job.
        """
        answer = self.ipp.request(
            GET_JOB_ATTRIBUTES,
            [
                (0x45, "printer-uri", f"ipp://localhost/printers/{job.queue}"),
                (0x21, "job-id", job.job_id),
                *(
                    (0x44, "requested-attributes", a)
                    for a in ("job-state", "job-state-reasons", "job-printer-state-message")
                ),
            ],
        )
        groups = answer.of(_JOB_GROUP)
        if not answer.ok or not groups:
            raise PrintError(f"The print system does not know job {job.name}.")
        group = groups[0]
        state = IPP_JOB_STATES.get(int(group.first("job-state", 3)), "pending")
        reasons = group.texts("job-state-reasons")
        message = str(group.first("job-printer-state-message"))
        if state == "pending" and ("printer-stopped" in reasons or self._stopped(job.queue)):
            state = "stopped"
            message = message or self._printer_message(job.queue)
        reason = job_reason(reasons, message) if state in ("held", "stopped", "aborted") else ""
        return JobStatus(job, state, reason)

    def wait(
        self,
        job: PrintJob,
        *,
        timeout: float,
        progress: Callable[[JobStatus], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> JobStatus:
        """Follow ``job`` until it printed, ended, needs the operator, or ``timeout`` passed.

        Args:
            job: the job to follow.
            timeout: seconds to wait at most; the last status is returned then.
            progress: called with each new status.
            clock: monotonic seconds (tests pin it).
            sleep: waits between polls (tests pin it).

        Raises:
            PrintError: the scheduler cannot be reached or forgot the job.
        """
        end = clock() + timeout
        last: JobStatus | None = None
        while True:
            status = self.status(job)
            if progress is not None and status != last:
                progress(status)
            last = status
            if status.final or status.needs_operator or clock() >= end:
                return status
            sleep(POLL_SECONDS)

    def purge(self, job: PrintJob) -> None:
        """Cancel ``job`` if it has not ended and remove it and its document from the scheduler.

        This is IPP Cancel-Job with ``purge-job`` (what ``cancel -x`` asks for); sent directly
        because CUPS 2.4's ``cancel -x`` refuses a job that has already completed, and a
        completed job's document is exactly what ``PreserveJobFiles`` keeps.

        Raises:
            PrintError: the scheduler cannot be reached or refused.
        """
        answer = self.ipp.request(
            CANCEL_JOB,
            [
                (0x45, "printer-uri", f"ipp://localhost/printers/{job.queue}"),
                (0x21, "job-id", job.job_id),
                (0x22, "purge-job", True),
            ],
        )
        if not answer.ok:
            said = next((str(g.first("status-message")) for g in answer.of(0x01)), "")
            reason = f": {said.rstrip('.')}" if said else f" (IPP status 0x{answer.status:04x})"
            raise PrintError(f"Job {job.name} could not be cancelled and purged{reason}.")

    def leftovers(self, job: PrintJob) -> list[Path] | None:
        """The job's documents still in the spool folder; None when the folder can't be read."""
        folder = spool_folder()
        try:
            names = os.listdir(folder)
        except OSError:
            return None
        prefix = f"d{job.job_id:05d}-"
        return sorted(folder / n for n in names if n.startswith(prefix))

    def _stopped(self, queue: str) -> bool:
        group = self._printer(queue)
        return group is not None and group.first("printer-state") == PRINTER_STOPPED

    def _printer_message(self, queue: str) -> str:
        group = self._printer(queue)
        return str(group.first("printer-state-message")) if group is not None else ""

    def _printer(self, queue: str) -> Group | None:
        answer = self.ipp.request(
            GET_PRINTER_ATTRIBUTES,
            [
                (0x45, "printer-uri", f"ipp://localhost/printers/{queue}"),
                (0x44, "requested-attributes", "printer-state"),
                (0x44, "requested-attributes", "printer-state-message"),
            ],
        )
        groups = answer.of(_PRINTER_GROUP)
        return groups[0] if answer.ok and groups else None


def spool_folder() -> Path:
    """The scheduler's ``RequestRoot`` (``cups-files.conf``; default ``/var/spool/cups``)."""
    conf = Path(os.environ.get("CUPS_SERVERROOT", "/etc/cups")) / "cups-files.conf"
    try:
        lines = conf.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        key, _, value = line.strip().partition(" ")
        if key == "RequestRoot" and value.strip():
            return Path(value.strip())
    return Path("/var/spool/cups")


def _queue(group: Group, default: str) -> PrintQueue:
    name = str(group.first("printer-name"))
    return PrintQueue(
        name=name,
        device_uri=str(group.first("device-uri")),
        is_default=name == default,
        accepting=bool(group.first("printer-is-accepting-jobs", True)),
        stopped=group.first("printer-state") == PRINTER_STOPPED,
        message=str(group.first("printer-state-message")),
    )


def _run(command: list[str]) -> str | None:
    """A command's standard output, or None when it is missing or failed."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, timeout=COMMAND_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode(errors="replace") if done.returncode == 0 else None
