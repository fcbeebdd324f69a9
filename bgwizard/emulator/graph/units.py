"""Administrative units: list, read, create (restricted management or not), add members.

The table documents only the list (``administrativeUnits-list``); the other routes borrow its
requirement (``requirements.BORROWED``) and the writes add what the table's
``restricted_management_admin_units`` section says manages a unit: Global Administrator or
Privileged Role Administrator, with ``AdministrativeUnit.ReadWrite.All``.
"""

from __future__ import annotations

import re
from typing import Final

from bgwizard.emulator.graph import authz
from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.records import Caller, record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, new_id

UNITS = Collection(
    "administrativeUnit",
    "directory/administrativeUnits",
    {"id", "displayName", "isMemberManagementRestricted", "visibility"},
)
UNIT_MEMBERS = Collection("directoryObject", "directoryObjects", {"id", "displayName"})
_WRITE_SCOPES: Final = ("AdministrativeUnit.ReadWrite.All", "Directory.ReadWrite.All")
_MANAGERS: Final = frozenset({catalog.GLOBAL_ADMIN, catalog.PRIVILEGED_ROLE_ADMIN})
_PROPERTIES: Final = frozenset(
    {"displayName", "description", "isMemberManagementRestricted", "visibility"}
)


def register(router: Router, ctx: GraphContext) -> None:
    """Add the administrative unit routes."""
    h = _Units(ctx)
    units = V1 + r"/directory/administrativeUnits"
    unit = units + "/" + ID
    for method, pattern, handler, op in (
        ("GET", units, h.list, "administrativeUnits-list"),
        ("POST", units, h.create, "administrativeUnit-create"),
        ("GET", unit, h.get, "administrativeUnit-get"),
        ("GET", unit + r"/members", h.members, "administrativeUnit-members"),
        ("POST", unit + r"/members/\$ref", h.add_member, "administrativeUnit-add-member"),
    ):
        ctx.route(router, method, pattern, handler, op)


def _may_manage(caller: Caller) -> None:
    """Managing a unit: ``AdministrativeUnit.ReadWrite.All`` and (signed in) GA or PRA."""
    if not any(s in caller.scopes for s in _WRITE_SCOPES):
        kind = "application permission" if caller.kind == "app" else "permission"
        raise authz.denied(
            "Insufficient privileges to complete the operation: managing an administrative "
            f"unit needs the {kind} AdministrativeUnit.ReadWrite.All."
        )
    if caller.kind == "user" and not caller.role_ids & _MANAGERS:
        raise authz.denied(
            "Insufficient privileges to complete the operation: managing an administrative "
            "unit needs the Privileged Role Administrator or Global Administrator role."
        )


class _Units:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def _unit(self, key: str) -> JsonDict:
        unit = self.state.admin_units.get(key)
        if unit is None:
            raise self.ctx.not_found("administrativeUnit", key)
        return unit

    def list(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = list(self.state.admin_units.values())
        return self.ctx.collection(request, items, UNITS)

    def get(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            unit = self._unit(match["id"])
        return self.ctx.entity(request, unit, UNITS)

    def members(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            self._unit(match["id"])
            items = []
            for oid in self.state.unit_members.get(match["id"], []):
                found = self.state.find_object(oid)
                if found is not None:
                    kind, obj = found
                    items.append({"@odata.type": f"#microsoft.graph.{kind}", **obj})
        return self.ctx.collection(request, items, UNIT_MEMBERS)

    def create(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        _may_manage(caller)
        body = self.ctx.json_object(request)
        unknown = sorted(k for k in body if k not in _PROPERTIES and not k.startswith("@"))
        if unknown:
            raise self.ctx.bad_request(
                f"Property '{unknown[0]}' does not exist on type "
                "'microsoft.graph.administrativeUnit'."
            )
        if not body.get("displayName"):
            raise self.ctx.bad_request(
                "Invalid value specified for property 'displayName' of resource "
                "'AdministrativeUnit'."
            )
        unit: JsonDict = {
            "id": new_id(),
            "displayName": body["displayName"],
            "description": body.get("description"),
            "isMemberManagementRestricted": bool(body.get("isMemberManagementRestricted")),
            "visibility": body.get("visibility"),
            "membershipType": None,
            "membershipRule": None,
            "membershipRuleProcessingState": None,
        }
        with self.state.lock:
            if (
                sum(1 for u in self.state.admin_units.values() if u["isMemberManagementRestricted"])
                >= 100
                and unit["isMemberManagementRestricted"]
            ):
                raise self.ctx.bad_request(
                    "A tenant holds at most 100 restricted management administrative units."
                )
            self.state.admin_units[unit["id"]] = unit
            self.state.unit_members[unit["id"]] = []
            record_audit(
                self.state,
                caller,
                "Add administrative unit",
                "AdministrativeUnit",
                [target("AdministrativeUnit", unit)],
                "Add",
            )
        context = f"{self.ctx.graph_url}/$metadata#directory/administrativeUnits/$entity"
        return json_response(
            201,
            {"@odata.context": context, **unit},
            {"Location": f"{self.ctx.graph_url}/directory/administrativeUnits/{unit['id']}"},
        )

    def add_member(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        _may_manage(caller)
        ref = str(self.ctx.json_object(request).get("@odata.id", ""))
        member_id = ref.rstrip("/").rpartition("/")[2].removeprefix("directoryObjects('")
        member_id = member_id.removesuffix("')")
        with self.state.lock:
            unit = self._unit(match["id"])
            found = self.state.find_object(member_id)
            if found is None:
                raise self.ctx.not_found("directoryObject", member_id)
            kind, obj = found
            if kind == "group" and (
                obj.get("mailEnabled") or "Unified" in obj.get("groupTypes", [])
            ):
                raise self.ctx.bad_request(
                    "Only users, devices and security groups that are not mail-enabled can be "
                    "members of an administrative unit."
                )
            members = self.state.unit_members.setdefault(unit["id"], [])
            if member_id in members:
                raise self.ctx.bad_request(
                    "One or more added object references already exist for the following "
                    "modified properties: 'members'."
                )
            members.append(member_id)
            record_audit(
                self.state,
                caller,
                "Add member to administrative unit",
                "AdministrativeUnit",
                [target(kind.capitalize(), obj), target("AdministrativeUnit", unit)],
                "Assign",
            )
        return Response(204)
