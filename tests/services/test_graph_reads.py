"""GraphDirectory reads through the real msgraph-sdk against the emulator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from consented import ALL_SCOPES, consented
from service_support import (
    ADMIN,
    FAST,
    NOBODY,
    SAMPLE,
    device_sign_in,
    profile_for,
    tenant_with_policies,
)

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.errors import NotFound
from bgwizard.graph.directory import GraphDirectory
from bgwizard.graph.model import PASSWORD_METHOD_ID

INITIAL = next(d["id"] for d in SAMPLE["tenant"]["domains"] if d.get("isInitial"))


async def test_tenant_info_names_the_initial_domain(graph: GraphDirectory) -> None:
    info = await graph.tenant_info()
    assert info.tenant_id == SAMPLE["tenant"]["id"]
    assert info.display_name == SAMPLE["tenant"]["displayName"]
    assert info.initial_domain == INITIAL


async def test_list_domains_marks_the_initial_one(graph: GraphDirectory) -> None:
    domains = {d.id: d for d in await graph.list_domains()}
    assert domains[INITIAL].is_initial
    assert not any(d.is_initial for key, d in domains.items() if key != INITIAL)


async def test_me_is_the_signed_in_admin(graph: GraphDirectory) -> None:
    me = await graph.me()
    assert (me.id, me.upn) == (ADMIN.id, ADMIN.upn)


async def test_find_user_by_upn(graph: GraphDirectory) -> None:
    found = await graph.find_user_by_upn(NOBODY.upn)
    assert found is not None and found.id == NOBODY.id
    assert found.account_enabled is True
    assert await graph.find_user_by_upn("nobody-by-that-name@" + INITIAL) is None
    assert await graph.find_user_by_upn("o'brien@" + INITIAL) is None  # quote is escaped


async def test_get_user_reads_sign_in_activity_and_sync_state(graph: GraphDirectory) -> None:
    synced = next(u for u in SAMPLE["users"] if u.get("onPremisesSyncEnabled"))
    user = await graph.get_user(synced["id"])
    assert user.on_premises_sync_enabled is True and not user.is_cloud_only
    admin = await graph.get_user(ADMIN.id)
    assert admin.last_successful_sign_in is not None  # the admin signed in for this module


async def test_get_user_unknown_is_not_found(graph: GraphDirectory) -> None:
    with pytest.raises(NotFound, match="Reading a user's sign-in activity failed"):
        await graph.get_user("00000000-0000-0000-0000-00000000dead")


async def test_role_assignments_of_a_principal(graph: GraphDirectory) -> None:
    mine = await graph.list_role_assignments(ADMIN.id)
    assert any(a.role_definition_id == GLOBAL_ADMIN_ROLE_ID for a in mine)
    assert all(a.principal_id == ADMIN.id for a in mine)
    expected = sum(1 for a in SAMPLE["roleAssignments"] if a["principalId"] == ADMIN.id)
    assert len(mine) == expected
    global_admins = await graph.list_role_assignments(role_definition_id=GLOBAL_ADMIN_ROLE_ID)
    assert {a.principal_id for a in global_admins} >= {ADMIN.id}


async def test_role_schedules(graph: GraphDirectory) -> None:
    eligible = await graph.list_role_eligibility_schedules()
    expected = {e["principalId"] for e in SAMPLE.get("roleEligibilities", [])}
    assert {s.principal_id for s in eligible} == expected
    assert all(s.kind == "eligible" for s in eligible)
    active = await graph.list_role_assignment_schedules(ADMIN.id)
    assert active and all(s.kind == "active" and s.principal_id == ADMIN.id for s in active)
    assert any(s.is_permanent for s in active)


async def test_transitive_member_of(graph: GraphDirectory) -> None:
    groups = await graph.transitive_member_of(NOBODY.id)
    expected = {
        g["id"] for g in SAMPLE["groups"] if NOBODY.id in g.get("members", [])
    }  # direct groups at least; nested ones come on top
    assert expected <= {g.id for g in groups}
    assert all(g.kind in ("group", "directoryRole", "administrativeUnit") for g in groups)


async def test_auth_methods_always_list_the_password(graph: GraphDirectory) -> None:
    methods = await graph.list_auth_methods(ADMIN.id)
    assert any(m.id == PASSWORD_METHOD_ID and m.kind == "password" for m in methods)
    fido2 = await graph.policies.list_fido2_methods(ADMIN.id)
    assert all(m.kind == "fido2" for m in fido2)


async def test_sign_ins_since(graph: GraphDirectory) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    records = await graph.list_sign_ins(ADMIN.id, since)
    assert records and all(r.user_id == ADMIN.id for r in records)
    assert any(r.succeeded for r in records)
    assert all(r.created is not None and r.created >= since.replace(microsecond=0) for r in records)
    future = await graph.list_sign_ins(ADMIN.id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert future == []


async def test_directory_audits_about_a_target(fresh_graph: GraphDirectory) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    await fresh_graph.update_user(NOBODY.id, display_name="Renamed for the audit test")
    records = await fresh_graph.list_directory_audits(since, target_id=NOBODY.id)
    assert records and all(NOBODY.id in r.target_ids for r in records)
    assert records[0].initiated_by == ADMIN.upn
    assert await fresh_graph.list_directory_audits(since, target_id=ADMIN.id) == []


@pytest.fixture
def many_policies_emu(tmp_path: Path) -> Any:
    with consented(Emulator(tenant_file=tenant_with_policies(tmp_path, 27))) as emu:
        yield emu


async def test_ca_policies_every_page_comes_back(many_policies_emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(many_policies_emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, many_policies_emu, ADMIN)
    graph = GraphDirectory(profile_for(many_policies_emu), auth.credential(), retry=FAST)
    try:
        policies = await graph.list_ca_policies()
    finally:
        await graph.close()
    assert SAMPLE["settings"]["pageSize"] < 27  # so this really crossed pages
    assert sorted(p.display_name for p in policies) == [f"Test policy {n:02d}" for n in range(27)]
    third = next(p for p in policies if p.display_name.endswith("03"))
    assert third.exclude_users == (ADMIN.id,) and third.excludes(ADMIN.id)
    assert third.grant_controls == ("mfa",) and third.state == "enabledForReportingButNotEnforced"
    assert third.raw["conditions"]["applications"] == {"includeApplications": ["All"]}


async def test_sample_tenant_policies_all_come_back(graph: GraphDirectory) -> None:
    policies = await graph.list_ca_policies()
    expected = {p["id"]: p["displayName"] for p in SAMPLE["conditionalAccessPolicies"]}
    assert len(expected) > SAMPLE["settings"]["pageSize"]  # more than one page
    assert {p.id: p.display_name for p in policies} == expected
    assert all(p.raw["id"] == p.id and "conditions" in p.raw for p in policies)
