"""GraphDirectory changes to the tenant: users, passwords, roles, Conditional Access."""

from __future__ import annotations

import threading
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from consented import ALL_SCOPES, consented
from service_support import ADMIN, FAST, NOBODY, SAMPLE, device_sign_in, profile_for
from service_support import tenant_with_policies as make_tenant

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator, Fault
from bgwizard.errors import NetworkDown, PermissionMissing
from bgwizard.graph.client import RetryPolicy
from bgwizard.graph.directory import GraphDirectory
from bgwizard.secret import Secret

INITIAL = next(d["id"] for d in SAMPLE["tenant"]["domains"] if d.get("isInitial"))
BG_UPN = f"bg-test-01@{INITIAL}"
PASSWORD = Secret("Kx7m-Rq4t-Wn9p-Hd3v-Tf6c-Bj2s")


def approve(emu: Emulator, user_code: str, upn: str, password: str) -> bool:
    result: list[bool] = []
    thread = threading.Thread(
        target=lambda: result.append(emu.approve_device_code(user_code, upn, password))
    )
    thread.start()
    thread.join()
    return result[0]


async def test_create_user_makes_a_cloud_only_never_expiring_account(
    fresh_graph: GraphDirectory, fresh_emu: Emulator
) -> None:
    outcome = await fresh_graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
    assert outcome.created
    user = await fresh_graph.get_user(outcome.user.id)
    assert user.upn == BG_UPN and user.account_enabled is True
    assert user.password_never_expires and user.is_cloud_only

    auth = MsalAuthenticator(profile_for(fresh_emu), scopes=ALL_SCOPES)
    prompt = await auth.start_device_code(login_hint=BG_UPN)
    assert approve(fresh_emu, prompt.user_code, BG_UPN, PASSWORD.reveal())
    identity = await auth.finish_device_code(prompt)
    assert identity.object_id == user.id


async def test_create_user_again_finds_the_first_one(fresh_graph: GraphDirectory) -> None:
    first = await fresh_graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
    again = await fresh_graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
    assert first.created and not again.created
    assert again.user.id == first.user.id


async def test_create_user_survives_a_503_retried_by_kiota(
    fresh_graph: GraphDirectory, fresh_emu: Emulator
) -> None:
    fresh_emu.add_fault(Fault("POST", r"/users$", kind="503", count=1, retry_after=0))
    outcome = await fresh_graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
    assert outcome.created
    matches = [u for u in fresh_emu.state.users.values() if u["userPrincipalName"] == BG_UPN]
    assert len(matches) == 1


async def test_a_create_whose_answer_was_lost_is_not_repeated(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    """The POST times out on our side but the server carries it out; a rerun finds it."""
    auth = MsalAuthenticator(profile_for(fresh_emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, fresh_emu, ADMIN)
    impatient = GraphDirectory(
        profile_for(fresh_emu), auth.credential(), retry=RetryPolicy(delay=0, timeout=0.5)
    )
    fresh_emu.add_fault(Fault("POST", r"/users$", kind="delay", count=1, delay=1.5))
    try:
        with pytest.raises(NetworkDown, match="did not answer in time while creating a user"):
            await impatient.create_user(BG_UPN, "Break glass 01", PASSWORD)
        patient = GraphDirectory(profile_for(fresh_emu), auth.credential(), retry=FAST)
        again = None
        for _ in range(100):  # until the server has finished the delayed POST
            again = await patient.create_user(BG_UPN, "Break glass 01", PASSWORD)
            if not again.created:
                break
        await patient.close()
    finally:
        await impatient.close()
    assert again is not None and not again.created
    matches = [u for u in fresh_emu.state.users.values() if u["userPrincipalName"] == BG_UPN]
    assert len(matches) == 1


async def test_a_create_carried_out_but_unanswered_is_found_not_repeated(
    fresh_graph: GraphDirectory, fresh_emu: Emulator
) -> None:
    """The server creates the user, then the connection drops before the answer."""
    fresh_emu.add_fault(Fault("POST", r"/users$", kind="drop_after", count=1))
    outcome = await fresh_graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
    assert outcome.created
    matches = [u for u in fresh_emu.state.users.values() if u["userPrincipalName"] == BG_UPN]
    assert len(matches) == 1
    assert outcome.user.id == matches[0]["id"]


async def test_a_refused_create_keeps_the_password_out_of_the_error(
    fresh_graph: GraphDirectory, fresh_emu: Emulator
) -> None:
    fresh_emu.add_fault(Fault("POST", r"/users$", kind="403", count=1))
    with pytest.raises(PermissionMissing) as caught:
        await fresh_graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
    assert caught.value.permission == "User.Create"
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    text = "".join(traceback.format_exception(caught.value))
    assert PASSWORD.reveal() not in text


async def test_reset_password_changes_what_signs_in(
    fresh_graph: GraphDirectory, fresh_emu: Emulator
) -> None:
    new = Secret("Pz8w-Mc5k-Ls2x-Vb7n-Qg4h-Yt9r")
    await fresh_graph.reset_password(NOBODY.id, new)
    auth = MsalAuthenticator(profile_for(fresh_emu), scopes=ALL_SCOPES)
    prompt = await auth.start_device_code()
    assert not approve(fresh_emu, prompt.user_code, NOBODY.upn, NOBODY.password)
    assert approve(fresh_emu, prompt.user_code, NOBODY.upn, new.reveal())
    assert (await auth.finish_device_code(prompt)).upn == NOBODY.upn


async def test_update_user_changes_only_what_is_given(fresh_graph: GraphDirectory) -> None:
    before = await fresh_graph.get_user(NOBODY.id)
    await fresh_graph.update_user(
        NOBODY.id, account_enabled=False, password_policies="DisablePasswordExpiration"
    )
    after = await fresh_graph.get_user(NOBODY.id)
    assert after.account_enabled is False and after.password_never_expires
    assert after.display_name == before.display_name


async def test_assign_role_is_idempotent(fresh_graph: GraphDirectory) -> None:
    first = await fresh_graph.assign_role(NOBODY.id)
    second = await fresh_graph.assign_role(NOBODY.id)
    assert first == second
    assert first.role_definition_id == GLOBAL_ADMIN_ROLE_ID and first.directory_scope_id == "/"
    mine = await fresh_graph.list_role_assignments(NOBODY.id, GLOBAL_ADMIN_ROLE_ID)
    assert mine == [first]


@pytest.fixture
async def policy_graph(tmp_path: Path) -> AsyncIterator[GraphDirectory]:
    with consented(Emulator(tenant_file=make_tenant(tmp_path, 3))) as emu:
        auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
        await device_sign_in(auth, emu, ADMIN)
        graph = GraphDirectory(profile_for(emu), auth.credential(), retry=FAST)
        yield graph
        await graph.close()


async def test_patch_ca_policy_adds_an_exclusion_and_reads_back(
    policy_graph: GraphDirectory,
) -> None:
    policy = next(p for p in await policy_graph.list_ca_policies() if not p.exclude_users)
    after = await policy_graph.patch_ca_policy(policy.id, policy.exclusion_patch((NOBODY.id,)))
    assert after.exclude_users == (NOBODY.id,)
    assert after.include_users == policy.include_users
    assert after.raw["conditions"]["applications"] == policy.raw["conditions"]["applications"]
    assert after.raw["grantControls"] == policy.raw["grantControls"]
    assert (await policy_graph.get_ca_policy(policy.id)).exclude_users == (NOBODY.id,)


async def test_break_glass_verification_flow_end_to_end(fresh_emu: Emulator) -> None:
    """Create, make Global Admin, then sign the account in beside the admin and use it."""
    admin = MsalAuthenticator(profile_for(fresh_emu), scopes=ALL_SCOPES)
    await device_sign_in(admin, fresh_emu, ADMIN)
    graph = GraphDirectory(profile_for(fresh_emu), admin.credential(), retry=FAST)
    account = admin.separate()
    try:
        created = await graph.create_user(BG_UPN, "Break glass 01", PASSWORD)
        await graph.assign_role(created.user.id)

        prompt = await account.start_device_code(login_hint=BG_UPN)
        assert approve(fresh_emu, prompt.user_code, BG_UPN, PASSWORD.reveal())
        identity = await account.finish_device_code(prompt)
        assert identity.is_global_admin

        as_account = GraphDirectory(profile_for(fresh_emu), account.credential(), retry=FAST)
        try:
            assert (await as_account.me()).id == created.user.id
            assert (await as_account.tenant_info()).tenant_id == fresh_emu.tenant_id
        finally:
            await as_account.close()
        account.sign_out()
        assert admin.identity is not None and admin.identity.upn == ADMIN.upn
        activity = await graph.get_user(created.user.id)
        assert activity.last_successful_sign_in is not None
    finally:
        await graph.close()
