"""The permission matrix: for each journey, a tenant granting exactly the least-privileged
permissions and roles Microsoft documents (``bgwizard.ground_truth``) succeeds end to end, and
taking away any one grant or role fails with a sentence naming it.

The journeys run the real client (msal + msgraph-sdk) against the emulator. A grant the table
lists as a higher-privileged alternative of another grant in the set is redundant: taking it
away must still succeed (e.g. ``RoleManagement.ReadWrite.Directory`` also reads assignments).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from audit_support import BG, audit_profile, bg_tenant, exclude_directly, write_tenant
from service_support import FAST, Person, device_sign_in, profile_for

from bgwizard.audit.service import AuditService
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.state import ALL_PRINCIPALS
from bgwizard.errors import BgWizardError
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ground_truth import ROLE_TEMPLATE_IDS, requirement
from bgwizard.passkeys.service import PasskeyGraph
from bgwizard.secret import Secret

OPERATOR = Person(
    "0be7a000-0000-4000-8000-0000000000f1",
    "operator@contosologistics.onmicrosoft.com",
    "Operator-Matrix-2026-x",
)
TARGET = BG[0]
"""A break glass account: Global Administrator, so the admin-target rules apply."""
NEW_ADMIN = "0be7a000-0000-4000-8000-0000000000f2"
"""A user without roles, to be made Global Administrator."""

Run = Callable[[GraphDirectory], Awaitable[object]]


@dataclass(frozen=True)
class Journey:
    """A journey's Graph operations (table ids), what it is granted, and how it runs."""

    name: str
    ops: tuple[str, ...]
    roles: tuple[str, ...]
    run: Run
    extra: tuple[str, ...] = ()
    """Permissions the table's notes add to its rows (a role-assignable group needs
    RoleManagement.ReadWrite.Directory; managing a restricted unit, AdministrativeUnit.
    ReadWrite.All): needed whole, on top of a row's alternative."""

    def permissions(self) -> frozenset[str]:
        """The union of every operation's least-privileged delegated alternative."""
        least = frozenset(p for op in self.ops for p in requirement(op).least_for_others())
        return least | frozenset(self.extra)

    def covered(self, granted: frozenset[str]) -> bool:
        """Whether every operation has a documented alternative inside ``granted``."""
        if not set(self.extra) <= granted:
            return False
        for op in self.ops:
            need = requirement(op)
            usable = [o for o in need.delegated if not (need.user_target and o & need.self_only)]
            if not any(o <= granted for o in usable):
                return False
        return True


async def _rotate(g: GraphDirectory) -> None:
    await g.get_user(TARGET, sign_in_activity=False)
    await g.reset_password(TARGET, Secret("Matrix-Rotated-Password-2026-Qz"))


async def _exclude(g: GraphDirectory) -> None:
    policy = (await g.list_ca_policies())[0]
    await g.patch_ca_policy(policy.id, {"state": policy.state})


async def _assign(g: GraphDirectory) -> None:
    await g.list_role_assignments(principal_id=NEW_ADMIN)
    await g.assign_role(NEW_ADMIN)


async def _create(g: GraphDirectory) -> None:
    upn = "kestrel9@contosologistics.onmicrosoft.com"
    await g.find_user_by_upn(upn)
    await g.create_user(upn, "Kestrel 9", Secret("Matrix-Created-Password-2026-Qz"))


async def _evidence(g: GraphDirectory) -> None:
    import datetime as dt

    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    await g.list_sign_ins(TARGET, since)
    await g.list_directory_audits(since, TARGET)


async def _passkey(g: GraphDirectory) -> None:
    keys = PasskeyGraph(g.connection)
    await keys.fido2_policy()
    await keys.creation_options(TARGET)


async def _protected_group(g: GraphDirectory) -> None:
    group = await g.create_role_assignable_group("Matrix continuity", "matrix")
    await g.add_group_member(group.id, NEW_ADMIN)


async def _restricted_unit(g: GraphDirectory) -> None:
    await g.find_admin_unit("Matrix unit")
    unit = await g.create_admin_unit("Matrix unit", "matrix")
    await g.add_admin_unit_member(unit.id, NEW_ADMIN)


JOURNEYS = (
    Journey(
        "rotate",
        ("user-get", "user-update-passwordProfile"),
        ("Privileged Authentication Administrator",),
        _rotate,
    ),
    Journey(
        "exclude from Conditional Access",
        ("ca-list", "ca-update"),
        ("Conditional Access Administrator",),
        _exclude,
    ),
    Journey(
        "assign Global Administrator",
        ("roleAssignments-list", "roleAssignments-create"),
        ("Privileged Role Administrator",),
        _assign,
    ),
    Journey("create the accounts", ("user-list", "user-create"), (), _create),
    Journey(
        "drill sign-in evidence",
        ("signIns-list", "directoryAudits-list"),
        ("Reports Reader",),
        _evidence,
    ),
    Journey(
        "register a passkey",
        ("fido2-config-get", "fido2-creationOptions-v1"),
        ("Authentication Policy Administrator", "Privileged Authentication Administrator"),
        _passkey,
    ),
    Journey(
        "protected exclusion group",
        ("group-create", "group-add-member"),
        ("Privileged Role Administrator",),
        _protected_group,
        ("RoleManagement.ReadWrite.Directory",),
    ),
    Journey(
        "restricted management unit",
        ("administrativeUnits-list",),
        ("Privileged Role Administrator",),
        _restricted_unit,
        ("AdministrativeUnit.ReadWrite.All",),
    ),
)


def _tenant() -> dict[str, Any]:
    tenant = bg_tenant(exclude_directly)
    # consent and Conditional Access at sign-in are tested elsewhere (test_emu_authorize)
    tenant.setdefault("settings", {})["conditionalAccessAtSignIn"] = False
    tenant["users"] += [
        {
            "id": OPERATOR.id,
            "userPrincipalName": OPERATOR.upn,
            "displayName": "Matrix operator",
            "password": OPERATOR.password,
        },
        {
            "id": NEW_ADMIN,
            "userPrincipalName": "newadmin@contosologistics.onmicrosoft.com",
            "displayName": "New admin",
            "password": "New-Admin-Matrix-2026-x",
        },
    ]
    return tenant


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    tmp = tmp_path_factory.mktemp("matrix")
    with Emulator(write_tenant(tmp, _tenant()), state_dir=tmp / "state") as running:
        yield running


def _grant(emu: Emulator, scopes: frozenset[str], roles: tuple[str, ...]) -> dict[str, Any]:
    """Give the public client exactly ``scopes`` and the operator exactly ``roles``; returns
    the state to restore."""
    state = emu.state
    saved = {
        "grants": copy.deepcopy(state.grants),
        "assignments": copy.deepcopy(state.role_assignments),
        "policies": copy.deepcopy(state.policies),
        "users": copy.deepcopy(state.users),
    }
    # exactly these scopes consented for the whole tenant, nothing else
    state.grants = {(emu.public_client_id, ALL_PRINCIPALS): {*scopes, "User.Read"}}
    for n, name in enumerate(roles):
        state.role_assignments[f"matrix-{n}"] = {
            "id": f"matrix-{n}",
            "principalId": OPERATOR.id,
            "roleDefinitionId": ROLE_TEMPLATE_IDS[name],
            "directoryScopeId": "/",
        }
    return saved


def _restore(emu: Emulator, saved: dict[str, Any]) -> None:
    emu.state.grants = saved["grants"]
    emu.state.role_assignments = saved["assignments"]
    emu.state.policies = saved["policies"]
    emu.state.users = saved["users"]


async def _attempt(
    emu: Emulator, journey: Journey, scopes: frozenset[str], roles: tuple[str, ...]
) -> str:
    """Run ``journey`` as the operator; '' on success, else the error's sentence."""
    saved = _grant(emu, scopes, roles)
    # User.Read: the sign-in itself (a token with no Graph scope at all is not a sign-in)
    auth = MsalAuthenticator(profile_for(emu), scopes=sorted({*scopes, "User.Read"}))
    graph: GraphDirectory | None = None
    try:
        await device_sign_in(auth, emu, OPERATOR)
        graph = GraphDirectory(profile_for(emu), auth.credential(), retry=FAST)
        await journey.run(graph)
        return ""
    except BgWizardError as exc:
        return str(exc)
    finally:
        if graph is not None:
            await graph.close()
        _restore(emu, saved)


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.name for j in JOURNEYS])
async def test_least_privilege_matrix(emu: Emulator, journey: Journey) -> None:
    granted = journey.permissions()
    assert journey.covered(granted)
    assert await _attempt(emu, journey, granted, journey.roles) == ""
    for permission in sorted(granted):
        rest = granted - {permission}
        failure = await _attempt(emu, journey, rest, journey.roles)
        if journey.covered(rest):
            assert failure == "", (permission, failure)  # a documented higher grant covers it
        else:
            assert permission in failure and failure.startswith("Permission missing"), (
                permission,
                failure,
            )
    for role in journey.roles:
        others = tuple(r for r in journey.roles if r != role)
        failure = await _attempt(emu, journey, granted, others)
        assert role in failure and failure.startswith("Permission missing"), (role, failure)


# /organization is read too: the audit falls back to the profile's tenant name, but a read
# that failed is reported (not checked), so it is part of the least-privileged set.
AUDIT_OPS = (
    "organization-list",
    "ca-list",
    "user-get",
    "user-signInActivity",
    "user-transitiveMemberOf",
    "roleAssignments-list",
    "roleEligibilitySchedules-list",
    "roleAssignmentSchedules-list",
    "authentication-list-methods",
)


def _audit_covered(granted: frozenset[str]) -> bool:
    return all(any(o <= granted for o in requirement(op).application) for op in AUDIT_OPS)


async def _audit(emu: Emulator, permissions: frozenset[str]) -> tuple[str, ...]:
    """The unattended audit (app-only) with exactly ``permissions``: its not-checked reasons."""
    app = next(a for a in emu.state.apps.values() if not a.public_client)
    saved = list(app.application_permissions)
    app.application_permissions = sorted(permissions)
    profile = audit_profile(emu)
    secret = "Contoso-Audit-Secret-2026"
    graph = GraphDirectory(
        profile, AppOnlyAuthenticator(profile, app.app_id, secret=secret).credential(), retry=FAST
    )
    try:
        report = await AuditService(graph, profile).run()
    finally:
        await graph.close()
        app.application_permissions = saved
    return tuple(f.message for f in report.not_checked)


async def test_unattended_audit_matrix(emu: Emulator) -> None:
    granted = frozenset(p for op in AUDIT_OPS for p in (requirement(op).application[0]))
    assert _audit_covered(granted)
    assert await _audit(emu, granted) == ()
    for permission in sorted(granted):
        rest = granted - {permission}
        reasons = await _audit(emu, rest)
        if _audit_covered(rest):
            assert reasons == (), (permission, reasons)
        else:
            assert reasons and any(permission in r for r in reasons), (permission, reasons)


def test_the_matrix_reads_the_table() -> None:
    table = json.loads(
        (Path(__file__).parents[2] / "bgwizard" / "data" / "graph-ground-truth.json").read_text()
    )
    ids = {op["id"] for op in table["operations"]}
    for journey in JOURNEYS:
        assert set(journey.ops) <= ids
    assert set(AUDIT_OPS) <= ids
