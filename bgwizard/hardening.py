"""Process hardening at start: no core file, no debugger attach, can ever hold a password.

A crash (or ``kill -QUIT``) would otherwise write the process memory, the password in its
``Secret`` included, to a core file. ``RLIMIT_CORE`` 0 stops the core file; Linux's
``PR_SET_DUMPABLE`` 0 also stops ``systemd-coredump`` pipes and ``ptrace`` by other processes of
the same user. Both are best effort where the platform lacks them, and said so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import resource
import sys
from dataclasses import dataclass
from typing import Final

PR_SET_DUMPABLE: Final = 4
PR_GET_DUMPABLE: Final = 3


@dataclass(frozen=True)
class Hardening:
    """What ``harden_process`` managed to switch off."""

    core_limit: bool
    """``RLIMIT_CORE`` is 0 (soft and hard)."""
    not_dumpable: bool
    """``prctl(PR_SET_DUMPABLE, 0)`` took effect (Linux only)."""


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def dumpable() -> int | None:
    """``prctl(PR_GET_DUMPABLE)`` (1 dumpable, 0 not), or None where there is no prctl."""
    libc = _libc()
    if not sys.platform.startswith("linux") or libc is None:
        return None
    return int(libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))


def harden_process() -> Hardening:
    """Forbid core dumps of this process; call first thing at start.

    Returns:
        What took effect (both False only on platforms without the calls).
    """
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        core = True
    except (OSError, ValueError):
        core = False
    libc = _libc()
    not_dumpable = False
    if sys.platform.startswith("linux") and libc is not None:
        not_dumpable = libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    return Hardening(core, not_dumpable)
