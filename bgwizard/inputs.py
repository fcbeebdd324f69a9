"""Reading a file a person named: regular files only, size capped, one sentence when refused.

Every file bgwizard reads because someone typed or configured its path (a profile, a tenant
file, an ``allowed_signers`` file, a policy export, a template) goes through ``read_input``. A
FIFO would block the read forever, ``/dev/zero`` would fill memory, and a directory or a
non-UTF-8 file would surface as a raw ``OSError`` or ``UnicodeDecodeError``; here each one is a
sentence naming the file and what is wrong, raised as the caller's own error class.

The file is opened with ``O_NONBLOCK`` (so opening a FIFO returns at once) and checked with
``fstat`` on the open descriptor, so a file swapped between the check and the read is still
checked.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Final

from bgwizard.errors import BgWizardError

MiB: Final = 1024 * 1024

_KINDS: Final = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_input(
    path: Path, *, what: str, limit: int, error: type[BgWizardError] = BgWizardError
) -> bytes:
    """Read a regular file of at most ``limit`` bytes.

    Args:
        path: the file.
        what: what the file is, for the message (``"tenant file"``).
        limit: the size cap in bytes; a larger file is refused, naming the cap.
        error: the error class to raise.

    Returns:
        The file's bytes.

    Raises:
        BgWizardError: (``error``) missing, unreadable, not a regular file or too large.
        FileNotFoundError: never; a missing file is ``error`` too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise error(_open_failed(what, path, exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"The {what} {path} is {_kind(info.st_mode)}, not a regular file.")
        if info.st_size > limit:
            raise error(_too_large(what, path, limit))
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(limit + 1 - size, 1 * MiB) or 1):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while being read
                raise error(_too_large(what, path, limit))
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"Cannot read the {what} {path}: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)


def read_text_input(
    path: Path, *, what: str, limit: int, error: type[BgWizardError] = BgWizardError
) -> str:
    """``read_input`` decoded as UTF-8 (a BOM is dropped).

    Raises:
        BgWizardError: (``error``) as ``read_input``, or the bytes are not UTF-8.
    """
    data = read_input(path, what=what, limit=limit, error=error)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"The {what} {path} is not UTF-8 text (byte {exc.start} cannot be decoded)."
        ) from None


def _open_failed(what: str, path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"The {what} {path} does not exist."
    if exc.errno == errno.EACCES:
        return f"The {what} {path} cannot be read (permission denied)."
    if exc.errno == errno.ENOTDIR:
        return f"The {what} {path} is not reachable: a part of its path is a file, not a folder."
    return f"Cannot open the {what} {path}: {exc.strerror or exc}."


def _too_large(what: str, path: Path, limit: int) -> str:
    cap = f"{limit // MiB} MiB" if limit >= MiB else f"{limit // 1024} KiB"
    return f"The {what} {path} is larger than the {cap} cap for a {what}."
