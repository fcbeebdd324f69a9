"""bgwizard: break glass accounts for Microsoft Entra ID, from set-up to quarterly drill."""

from __future__ import annotations

__version__ = "0.1.0"
