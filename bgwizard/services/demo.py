"""Demo-only services: approving a device code in the embedded emulator."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bgwizard.domain.secret import Secret
from bgwizard.errors import AuthError

if TYPE_CHECKING:
    from bgwizard.emulator import Emulator


class EmulatorApprover:
    """Approves device codes in an in-process emulator, as the user would in a browser."""

    def __init__(self, emulator: Emulator) -> None:
        """Approve sign-ins waiting in ``emulator``.

        Args:
            emulator: the running emulator.
        """
        self._emulator = emulator

    async def approve(self, user_code: str, username: str, password: Secret) -> None:
        """Approve ``user_code`` as ``username`` with ``password``.

        Raises:
            AuthError: the code is unknown or expired, or the password is wrong.
        """
        pending = {p["user_code"] for p in self._emulator.pending_device_codes()}
        if user_code not in pending:
            raise AuthError("That sign-in code is unknown or has expired; start the sign-in again.")
        approved = await asyncio.to_thread(
            self._emulator.approve_device_code, user_code, username, password.reveal()
        )
        if not approved:
            raise AuthError(f"Sign-in failed for {username}: the user name or password is wrong.")
