"""Demo-only services: approving a device code in the embedded emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from bgwizard.errors import AuthError, BgWizardError
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys.device import KeyDevice
from bgwizard.passkeys.service import sign_in_with_key
from bgwizard.secret import Secret

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

    async def approve_with_key(
        self,
        user_code: str,
        username: str,
        device: KeyDevice,
        pin: Secret,
        on_touch: Callable[[], None] = lambda: None,
    ) -> None:
        """Approve ``user_code`` as ``username`` with a security key, as Entra's page would.

        The emulator issues a challenge for the account's registered keys, the key signs it
        after its PIN (``getAssertion``), and the emulator verifies the signature.

        Args:
            user_code: the device code the sign-in screen shows.
            username: the account.
            device: the security key (USB, or the tests' software key).
            pin: the key's PIN.
            on_touch: called when the key waits for a touch.

        Raises:
            AuthError: the code is unknown, the account has no key, or the emulator refused
                the assertion (its reason).
            KeyDeviceError: the key refused (wrong PIN, not this account's key).
        """
        pending = {p["user_code"] for p in self._emulator.pending_device_codes()}
        if user_code not in pending:
            raise AuthError("That sign-in code is unknown or has expired; start the sign-in again.")
        emulator = self._emulator
        # The emulator refuses with KeySignInRefused. Its module is not imported here: that
        # would load the whole emulator with the approve screen, so catch its base instead.
        try:
            doc = await asyncio.to_thread(emulator.key_assertion_options, user_code, username)
        except BgWizardError as exc:
            raise AuthError(str(exc)) from None
        options = pka.AssertionOptions.from_json(doc)
        assertion = await sign_in_with_key(device, options, pin, on_touch)
        error = await asyncio.to_thread(
            emulator.device_keys.approve, user_code, username, assertion.to_json()
        )
        if error:
            raise AuthError(error)
