"""The exclusion step: direct exclusion (the default) or a protected group, optionally inside
a new restricted management administrative unit (RMAU). Part of ``SetupService``.

Direct exclusion names each account in every policy's ``excludeUsers``: the hardest to remove
by accident, and what the article the product started from asks for. The protected group is
Microsoft's 2026 advice: a role-assignable security group (only Privileged Role
Administrators and Global Administrators can change its members) holding exactly the break
glass accounts, excluded through ``excludeGroups``. Every change is idempotent: the group and
the unit are found by their stored id, else by name, and never made twice; each id is saved
as soon as it exists, so a crash right after a create finds the object on the rerun.
"""

from __future__ import annotations

from typing import Final

from bgwizard.errors import BgWizardError, ExclusionError, NotFound, PermissionMissing
from bgwizard.graph.model import AdminUnit, DirectoryGroup
from bgwizard.setup.ca_step import CaStep
from bgwizard.setup.journal import SetupJournal
from bgwizard.setup.names import DEFAULT_UNIT_NAME
from bgwizard.setup.results import ExclusionResult

_GROUP_DESCRIPTION: Final = "Managed by bgwizard; see the runbook before changing its members."
"""Readable by every member of the directory, so it does not say what the group protects."""
_UNIT_DESCRIPTION: Final = "Managed by bgwizard; see the runbook."


class ExclusionStep(CaStep):
    """Direct exclusion, or the protected group (and RMAU), for the profile's accounts."""

    async def choose_direct_exclusion(self) -> None:
        """Keep the default: each account excluded by name. Journals the step.

        A group chosen before is forgotten by the profile (it stays in the tenant).
        """
        profile = self._profile
        profile.exclusion_group_id = ""
        profile.exclusion_group_name = ""
        profile.exclusion_rmau_id = ""
        SetupJournal(profile).mark("exclusion")
        await self.save()

    async def set_up_protected_group(
        self, name: str, *, restricted_unit: bool = False, unit_name: str = DEFAULT_UNIT_NAME
    ) -> ExclusionResult:
        """Create (or find) the protected group, put exactly the accounts in it, optionally
        inside a new RMAU; re-read, store the ids in the profile and journal the step.

        Args:
            name: the group's display name (typed by the operator).
            restricted_unit: also put the group into a restricted management unit.
            unit_name: that unit's display name.

        Raises:
            ExclusionError: an account does not exist yet; the group or unit found is not one
                that can protect the accounts, or the group holds other members (nothing is
                changed then); or the re-read disagrees.
            BgWizardError: a Graph call failed.
        """
        ids = self.account_ids
        if not ids or len(ids) != len(self._profile.accounts):
            raise ExclusionError("Create the accounts before setting up the exclusion group.")
        name = name.strip()
        if not name:
            raise ExclusionError("Type a name for the exclusion group.")
        group, created = await self._group(name)
        members = set(await self._directory.group_members(group.id))
        others = members - set(ids)
        if others:
            if self._profile.exclusion_group_id == group.id:  # let another name be chosen
                await self._keep_group(None)
            raise ExclusionError(
                f"The group {group.display_name} already holds {len(others)} other member(s);"
                " nothing was changed: choose another name."
            )
        await self._keep_group(group)
        added = tuple(i for i in ids if i not in members)
        for user_id in added:
            await self._directory.add_group_member(group.id, user_id)
        unit, unit_created, unit_added = None, False, False
        if restricted_unit:
            unit, unit_created, unit_added = await self._unit(unit_name.strip(), group.id)
        await self._confirm_group(group.id, ids, unit)
        self._profile.exclusion_rmau_id = unit.id if unit else ""
        SetupJournal(self._profile).mark("exclusion")
        await self.save()
        return ExclusionResult(group, created, added, unit, unit_created, unit_added)

    async def _group(self, name: str) -> tuple[DirectoryGroup, bool]:
        """The group by stored id, else by name, else a new one (a new one's id saved at once;
        a found one's only once it is known to hold no one else)."""
        profile = self._profile
        group = None
        if profile.exclusion_group_id:
            try:
                group = await self._directory.get_group(profile.exclusion_group_id)
            except NotFound:
                group = None
        created = False
        if group is None:
            group = await self._one_group(name)
        if group is None:
            group = await self._create_group(name)
            created = True
            await self._keep_group(group)  # found by id on a rerun, even after a crash
        _check_group(group)
        return group, created

    async def _keep_group(self, group: DirectoryGroup | None) -> None:
        self._profile.exclusion_group_id = group.id if group else ""
        self._profile.exclusion_group_name = group.display_name if group else ""
        await self.save()

    async def _one_group(self, name: str) -> DirectoryGroup | None:
        found = await self._directory.find_group(name)
        if len(found) > 1:
            raise ExclusionError(
                f"{len(found)} groups are named {name}; nothing was changed: choose another name."
            )
        return found[0] if found else None

    async def _create_group(self, name: str) -> DirectoryGroup:
        """Create the group; after a failure look again (a lost answer may hide a create)."""
        try:
            return await self._directory.create_role_assignable_group(name, _GROUP_DESCRIPTION)
        except PermissionMissing:
            raise
        except BgWizardError:
            found = await self._one_group(name)
            if found is None:
                raise
            return found

    async def _unit(self, name: str, group_id: str) -> tuple[AdminUnit, bool, bool]:
        """The RMAU by stored id, else by name, else a new one; the group put into it."""
        profile = self._profile
        unit = None
        if profile.exclusion_rmau_id:
            try:
                unit = await self._directory.get_admin_unit(profile.exclusion_rmau_id)
            except NotFound:
                unit = None
        created = False
        if unit is None:
            unit = await self._one_unit(name)
        if unit is None:
            unit = await self._directory.create_admin_unit(name, _UNIT_DESCRIPTION)
            created = True
        if not unit.restricted:
            raise ExclusionError(
                f"The administrative unit {unit.display_name} is not a restricted management"
                " unit (that is set only when a unit is created): choose another name."
            )
        profile.exclusion_rmau_id = unit.id
        await self.save()
        added = False
        if group_id not in await self._directory.admin_unit_members(unit.id):
            await self._directory.add_admin_unit_member(unit.id, group_id)
            added = True
        return unit, created, added

    async def _one_unit(self, name: str) -> AdminUnit | None:
        if not name:
            raise ExclusionError("Type a name for the restricted management unit.")
        found = await self._directory.find_admin_unit(name)
        if len(found) > 1:
            raise ExclusionError(
                f"{len(found)} administrative units are named {name}; choose another name."
            )
        return found[0] if found else None

    async def _confirm_group(
        self, group_id: str, ids: tuple[str, ...], unit: AdminUnit | None
    ) -> None:
        group = await self._directory.get_group(group_id)
        _check_group(group)
        members = set(await self._directory.group_members(group_id))
        if members != set(ids):
            raise ExclusionError(
                f"The group {group.display_name} does not hold exactly the break glass accounts"
                " on re-read; check it in the portal."
            )
        if unit is not None and group_id not in await self._directory.admin_unit_members(unit.id):
            raise ExclusionError(
                f"The group is not in the unit {unit.display_name} on re-read; check it in the"
                " portal."
            )


def _check_group(group: DirectoryGroup) -> None:
    """Refuse a group that cannot protect the accounts (one sentence, nothing changed)."""
    if not group.role_assignable or not group.security_enabled or group.dynamic:
        raise ExclusionError(
            f"The group {group.display_name} exists but is not a role-assignable security group"
            " with assigned members; nothing was changed: choose another name."
        )
    if group.mail_enabled:
        raise ExclusionError(
            f"The group {group.display_name} is mail-enabled; nothing was changed: choose"
            " another name."
        )
