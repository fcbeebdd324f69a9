"""Graph role management: definitions, assignments (read, add, remove) and PIM schedules."""

from __future__ import annotations

import re

from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.directory import typed
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.tenant.records import Caller, record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, iso, utcnow

_BASE = V1 + r"/roleManagement/directory"
_FILTERABLE = {"principalId", "roleDefinitionId", "directoryScopeId", "id"}
DEFINITIONS = Collection(
    "unifiedRoleDefinition",
    "roleManagement/directory/roleDefinitions",
    {"id", "displayName", "templateId", "isBuiltIn"},
)
ASSIGNMENTS = Collection(
    "unifiedRoleAssignment", "roleManagement/directory/roleAssignments", _FILTERABLE
)
ELIGIBILITY = Collection(
    "unifiedRoleEligibilitySchedule",
    "roleManagement/directory/roleEligibilitySchedules",
    _FILTERABLE,
)
ASSIGNMENT_SCHEDULES = Collection(
    "unifiedRoleAssignmentSchedule",
    "roleManagement/directory/roleAssignmentSchedules",
    _FILTERABLE,
)


def register(router: Router, ctx: GraphContext) -> None:
    """Add the role management routes."""
    h = _Roles(ctx)
    for method, path, handler, op in (
        ("GET", r"/roleDefinitions", h.definitions, "roleDefinitions-list"),
        ("GET", r"/roleDefinitions/" + ID, h.definition, "roleDefinitions-list"),
        ("GET", r"/roleAssignments", h.assignments, "roleAssignments-list"),
        ("POST", r"/roleAssignments", h.add, "roleAssignments-create"),
        ("GET", r"/roleAssignments/" + ID, h.assignment, "roleAssignment-get"),
        ("DELETE", r"/roleAssignments/" + ID, h.remove, "roleAssignment-delete"),
        ("GET", r"/roleEligibilitySchedules", h.eligibilities, "roleEligibilitySchedules-list"),
        (
            "GET",
            r"/roleAssignmentSchedules",
            h.assignment_schedules,
            "roleAssignmentSchedules-list",
        ),
    ):
        ctx.route(router, method, _BASE + path, handler, op)


class _Roles:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def _expand(self, request: Request, items: list[JsonDict]) -> list[JsonDict]:
        expand = {e.strip() for e in request.query.get("$expand", "").split(",") if e.strip()}
        unknown = expand - {"principal", "roleDefinition"}
        if unknown:
            raise self.ctx.bad_request(
                f"Could not find a property named '{sorted(unknown)[0]}' to expand.", "BadRequest"
            )
        out = []
        for item in items:
            extra: JsonDict = {}
            if "principal" in expand:
                found = self.state.find_object(str(item["principalId"]))
                extra["principal"] = typed(*found) if found else None
            if "roleDefinition" in expand:
                extra["roleDefinition"] = self.state.role_definitions.get(
                    str(item["roleDefinitionId"])
                )
            out.append({**item, **extra})
        return out

    def definitions(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        return self.ctx.collection(request, list(self.state.role_definitions.values()), DEFINITIONS)

    def definition(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        found = self.state.role_definitions.get(match["id"])
        if found is None:
            raise self.ctx.not_found("roleDefinition", match["id"])
        return self.ctx.entity(request, found, DEFINITIONS)

    def assignments(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = self._expand(request, list(self.state.role_assignments.values()))
        return self.ctx.collection(request, items, ASSIGNMENTS)

    def assignment(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            found = self.state.role_assignments.get(match["id"])
            if found is None:
                raise self.ctx.not_found("roleAssignment", match["id"])
            item = self._expand(request, [found])[0]
        return self.ctx.entity(request, item, ASSIGNMENTS)

    def add(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = self.ctx.json_object(request)
        principal_id = str(body.get("principalId", ""))
        role_id = str(body.get("roleDefinitionId", ""))
        scope = str(body.get("directoryScopeId", ""))
        if not principal_id or not role_id or not scope:
            raise self.ctx.bad_request(
                "principalId, roleDefinitionId and directoryScopeId are required."
            )
        with self.state.lock:
            found = self.state.find_object(principal_id)
            role = self.state.role_definitions.get(role_id)
            if found is None or role is None:
                missing = principal_id if found is None else role_id
                raise self.ctx.not_found("principal or roleDefinition", missing)
            if self.state.role_assignment_of(principal_id, role_id, scope) is not None:
                raise self.ctx.bad_request(
                    "A conflicting object with one or more of the specified property values "
                    "is present in the directory."
                )
            assignment = self.state.add_role_assignment(principal_id, role_id, scope)
            self._audit(caller, "Add member to role", found, role, "Assign")
        context = f"{self.ctx.graph_url}/$metadata#roleManagement/directory/roleAssignments/$entity"
        return json_response(201, {"@odata.context": context, **assignment})

    def remove(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        with self.state.lock:
            assignment = self.state.role_assignments.pop(match["id"], None)
            if assignment is None:
                raise self.ctx.not_found("roleAssignment", match["id"])
            self.state.assignment_ends.pop(match["id"], None)
            self.state.assignment_starts.pop(match["id"], None)
            found = self.state.find_object(str(assignment["principalId"]))
            role = self.state.role_definitions[str(assignment["roleDefinitionId"])]
            if found is not None:
                self._audit(caller, "Remove member from role", found, role, "Unassign")
        return Response(204)

    def _audit(
        self,
        caller: Caller,
        activity: str,
        found: tuple[str, JsonDict],
        role: JsonDict,
        operation: str,
    ) -> None:
        kind, obj = found
        changes = {
            "Role.DisplayName": (None, role["displayName"]),
            "Role.TemplateId": (None, role["templateId"]),
        }
        role_target = {**target("Role", role), "id": role["id"]}
        record_audit(
            self.state,
            caller,
            activity,
            "RoleManagement",
            [target(kind.capitalize(), obj, changes), role_target],
            operation,
        )

    def eligibilities(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = self._expand(request, list(self.state.role_eligibilities.values()))
        return self.ctx.collection(request, items, ELIGIBILITY)

    def assignment_schedules(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            schedules = [self._schedule(a) for a in self.state.role_assignments.values()]
            items = self._expand(request, schedules)
        return self.ctx.collection(request, items, ASSIGNMENT_SCHEDULES)

    def _schedule(self, assignment: JsonDict) -> JsonDict:
        end = self.state.assignment_ends.get(str(assignment["id"]))
        start = self.state.assignment_starts.get(str(assignment["id"]))
        return {
            "id": assignment["id"],
            "principalId": assignment["principalId"],
            "roleDefinitionId": assignment["roleDefinitionId"],
            "directoryScopeId": assignment["directoryScopeId"],
            "appScopeId": None,
            "assignmentType": "Assigned",
            "memberType": "Direct",
            "status": "Provisioned",
            "createdUsing": assignment["id"],
            "createdDateTime": None,
            "modifiedDateTime": None,
            "scheduleInfo": {
                "startDateTime": start or (iso(utcnow()) if end else None),
                "recurrence": None,
                "expiration": {
                    "type": "afterDateTime" if end else "noExpiration",
                    "endDateTime": end,
                    "duration": None,
                },
            },
        }
