"""Graph failures become bgwizard errors: throttling, drops, missing permissions, outages.

Faults are injected by the emulator; kiota's real retry handler does the retrying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from consented import ALL_SCOPES, consented
from service_support import AUDIT_APP, AUDIT_PEM, FAST, NOBODY, profile_for, sign_in

from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator, Fault
from bgwizard.errors import (
    AuthError,
    BgWizardError,
    NetworkDown,
    PermissionMissing,
    ProfileError,
    Throttled,
)
from bgwizard.graph.client import RetryPolicy
from bgwizard.graph.directory import GraphDirectory
from bgwizard.secret import Secret


async def test_429_is_retried_until_it_succeeds(graph: GraphDirectory, emu: Emulator) -> None:
    emu.add_fault(Fault("GET", r"/users$", kind="429", count=2, retry_after=0))
    found = await graph.find_user_by_upn(NOBODY.upn)
    assert found is not None and found.id == NOBODY.id
    assert await graph.find_user_by_upn(NOBODY.upn) == found  # the faults are used up


async def test_503_after_every_retry_is_throttled(emu: Emulator, admin: MsalAuthenticator) -> None:
    emu.add_fault(Fault("GET", r"/domains$", kind="503", count=20, retry_after=1))
    short = GraphDirectory(profile_for(emu), admin.credential(), retry=RetryPolicy(1, 0))
    try:
        with pytest.raises(Throttled) as caught:
            await short.list_domains()
    finally:
        await short.close()
        emu.clear_faults()
    assert str(caught.value) == (
        "Microsoft Graph stayed busy (HTTP 503) after retries while reading the tenant's "
        "domains; try again in 1 second."
    )
    assert caught.value.status == 503


async def test_429_after_every_retry_is_throttled(emu: Emulator, admin: MsalAuthenticator) -> None:
    emu.add_fault(Fault("GET", r"/conditionalAccess/policies", kind="429", count=20))
    short = GraphDirectory(profile_for(emu), admin.credential(), retry=RetryPolicy(1, 0))
    try:
        with pytest.raises(Throttled, match=r"HTTP 429.*Conditional Access policies"):
            await short.list_ca_policies()
    finally:
        await short.close()
        emu.clear_faults()


async def test_a_dropped_connection_is_network_down(graph: GraphDirectory, emu: Emulator) -> None:
    emu.add_fault(Fault("GET", r"/organization$", kind="drop", count=1))
    with pytest.raises(NetworkDown, match="dropped while reading the organization"):
        await graph.tenant_info()
    assert (await graph.tenant_info()).tenant_id == emu.tenant_id  # next call is fine


SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Microsoft's table documents no role for signInActivity, directoryAudits (its role list is
# truncated), roleAssignmentSchedules or user updates (per property), so the emulator refuses
# nobody there for a role.
LOW_PRIVILEGE_REFUSALS: list[tuple[str, Callable[[GraphDirectory], Awaitable[object]], str]] = [
    ("ca policies", lambda g: g.list_ca_policies(), "Policy.Read.All"),
    (
        "ca patch",
        lambda g: g.patch_ca_policy("any", {}),
        "Policy.Read.All and Policy.ReadWrite.ConditionalAccess",
    ),
    ("sign-ins", lambda g: g.list_sign_ins(NOBODY.id, SINCE), "AuditLog.Read.All"),
    ("methods", lambda g: g.list_auth_methods(NOBODY.id), "UserAuthenticationMethod.Read.All"),
    (
        "eligibility",
        lambda g: g.list_role_eligibility_schedules(),
        "RoleEligibilitySchedule.Read.Directory",
    ),
    # assign_role reads the existing assignments first (Directory Readers and up).
    ("assign role", lambda g: g.assign_role(NOBODY.id), "RoleManagement.Read.Directory"),
    (
        "reset",
        lambda g: g.reset_password(NOBODY.id, Secret("Xy7-Secret-9")),
        "User-PasswordProfile.ReadWrite.All",
    ),
]


@pytest.mark.parametrize(
    ("call", "permission"),
    [(call, permission) for _, call, permission in LOW_PRIVILEGE_REFUSALS],
    ids=[name for name, _, _ in LOW_PRIVILEGE_REFUSALS],
)
async def test_low_privilege_user_gets_permission_missing(
    emu: Emulator,
    nobody: MsalAuthenticator,
    call: Callable[[GraphDirectory], Awaitable[object]],
    permission: str,
) -> None:
    graph = GraphDirectory(profile_for(emu), nobody.credential(), retry=FAST)
    try:
        with pytest.raises(PermissionMissing) as caught:
            await call(graph)
        me = await graph.me()  # what the user may do still works
    finally:
        await graph.close()
    assert me.id == NOBODY.id
    error = caught.value
    assert error.permission == permission
    assert str(error).startswith(
        f"Permission missing: {error.operation} needs the permission {permission}"
    )
    assert error.detail and error.detail.rstrip(".") in str(error)  # Graph's own words


async def test_app_only_audit_cannot_change_policies(emu: Emulator) -> None:
    app = AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], certificate_pem=AUDIT_PEM)
    graph = GraphDirectory(profile_for(emu), app.credential(), retry=FAST)
    try:
        policies = await graph.list_ca_policies()  # Policy.Read.All is granted
        with pytest.raises(PermissionMissing) as caught:
            await graph.update_user(NOBODY.id, display_name="should not happen")
    finally:
        await graph.close()
    assert isinstance(policies, list)
    assert caught.value.permission == "User.ReadUpdate.All"


async def test_graph_unreachable_is_network_down(tmp_path: Path) -> None:
    with consented(Emulator(state_dir=tmp_path)) as gone:
        auth = await sign_in(gone, NOBODY)
        profile = profile_for(gone)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    with pytest.raises(BgWizardError) as caught:
        await graph.me()
    await graph.close()
    # The cached token is still valid, so the failure is Graph itself being unreachable.
    assert isinstance(caught.value, NetworkDown)
    assert (
        str(caught.value)
        == f"Could not reach Microsoft Graph at 127.0.0.1:{profile_port(profile)}."
    )


def profile_port(profile: object) -> str:
    return str(getattr(profile, "graph_url", "")).split(":")[2].split("/")[0]


async def test_untrusted_graph_certificate_is_named(emu: Emulator) -> None:
    admin: MsalAuthenticator = await sign_in(emu, NOBODY)
    graph = GraphDirectory(replace(profile_for(emu), ca_bundle=""), admin.credential())
    try:
        with pytest.raises(NetworkDown, match="TLS certificate is not trusted"):
            await graph.me()
    finally:
        await graph.close()


async def test_warm_up_parses_without_network(tmp_path: Path) -> None:
    from bgwizard.profile.model import Profile

    graph = GraphDirectory(Profile(), credential=None)
    await graph.warm_up()
    import sys

    assert "msgraph.generated.models.user" in sys.modules


def test_importing_the_services_loads_neither_msgraph_nor_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bgwizard.graph.directory, bgwizard.auth.service, "
        "bgwizard.auth.app_only; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('msgraph', 'kiota_http', 'msal', 'textual')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


async def test_signed_out_credential_is_an_auth_error_not_an_sdk_one(emu: Emulator) -> None:
    auth = await sign_in(emu, NOBODY)
    graph = GraphDirectory(profile_for(emu), auth.credential(), retry=FAST)
    auth.sign_out()
    try:
        with pytest.raises(AuthError, match="Nobody is signed in; sign in first"):
            await graph.me()
    finally:
        await graph.close()


async def test_missing_ca_file_is_a_profile_error(emu: Emulator, tmp_path: Path) -> None:
    profile = replace(profile_for(emu), ca_bundle=str(tmp_path / "gone.pem"))
    with pytest.raises(ProfileError, match=r"gone\.pem named in the profile does not exist"):
        await MsalAuthenticator(profile, scopes=ALL_SCOPES).start_device_code()
    graph = GraphDirectory(profile, credential=None)
    with pytest.raises(ProfileError):
        await graph.me()
