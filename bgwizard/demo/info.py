"""What the app shows about the demo tenant when it runs on the embedded emulator. Pure data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DEMO_ADMIN_UPN: Final = "admin@contosologistics.onmicrosoft.com"
"""The sample tenant's Global Administrator; its password is in the sample tenant's docs."""


@dataclass(frozen=True)
class DemoInfo:
    """Facts the demo banner and the sign-in screen show in demo mode.

    The app never knows the demo admin's password: the user types it, as in a real tenant.
    """

    base_url: str
    """The emulator's base URL, e.g. ``https://127.0.0.1:8443``."""
    admin_hint: str = DEMO_ADMIN_UPN
    """The account to sign in with."""
    password_hint: str = "the password is in README.md, under Demo mode"
    """Where the user finds the demo admin's password (never the password itself)."""
    keep_log: Callable[[Path], list[Path]] | None = None
    """Copies the training log (and its public keys) to a folder before the demo folder
    vanishes; returns the files written (``bgwizard.demo.workspace.keep_training_log``)."""
    training_log: Path | None = None
    """The demo's training log (it may not exist yet)."""
