"""Read and check a tenant file (JSON; format in docs/tenant-format.md) into a TenantState."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from bgwizard.emulator.errors import TenantFileError
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.federation import parse_credentials
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
from bgwizard.inputs import MiB, read_text_input

TENANT_LIMIT: Final = 64 * MiB
"""The largest tenant file read (the sample is ~100 KiB)."""
MAX_PAGE: Final = 999
"""Graph's largest ``$top``; a page size must be 1 to this."""

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
    text = read_text_input(path, what="tenant file", limit=TENANT_LIMIT, error=TenantFileError)
    try:
        raw = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise TenantFileError(f"Tenant file {path} is not valid JSON ({exc}).") from None
    except RecursionError:
        raise TenantFileError(
            f"Tenant file {path} is nested too deeply to be JSON we read."
        ) from None
    try:
        return _build(raw)
    except _Invalid as exc:
        raise TenantFileError(f"Tenant file {path} is not valid: {exc}.") from None
    except RecursionError:
        raise TenantFileError(
            f"Tenant file {path} is not valid: it is nested too deeply."
        ) from None


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


def _objects(raw: JsonDict, key: str) -> list[Any]:
    items = _list(raw, key)
    if not all(isinstance(item, dict) for item in items):
        raise _Invalid(f"every entry of {key!r} must be an object")
    return list(items)


def _strings(item: JsonDict, key: str, where: str) -> list[str]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"{where}.{key} must be a list of strings")
    return list(value)


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
        organization={
            k: v for k, v in tenant.items() if k not in ("domains", "licence", "securityDefaults")
        },
        domains=[_domain(d, i) for i, d in enumerate(domains)],
        settings=_settings(raw.get("settings", {})),
        licence=_licence(tenant),
        security_defaults=_security_defaults(tenant),
    )
    for tid, name in catalog.BUILTIN_ROLES.items():
        state.role_definitions[tid] = catalog.role_definition(tid, name)
    for i, user in enumerate(_list(raw, "users")):
        _add_user(state, user, f"users[{i}]")
    for i, group in enumerate(_list(raw, "groups")):
        _add_group(state, group, f"groups[{i}]")
    _check_members(state)
    for i, unit in enumerate(_list(raw, "administrativeUnits")):
        _add_unit(state, unit, f"administrativeUnits[{i}]")
    for i, app in enumerate(_list(raw, "apps")):
        _add_app(state, app, f"apps[{i}]")
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
    for i, item in enumerate(_list(raw, "oauth2PermissionGrants")):
        _add_grant(state, item, f"oauth2PermissionGrants[{i}]")
    methods = raw.get("authMethods", {})
    if not isinstance(methods, dict):
        raise _Invalid("'authMethods' must be an object keyed by user id or UPN")
    for key, items in methods.items():
        user = state.find_user(key)
        if user is None:
            raise _Invalid(f"authMethods names unknown user {key!r}")
        if not isinstance(items, list) or not all(isinstance(m, dict) for m in items):
            raise _Invalid(f"authMethods[{key!r}] must be a list of objects")
        state.auth_methods[user["id"]] = [dict(m, id=m.get("id") or new_id()) for m in items]
    for i, config in enumerate(_list(raw, "authenticationMethodConfigurations")):
        cid = str(_need(config, "id", f"authenticationMethodConfigurations[{i}]")).lower()
        state.auth_method_configs[cid] = copy.deepcopy(config)
    state.diagnostic_settings = _objects(raw, "diagnosticSettings")
    state.sign_ins = _objects(raw, "signIns")
    state.audits = _objects(raw, "directoryAudits")
    return state


def _security_defaults(tenant: JsonDict) -> bool:
    value = tenant.get("securityDefaults", False)
    if not isinstance(value, bool):
        raise _Invalid("tenant.securityDefaults must be true or false")
    return value


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
    ropc = raw.get("ropcEnabled", False)
    if not isinstance(ropc, bool):
        raise _Invalid("settings.ropcEnabled must be true or false")
    page = _setting(raw, "pageSize", 10, 1, MAX_PAGE)
    return Settings(
        ropc_enabled=ropc,
        page_size=page,
        max_page_size=_setting(raw, "maxPageSize", page, page, MAX_PAGE),
        token_lifetime=_setting(raw, "tokenLifetimeSeconds", 3600, 60, 86400),
        device_code_lifetime=_setting(raw, "deviceCodeLifetimeSeconds", 900, 10, 86400),
        passkey_challenge_seconds=_setting(raw, "passkeyChallengeSeconds", 300, 1, 86400),
        ca_at_sign_in=_flag(raw, "conditionalAccessAtSignIn", True),
        sign_in_platform=_text(raw, "signInPlatform", "linux"),
        sign_in_locations=_strings(raw, "signInLocations", "settings"),
    )


def _flag(raw: JsonDict, key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise _Invalid(f"settings.{key} must be true or false")
    return value


def _text(raw: JsonDict, key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise _Invalid(f"settings.{key} must be a non-empty string")
    return value


def _setting(raw: JsonDict, key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Invalid(f"settings.{key} must be a whole number from {low} to {high}")
    return value


def _add_user(state: TenantState, item: Any, where: str) -> None:
    upn = _need(item, "userPrincipalName", where)
    _need(item, "displayName", where)
    if state.find_user(upn) is not None:
        raise _Invalid(f"{where} repeats userPrincipalName {upn!r}")
    user = dict(USER_DEFAULTS)
    user.update({k: v for k, v in item.items() if k != "password"})
    user.setdefault("id", new_id())
    if not isinstance(user["id"], str) or not user["id"]:
        raise _Invalid(f"{where}.id must be a non-empty string")
    if not isinstance(item.get("password", ""), str):
        raise _Invalid(f"{where}.password must be a string")
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
    members = _strings(item, "members", where)
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


def _add_unit(state: TenantState, item: Any, where: str) -> None:
    """An administrative unit: ``id``, ``displayName``, ``isMemberManagementRestricted`` and
    ``members`` (user ids or UPNs, group ids)."""
    uid = _need(item, "id", where)
    _need(item, "displayName", where)
    if uid in state.admin_units:
        raise _Invalid(f"{where} repeats id {uid!r}")
    members = [_resolve(state, m) for m in _strings(item, "members", where)]
    for oid in members:
        if state.find_object(oid) is None:
            raise _Invalid(f"{where} has unknown member {oid!r}")
    state.admin_units[uid] = {
        "id": uid,
        "description": None,
        "isMemberManagementRestricted": False,
        "visibility": None,
        "membershipType": None,
        "membershipRule": None,
        "membershipRuleProcessingState": None,
        **{k: v for k, v in item.items() if k != "members"},
    }
    state.unit_members[uid] = members


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
    service_principals = {a.service_principal_id for a in state.apps.values()}
    if state.find_object(principal) is None and principal not in service_principals:
        raise _Invalid(f"{where} names unknown principal {principal!r}")
    role = _need(item, "roleDefinitionId", where)
    if role not in state.role_definitions:
        raise _Invalid(f"{where} names unknown role {role!r}")
    return principal


def _item_id(item: JsonDict, where: str, taken: dict[str, Any]) -> str:
    rid = item.get("id") or new_id()
    if not isinstance(rid, str):
        raise _Invalid(f"{where}.id must be a string")
    if rid in taken:
        raise _Invalid(f"{where} repeats id {rid!r}")
    for key in ("directoryScopeId", "startDateTime", "endDateTime"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise _Invalid(f"{where}.{key} must be a string")
    return rid


def _add_assignment(state: TenantState, item: Any, where: str) -> None:
    principal = _principal(state, item, where)
    rid = _item_id(item, where, state.role_assignments)
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
    if item.get("startDateTime"):
        state.assignment_starts[rid] = str(item["startDateTime"])


def _add_eligibility(state: TenantState, item: Any, where: str) -> None:
    principal = _principal(state, item, where)
    rid = _item_id(item, where, state.role_eligibilities)
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
    if app_id in state.apps:
        raise _Invalid(f"{where} repeats appId {app_id!r}")
    public = item.get("publicClient", False)
    if not isinstance(public, bool):
        raise _Invalid(f"{where}.publicClient must be true or false")
    certificates = item.get("certificates", [])
    if not isinstance(certificates, list):
        raise _Invalid(f"{where}.certificates must be a list")
    app = App(
        app_id=app_id,
        display_name=_need(item, "displayName", where),
        public_client=public,
        delegated_scopes=_strings(item, "delegatedScopes", where),
        application_permissions=_strings(item, "applicationPermissions", where),
        secret=hash_secret(item["secret"]) if isinstance(item.get("secret"), str) else None,
        certificates=[_certificate(c, f"{where}.certificates") for c in certificates],
    )
    if item.get("servicePrincipalId"):
        app.service_principal_id = str(item["servicePrincipalId"])
    try:
        app.federated_credentials = parse_credentials(
            item.get("federatedIdentityCredentials"), f"{where}.federatedIdentityCredentials"
        )
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
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
