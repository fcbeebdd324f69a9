"""Graph Conditional Access policies: list, get, and PATCH with Graph's merge rules.

PATCH merge rules (as Graph behaves): top-level properties in the body replace the stored
ones; complex (object) properties merge recursively, key by key, so
``{"conditions": {"users": {"excludeGroups": [...]}}}`` changes only ``excludeGroups`` and keeps
every other condition; collections (arrays) and scalars are replaced whole; ``null`` clears.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import Request, Response, Router
from bgwizard.emulator.tenant.records import record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, iso, utcnow

_BASE = V1 + r"/identity/conditionalAccess/policies"
POLICY_PROPERTIES = {
    "id",
    "deletedDateTime",
    "conditions",
    "createdDateTime",
    "description",
    "displayName",
    "grantControls",
    "modifiedDateTime",
    "sessionControls",
    "state",
    "templateId",
}
_WRITABLE = {
    "conditions",
    "description",
    "displayName",
    "grantControls",
    "sessionControls",
    "state",
}
_STATES = {"enabled", "disabled", "enabledForReportingButNotEnforced"}
POLICIES = Collection(
    "conditionalAccessPolicy",
    "identity/conditionalAccess/policies",
    {"id", "displayName", "state", "createdDateTime", "modifiedDateTime"},
    properties=POLICY_PROPERTIES,
)


def register(router: Router, ctx: GraphContext) -> None:
    """Add the Conditional Access routes."""
    h = _Policies(ctx)
    ctx.route(router, "GET", _BASE, h.list, "ca-list")
    ctx.route(router, "GET", _BASE + "/" + ID, h.get, "ca-list")
    ctx.route(router, "PATCH", _BASE + "/" + ID, h.update, "ca-update")


def merge(stored: dict[str, Any], patch: dict[str, Any]) -> None:
    """Merge ``patch`` into ``stored`` in place: objects recursively, everything else replaced."""
    for key, value in patch.items():
        if key.startswith("@odata"):
            continue
        if isinstance(value, dict) and isinstance(stored.get(key), dict):
            merge(stored[key], value)
        else:
            stored[key] = copy.deepcopy(value)


class _Policies:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def _policy(self, key: str) -> JsonDict:
        policy = self.state.policies.get(key)
        if policy is None:
            raise self.ctx.not_found("conditionalAccessPolicy", key)
        return policy

    def list(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = copy.deepcopy(list(self.state.policies.values()))
        return self.ctx.collection(request, items, POLICIES)

    def get(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            item = copy.deepcopy(self._policy(match["id"]))
        return self.ctx.entity(request, item, POLICIES)

    def update(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = {k: v for k, v in self.ctx.json_object(request).items() if not k.startswith("@")}
        unknown = sorted(set(body) - POLICY_PROPERTIES)
        if unknown:
            raise self.ctx.bad_request(
                f"Property '{unknown[0]}' does not exist on type "
                "'microsoft.graph.conditionalAccessPolicy'.",
                "BadRequest",
            )
        if body.get("id") not in (None, match["id"]):
            raise self.ctx.bad_request("The policy id cannot be changed.", "BadRequest")
        read_only = sorted(set(body) - _WRITABLE - {"id"})
        if read_only:
            raise self.ctx.bad_request(f"Property '{read_only[0]}' is read-only.", "BadRequest")
        if "state" in body and body["state"] not in _STATES:
            raise self.ctx.bad_request(
                f"Invalid value '{body['state']}' for property 'state'.", "BadRequest"
            )
        body.pop("id", None)
        self._check_users(body)
        with self.state.lock:
            policy = self._policy(match["id"])
            before = copy.deepcopy(policy)
            merge(policy, body)
            policy["modifiedDateTime"] = iso(utcnow())
            old = json.dumps({k: before.get(k) for k in body})
            new = json.dumps({k: policy.get(k) for k in body})
            changed = {"ConditionalAccessPolicy": (json.loads(old), json.loads(new))}
            record_audit(
                self.state,
                caller,
                "Update conditional access policy",
                "Policy",
                [target("Policy", policy, changed)],
                "Update",
                "Conditional Access",
            )
        return Response(204)

    def _check_users(self, body: JsonDict) -> None:
        users = (body.get("conditions") or {}).get("users") or {}
        for key in (
            "includeUsers",
            "excludeUsers",
            "includeGroups",
            "excludeGroups",
            "includeRoles",
            "excludeRoles",
        ):
            value = users.get(key)
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                raise self.ctx.bad_request(
                    f"Invalid value for property 'conditions.users.{key}': expected a list "
                    "of strings.",
                    "BadRequest",
                )
        for key in ("excludeUsers", "includeUsers"):
            for oid in users.get(key) or []:
                if (
                    oid not in ("All", "None", "GuestsOrExternalUsers")
                    and oid not in self.state.users
                ):
                    raise self.ctx.bad_request(
                        f"Invalid value for conditions.users.{key}: '{oid}' is not a user in "
                        "this tenant.",
                        "BadRequest",
                    )
        for key in ("excludeGroups", "includeGroups"):
            for gid in users.get(key) or []:
                if gid not in self.state.groups:
                    raise self.ctx.bad_request(
                        f"Invalid value for conditions.users.{key}: '{gid}' is not a group in "
                        "this tenant.",
                        "BadRequest",
                    )
