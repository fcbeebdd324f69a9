"""Graph Conditional Access policies: list, get, create, PATCH with Graph's merge rules; and
the tenant's security defaults (``identitySecurityDefaultsEnforcementPolicy``).

Create (POST) validates as Graph's page says: a valid policy has at least one application
rule, one user rule and a grant or session control; ``state`` is one of the three states; an
authentication strength must be a known one (the built-ins), and "Require MFA" can't share a
policy with an authentication strength (the table). The created policy gets a new id,
``createdDateTime``, and the strength expanded to its full object, as Graph returns it.

Security defaults: Microsoft documents that they and Conditional Access shouldn't be used
together, but neither the table nor DOMAIN.md documents Graph refusing to enable a policy while
they are on, so the emulator stays permissive (creating or enabling a policy still works).

PATCH merge rules (as Graph behaves): top-level properties in the body replace the stored
ones; complex (object) properties merge recursively, key by key, so
``{"conditions": {"users": {"excludeGroups": [...]}}}`` changes only ``excludeGroups`` and keeps
every other condition; collections (arrays) and scalars are replaced whole; ``null`` clears.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Final

from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.tenant.records import record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, iso, new_id, utcnow

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
_SECURITY_DEFAULTS = V1 + r"/policies/identitySecurityDefaultsEnforcementPolicy"
_STRENGTH_BASE: Final = {"policyType": "builtIn", "requirementsSatisfied": "mfa"}
BUILTIN_STRENGTHS: Final[dict[str, JsonDict]] = {
    "00000000-0000-0000-0000-000000000002": {
        "displayName": "Multifactor authentication",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
            "temporaryAccessPassOneTime",
            "temporaryAccessPassMultiUse",
            "password,microsoftAuthenticatorPush",
            "password,softwareOath",
            "password,hardwareOath",
            "password,sms",
            "password,voice",
            "federatedMultiFactor",
            "microsoftAuthenticatorPush,federatedSingleFactor",
            "softwareOath,federatedSingleFactor",
        ],
    },
    "00000000-0000-0000-0000-000000000003": {
        "displayName": "Passwordless MFA",
        "allowedCombinations": [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush",
        ],
    },
    "00000000-0000-0000-0000-000000000004": {
        "displayName": "Phishing-resistant MFA",
        "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
    },
}
"""The built-in authentication strengths (same ids in every tenant; the table's row)."""
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
    ctx.route(router, "POST", _BASE, h.create, "ca-create")
    ctx.route(router, "GET", _SECURITY_DEFAULTS, h.security_defaults, "securityDefaults-get")


def _object(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


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

    def _body(self, request: Request) -> JsonDict:
        """The request's policy properties (annotations dropped); 400 for an unknown one."""
        body = {k: v for k, v in self.ctx.json_object(request).items() if not k.startswith("@")}
        unknown = sorted(set(body) - POLICY_PROPERTIES)
        if unknown:
            raise self.ctx.bad_request(
                f"Property '{unknown[0]}' does not exist on type "
                "'microsoft.graph.conditionalAccessPolicy'.",
                "BadRequest",
            )
        return body

    def create(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = self._body(request)
        if not isinstance(body.get("displayName"), str) or not body["displayName"].strip():
            raise self.ctx.bad_request("displayName is required.", "BadRequest")
        if body.get("state") not in _STATES:
            raise self.ctx.bad_request(
                f"Invalid value '{body.get('state')}' for property 'state'.", "BadRequest"
            )
        self._check_rules(body)
        self._check_users(body)
        grant = body.get("grantControls")
        if isinstance(grant, dict) and grant.get("authenticationStrength"):
            grant["authenticationStrength"] = self._strength(grant)
        now = iso(utcnow())
        policy: JsonDict = {
            **{k: None for k in POLICY_PROPERTIES},
            **{k: v for k, v in body.items() if k in _WRITABLE or k == "templateId"},
            "id": new_id(),
            "createdDateTime": now,
            "modifiedDateTime": None,
        }
        with self.state.lock:
            self.state.policies[policy["id"]] = policy
            record_audit(
                self.state,
                caller,
                "Add conditional access policy",
                "Policy",
                [target("Policy", policy, {})],
                "Add",
                "Conditional Access",
            )
            out = copy.deepcopy(policy)
        context = f"{self.ctx.graph_url}/$metadata#identity/conditionalAccess/policies/$entity"
        return json_response(201, {"@odata.context": context, **out})

    def _check_rules(self, body: JsonDict) -> None:
        cond = _object(body.get("conditions"))
        users = _object(cond.get("users"))
        apps = _object(cond.get("applications"))
        grant = _object(body.get("grantControls"))
        session = body.get("sessionControls")
        has_users = any(
            users.get(k)
            for k in (
                "includeUsers",
                "includeGroups",
                "includeRoles",
                "includeGuestsOrExternalUsers",
            )
        )
        has_apps = any(
            apps.get(k)
            for k in (
                "includeApplications",
                "includeUserActions",
                "includeAuthenticationContextClassReferences",
            )
        )
        has_control = bool(
            grant.get("builtInControls")
            or grant.get("authenticationStrength")
            or grant.get("termsOfUse")
            or grant.get("customAuthenticationFactors")
            or (isinstance(session, dict) and any(session.values()))
        )
        for ok, what in (
            (has_users, "a user rule (conditions.users)"),
            (has_apps, "an application rule (conditions.applications)"),
            (has_control, "a grant or session control"),
        ):
            if not ok:
                raise self.ctx.bad_request(f"A valid policy needs {what}.", "BadRequest")
        if "mfa" in (grant.get("builtInControls") or []) and grant.get("authenticationStrength"):
            raise self.ctx.bad_request(
                "'Require multifactor authentication' and 'Require authentication strength' "
                "can't be combined in one policy.",
                "BadRequest",
            )

    def _strength(self, grant: JsonDict) -> JsonDict:
        wanted = grant.get("authenticationStrength")
        sid = str(wanted.get("id") or "") if isinstance(wanted, dict) else ""
        known = BUILTIN_STRENGTHS.get(sid)
        if known is None:
            raise self.ctx.bad_request(
                f"Authentication strength policy '{sid}' was not found.", "BadRequest"
            )
        description = f"Built-in authentication strength {known['displayName']}."
        return {"id": sid, **_STRENGTH_BASE, "description": description, **copy.deepcopy(known)}

    def security_defaults(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        context = (
            f"{self.ctx.graph_url}/$metadata#policies/identitySecurityDefaultsEnforcementPolicy"
            "/$entity"
        )
        return json_response(
            200,
            {
                "@odata.context": context,
                "id": "00000000-0000-0000-0000-000000000005",
                "displayName": "Security Defaults",
                "description": (
                    "Security defaults is a set of basic identity security mechanisms "
                    "recommended by Microsoft."
                ),
                "isEnabled": self.state.security_defaults,
            },
        )

    def update(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = self._body(request)
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
