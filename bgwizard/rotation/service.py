"""Rotation: a new password (already printed and read back) set through Graph, then the
profile updated — new serial current, old serials retired.

The order matters: the rotation is journaled in the profile (``pending_rotation``: the new
serial, never the password) before Graph is asked, and recorded as done only after Graph
accepted the password. A failure or a crash in between leaves the old sheets current and the
rotation pending: it is finished by a sign-in with the new sheet (``complete``), or started
again (the pending serial is then retired).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Final

from bgwizard.auth.identity import SignedInIdentity
from bgwizard.errors import BgWizardError, GraphError, PermissionMissing, RotationError
from bgwizard.profile.model import BreakGlassAccount, Profile, ProfileStore, SheetRecord
from bgwizard.rotation.journal import (
    Rotated,
    begin_rotation,
    finish_rotation,
    restricted_unit_note,
)
from bgwizard.secret import Secret
from bgwizard.setup.checks import sign_in_problems
from bgwizard.setup.directory_port import SetupDirectory
from bgwizard.setup.journal import SetupJournal, account

CLOCK_SLACK: Final = dt.timedelta(minutes=5)
"""How far this workstation's clock may be ahead of Entra ID's when comparing times."""


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
            ProfileError: the journal could not be saved (Graph was not asked).
            BgWizardError: Graph refused the reset (the rotation stays pending).
        """
        item = self._created(upn)
        before = copy.deepcopy((item.sheets, item.pending_rotation))
        abandoned = begin_rotation(
            item, record, locations, self._today(), now=dt.datetime.now(dt.UTC)
        )
        try:
            await asyncio.to_thread(self._profiles.save, self._profile)
        except BgWizardError:
            item.sheets, item.pending_rotation = before
            raise
        try:
            await self._directory.reset_password(item.object_id, password, force_change=False)
        except (GraphError, PermissionMissing) as exc:
            note = await self.who_can_reset(upn)
            if note is None:
                raise
            # Microsoft documents no error code for an RMAU block: explain it in its place.
            said = str(exc).rstrip(".")
            raise RotationError(f"{note.rstrip('.')}; the reset was refused ({said}).") from None
        retired = finish_rotation(item, self._today())
        await asyncio.to_thread(self._profiles.save, self._profile)
        return Rotated(upn, record.serial, (*abandoned, *retired))

    async def who_can_reset(self, upn: str) -> str | None:
        """Say who can reset the password when the account sits in an RMAU (None otherwise).

        Shown before the reset, so nobody prints sheets for a reset that will be refused; a
        failed read says nothing (the reset then tells for itself).
        """
        item = self._created(upn)
        try:
            memberships = await self._directory.transitive_member_of(item.object_id)
        except BgWizardError:
            return None
        # The set-up journaled Global Administrator for it (the rotation reads no roles).
        admin = SetupJournal(self._profile).is_done("role", upn)
        return restricted_unit_note(upn, memberships, global_admin=admin)

    async def complete(self, upn: str) -> Rotated:
        """Record the account's pending rotation as done (after a sign-in with the new sheet).

        Raises:
            RotationError: the account is unknown or has no pending rotation.
            ProfileError: the profile could not be saved.
        """
        item = self._created(upn)
        pending = item.pending_rotation
        if pending is None:
            raise RotationError(f"No rotation of {upn} is waiting to be finished.")
        if pending.started is not None:
            user = await self._directory.get_user(item.object_id, sign_in_activity=False)
            changed = user.last_password_change
            if changed is not None and changed < pending.started - CLOCK_SLACK:
                raise RotationError(
                    f"The tenant still has the old password of {upn} (last changed"
                    f" {changed:%Y-%m-%d %H:%M} UTC, before this rotation began); choose Start"
                    " again."
                )
        serial = pending.serial
        retired = finish_rotation(item, self._today())
        await asyncio.to_thread(self._profiles.save, self._profile)
        return Rotated(upn, serial, tuple(retired))

    def _created(self, upn: str) -> BreakGlassAccount:
        try:
            item = account(self._profile, upn)
        except KeyError:
            raise RotationError(f"{upn} is not a break glass account of this profile.") from None
        if not item.object_id:
            raise RotationError(f"{upn} has not been created yet; finish the set-up first.")
        return item

    def check_sign_in(self, upn: str, identity: SignedInIdentity) -> list[str]:
        """Problems with the verification sign-in after a rotation (empty when fine)."""
        item = account(self._profile, upn)
        return sign_in_problems(item.object_id, upn, identity)
