"""Rotation: a new password (already printed and read back) set through Graph, then the
profile updated — new serial current, old serials retired.

The order matters: the profile changes only after Graph accepted the password, so a failure
or a crash in between leaves the old sheets current (they still work) and the new sheet
unrecorded (destroy it and rotate again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bgwizard.domain.identity import SignedInIdentity
from bgwizard.domain.profile import Profile, SheetRecord
from bgwizard.domain.secret import Secret
from bgwizard.domain.setup import account
from bgwizard.domain.setup_checks import apply_rotation, sign_in_problems
from bgwizard.errors import BgWizardError
from bgwizard.services.protocols import ProfileStore
from bgwizard.services.setup_ports import SetupDirectory


class RotationError(BgWizardError):
    """A rotation step could not be done; the message says what to do."""


@dataclass(frozen=True)
class Rotated:
    """What a completed password reset recorded."""

    upn: str
    new_serial: str
    retired: tuple[str, ...]


class RotationService:
    """Resets a break glass account's password and records the new sheet."""

    def __init__(
        self,
        directory: SetupDirectory,
        profile: Profile,
        profiles: ProfileStore,
        *,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        """Rotate accounts of ``profile``.

        Args:
            directory: Graph, signed in as an administrator who may reset the password
                (Global or Privileged Authentication Administrator).
            profile: the profile (changed in place).
            profiles: saves it.
            today: the clock.
        """
        self._directory = directory
        self._profile = profile
        self._profiles = profiles
        self._today = today

    async def reset(
        self, upn: str, password: Secret, record: SheetRecord, locations: Sequence[str]
    ) -> Rotated:
        """Set ``password`` on the account, then make ``record`` its only current sheet.

        Args:
            upn: the account.
            password: the new password, printed and read back.
            record: the new sheet.
            locations: where its copies are kept.

        Raises:
            RotationError: the account is not known to the profile or not created.
            BgWizardError: Graph refused the reset (the profile is unchanged).
        """
        try:
            item = account(self._profile, upn)
        except KeyError:
            raise RotationError(f"{upn} is not a break glass account of this profile.") from None
        if not item.object_id:
            raise RotationError(f"{upn} has not been created yet; finish the set-up first.")
        await self._directory.reset_password(item.object_id, password, force_change=False)
        retired = apply_rotation(item, record, locations, self._today())
        await asyncio.to_thread(self._profiles.save, self._profile)
        return Rotated(upn, record.serial, tuple(retired))

    def check_sign_in(self, upn: str, identity: SignedInIdentity) -> list[str]:
        """Problems with the verification sign-in after a rotation (empty when fine)."""
        item = account(self._profile, upn)
        return sign_in_problems(item.object_id, upn, identity)
