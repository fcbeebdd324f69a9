"""Issue 16's "done when", each as one headless set-up against the emulator with the real msal
and msgraph-sdk, read back through Graph and then audited:

- the P2 sample tenant: two accounts, each with a device-bound passkey from the software
  authenticator; both excluded directly from exactly the policies that can apply; the dedicated
  phishing-resistant policy on; Global Administrator through PIM; the audit passes;
- the same on a P1 tenant, with the direct role assignment;
- the protected-group choice: a role-assignable group holding exactly the two accounts, excluded
  instead of them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from consented import consented
from service_support import SAMPLE
from setup_support import Rig, changes, make_rig, names_and_sheets, verify_all

from bgwizard.audit.model import AuditReport
from bgwizard.audit.service import AuditService
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator
from bgwizard.graph.ca_scope import requires_phishing_resistant, scope
from bgwizard.graph.model import CaPolicy
from bgwizard.setup.checks import RoleStatus

GROUP = "Tenant continuity T0"


@pytest.fixture
def p1_emu(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant with Entra ID P1 only: no PIM."""
    tenant = copy.deepcopy(SAMPLE)
    tenant["tenant"]["licence"] = "p1"
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(tenant))
    with consented(Emulator(tenant_file=path)) as emulator:
        yield emulator


async def _set_up(rig: Rig, *, group: bool = False) -> list[str]:
    """The whole set-up headless, with the protected group when ``group``."""
    upns = await names_and_sheets(rig)
    if group:  # the exclusion step is chosen before the other changes run it by default
        for upn in upns:
            await rig.service.create_account(upn, rig.passwords[upn])
        await rig.service.set_up_protected_group(GROUP)
    await changes(rig)
    await verify_all(rig)
    return upns


def _check_audit(report: AuditReport) -> None:
    assert report.result == "pass" and report.exit_code == 0, report.problems
    by_rule = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule, []).append(finding.severity)
    assert by_rule["auth.strong_method"] == ["ok", "ok"]
    assert by_rule["ca.dedicated_policy"] == ["ok"]
    assert "error" not in by_rule["ca.exclusion"] and "warning" not in by_rule["ca.exclusion"]


async def _check_keys(rig: Rig) -> None:
    """Each account: one device-bound passkey, listed by Graph and recorded in the profile."""
    for item in rig.profile.accounts:
        assert item.strong_method == "passkey"
        methods = await rig.graph.list_auth_methods(item.object_id)
        listed = [m.id for m in methods if m.kind == "fido2"]
        assert [k.method_id for k in item.security_keys] == listed and len(listed) == 1


def _check_direct_exclusions(policies: list[CaPolicy], ids: list[str]) -> None:
    """Excluded directly from exactly the policies that can apply: no more, no fewer."""
    for policy in policies:
        excluded = set(ids) & set(policy.exclude_users)
        wanted = set(ids) if scope(policy, ids) == "applies" else set()
        assert excluded == wanted, policy.display_name


def _check_dedicated(policies: list[CaPolicy], rig: Rig, *, group: str = "") -> None:
    """The dedicated policy: on, phishing-resistant, aimed at exactly the accounts (or group)."""
    ids = [a.object_id for a in rig.profile.accounts]
    (dedicated,) = [p for p in policies if p.id == rig.profile.dedicated_policy_id]
    assert dedicated.state == "enabled" and requires_phishing_resistant(dedicated)
    if group:
        assert list(dedicated.include_groups) == [group] and not dedicated.include_users
    else:
        assert sorted(dedicated.include_users) == sorted(ids) and not dedicated.include_groups
    assert not set(ids) & set(dedicated.exclude_users) and group not in dedicated.exclude_groups


@dataclass
class Outcome:
    """A finished set-up as read back: the rig, the policies, each account's GA, the audit."""

    rig: Rig
    upns: list[str]
    policies: list[CaPolicy]
    statuses: list[RoleStatus]
    report: AuditReport


async def _run(emu: Emulator, tmp_path: Path, *, group: bool = False) -> Outcome:
    """Set up, read the tenant back (keys checked on the way), audit."""
    rig = await make_rig(emu, tmp_path)
    try:
        upns = await _set_up(rig, group=group)
        policies = await rig.graph.list_ca_policies()
        statuses = [await rig.service.role_status(a.object_id) for a in rig.profile.accounts]
        await _check_keys(rig)
        report = await AuditService(rig.graph, rig.profile).run()
    finally:
        await rig.close()
    return Outcome(rig, upns, policies, statuses, report)


async def test_p2_tenant_passkeys_direct_exclusion_dedicated_policy_on_pim_audit_passes(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    done = await _run(fresh_emu, tmp_path)
    rig, upns, policies, statuses, report = (
        done.rig,
        done.upns,
        done.policies,
        done.statuses,
        done.report,
    )
    ids = [a.object_id for a in rig.profile.accounts]
    assert len(upns) == 2 and len(ids) == 2
    assert all(rig.service.journal.is_done("sheets", u) for u in upns)
    _check_direct_exclusions(policies, ids)
    _check_dedicated(policies, rig)
    assert all(s.through_pim and s.permanent for s in statuses)
    _check_audit(report)
    pim = [f for f in report.findings if f.rule == "role.pim"]
    assert [f.severity for f in pim] == ["ok", "ok"]


async def test_p1_tenant_same_set_up_with_the_direct_role_assignment(
    p1_emu: Emulator, tmp_path: Path
) -> None:
    done = await _run(p1_emu, tmp_path)
    rig, policies, statuses, report = done.rig, done.policies, done.statuses, done.report
    ids = [a.object_id for a in rig.profile.accounts]
    _check_direct_exclusions(policies, ids)
    _check_dedicated(policies, rig)
    assert all(s.permanent and not s.through_pim for s in statuses)
    direct = [
        a
        for a in p1_emu.state.role_assignments.values()
        if a["principalId"] in ids and a["roleDefinitionId"] == GLOBAL_ADMIN_ROLE_ID
    ]
    assert len(direct) == 2
    _check_audit(report)


async def test_protected_group_holds_exactly_the_accounts_and_is_excluded_instead(
    fresh_emu: Emulator, tmp_path: Path
) -> None:
    done = await _run(fresh_emu, tmp_path, group=True)
    rig, policies, report = done.rig, done.policies, done.report
    ids = sorted(a.object_id for a in rig.profile.accounts)
    group_id = rig.profile.exclusion_group_id
    group = fresh_emu.state.groups[group_id]
    assert group["isAssignableToRole"] is True and group["securityEnabled"] is True
    assert sorted(fresh_emu.state.members[group_id]) == ids
    for policy in policies:
        reach = scope(policy, ids, (group_id,))
        assert not set(ids) & set(policy.exclude_users), policy.display_name  # the group instead
        assert (group_id in policy.exclude_groups) == (reach == "applies"), policy.display_name
    _check_dedicated(policies, rig, group=group_id)
    _check_audit(report)
