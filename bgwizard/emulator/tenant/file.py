"""Read and check a tenant file (JSON; format in docs/tenant-format.md) into a TenantState."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from bgwizard.emulator.errors import TenantFileError
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.passwords import hash_secret
from bgwizard.emulator.tenant.state import (
    ALL_PRINCIPALS,
    LICENCES,
    App,
    AppCertificate,
    JsonDict,
    Settings,
    TenantState,
    iso,
    new_id,
    utcnow,
)

USER_DEFAULTS: JsonDict = {
    "accountEnabled": True,
    "businessPhones": [],
    "givenName": None,
    "surname": None,
    "jobTitle": None,
    "mail": None,
    "mobilePhone": None,
    "officeLocation": None,
    "preferredLanguage": None,
    "userType": "Member",
    "onPremisesSyncEnabled": None,
    "passwordPolicies": None,
    "usageLocation": None,
    "department": None,
}


def bundled_sample() -> Path:
    """Path of the sample tenant shipped in ``bgwizard.data``."""
    return Path(str(resources.files("bgwizard.data").joinpath("sample_tenant.json")))


def load_tenant(path: Path | None = None) -> TenantState:
    """Read a tenant file and build the live state.

    Args:
        path: The tenant file; None for the bundled sample tenant.

    Returns:
        The tenant state, passwords already hashed.

    Raises:
        TenantFileError: The file cannot be read or is not a valid tenant (one sentence).
    """
    path = path or bundled_sample()
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise TenantFileError(f"Cannot read tenant file {path}: {exc.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TenantFileError(f"Tenant file {path} is not valid JSON ({exc}).") from None
    try:
        return _build(raw)
    except _Invalid as exc:
        raise TenantFileError(f"Tenant file {path} is not valid: {exc}.") from None


class _Invalid(Exception):
    """Internal: what is wrong, as a clause."""


def _need(obj: Any, key: str, where: str, kind: type = str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise _Invalid(f"{where} has no {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise _Invalid(f"{where}.{key} must be a {kind.__name__}")
    return value


def _list(raw: JsonDict, key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise _Invalid(f"{key!r} must be a list")
    return value


def _build(raw: Any) -> TenantState:
    if not isinstance(raw, dict):
        raise _Invalid("the top level must be a JSON object")
    tenant = _need(raw, "tenant", "the file", dict)
    domains = _need(tenant, "domains", "tenant", list)
    if not any(isinstance(d, dict) and d.get("isInitial") for d in domains):
        raise _Invalid("tenant.domains has no domain with isInitial true")
    state = TenantState(
        tenant_id=_need(tenant, "id", "tenant"),
        display_name=_need(tenant, "displayName", "tenant"),
        organization={k: v for k, v in tenant.items() if k not in ("domains", "licence")},
        domains=[_domain(d, i) for i, d in enumerate(domains)],
        settings=_settings(raw.get("settings", {})),
        licence=_licence(tenant),
    )
    for tid, name in catalog.BUILTIN_ROLES.items():
        state.role_definitions[tid] = catalog.role_definition(tid, name)
    for i, user in enumerate(_list(raw, "users")):
        _add_user(state, user, f"users[{i}]")
    for i, group in enumerate(_list(raw, "groups")):
        _add_group(state, group, f"groups[{i}]")
    _check_members(state)
    for i, item in enumerate(_list(raw, "roleAssignments")):
        _add_assignment(state, item, f"roleAssignments[{i}]")
    for i, item in enumerate(_list(raw, "roleEligibilities")):
        _add_eligibility(state, item, f"roleEligibilities[{i}]")
    for i, policy in enumerate(_list(raw, "conditionalAccessPolicies")):
        pid = _need(policy, "id", f"conditionalAccessPolicies[{i}]")
        _need(policy, "displayName", f"conditionalAccessPolicies[{i}]")
        if pid in state.policies:
            raise _Invalid(f"conditionalAccessPolicies[{i}] repeats id {pid!r}")
        state.policies[pid] = copy.deepcopy(policy)
    for i, app in enumerate(_list(raw, "apps")):
        _add_app(state, app, f"apps[{i}]")
    for i, item in enumerate(_list(raw, "oauth2PermissionGrants")):
        _add_grant(state, item, f"oauth2PermissionGrants[{i}]")
    methods = raw.get("authMethods", {})
    if not isinstance(methods, dict):
        raise _Invalid("'authMethods' must be an object keyed by user id or UPN")
    for key, items in methods.items():
        user = state.find_user(key)
        if user is None:
            raise _Invalid(f"authMethods names unknown user {key!r}")
        state.auth_methods[user["id"]] = [dict(m, id=m.get("id") or new_id()) for m in items]
    for i, config in enumerate(_list(raw, "authenticationMethodConfigurations")):
        cid = str(_need(config, "id", f"authenticationMethodConfigurations[{i}]")).lower()
        state.auth_method_configs[cid] = copy.deepcopy(config)
    state.diagnostic_settings = list(_list(raw, "diagnosticSettings"))
    state.sign_ins = list(_list(raw, "signIns"))
    state.audits = list(_list(raw, "directoryAudits"))
    return state


def _licence(tenant: JsonDict) -> str:
    licence = tenant.get("licence", "p2")
    if licence not in LICENCES:
        raise _Invalid(f"tenant.licence must be one of {', '.join(LICENCES)}, not {licence!r}")
    return str(licence)


def _domain(item: Any, index: int) -> JsonDict:
    name = _need(item, "id", f"tenant.domains[{index}]")
    base = {
        "authenticationType": "Managed",
        "isAdminManaged": True,
        "isDefault": False,
        "isInitial": False,
        "isRoot": True,
        "isVerified": True,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"],
    }
    return {"id": name, **base, **item}


def _settings(raw: Any) -> Settings:
    if not isinstance(raw, dict):
        raise _Invalid("'settings' must be an object")
    return Settings(
        ropc_enabled=bool(raw.get("ropcEnabled", False)),
        page_size=int(raw.get("pageSize", 10)),
        max_page_size=int(raw.get("maxPageSize") or raw.get("pageSize") or 10),
        token_lifetime=int(raw.get("tokenLifetimeSeconds", 3600)),
        device_code_lifetime=int(raw.get("deviceCodeLifetimeSeconds", 900)),
        passkey_challenge_seconds=int(raw.get("passkeyChallengeSeconds", 300)),
        ca_at_sign_in=bool(raw.get("conditionalAccessAtSignIn", True)),
        sign_in_platform=str(raw.get("signInPlatform", "linux")),
        sign_in_locations=[str(x) for x in raw.get("signInLocations", [])],
    )


def _add_user(state: TenantState, item: Any, where: str) -> None:
    upn = _need(item, "userPrincipalName", where)
    _need(item, "displayName", where)
    if state.find_user(upn) is not None:
        raise _Invalid(f"{where} repeats userPrincipalName {upn!r}")
    user = dict(USER_DEFAULTS)
    user.update({k: v for k, v in item.items() if k != "password"})
    user.setdefault("id", new_id())
    if user["id"] in state.users:
        raise _Invalid(f"{where} repeats id {user['id']!r}")
    user.setdefault("createdDateTime", iso(utcnow()))
    user.setdefault("mailNickname", upn.split("@")[0])
    user.setdefault(
        "signInActivity",
        {
            "lastSignInDateTime": None,
            "lastSuccessfulSignInDateTime": None,
            "lastNonInteractiveSignInDateTime": None,
        },
    )
    state.users[user["id"]] = user
    password = item.get("password")
    if isinstance(password, str):
        state.passwords[user["id"]] = hash_secret(password)


def _add_group(state: TenantState, item: Any, where: str) -> None:
    gid = _need(item, "id", where)
    _need(item, "displayName", where)
    if gid in state.groups or gid in state.users:
        raise _Invalid(f"{where} repeats id {gid!r}")
    members = item.get("members", [])
    group = {
        "id": gid,
        "description": None,
        "groupTypes": [],
        "mailEnabled": False,
        "mailNickname": gid[:10],
        "securityEnabled": True,
        "isAssignableToRole": None,
        "createdDateTime": iso(utcnow()),
        "onPremisesSyncEnabled": None,
        "visibility": None,
        **{k: v for k, v in item.items() if k != "members"},
    }
    state.groups[gid] = group
    state.members[gid] = [_resolve(state, m) for m in members]


def _resolve(state: TenantState, ref: str) -> str:
    user = state.find_user(ref)
    return str(user["id"]) if user else ref


def _check_members(state: TenantState) -> None:
    for gid, ids in state.members.items():
        for oid in ids:
            if state.find_object(oid) is None:
                raise _Invalid(f"group {gid} has unknown member {oid!r}")


def _principal(state: TenantState, item: Any, where: str) -> str:
    principal = _resolve(state, _need(item, "principalId", where))
    if state.find_object(principal) is None:
        raise _Invalid(f"{where} names unknown principal {principal!r}")
    role = _need(item, "roleDefinitionId", where)
    if role not in state.role_definitions:
        raise _Invalid(f"{where} names unknown role {role!r}")
    return principal


def _add_assignment(state: TenantState, item: Any, where: str) -> None:
    principal = _principal(state, item, where)
    rid = item.get("id") or new_id()
    state.role_assignments[rid] = {
        "id": rid,
        "principalId": principal,
        "roleDefinitionId": item["roleDefinitionId"],
        "directoryScopeId": item.get("directoryScopeId", "/"),
        "appScopeId": None,
        "condition": None,
        "principalOrganizationId": state.tenant_id,
    }
    if item.get("endDateTime"):
        state.assignment_ends[rid] = str(item["endDateTime"])


def _add_eligibility(state: TenantState, item: Any, where: str) -> None:
    principal = _principal(state, item, where)
    rid = item.get("id") or new_id()
    end = item.get("endDateTime")
    state.role_eligibilities[rid] = {
        "id": rid,
        "principalId": principal,
        "roleDefinitionId": item["roleDefinitionId"],
        "directoryScopeId": item.get("directoryScopeId", "/"),
        "appScopeId": None,
        "memberType": "Direct",
        "status": "Provisioned",
        "createdUsing": rid,
        "createdDateTime": item.get("startDateTime") or iso(utcnow()),
        "modifiedDateTime": None,
        "scheduleInfo": {
            "startDateTime": item.get("startDateTime") or iso(utcnow()),
            "recurrence": None,
            "expiration": {
                "type": "afterDateTime" if end else "noExpiration",
                "endDateTime": end,
                "duration": None,
            },
        },
    }


def _add_app(state: TenantState, item: Any, where: str) -> None:
    app_id = _need(item, "appId", where)
    app = App(
        app_id=app_id,
        display_name=_need(item, "displayName", where),
        public_client=bool(item.get("publicClient", False)),
        delegated_scopes=list(item.get("delegatedScopes", [])),
        application_permissions=list(item.get("applicationPermissions", [])),
        secret=hash_secret(item["secret"]) if isinstance(item.get("secret"), str) else None,
        certificates=[
            _certificate(c, f"{where}.certificates") for c in item.get("certificates", [])
        ],
    )
    if item.get("servicePrincipalId"):
        app.service_principal_id = str(item["servicePrincipalId"])
    if "redirectUris" in item:
        app.redirect_uris = [str(u) for u in item["redirectUris"]]
    state.apps[app_id] = app
    if app.delegated_scopes:  # the older form of a tenant-wide (admin) consent grant
        state.grants.setdefault((app_id, ALL_PRINCIPALS), set()).update(app.delegated_scopes)


def _add_grant(state: TenantState, item: Any, where: str) -> None:
    """An ``oauth2PermissionGrant`` (Graph's shape): consent of one user or the whole tenant."""
    client = _need(item, "clientId", where)
    scope = _need(item, "scope", where)
    principal = ALL_PRINCIPALS
    if item.get("consentType", ALL_PRINCIPALS) != ALL_PRINCIPALS:
        user = state.find_user(str(item.get("principalId", "")))
        if user is None:
            raise _Invalid(f"{where} names unknown principal {item.get('principalId')!r}")
        principal = str(user["id"])
    state.grants.setdefault((client, principal), set()).update(scope.split())


def _certificate(pem: Any, where: str) -> AppCertificate:
    if not isinstance(pem, str):
        raise _Invalid(f"{where} entries must be PEM certificate strings")
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        raise _Invalid(f"{where} holds a string that is not a PEM certificate") from None
    return AppCertificate(
        sha1_thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),
        sha256_thumbprint=cert.fingerprint(hashes.SHA256()).hex().upper(),
        certificate_pem=pem,
    )
