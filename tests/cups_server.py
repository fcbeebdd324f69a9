"""A private CUPS scheduler for tests: ``cupsd`` with its configuration in a temporary folder.

It listens only on a socket in that folder; ``CUPS_SERVER`` and ``CUPS_SERVERROOT`` point the
CUPS commands (``lp``, ``cancel``, ``cupsctl``) and bgwizard's IPP client at it. Its queues print
to a virtual printer: the ``bgcapture`` backend, which writes each job's document, byte for
byte, into a folder (``ippeveprinter`` would need DNS-SD, which a container has no daemon for).
A file ``JAM`` in that folder makes the printer report a paper jam and stop, as a real one would.

The scheduler runs as root (as on CI) and drops to ``lp`` for backends, like a packaged CUPS.
``stop()`` kills it and checks nothing of it is left running.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CUPSD = shutil.which("cupsd") or "/usr/sbin/cupsd"
BACKEND = """#!/bin/sh
# bgwizard test printer: writes each job's document into the folder of its device URI.
if [ $# -eq 0 ]; then echo 'direct bgcapture "Unknown" "bgwizard test printer"'; exit 0; fi
dir="${DEVICE_URI#bgcapture:}"
if [ -e "$dir/JAM" ]; then
  echo "ERROR: Paper jam in tray 1" >&2
  echo "STATE: +media-jam-error" >&2
  exit 4
fi
out="$dir/job-$1.pdf"
if [ $# -ge 6 ]; then cat "$6" > "$out.part"; else cat > "$out.part"; fi
printf '%s\\n' "$5" > "$dir/job-$1.options"
printf '%s\\n' "$3" > "$dir/job-$1.title"
mv "$out.part" "$out"
exit 0
"""


class CupsServer:
    """One scheduler in ``root``; see the module docstring."""

    def __init__(self, root: Path, *, preserve_job_files: str = "No") -> None:
        self.root = root
        # a socket path must fit in 108 bytes: it lives in a short folder of its own
        self._socket_dir = Path(tempfile.mkdtemp(prefix="bgw-cups-", dir="/tmp"))
        self.socket = self._socket_dir / "cups.sock"
        self.conf = root / "conf"
        self.spool = root / "spool"
        self.printed = root / "printed"
        self._preserve = preserve_job_files
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """What points the CUPS commands at this scheduler."""
        return {"CUPS_SERVER": str(self.socket), "CUPS_SERVERROOT": str(self.conf)}

    def start(self) -> None:
        """Write the configuration and start ``cupsd`` in the foreground (as a child)."""
        if not Path(CUPSD).exists():
            raise RuntimeError("cupsd is not installed (make system-deps installs cups-daemon)")
        if os.geteuid() != 0:
            raise RuntimeError("the CUPS tests start a scheduler and need root, as on CI")
        for folder in ("conf", "spool", "cache", "state", "log", "tmp", "bin/backend", "printed"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for sub in ("daemon", "notifier", "filter"):
            source = Path("/usr/lib/cups") / sub
            if source.exists():
                (self.root / "bin" / sub).symlink_to(source)
        system = Path("/usr/lib/cups/backend")
        for other in system.iterdir() if system.is_dir() else ():
            (self.root / "bin" / "backend" / other.name).symlink_to(other)
        backend = self.root / "bin" / "backend" / "bgcapture"
        backend.write_text(BACKEND)
        backend.chmod(0o700)  # 0700: CUPS runs it as root, so it can write the folder
        shutil.chown(self.spool, "root", "lp")
        self.spool.chmod(0o770)
        self.printed.chmod(0o777)
        (self.conf / "cupsd.conf").write_text(
            f"Listen {self.socket}\nLogLevel info\nPreserveJobFiles {self._preserve}\n"
            "PreserveJobHistory Yes\nWebInterface No\nDefaultAuthType None\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin/conf>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (self.conf / "cups-files.conf").write_text(
            f"ServerRoot {self.conf}\nRequestRoot {self.spool}\nCacheDir {self.root}/cache\n"
            f"StateDir {self.root}/state\nTempDir {self.root}/tmp\nServerBin {self.root}/bin\n"
            f"ErrorLog {self.root}/log/error_log\nAccessLog {self.root}/log/access_log\n"
            f"PageLog {self.root}/log/page_log\nPrintcap {self.root}/printcap\n"
            "SystemGroup root\nSandboxing Relaxed\n"
        )
        self._process = subprocess.Popen(
            [
                CUPSD,
                "-f",
                "-c",
                str(self.conf / "cupsd.conf"),
                "-s",
                str(self.conf / "cups-files.conf"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self.root / "log" / "error_log"
                said = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                self.stop()
                raise RuntimeError(f"cupsd did not start:\n{said}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        done = subprocess.run(
            ["lpstat", "-r"], env={**os.environ, **self.env}, capture_output=True, check=False
        )
        return b"is running" in done.stdout

    def add_queue(self, name: str, *, uri: str | None = None, default: bool = False) -> Path:
        """Add an enabled queue printing to its own capture folder (or to ``uri``)."""
        folder = self.printed / name
        folder.mkdir(exist_ok=True)
        folder.chmod(0o777)
        self.admin("lpadmin", "-p", name, "-E", "-v", uri or f"bgcapture:{folder}")
        if default:
            self.admin("lpadmin", "-d", name)
        return folder

    def admin(self, *command: str) -> str:
        """Run a CUPS command against this scheduler; its standard output."""
        done = subprocess.run(
            list(command), env={**os.environ, **self.env}, capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode(errors="replace")

    def documents(self, job_id: int) -> list[Path]:
        """The job's document files in the spool folder (``d<id>-<n>``)."""
        return sorted(self.spool.glob(f"d{job_id:05d}-*"))

    def stop(self) -> None:
        """Stop the scheduler and wait for it (and its children) to be gone."""
        process, self._process = self._process, None
        if process is None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        shutil.rmtree(self._socket_dir, ignore_errors=True)


@contextmanager
def running_cups(root: Path, **options: str) -> Iterator[CupsServer]:
    """A started scheduler, its environment set in ``os.environ``, stopped and unset after."""
    server = CupsServer(root, **options)
    saved = {key: os.environ.get(key) for key in server.env}
    server.start()
    os.environ.update(server.env)
    try:
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_STARTED: list[tuple[CupsServer, bool]] = []
"""Schedulers ``real_printer`` started in the running test (stopped by ``stop_printers``)."""


def real_printer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: Path | None = None
) -> CupsServer:
    """A private scheduler with a default queue ``office`` (the virtual printer), for this test.

    ``CUPS_SERVER`` and ``CUPS_SERVERROOT`` point at it through ``monkeypatch``; the autouse
    fixture in tests/conftest.py stops it after the test. ``root`` keeps its folders somewhere
    the test searches (the no-secret-leak test); by default they go in a folder of their own.
    """
    del tmp_path  # the signature matches the helpers it replaced
    own = root is None
    server = CupsServer(root or Path(tempfile.mkdtemp(prefix="bgw-cupsd-", dir="/tmp")))
    _STARTED.append((server, own))
    server.start()
    server.add_queue("office", default=True)
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    return server


def stop_printers() -> None:
    """Stop every scheduler started by ``real_printer`` (and remove their own folders)."""
    while _STARTED:
        server, own = _STARTED.pop()
        server.stop()
        if own:
            shutil.rmtree(server.root, ignore_errors=True)
