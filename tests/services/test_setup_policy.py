"""The dedicated phishing-resistant policy through the set-up service, on the real stack
(msal, msgraph-sdk, the emulator): created report-only once, switched on only after every
account signed in with its security key, never given an exclusion by the CA step; and the
audit's view of it. Security defaults: read at connect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from consented import consented
from setup_support import Rig, changes, make_rig, names_and_sheets, verify, verify_with_key

from bgwizard.audit.service import AuditService
from bgwizard.emulator import Emulator
from bgwizard.errors import SetupError
from bgwizard.setup.policy_step import DEDICATED_POLICY_NAME
from bgwizard.setup.results import SECURITY_DEFAULTS_NOTE

REPORT_ONLY = "enabledForReportingButNotEnforced"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emulator:
        yield emulator


def _named(emu: Emulator) -> list[dict[str, object]]:
    return [p for p in emu.state.policies.values() if p["displayName"] == DEDICATED_POLICY_NAME]


async def _rig_with_policy(emu: Emulator, tmp_path: Path) -> tuple[Rig, list[str]]:
    rig = await make_rig(emu, tmp_path)
    upns = await names_and_sheets(rig)
    await changes(rig)
    await rig.service.ensure_dedicated_policy()
    return rig, upns


async def test_the_policy_is_created_once_report_only_and_never_excluded(
    emu: Emulator, tmp_path: Path
) -> None:
    rig, upns = await _rig_with_policy(emu, tmp_path)
    try:
        first = rig.profile.dedicated_policy_id
        stored = emu.state.policies[first]
        assert stored["state"] == REPORT_ONLY
        ids = sorted(a.object_id for a in rig.profile.accounts)
        assert sorted(stored["conditions"]["users"]["includeUsers"]) == ids
        assert stored["conditions"]["applications"]["includeApplications"] == ["All"]
        assert "policy" in rig.store.load().setup_steps_done  # journaled and saved
        again = await rig.reload().ensure_dedicated_policy()  # rerun: found by its id
        assert not again.created and again.policy.id == first
        rig.profile.dedicated_policy_id = ""  # id lost (e.g. a crash before the save)
        by_name = await rig.service.ensure_dedicated_policy()
        assert not by_name.created and by_name.policy.id == first
        assert len(_named(emu)) == 1
        plan = await rig.service.plan_ca()  # the CA step rerun leaves it alone
        assert plan.complete and first not in {c.policy_id for c in plan.changes}
        assert emu.state.policies[first]["conditions"]["users"].get("excludeUsers") in (None, [])
        report = await AuditService(rig.graph, rig.profile).run()
        (dedicated,) = [f for f in report.findings if f.rule == "ca.dedicated_policy"]
        assert dedicated.severity == "info" and "enforces nothing yet" in dedicated.message
        # Passkeys registered but no key sign-in verified yet: switching on could lock both out.
        blocked = await rig.service.enforce_dedicated_policy()
        assert not blocked.enabled and len(blocked.blockers) == len(upns)
        assert all("has not verified its security key sign-in" in b for b in blocked.blockers)
        assert emu.state.policies[first]["state"] == REPORT_ONLY
        assert "enforce" in rig.store.load().setup_steps_done
    finally:
        await rig.close()


async def test_declining_is_journaled_and_enforce_has_nothing_to_do(
    emu: Emulator, tmp_path: Path
) -> None:
    rig = await make_rig(emu, tmp_path)
    try:
        await names_and_sheets(rig)
        await changes(rig)
        before = set(emu.state.policies)
        await rig.service.decline_dedicated_policy()
        saved = rig.store.load()
        assert "policy" in saved.setup_steps_done and saved.dedicated_policy_id == ""
        result = await rig.service.enforce_dedicated_policy()
        assert result.policy is None and set(emu.state.policies) == before
    finally:
        await rig.close()


async def test_enforce_waits_for_key_sign_ins_then_switches_on(
    emu: Emulator, tmp_path: Path
) -> None:
    rig, upns = await _rig_with_policy(emu, tmp_path)
    service = rig.service
    try:
        keys = rig.keys  # the passkey step registered one software key per account
        first, second = upns
        proof = await verify(rig, first, rig.passwords[first].reveal())
        with pytest.raises(SetupError, match="sign in with the security key"):
            await service.accept_sign_in(first, proof.identity, proof.policies_read)
        proof = await verify_with_key(rig, first, keys[first])
        await service.accept_sign_in(first, proof.identity, proof.policies_read)
        assert service.enforce_blockers() == (
            f"{second} has not verified its security key sign-in yet.",
        )
        proof = await verify_with_key(rig, second, keys[second])
        await service.accept_sign_in(second, proof.identity, proof.policies_read)
        assert service.enforce_blockers() == ()

        result = await service.enforce_dedicated_policy()
        assert result.enabled and result.policy is not None
        assert emu.state.policies[rig.profile.dedicated_policy_id]["state"] == "enabled"
        backup = json.loads(Path(result.backup).read_text("utf-8"))
        assert [p["state"] for p in backup["policies"]] == [REPORT_ONLY]
        assert Path(result.backup).stat().st_mode & 0o777 == 0o600
        report = await AuditService(rig.graph, rig.profile).run()
        (dedicated,) = [f for f in report.findings if f.rule == "ca.dedicated_policy"]
        assert dedicated.severity == "ok"
        assert dedicated.message == "Dedicated break glass policy present."
        about = [
            f
            for f in report.findings
            if f.policy is not None and f.policy.id == rig.profile.dedicated_policy_id
        ]
        assert about and all(f.severity == "ok" for f in about)  # graded as dedicated, per account
        sd = [f for f in report.findings if f.rule == "ca.security_defaults"]
        assert [f.severity for f in sd] == ["ok"]
    finally:
        await rig.close()


async def test_security_defaults_are_read_at_connect(emu: Emulator, tmp_path: Path) -> None:
    rig = await make_rig(emu, tmp_path)
    try:
        assert rig.auth.identity is not None
        await rig.service.connect(rig.auth.identity)
        assert rig.service.security_defaults is False
        emu.state.security_defaults = True
        await rig.service.connect(rig.auth.identity)
        assert rig.service.security_defaults is True
        assert "turn security defaults off" in SECURITY_DEFAULTS_NOTE
        report = await AuditService(rig.graph, rig.profile).run()
        (finding,) = [f for f in report.findings if f.rule == "ca.security_defaults"]
        assert finding.severity == "error" and "exclusions" in finding.message
        assert "turn security defaults off" in finding.fix.lower()
    finally:
        await rig.close()


async def test_with_the_protected_group_the_policy_targets_the_group(
    emu: Emulator, tmp_path: Path
) -> None:
    """Engineer B's choice, stood in for: a group holding the accounts, named in the profile."""
    rig = await make_rig(emu, tmp_path)
    group = "2802b872-ccfb-4b29-a9a9-459808dfb11b"  # the sample's "CA-BreakGlassAccounts"
    try:
        await names_and_sheets(rig)
        await changes(rig)
        emu.state.members[group] = [a.object_id for a in rig.profile.accounts]
        rig.profile.exclusion_group_id = group
        result = await rig.service.ensure_dedicated_policy()
        users = emu.state.policies[result.policy.id]["conditions"]["users"]
        assert users["includeGroups"] == [group] and not users.get("includeUsers")
        plan = await rig.service.plan_ca()  # a member group it includes: never excluded
        assert result.policy.id not in {c.policy_id for c in plan.changes}
    finally:
        await rig.close()
