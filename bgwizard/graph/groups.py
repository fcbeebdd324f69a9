"""The protected exclusion group and its administrative unit, over Microsoft Graph.

``DirectoryGroups`` creates and finds a role-assignable security group, reads and adds its
members, and creates and finds an administrative unit (restricted management or not) and adds
members to it. ``GraphDirectory`` passes its calls on. msgraph's models are imported on the
first write, never at import time.
"""

from __future__ import annotations

import re
from typing import Any

from bgwizard.graph.connection import GraphConnection, odata_quote, request_config
from bgwizard.graph.model import AdminUnit, DirectoryGroup

_GROUP_FIELDS = (
    "id",
    "displayName",
    "isAssignableToRole",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
)


def _nickname(name: str) -> str:
    """A ``mailNickname`` from a display name (Graph requires one even when not mail-enabled)."""
    return re.sub(r"[^A-Za-z0-9._-]", "", name)[:64] or "group"


def _group(model: Any) -> DirectoryGroup:
    return DirectoryGroup(
        id=str(model.id),
        display_name=str(model.display_name or ""),
        role_assignable=bool(model.is_assignable_to_role),
        security_enabled=bool(model.security_enabled),
        mail_enabled=bool(model.mail_enabled),
        dynamic="DynamicMembership" in (model.group_types or []),
    )


def _unit(model: Any) -> AdminUnit:
    return AdminUnit(
        id=str(model.id),
        display_name=str(model.display_name or ""),
        restricted=bool(model.is_member_management_restricted),
    )


def _reference(connection: GraphConnection, object_id: str) -> Any:
    from msgraph.generated.models.reference_create import ReferenceCreate

    base = connection.client().request_adapter.base_url.rstrip("/")
    return ReferenceCreate(odata_id=f"{base}/directoryObjects/{object_id}")


class DirectoryGroups:
    """Groups and administrative units for the exclusion step."""

    def __init__(self, connection: GraphConnection) -> None:
        """Use ``connection`` (shared with ``GraphDirectory``)."""
        self._graph = connection

    async def find_group(self, name: str) -> list[DirectoryGroup]:
        """Every group whose display name is ``name`` (Graph allows duplicates).

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().groups
        query = f"displayName eq {odata_quote(name)}"
        with self._graph.translate("find_group"):
            items = await self._graph.collect(builder, filter=query, select=list(_GROUP_FIELDS))
        return [_group(i) for i in items]

    async def get_group(self, group_id: str) -> DirectoryGroup:
        """A group by id.

        Raises:
            NotFound: no such group.
            BgWizardError: any other failure, translated.
        """
        builder = self._graph.client().groups.by_group_id(group_id)
        with self._graph.translate("find_group"):
            model = await builder.get(
                request_configuration=request_config(builder, select=list(_GROUP_FIELDS))
            )
        return _group(model)

    async def create_role_assignable_group(self, name: str, description: str) -> DirectoryGroup:
        """Create a role-assignable security group (not mail-enabled, assigned, Private).

        Raises:
            BgWizardError: any failure, translated (403 names RoleManagement.ReadWrite.Directory).
        """
        from msgraph.generated.models.group import Group

        body = Group(
            display_name=name,
            description=description,
            mail_enabled=False,
            mail_nickname=_nickname(name),
            security_enabled=True,
            is_assignable_to_role=True,
            group_types=[],
            visibility="Private",
        )
        with self._graph.translate("create_group"):
            model = await self._graph.client().groups.post(body)
        return _group(model)

    async def group_members(self, group_id: str) -> list[str]:
        """Object ids of the group's direct members.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().groups.by_group_id(group_id).members
        with self._graph.translate("group_members"):
            items = await self._graph.collect(builder)
        return [str(i.id) for i in items]

    async def add_group_member(self, group_id: str, object_id: str) -> None:
        """Add a directory object to a group.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().groups.by_group_id(group_id).members.ref
        with self._graph.translate("add_group_member"):
            await builder.post(_reference(self._graph, object_id))

    async def find_admin_unit(self, name: str) -> list[AdminUnit]:
        """Every administrative unit named ``name``.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().directory.administrative_units
        query = f"displayName eq {odata_quote(name)}"
        with self._graph.translate("admin_units"):
            items = await self._graph.collect(builder, filter=query)
        return [_unit(i) for i in items]

    async def get_admin_unit(self, unit_id: str) -> AdminUnit:
        """An administrative unit by id.

        Raises:
            NotFound: no such unit.
            BgWizardError: any other failure, translated.
        """
        builder = self._graph.client().directory.administrative_units.by_administrative_unit_id(
            unit_id
        )
        with self._graph.translate("admin_units"):
            model = await builder.get()
        return _unit(model)

    async def create_admin_unit(self, name: str, description: str) -> AdminUnit:
        """Create a restricted management administrative unit (the setting is final).

        Raises:
            BgWizardError: any failure, translated.
        """
        from msgraph.generated.models.administrative_unit import AdministrativeUnit

        body = AdministrativeUnit(
            display_name=name, description=description, is_member_management_restricted=True
        )
        builder = self._graph.client().directory.administrative_units
        with self._graph.translate("create_admin_unit"):
            model = await builder.post(body)
        return _unit(model)

    async def admin_unit_members(self, unit_id: str) -> list[str]:
        """Object ids of the unit's members.

        Raises:
            BgWizardError: any failure, translated.
        """
        units = self._graph.client().directory.administrative_units
        builder = units.by_administrative_unit_id(unit_id).members
        with self._graph.translate("admin_units"):
            items = await self._graph.collect(builder)
        return [str(i.id) for i in items]

    async def add_admin_unit_member(self, unit_id: str, object_id: str) -> None:
        """Add a user or security group to an administrative unit.

        Raises:
            BgWizardError: any failure, translated.
        """
        units = self._graph.client().directory.administrative_units
        builder = units.by_administrative_unit_id(unit_id).members.ref
        with self._graph.translate("add_admin_unit_member"):
            await builder.post(_reference(self._graph, object_id))
