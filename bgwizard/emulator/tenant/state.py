"""The emulated tenant's live state: directory objects, policies, logs and sign-in grants.

Every Graph object is kept as the JSON dict Graph would return (property names as in the
CSDL). Passwords and client secrets exist only as salted hashes. Callers hold
``TenantState.lock`` while they read or change anything.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from bgwizard.emulator.tenant.federation import FederatedCredential
from bgwizard.emulator.tenant.passwords import SecretHash

JsonDict = dict[str, Any]
ALL_PRINCIPALS = "AllPrincipals"
"""The principal of a tenant-wide (admin) consent grant."""


def utcnow() -> dt.datetime:
    """The current UTC time (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """Graph's DateTimeOffset form: ``2026-11-27T10:00:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id() -> str:
    """A fresh object id (a GUID, as Entra uses)."""
    return str(uuid.uuid4())


@dataclass
class Settings:
    """Tenant-file ``settings``: knobs of the emulator, not of Entra."""

    ropc_enabled: bool = False
    page_size: int = 10
    """Page size without ``$top``."""
    max_page_size: int = 10
    """The most a page holds even when ``$top`` asks for more."""
    token_lifetime: int = 3600
    device_code_lifetime: int = 900
    passkey_challenge_seconds: int = 300
    """How long a ``fido2Methods/creationOptions`` challenge stays valid (Entra: 5 minutes)."""
    ca_at_sign_in: bool = True
    """Evaluate Conditional Access when tokens are issued (as Entra does). Tests of other
    features may turn it off (``conditionalAccessAtSignIn: false``); the sample never does."""
    sign_in_platform: str = "linux"
    """The device platform every sign-in reports (CA ``platforms`` condition)."""
    sign_in_locations: list[str] = field(default_factory=list)
    """Named location ids every sign-in comes from (CA ``locations`` condition)."""


LICENCES = ("free", "p1", "p2")
"""Entra ID licence tiers the emulator models, lowest first (``tenant.licence``)."""


@dataclass
class AppCertificate:
    """A certificate registered on a confidential app (public part only)."""

    sha1_thumbprint: str
    """Upper-case hex SHA-1 thumbprint."""
    sha256_thumbprint: str
    certificate_pem: str


@dataclass
class App:
    """An application registration with its service principal, as far as sign-in needs."""

    app_id: str
    display_name: str
    public_client: bool
    delegated_scopes: list[str] = field(default_factory=list)
    """Delegated Graph permissions consented for the app (what ``.default`` grants)."""
    application_permissions: list[str] = field(default_factory=list)
    """Application permissions (app-only ``roles`` claim)."""
    secret: SecretHash | None = None
    certificates: list[AppCertificate] = field(default_factory=list)
    service_principal_id: str = field(default_factory=new_id)
    federated_credentials: list[FederatedCredential] = field(default_factory=list)
    """Trusted external issuers (workload identity federation)."""
    redirect_uris: list[str] = field(default_factory=lambda: ["http://localhost"])
    """Registered redirect URIs (public clients: ``http://localhost``, any port)."""


@dataclass
class DeviceCode:
    """A pending device code sign-in."""

    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires: dt.datetime
    login_hint: str | None = None
    status: str = "pending"
    """pending, approved, declined or redeemed."""
    user_id: str | None = None
    correlation_id: str = field(default_factory=new_id)
    amr: tuple[str, ...] = ("pwd",)
    """How the person authenticated when approving (the token's ``amr`` claim)."""
    refusal: tuple[int, str] | None = None
    """Set when the sign-in was refused after approval (Conditional Access): AADSTS code, text."""


@dataclass
class RefreshGrant:
    """What a refresh token stands for."""

    user_id: str
    client_id: str
    amr: tuple[str, ...] = ("pwd",)


@dataclass
class TenantState:
    """Everything the emulated tenant knows."""

    tenant_id: str
    display_name: str
    organization: JsonDict
    domains: list[JsonDict]
    settings: Settings = field(default_factory=Settings)
    licence: str = "p2"
    """The tenant's Entra ID licence: ``free``, ``p1`` or ``p2`` (one of LICENCES)."""
    security_defaults: bool = False
    """Security defaults on (``identitySecurityDefaultsEnforcementPolicy.isEnabled``; the
    tenant file's ``tenant.securityDefaults``, off by default and in the sample)."""
    users: dict[str, JsonDict] = field(default_factory=dict)
    passwords: dict[str, SecretHash] = field(default_factory=dict)
    groups: dict[str, JsonDict] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    """Group id → direct member ids (users or groups)."""
    admin_units: dict[str, JsonDict] = field(default_factory=dict)
    """Administrative units by id (Graph's ``administrativeUnit`` shape)."""
    unit_members: dict[str, list[str]] = field(default_factory=dict)
    """Administrative unit id → direct member ids (users or groups)."""
    role_definitions: dict[str, JsonDict] = field(default_factory=dict)
    role_assignments: dict[str, JsonDict] = field(default_factory=dict)
    assignment_ends: dict[str, str] = field(default_factory=dict)
    """Role assignment id → endDateTime for time-bound active assignments."""
    assignment_starts: dict[str, str] = field(default_factory=dict)
    """Role assignment id → startDateTime for assignments made through PIM (a direct
    ``roleAssignments`` POST leaves none: "outside PIM")."""
    role_eligibilities: dict[str, JsonDict] = field(default_factory=dict)
    policies: dict[str, JsonDict] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    auth_methods: dict[str, list[JsonDict]] = field(default_factory=dict)
    diagnostic_settings: list[JsonDict] = field(default_factory=list)
    """Azure Monitor diagnostic settings of Entra (``microsoft.aadiam``), ARM shape."""
    sign_ins: list[JsonDict] = field(default_factory=list)
    audits: list[JsonDict] = field(default_factory=list)
    device_codes: dict[str, DeviceCode] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    failed_sign_ins: dict[str, int] = field(default_factory=dict)
    """User id → consecutive wrong passwords (smart lockout after 10)."""
    locked_until: dict[str, float] = field(default_factory=dict)
    must_change_password: set[str] = field(default_factory=set)
    """User ids whose password was set with forceChangePasswordNextSignIn (sign-in fails)."""
    auth_method_configs: dict[str, JsonDict] = field(default_factory=dict)
    """Authentication methods policy configurations by id (``fido2``...), Graph's shape."""
    passkey_challenges: dict[str, JsonDict] = field(default_factory=dict)
    """Pending creationOptions challenges (base64url) → ``userId``, ``expires``, ``algorithms``."""
    passkey_credentials: dict[str, JsonDict] = field(default_factory=dict)
    """fido2 method id → ``userId``, ``credentialId``, ``publicKey`` (COSE, base64url)."""
    grants: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """Delegated permission grants: (client app id, user id or ``AllPrincipals``) → scopes."""
    auth_requests: dict[str, Any] = field(default_factory=dict)
    """Interactive sign-ins under way (``/authorize``), by their context id."""
    auth_codes: dict[str, Any] = field(default_factory=dict)
    """Authorization codes not yet redeemed, by code."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def initial_domain(self) -> str:
        """The ``*.onmicrosoft.com`` domain marked ``isInitial``."""
        return next(str(d["id"]) for d in self.domains if d.get("isInitial"))

    def role_assignment_of(self, principal_id: str, role_id: str, scope: str) -> JsonDict | None:
        """The active assignment of ``role_id`` to ``principal_id`` at ``scope``, if any."""
        for existing in self.role_assignments.values():
            key = (existing["principalId"], existing["roleDefinitionId"])
            if key == (principal_id, role_id) and existing["directoryScopeId"] == scope:
                return existing
        return None

    def add_role_assignment(self, principal_id: str, role_id: str, scope: str) -> JsonDict:
        """Record a new active assignment (Graph's ``unifiedRoleAssignment`` shape)."""
        assignment: JsonDict = {
            "id": new_id(),
            "principalId": principal_id,
            "roleDefinitionId": role_id,
            "directoryScopeId": scope,
            "appScopeId": None,
            "condition": None,
            "principalOrganizationId": self.tenant_id,
        }
        self.role_assignments[assignment["id"]] = assignment
        return assignment

    def find_user(self, key: str) -> JsonDict | None:
        """A user by object id or (case-insensitive) userPrincipalName."""
        if key in self.users:
            return self.users[key]
        low = key.lower()
        return next(
            (u for u in self.users.values() if str(u["userPrincipalName"]).lower() == low),
            None,
        )

    def find_object(self, object_id: str) -> tuple[str, JsonDict] | None:
        """A directory object by id, with its kind (``user`` or ``group``)."""
        if object_id in self.users:
            return "user", self.users[object_id]
        if object_id in self.groups:
            return "group", self.groups[object_id]
        return None

    def direct_groups(self, object_id: str) -> list[str]:
        """Ids of the groups ``object_id`` is a direct member of."""
        return [gid for gid, ids in self.members.items() if object_id in ids]

    def transitive_groups(self, object_id: str) -> list[str]:
        """Ids of every group ``object_id`` belongs to, through nested groups too."""
        seen: list[str] = []
        todo = self.direct_groups(object_id)
        while todo:
            gid = todo.pop(0)
            if gid not in seen:
                seen.append(gid)
                todo.extend(self.direct_groups(gid))
        return seen

    def transitive_members(self, group_id: str) -> list[str]:
        """Ids of every user or group inside ``group_id``, recursively."""
        seen: list[str] = []
        todo = list(self.members.get(group_id, []))
        while todo:
            oid = todo.pop(0)
            if oid not in seen:
                seen.append(oid)
                todo.extend(self.members.get(oid, []))
        return seen

    def restricted_units(self, object_id: str) -> list[str]:
        """Ids of the restricted management units (RMAU) ``object_id`` is a direct member of."""
        return [
            au_id
            for au_id, ids in self.unit_members.items()
            if object_id in ids and self.admin_units[au_id].get("isMemberManagementRestricted")
        ]

    def scoped_on_unit(self, principal_id: str, unit_id: str) -> bool:
        """Whether ``principal_id`` holds a role assignment scoped to the unit ``unit_id``."""
        scope = f"/administrativeUnits/{unit_id}"
        principals = {principal_id, *self.transitive_groups(principal_id)}
        return any(
            a["principalId"] in principals and a.get("directoryScopeId") == scope
            for a in self.role_assignments.values()
        )

    def active_role_ids(self, user_id: str) -> list[str]:
        """Role template ids the user holds active now (directly or through a group)."""
        principals = {user_id, *self.transitive_groups(user_id)}
        now = iso(utcnow())
        roles: list[str] = []
        for rid, assignment in self.role_assignments.items():
            end = self.assignment_ends.get(rid)
            if assignment["principalId"] in principals and (end is None or end > now):
                definition = self.role_definitions.get(str(assignment["roleDefinitionId"]))
                template = str(definition["templateId"]) if definition else ""
                if template and template not in roles:
                    roles.append(template)
        return roles
