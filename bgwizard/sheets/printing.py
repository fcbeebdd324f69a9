"""Getting a sheet onto paper: the print spooler on standard input, or a file the user names.

The PDF never goes through a temporary file. ``lp`` and ``lpr`` read a job from standard input
when given no file name, so the bytes go straight down a pipe. Saving is for tenants without a
printer: the user types the path after a warning; the file is created with mode 0600 and an
existing file is never overwritten.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bgwizard.errors import PrintError
from bgwizard.sheets.model import SPOOLERS, TIMEOUT_SECONDS, Spooler


def find_spooler(names: Sequence[str] = SPOOLERS) -> Spooler | None:
    """The first spooler found on ``PATH``, or None when there is no way to print."""
    for name in names:
        path = shutil.which(name)
        if path:
            return Spooler(name, path)
    return None


def send_to_spooler(
    data: bytes,
    title: str,
    *,
    spooler: Spooler | None = None,
    printer: str | None = None,
    paper: str | None = None,
) -> str:
    """Send a PDF to the print spooler on its standard input.

    Args:
        data: the PDF bytes.
        title: the job title the queue shows (neutral: never the password or the account).
        spooler: the spooler to use; found on ``PATH`` when None.
        printer: a destination name, or None for the system default printer.
        paper: ``a4`` or ``letter``, passed on as the job's media; None leaves it to the queue.

    Returns:
        What the spooler said (for example ``request id is office-42 (1 file(s))``).

    Raises:
        PrintError: no spooler, or the spooler refused the job.
    """
    spooler = spooler or find_spooler()
    if spooler is None:
        raise PrintError(
            "No print spooler (lp or lpr) was found; save the sheet to a file instead."
        )
    failure = _run(spooler.command(title, printer, paper), data)
    if isinstance(failure, PrintError):
        raise failure
    return failure or f"Sent to the printer with {spooler.name}."


def _run(command: list[str], data: bytes) -> str | PrintError:
    """Run the spooler; returns its output or the error to raise (raised outside ``except``,
    so the traceback carries no frame holding the PDF bytes)."""
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return PrintError(f"The print spooler did not answer within {TIMEOUT_SECONDS:.0f} s.")
    except OSError as exc:
        return PrintError(f"The print spooler could not be started: {exc.strerror}.")
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        reason = said[-1].rstrip(".") if said else f"exit status {done.returncode}"
        return PrintError(f"The print spooler refused the job: {reason}.")
    return done.stdout.decode(errors="replace").strip()


def save_to_path(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write a PDF to the file the user named: created new with mode 0600, never overwritten.

    Args:
        data: the PDF bytes.
        path: the file to create (``~`` is expanded).

    Returns:
        The absolute path written.

    Raises:
        PrintError: the file exists, or it could not be created or written.
    """
    target = Path(path).expanduser().absolute()
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise PrintError(f"{target} already exists; choose a new file name.") from None
    except OSError as exc:
        raise PrintError(f"Cannot create {target}: {exc.strerror}.") from None
    error: PrintError | None = None
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as exc:
        error = PrintError(f"Cannot write {target}: {exc.strerror}.")
    finally:
        os.close(fd)
    if error is not None:
        target.unlink(missing_ok=True)
        raise error
    return target
