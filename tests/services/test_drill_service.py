"""The drill's automatic checks against the emulator, through real msal and msgraph-sdk."""

from __future__ import annotations

import datetime as dt

import pytest
from consented import ALL_SCOPES
from drill_support import (
    BG_PASSWORD,
    drill_checks,
    graph_factory,
    remove_global_admin,
    set_up_break_glass,
    sign_in_as,
)
from service_support import FAST

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.drill.model import ItemResult
from bgwizard.drill.service import DrillChecks
from bgwizard.emulator import Emulator
from bgwizard.errors import SignInCancelled
from bgwizard.graph.directory import GraphDirectory


def _by_id(results: list[object]) -> dict[str, ItemResult]:
    return {r.id: r for r in results if isinstance(r, ItemResult)}


async def test_pass_case_every_automatic_check(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph)
    account = setup.accounts[0]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    checks = drill_checks(setup)
    try:
        results = _by_id(await sign_in_as(fresh_emu, checks, account.upn, BG_PASSWORD))
        assert [r.status for r in results.values()] == ["pass", "pass", "pass"]
        assert results["token_account"].evidence["oid"] == account.object_id
        assert GLOBAL_ADMIN_ROLE_ID in results["global_admin"].evidence["wids"]
        during = _by_id(await checks.during_checks())
        assert during["ca_readable"].status == "pass", during["ca_readable"].detail
        assert during["audit_rules"].status == "pass", during["audit_rules"].detail
        after = _by_id(await checks.after_checks(start, dt.datetime.now(dt.UTC)))
    finally:
        await checks.close()
    assert after["no_changes"].status == "pass", after["no_changes"].detail
    evidence = after["signin_evidence"]
    assert evidence.status == "pass" and evidence.evidence["source"] == "signIns"
    assert evidence.evidence["ip"] == "127.0.0.1" and evidence.evidence["request_id"]


async def test_wrong_password_fails_signin_and_leaves_the_rest_not_run(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph, count=1)
    checks = drill_checks(setup)
    with pytest.raises(SignInCancelled):
        await sign_in_as(fresh_emu, checks, setup.accounts[0].upn, "not-the-password")
    results = _by_id(checks.sign_in_failed("The password on the sheet did not work"))
    assert results["signin"].status == "fail" and "Rotate the password" in results["signin"].fix
    assert {r.status for i, r in results.items() if i != "signin"} == {"not_run"}
    after = _by_id(await checks.after_checks(dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC)))
    assert after["signin_evidence"].status == "fail" and after["no_changes"].status == "not_run"
    await checks.close()


async def test_global_admin_removed_before_the_drill_fails(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph, count=1)
    account = setup.accounts[0]
    assert remove_global_admin(fresh_emu, account.object_id) == 1
    checks = drill_checks(setup)
    try:
        results = _by_id(await sign_in_as(fresh_emu, checks, account.upn, BG_PASSWORD))
        during = _by_id(await checks.during_checks())
    finally:
        await checks.close()
    assert results["token_account"].status == "pass"
    assert results["global_admin"].status == "fail"
    assert "Global Administrator" in results["global_admin"].fix
    assert during["ca_readable"].status == "fail"


async def test_another_account_signing_in_is_refused(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph)
    checks = drill_checks(setup, index=0)
    results = _by_id(await sign_in_as(fresh_emu, checks, setup.accounts[1].upn, BG_PASSWORD))
    await checks.close()
    assert (
        results["signin"].status == "fail"
        and "not " + setup.accounts[0].upn in results["signin"].detail
    )


async def test_account_not_excluded_from_policies_fails_the_audit_item(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph, count=2, exclude=False)
    checks = drill_checks(setup)
    try:
        await sign_in_as(fresh_emu, checks, setup.accounts[0].upn, BG_PASSWORD)
        during = _by_id(await checks.during_checks())
    finally:
        await checks.close()
    audit = during["audit_rules"]
    assert audit.status == "fail" and audit.evidence["rules"] == "ca.exclusion"
    assert audit.detail.startswith("Not excluded from this enabled policy: CA000-Global")
    assert "excluded users" in audit.fix


async def test_change_made_by_the_account_in_the_window_fails(
    fresh_emu: Emulator, fresh_graph: GraphDirectory
) -> None:
    setup = await set_up_break_glass(fresh_emu, fresh_graph, count=1)
    account = setup.accounts[0]
    auth = MsalAuthenticator(setup.profile).separate()
    auth.use_scopes(ALL_SCOPES)  # someone used the account for admin work, not just a drill
    checks = DrillChecks(setup.profile, account, auth, gateway_factory=graph_factory)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    try:
        await sign_in_as(fresh_emu, checks, account.upn, BG_PASSWORD)
        as_account = GraphDirectory(setup.profile, auth.credential(), retry=FAST)
        await as_account.update_user(account.object_id, display_name="EA 01 renamed")
        await as_account.close()
        after = _by_id(await checks.after_checks(start, dt.datetime.now(dt.UTC)))
    finally:
        await checks.close()
    assert after["no_changes"].status == "fail", after["no_changes"].detail
    assert "Update user" in after["no_changes"].detail
    assert after["signin_evidence"].status == "pass"
