"""The loopback Entra ID + Microsoft Graph emulator (demo, training and tests).

Imports no Textual. ``Emulator`` is the entry point; ``Fault`` describes injected failures.
"""

from __future__ import annotations

from bgwizard.emulator.http.faults import Fault
from bgwizard.emulator.server import Emulator

__all__ = ["Emulator", "Fault"]
