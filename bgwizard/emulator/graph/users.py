"""Graph users: list, get, create, update (incl. password), and password reset."""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from bgwizard.emulator.graph import authz, rmau
from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import HttpError, Request, Response, Router, json_response
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.catalog import USER_PROPERTIES
from bgwizard.emulator.tenant.file import USER_DEFAULTS
from bgwizard.emulator.tenant.passwords import hash_secret, password_complexity_error
from bgwizard.emulator.tenant.records import Caller, record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, iso, new_id, utcnow

_READ_ONLY = {
    "id",
    "createdDateTime",
    "signInActivity",
    "onPremisesSyncEnabled",
    "lastPasswordChangeDateTime",
    "deletedDateTime",
    "securityIdentifier",
}

USERS = Collection(
    resource="User",
    context="users",
    filterable={
        "id",
        "userPrincipalName",
        "displayName",
        "mail",
        "accountEnabled",
        "userType",
        "onPremisesSyncEnabled",
        "givenName",
        "surname",
        "jobTitle",
        "department",
        "createdDateTime",
        "mailNickname",
        "signInActivity/lastSignInDateTime",
        "signInActivity/lastSuccessfulSignInDateTime",
    },
    properties=set(USER_PROPERTIES),
    directory_objects=True,
    default_select=[
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "id",
    ],
)
#: resetPassword on an administrator: Microsoft's "who can reset passwords" lets only these
#: roles reset any admin (the table's row lists the roles, not this rule).
ADMIN_PASSWORD_ROLES = frozenset({catalog.GLOBAL_ADMIN, catalog.PRIVILEGED_AUTH_ADMIN})
_COMPLEXITY = (
    "The specified password does not comply with password complexity requirements. "
    "Please provide a different password."
)


def register(router: Router, ctx: GraphContext) -> None:
    """Add the user routes."""
    handlers = _Users(ctx)
    ctx.route(router, "GET", V1 + r"/users", handlers.list, "user-list")
    ctx.route(router, "POST", V1 + r"/users", handlers.create, "user-create")
    ctx.route(router, "GET", V1 + r"/users/" + ID, handlers.get, "user-get")
    ctx.route(router, "PATCH", V1 + r"/users/" + ID, handlers.update, "user-update")
    ctx.route(router, "GET", V1 + r"/me", handlers.me, "me-get")
    reset = rf"/authentication/methods/{catalog.PASSWORD_METHOD_ID}/resetPassword"
    ctx.route(
        router,
        "POST",
        V1 + r"/users/" + ID + reset,
        handlers.reset_password,
        "authmethod-resetPassword",
    )


def visible(user: JsonDict) -> JsonDict:
    """The user as Graph shows it (the password profile is never returned)."""
    activity = user.get("signInActivity")
    return {
        **user,
        "passwordProfile": None,
        "signInActivity": dict(activity) if isinstance(activity, dict) else activity,
    }


class _Users:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def user(self, key: str) -> JsonDict:
        user = self.state.find_user(key)
        if user is None:
            raise self.ctx.not_found("user", key)
        return user

    def _check_select(self, request: Request, caller: Caller) -> None:
        wanted = request.query.get("$select", "") + request.query.get("$filter", "")
        if "signInActivity" in wanted:
            self.ctx.require(caller, "user-signInActivity")

    def list(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        self._check_select(request, caller)
        with self.state.lock:
            users = [visible(u) for u in self.state.users.values()]
        return self.ctx.collection(request, users, USERS)

    def get(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request, match["id"])
        self._check_select(request, caller)
        with self.state.lock:
            user = visible(self.user(match["id"]))
        return self.ctx.entity(request, user, USERS)

    def me(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.authenticate(request)
        if caller.kind != "user":
            raise self.ctx.bad_request(
                "/me request is only valid with delegated authentication flow.", "BadRequest"
            )
        self.ctx.require(caller, "me-get", caller.user_id)
        self._check_select(request, caller)
        with self.state.lock:
            user = visible(self.user(caller.user_id))
        return self.ctx.entity(request, user, USERS)

    def create(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request)
        body = self.ctx.json_object(request)
        self._unknown(body)
        for name in (
            "accountEnabled",
            "displayName",
            "mailNickname",
            "userPrincipalName",
            "passwordProfile",
        ):
            if body.get(name) in (None, ""):
                raise self.ctx.bad_request(
                    f"Invalid value specified for property '{name}' of resource 'User'."
                )
        password = self._password(body["passwordProfile"])
        must_change = self._must_change(body["passwordProfile"])
        upn = str(body["userPrincipalName"])
        with self.state.lock:
            self._check_upn(upn)
            now = iso(utcnow())
            user: JsonDict = {
                **copy.deepcopy(USER_DEFAULTS),
                "id": new_id(),
                "createdDateTime": now,
                "lastPasswordChangeDateTime": now,
                "signInActivity": {
                    "lastSignInDateTime": None,
                    "lastSuccessfulSignInDateTime": None,
                },
            }
            user.update({k: v for k, v in body.items() if k != "passwordProfile"})
            self.state.users[user["id"]] = user
            self._set_password(user, password, must_change)
            changes = {k: (None, v) for k, v in body.items() if k != "passwordProfile"}
            record_audit(
                self.state,
                caller,
                "Add user",
                "UserManagement",
                [target("User", user, changes)],
                "Add",
            )
            shown = visible(user)
        location = f"{self.ctx.graph_url}/users/{shown['id']}"
        body_out = {"@odata.context": f"{self.ctx.graph_url}/$metadata#users/$entity", **shown}
        body_out.pop("signInActivity", None)
        return json_response(201, body_out, {"Location": location})

    def update(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.authenticate(request)
        body = self.ctx.json_object(request)
        if "passwordProfile" in body:
            self.ctx.require(caller, "user-update-passwordProfile", match["id"])
        properties = {k for k in body if not k.startswith("@")}
        if properties - {"passwordProfile"} or not properties:
            self.ctx.require(caller, "user-update", match["id"])
        self._unknown(body)
        read_only = sorted(set(body) & _READ_ONLY)
        if read_only:
            raise self.ctx.bad_request(f"Property '{read_only[0]}' is read-only.")
        with self.state.lock:
            user = self.user(match["id"])
            if user.get("onPremisesSyncEnabled") and set(body) - {
                "passwordProfile",
                "accountEnabled",
                "usageLocation",
            }:
                raise self.ctx.bad_request(
                    "Unable to update the specified properties for on-premises mastered "
                    "Directory Sync objects or objects currently undergoing migration."
                )
            rmau.check_user_change(self.state, caller, user, password="passwordProfile" in body)
            if "passwordProfile" in body:
                password = self._password(body["passwordProfile"])
            if (
                "userPrincipalName" in body
                and body["userPrincipalName"] != user["userPrincipalName"]
            ):
                self._check_upn(str(body["userPrincipalName"]))
            changes = {
                k: (user.get(k), v)
                for k, v in body.items()
                if k != "passwordProfile" and user.get(k) != v
            }
            user.update({k: v for k, v in body.items() if k != "passwordProfile"})
            if "passwordProfile" in body:
                self._set_password(user, password, self._must_change(body["passwordProfile"]))
                record_audit(
                    self.state,
                    caller,
                    "Reset user password",
                    "UserManagement",
                    [target("User", user)],
                )
            if changes:
                record_audit(
                    self.state,
                    caller,
                    "Update user",
                    "UserManagement",
                    [target("User", user, changes)],
                )
        return Response(204)

    def reset_password(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request, match["id"])
        body = self.ctx.json_object(request) if request.body else {}
        new = body.get("newPassword")
        generated = new is None
        if generated:
            new = "Bgw-" + secrets.token_urlsafe(12) + "9a!"
        elif not isinstance(new, str) or password_complexity_error(new):
            raise self.ctx.bad_request(_COMPLEXITY)
        with self.state.lock:
            user = self.user(match["id"])
            self._may_reset(caller, user)
            rmau.check_user_change(self.state, caller, user, password=True)
            self._set_password(user, str(new), must_change=False)
            record_audit(
                self.state,
                caller,
                "Reset password (by admin)",
                "UserManagement",
                [target("User", user)],
                service="Self-service Password Management",
            )
        operation = f"{self.ctx.graph_url}/users/{user['id']}/authentication/operations/{new_id()}"
        out: dict[str, Any] = {
            "@odata.context": f"{self.ctx.graph_url}/$metadata#"
            "microsoft.graph.passwordResetResponse",
            "newPassword": new if generated else None,
        }
        return json_response(202, out, {"Location": operation})

    # -- helpers ----------------------------------------------------------------------------

    def _unknown(self, body: dict[str, Any]) -> None:
        unknown = sorted(k for k in body if k not in USER_PROPERTIES and not k.startswith("@"))
        if unknown:
            raise self.ctx.bad_request(
                f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.user'."
            )

    def _password(self, profile: Any) -> str:
        password = profile.get("password") if isinstance(profile, dict) else None
        if not isinstance(password, str) or password_complexity_error(password):
            raise self.ctx.bad_request(_COMPLEXITY)
        return password

    def _check_upn(self, upn: str) -> None:
        domain = upn.rpartition("@")[2].lower()
        verified = {str(d["id"]).lower() for d in self.state.domains if d.get("isVerified")}
        if "@" not in upn or domain not in verified:
            raise self.ctx.bad_request(
                "The domain portion of the userPrincipalName property is invalid. You must use "
                "one of the verified domain names in your organization."
            )
        if self.state.find_user(upn) is not None:
            raise self.ctx.bad_request(
                "Another object with the same value for property userPrincipalName already exists."
            )

    def _may_reset(self, caller: Caller, user: JsonDict) -> None:
        if caller.kind != "user" or caller.user_id == user["id"]:
            return
        held = set(self.state.active_role_ids(str(user["id"])))
        if held & catalog.PRIVILEGED_ROLES and not caller.role_ids & ADMIN_PASSWORD_ROLES:
            raise authz.denied(
                "Insufficient privileges to complete the operation: resetting an "
                "administrator's password needs one of these roles: Global Administrator, "
                "Privileged Authentication Administrator."
            )

    @staticmethod
    def _must_change(profile: dict[str, Any]) -> bool:
        """Graph's default: an admin-set password must be changed unless told otherwise."""
        return profile.get("forceChangePasswordNextSignIn", True) is not False

    def _set_password(self, user: JsonDict, password: str, must_change: bool) -> None:
        self.state.passwords[user["id"]] = hash_secret(password)
        if must_change:
            self.state.must_change_password.add(user["id"])
        else:
            self.state.must_change_password.discard(user["id"])
        user["lastPasswordChangeDateTime"] = iso(utcnow())
        self.state.failed_sign_ins.pop(user["id"], None)
        self.state.locked_until.pop(user["id"], None)


def require_user(ctx: GraphContext, key: str) -> JsonDict:
    """A user by id or UPN, or 404."""
    user = ctx.state.find_user(key)
    if user is None:
        raise ctx.not_found("user", key)
    return user


__all__ = ["USERS", "USER_PROPERTIES", "HttpError", "register", "require_user", "visible"]
