"""The set-up wizard's service against the emulator: real msal and msgraph-sdk over HTTPS.

The whole set-up headless, the tenant's end state read back through Graph, a rerun that
changes nothing, backup and restore of Conditional Access, names, admin checks, PIM.
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from consented import consented
from service_support import NOBODY, SAMPLE, sign_in
from setup_support import (
    INITIAL,
    UNDISTURBED,
    Rig,
    changes,
    end_state,
    make_rig,
    names_and_sheets,
    passkeys,
    run_setup,
    verify,
)

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator
from bgwizard.errors import AuthError, CaStepError, SetupError
from bgwizard.graph.ca_scope import applies_to_members
from bgwizard.graph.model import CaPolicy
from bgwizard.profile.model import BreakGlassAccount
from bgwizard.setup.ca_plan import BACKUP_FORMAT

PRIYA = next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("priya."))


@pytest.fixture
async def rig(fresh_emu: Emulator, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await make_rig(fresh_emu, tmp_path)
    yield made
    await made.close()


async def test_the_whole_setup_leaves_the_tenant_as_microsoft_asks(rig: Rig) -> None:
    upns = await run_setup(rig)
    state = await end_state(rig.graph, upns)
    # Every policy of the tenant, plus the dedicated one the set-up made and switched on.
    assert state == {**UNDISTURBED, "policies": len(SAMPLE["conditionalAccessPolicies"]) + 1}
    saved = rig.store.load()
    assert rig.service.journal.finished
    assert [a.upn for a in saved.accounts] == upns
    assert all(a.object_id and a.custodians == ["Alex Doe"] for a in saved.accounts)
    assert "summary" in saved.setup_steps_done and "verify:" + upns[1] in saved.setup_steps_done
    text = rig.store.path.read_text()
    assert not any(p.reveal() in text for p in rig.passwords.values())


async def test_the_backup_holds_every_changed_policy_before_the_change(rig: Rig) -> None:
    await run_setup(rig)
    # The CA step's backup, then the enforce step's (the dedicated policy, still report-only).
    backup, enforce = [Path(p) for p in rig.service.backups]
    dedicated = json.loads(enforce.read_text())["policies"]
    assert [(p["id"], p["state"]) for p in dedicated] == [
        (rig.profile.dedicated_policy_id, "enabledForReportingButNotEnforced")
    ]
    assert stat.S_IMODE(backup.stat().st_mode) == stat.S_IMODE(enforce.stat().st_mode) == 0o600
    document = json.loads(backup.read_text())
    assert document["format"] == BACKUP_FORMAT and document["tenantId"] == rig.emu.tenant_id
    ids = {a.object_id for a in rig.profile.accounts}
    # Every policy that can reach a member; the 5 guest-only and 5 agent-only ones cannot.
    every = SAMPLE["conditionalAccessPolicies"]
    reach = [p for p in every if applies_to_members(CaPolicy.from_graph(p))]
    assert len(document["policies"]) == len(reach) == len(every) - 10
    for policy in document["policies"]:
        assert not ids & set(policy["conditions"]["users"]["excludeUsers"])


async def test_a_rerun_changes_nothing(rig: Rig) -> None:
    upns = await run_setup(rig)
    audits_before = len(rig.emu.state.audits)
    rig.service.journal.entries.clear()  # forget everything: every step runs again
    await changes(rig)
    assert len(rig.emu.state.audits) == audits_before
    assert len(rig.service.backups) == 2  # CA and enforce; nothing to change, so no new one
    state = await end_state(rig.graph, upns)
    assert state["missing"] == [] and state["ga"] == UNDISTURBED["ga"]


async def test_restore_from_backup_puts_the_policies_back(rig: Rig) -> None:
    upns = await run_setup(rig)
    restored = await rig.service.restore_ca(Path(rig.service.backups[0]))
    assert len(restored) == len(SAMPLE["conditionalAccessPolicies"]) - 10  # 10 cannot apply
    state = await end_state(rig.graph, upns)
    assert len(state["missing"]) == len(restored)  # type: ignore[arg-type]
    originals = {p["id"]: p["conditions"]["users"] for p in SAMPLE["conditionalAccessPolicies"]}
    for policy in await rig.graph.list_ca_policies():
        if policy.id != rig.profile.dedicated_policy_id:  # made by the set-up, never excluded
            assert list(policy.exclude_users) == originals[policy.id].get("excludeUsers", [])
    assert not rig.service.journal.is_done("ca")
    await changes(rig)
    assert (await end_state(rig.graph, upns))["missing"] == []


async def test_a_backup_of_another_tenant_is_refused(rig: Rig, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": BACKUP_FORMAT, "tenantId": "x", "policies": []}))
    rig.profile.tenant_id = rig.emu.tenant_id
    with pytest.raises(CaStepError, match="another tenant"):
        await rig.service.restore_ca(other)


async def test_names_taken_custom_domain_and_purpose_words(rig: Rig) -> None:
    assert rig.auth.identity is not None
    await rig.service.connect(rig.auth.identity)
    assert rig.profile.initial_domain == INITIAL
    issues = await rig.service.check_names(
        [f"admin@{INITIAL}", "svc-iam-recovery01@contosologistics.com"]
    )
    messages = [i.message for i in issues]
    assert any("already taken" in m for m in messages)
    assert any("custom domain" in m for m in messages)
    assert any("'admin'" in m for m in messages)


async def test_an_admin_without_roles_is_told_what_is_missing(fresh_emu: Emulator) -> None:
    nobody = await sign_in(fresh_emu, NOBODY)
    assert nobody.identity is not None
    from bgwizard.setup.checks import missing_for_setup

    problems = missing_for_setup(nobody.identity)
    assert any(
        "Global Administrator or Privileged Authentication Administrator" in p for p in problems
    )
    assert any("Privileged Role Administrator" in p for p in problems)


async def test_an_eligible_only_global_admin_is_made_permanent(rig: Rig) -> None:
    rig.profile.accounts = [BreakGlassAccount(PRIYA["userPrincipalName"], object_id=PRIYA["id"])]
    result = await rig.service.ensure_global_admin(PRIYA["userPrincipalName"])
    assert result.before.eligible and not result.before.permanent
    assert "only eligible" in str(result.before.problem())
    assert result.after.permanent and result.after.problem() is None


async def test_methods_review_warns_without_a_passkey(rig: Rig) -> None:
    upns = await names_and_sheets(rig)
    for upn in upns:
        await rig.service.create_account(upn, rig.passwords[upn])
    reviews = await rig.service.review_methods()
    assert [r.upn for r in reviews] == [a.upn for a in rig.profile.accounts]
    assert all(any("passkey" in w for w in r.warnings) for r in reviews)
    assert all([m.kind for m in r.methods] == ["password"] for r in reviews)
    await passkeys(rig)  # the passkey step: the warning goes
    reviews = await rig.service.review_methods()
    assert not any("passkey" in w for r in reviews for w in r.warnings)
    assert all(sorted(m.kind for m in r.methods) == ["fido2", "password"] for r in reviews)


async def test_a_wrong_password_does_not_verify(rig: Rig) -> None:
    upns = await run_setup(rig)
    with pytest.raises(AuthError):
        await verify(rig, upns[0], rig.passwords[upns[0]].reveal() + "x")


async def test_a_token_for_another_account_is_refused(rig: Rig) -> None:
    upns = await run_setup(rig)
    proof = await verify(rig, upns[1], rig.passwords[upns[1]].reveal())
    with pytest.raises(SetupError, match="not " + upns[0]):
        await rig.service.accept_sign_in(upns[0], proof.identity, proof.policies_read)


async def test_after_a_restart_a_created_account_goes_on_without_its_password(rig: Rig) -> None:
    from setup_support import names_and_sheets

    upns = await names_and_sheets(rig)
    await rig.service.create_account(upns[0], rig.passwords[upns[0]])
    service = rig.reload()  # the passwords in memory are gone with the old process
    lost = await service.lost_passwords(in_memory=[])
    assert lost == [upns[1]]  # never created: its sheet is retired and made again
    assert not service.journal.is_done("sheets", upns[1])
    assert all(s.retired == dt.date.today() for s in rig.profile.accounts[1].sheets)
    result = await service.create_account(upns[0], None)
    assert not result.created and result.user.upn == upns[0]


SOFIA = next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("sofia."))


@pytest.fixture
def time_bound_emu(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant where Sofia holds Global Administrator until 2027-03-31 only."""
    tenant = json.loads(json.dumps(SAMPLE))
    tenant["roleAssignments"].append(
        {
            "principalId": SOFIA["id"],
            "roleDefinitionId": GLOBAL_ADMIN_ROLE_ID,
            "directoryScopeId": "/",
            "endDateTime": "2027-03-31T00:00:00Z",
        }
    )
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(tenant))
    with consented(Emulator(tenant_file=path)) as emulator:
        yield emulator


async def test_a_time_bound_global_admin_is_made_permanent(
    time_bound_emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(time_bound_emu, tmp_path)
    try:
        rig.profile.accounts = [
            BreakGlassAccount(SOFIA["userPrincipalName"], object_id=SOFIA["id"])
        ]
        result = await rig.service.ensure_global_admin(SOFIA["userPrincipalName"])
        assignments = await rig.graph.list_role_assignments(SOFIA["id"], GLOBAL_ADMIN_ROLE_ID)
    finally:
        await rig.close()
    assert "only until 2027-03-31" in str(result.before.problem())
    assert result.after.permanent
    assert len(assignments) == 1 and assignments[0].id != result.before.assignment.id  # type: ignore[union-attr]
