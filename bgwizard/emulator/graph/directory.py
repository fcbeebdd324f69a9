"""Graph directory reads: domains, organization, groups and membership, auth methods."""

from __future__ import annotations

import re

from bgwizard.emulator.graph import authz, rmau
from bgwizard.emulator.graph import users as graph_users
from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.records import Caller, record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, iso, new_id, utcnow

DOMAINS = Collection("domain", "domains", {"id", "isInitial", "isDefault", "isVerified"})
ORGANIZATION = Collection("organization", "organization")
GROUPS = Collection(
    "Group",
    "groups",
    {
        "id",
        "displayName",
        "securityEnabled",
        "mailEnabled",
        "isAssignableToRole",
        "onPremisesSyncEnabled",
        "mailNickname",
    },
    directory_objects=True,
)
MEMBERSHIP = Collection("directoryObject", "directoryObjects", {"id", "displayName"})
METHODS = Collection("authenticationMethod", "users('{id}')/authentication/methods")
FIDO2 = Collection("fido2AuthenticationMethod", "users('{id}')/authentication/fido2Methods")


def register(router: Router, ctx: GraphContext) -> None:
    """Add the directory routes (users are in ``graph_users``)."""
    graph_users.register(router, ctx)
    h = _Directory(ctx)
    group = V1 + r"/groups/" + ID
    user = V1 + r"/users/" + ID
    for method, pattern, handler, op in (
        ("GET", V1 + r"/domains", h.domains, "domains-list"),
        ("GET", V1 + r"/domains/(?P<id>[^/]+)", h.domain, "domain-get"),
        ("GET", V1 + r"/organization", h.organization, "organization-list"),
        ("GET", V1 + r"/groups", h.groups, "group-list"),
        ("POST", V1 + r"/groups", h.create_group, "group-create"),
        ("GET", group, h.group, "group-get"),
        ("GET", group + r"/members", h.members, "group-members"),
        ("GET", group + r"/transitiveMembers", h.transitive_members, "group-transitiveMembers"),
        ("POST", group + r"/members/\$ref", h.add_member, "group-add-member"),
        (
            "DELETE",
            group + r"/members/(?P<member>[^/]+)/\$ref",
            h.remove_member,
            "group-remove-member",
        ),
        ("GET", user + r"/memberOf", h.member_of, "user-memberOf"),
        ("GET", user + r"/transitiveMemberOf", h.transitive_member_of, "user-transitiveMemberOf"),
        ("GET", user + r"/authentication/methods", h.methods, "authentication-list-methods"),
        ("GET", user + r"/authentication/fido2Methods", h.fido2, "fido2-list"),
    ):
        ctx.route(router, method, pattern, handler, op)


def _role_assignable_rule(caller: Caller) -> None:
    """The table's group-add-member rule for a role-assignable group: Privileged Role
    Administrator (or Global Administrator) and RoleManagement.ReadWrite.Directory."""
    if "RoleManagement.ReadWrite.Directory" not in caller.scopes:
        kind = "application permission" if caller.kind == "app" else "permission"
        raise authz.denied(
            "Insufficient privileges to complete the operation: a role-assignable group's "
            f"members change only with the {kind} RoleManagement.ReadWrite.Directory."
        )
    if caller.kind == "user" and not caller.role_ids & {
        catalog.GLOBAL_ADMIN,
        catalog.PRIVILEGED_ROLE_ADMIN,
    }:
        raise authz.denied(
            "Insufficient privileges to complete the operation: a role-assignable group's "
            "members change only by one of these roles: Privileged Role Administrator, "
            "Global Administrator."
        )


def typed(kind: str, obj: JsonDict) -> JsonDict:
    """A directory object with its ``@odata.type`` (as in memberOf / members lists)."""
    shown = graph_users.visible(obj) if kind == "user" else obj
    return {"@odata.type": f"#microsoft.graph.{kind}", **shown}


class _Directory:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def domains(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        return self.ctx.collection(request, list(self.state.domains), DOMAINS)

    def domain(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        found = next(
            (d for d in self.state.domains if d["id"].lower() == match["id"].lower()), None
        )
        if found is None:
            raise self.ctx.not_found("domain", match["id"])
        return self.ctx.entity(request, found, DOMAINS)

    def organization(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        org: JsonDict = {
            **self.state.organization,
            "id": self.state.tenant_id,
            "displayName": self.state.display_name,
            "verifiedDomains": [
                {
                    "name": d["id"],
                    "isInitial": bool(d.get("isInitial")),
                    "isDefault": bool(d.get("isDefault")),
                    "type": "Managed",
                    "capabilities": "Email, OfficeCommunicationsOnline",
                }
                for d in self.state.domains
                if d.get("isVerified")
            ],
        }
        return self.ctx.collection(request, [org], ORGANIZATION)

    def _group(self, key: str) -> JsonDict:
        group = self.state.groups.get(key)
        if group is None:
            raise self.ctx.not_found("group", key)
        return group

    def groups(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = list(self.state.groups.values())
        return self.ctx.collection(request, items, GROUPS)

    def group(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        return self.ctx.entity(request, self._group(match["id"]), GROUPS)

    def create_group(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = self.ctx.json_object(request)
        for name in ("displayName", "mailEnabled", "mailNickname", "securityEnabled"):
            if body.get(name) is None or body.get(name) == "":
                raise self.ctx.bad_request(
                    f"Invalid value specified for property '{name}' of resource 'Group'."
                )
        if body.get("isAssignableToRole"):
            self._check_role_assignable(caller, body)
        group: JsonDict = {
            "id": new_id(),
            "description": None,
            "groupTypes": [],
            "isAssignableToRole": None,
            "onPremisesSyncEnabled": None,
            "visibility": None,
            "createdDateTime": iso(utcnow()),
            **{
                k: v for k, v in body.items() if not k.startswith("@") and k != "members@odata.bind"
            },
        }
        if group.get("isAssignableToRole") and not group.get("visibility"):
            group["visibility"] = "Private"
        with self.state.lock:
            self.state.groups[group["id"]] = group
            self.state.members[group["id"]] = []
            record_audit(
                self.state, caller, "Add group", "GroupManagement", [target("Group", group)], "Add"
            )
        context = f"{self.ctx.graph_url}/$metadata#groups/$entity"
        return json_response(
            201,
            {"@odata.context": context, **group},
            {"Location": f"{self.ctx.graph_url}/groups/{group['id']}"},
        )

    def _check_role_assignable(self, caller: Caller, body: JsonDict) -> None:
        """The table's rules for ``isAssignableToRole``: RoleManagement.ReadWrite.Directory
        and Privileged Role Administrator (or GA); a security group, not dynamic, Private."""
        _role_assignable_rule(caller)
        if body.get("securityEnabled") is not True:
            raise self.ctx.bad_request(
                "A role-assignable group must be a security group (securityEnabled true)."
            )
        if "DynamicMembership" in (body.get("groupTypes") or []):
            raise self.ctx.bad_request("A role-assignable group cannot have dynamic membership.")
        if body.get("visibility") not in (None, "Private"):
            raise self.ctx.bad_request("A role-assignable group's visibility must be Private.")

    def _objects(self, ids: list[str]) -> list[JsonDict]:
        out = []
        for oid in ids:
            found = self.state.find_object(oid)
            if found is not None:
                out.append(typed(*found))
        return out

    def members(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            self._group(match["id"])
            items = self._objects(self.state.members.get(match["id"], []))
        return self.ctx.collection(request, items, MEMBERSHIP)

    def transitive_members(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            self._group(match["id"])
            items = self._objects(self.state.transitive_members(match["id"]))
        return self.ctx.collection(request, items, MEMBERSHIP)

    def member_of(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request, match["id"])
        with self.state.lock:
            user = graph_users.require_user(self.ctx, match["id"])
            items = self._objects(self.state.direct_groups(str(user["id"])))
        return self.ctx.collection(request, items, MEMBERSHIP)

    def transitive_member_of(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request, match["id"])
        with self.state.lock:
            user = graph_users.require_user(self.ctx, match["id"])
            items = self._objects(self.state.transitive_groups(str(user["id"])))
            items += self._units(str(user["id"]))
        return self.ctx.collection(request, items, MEMBERSHIP)

    def _units(self, object_id: str) -> list[JsonDict]:
        """The administrative units holding ``object_id`` (transitiveMemberOf lists them)."""
        return [
            typed("administrativeUnit", self.state.admin_units[au_id])
            for au_id, ids in self.state.unit_members.items()
            if object_id in ids
        ]

    def add_member(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        ref = str(self.ctx.json_object(request).get("@odata.id", ""))
        member_id = ref.rstrip("/").rpartition("/")[2].removeprefix("directoryObjects('")
        member_id = member_id.removesuffix("')")
        with self.state.lock:
            group = self._group(match["id"])
            if group.get("isAssignableToRole"):
                _role_assignable_rule(caller)
            rmau.check_group_members_change(self.state, caller, group)
            found = self.state.find_object(member_id)
            if found is None:
                raise self.ctx.not_found("directoryObject", member_id)
            members = self.state.members.setdefault(group["id"], [])
            if member_id in members:
                raise self.ctx.bad_request(
                    "One or more added object references already exist for the following "
                    "modified properties: 'members'."
                )
            members.append(member_id)
            record_audit(
                self.state,
                caller,
                "Add member to group",
                "GroupManagement",
                [target(found[0].capitalize(), found[1]), target("Group", group)],
                "Assign",
            )
        return Response(204)

    def remove_member(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        with self.state.lock:
            group = self._group(match["id"])
            if group.get("isAssignableToRole"):
                _role_assignable_rule(caller)
            rmau.check_group_members_change(self.state, caller, group)
            members = self.state.members.setdefault(group["id"], [])
            if match["member"] not in members:
                raise self.ctx.not_found("member", match["member"])
            members.remove(match["member"])
            found = self.state.find_object(match["member"])
            targets = [target("Group", group)]
            if found is not None:
                targets.insert(0, target(found[0].capitalize(), found[1]))
            record_audit(
                self.state,
                caller,
                "Remove member from group",
                "GroupManagement",
                targets,
                "Unassign",
            )
        return Response(204)

    def _methods(self, user: JsonDict) -> list[JsonDict]:
        password: JsonDict = {
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            "id": catalog.PASSWORD_METHOD_ID,
            "password": None,
            "createdDateTime": user.get("lastPasswordChangeDateTime")
            or user.get("createdDateTime"),
        }
        return [password, *self.state.auth_methods.get(str(user["id"]), [])]

    def methods(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request, match["id"])
        with self.state.lock:
            user = graph_users.require_user(self.ctx, match["id"])
            items = self._methods(user)
        spec = Collection(METHODS.resource, METHODS.context.format(id=user["id"]))
        return self.ctx.collection(request, items, spec)

    def fido2(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request, match["id"])
        with self.state.lock:
            user = graph_users.require_user(self.ctx, match["id"])
            items = [
                {k: v for k, v in m.items() if k != "@odata.type"}
                for m in self._methods(user)
                if m.get("@odata.type") == "#microsoft.graph.fido2AuthenticationMethod"
            ]
        spec = Collection(FIDO2.resource, FIDO2.context.format(id=user["id"]))
        return self.ctx.collection(request, items, spec)
