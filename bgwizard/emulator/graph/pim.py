"""PIM role assignment requests: ``POST /roleManagement/directory/roleAssignmentScheduleRequests``.

Only ``adminAssign`` of an *active* assignment is modelled (what bgwizard asks for: a permanent
Global Administrator made through PIM). The request needs Entra ID P2: other tenants get the
400 ``AadPremiumLicenseRequired`` third parties observe (Microsoft documents no error code; see
``graph-ground-truth.md``, Roles and PIM). An assignment made here carries a schedule start, as
PIM's do; one made by a direct ``roleAssignments`` POST has none ("outside PIM", the test
ScubaGear MS.AAD.7.5 applies).
"""

from __future__ import annotations

import re
from typing import Final

from bgwizard.emulator.graph.context import V1, GraphContext
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.tenant.records import record_audit, target
from bgwizard.emulator.tenant.state import iso, new_id, utcnow

_BASE: Final = V1 + r"/roleManagement/directory/roleAssignmentScheduleRequests"
_ACTIONS: Final = frozenset({"adminAssign"})


def register(router: Router, ctx: GraphContext) -> None:
    """Add the PIM request route."""
    # permissions, roles and the P2 licence (400 AadPremiumLicenseRequired) come from the
    # ground-truth table's row for this operation (emulator/graph/requirements.py)
    ctx.route(router, "POST", _BASE, _Pim(ctx).request, "roleAssignmentScheduleRequests-create")


class _Pim:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def request(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = self.ctx.json_object(request)
        action = str(body.get("action", ""))
        principal_id = str(body.get("principalId", ""))
        role_id = str(body.get("roleDefinitionId", ""))
        scope = str(body.get("directoryScopeId", ""))
        if action not in _ACTIONS:
            raise self.ctx.bad_request(f"The emulator models only adminAssign, not {action!r}.")
        if not principal_id or not role_id or not scope or not body.get("justification"):
            raise self.ctx.bad_request(
                "action, principalId, roleDefinitionId, directoryScopeId and justification"
                " are required."
            )
        expiration = (body.get("scheduleInfo") or {}).get("expiration") or {}
        if expiration.get("type") != "noExpiration":
            raise self.ctx.bad_request("The emulator models only expiration type noExpiration.")
        with self.state.lock:
            found = self.state.find_object(principal_id)
            role = self.state.role_definitions.get(role_id)
            if found is None or role is None:
                raise self.ctx.not_found("principal or roleDefinition", principal_id)
            if self.state.role_assignment_of(principal_id, role_id, scope) is not None:
                # PIM's answer when the role assignment already exists.
                raise self.ctx.bad_request(
                    "The Role assignment already exists.", "RoleAssignmentExists"
                )
            now = iso(utcnow())
            assignment = self.state.add_role_assignment(principal_id, role_id, scope)
            self.state.assignment_starts[assignment["id"]] = now
            kind, obj = found
            record_audit(
                self.state,
                caller,
                "Add member to role completed (PIM activation)",
                "RoleManagement",
                [target(kind.capitalize(), obj), {**target("Role", role), "id": role["id"]}],
                "Assign",
            )
        answer = {
            "@odata.context": f"{self.ctx.graph_url}/$metadata#roleManagement/directory/"
            "roleAssignmentScheduleRequests/$entity",
            "id": new_id(),
            "status": "Provisioned",
            "createdDateTime": now,
            "action": action,
            "principalId": principal_id,
            "roleDefinitionId": role_id,
            "directoryScopeId": scope,
            "appScopeId": None,
            "isValidationOnly": False,
            "targetScheduleId": assignment["id"],
            "justification": body.get("justification"),
            "scheduleInfo": {
                "startDateTime": now,
                "recurrence": None,
                "expiration": {"type": "noExpiration", "endDateTime": None, "duration": None},
            },
        }
        return json_response(201, answer)
