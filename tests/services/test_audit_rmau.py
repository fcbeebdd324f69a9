"""Issue 16: an exclusion through a group in the restricted management administrative unit the
profile names counts as protected (only admins scoped to the unit change its members), like a
role-assignable group; the same group outside a restricted unit stays a warning. Against the
emulator, app-only, with the real msal and msgraph-sdk."""

from __future__ import annotations

from typing import Any

import pytest
from audit_support import (
    AUDIT_CLIENT_ID,
    AUDIT_SECRET,
    BG_GROUP,
    audit_profile,
    bg_tenant,
)

from bgwizard.audit.model import AuditReport
from bgwizard.audit.service import AuditService
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.graph.client import RetryPolicy
from bgwizard.graph.directory import GraphDirectory

UNIT = "b6000000-0000-4000-8000-0000000000c1"
FAST = RetryPolicy(max_retries=1, delay=0)


def _tenant(*, restricted: bool, member: bool = True, permission: bool = True) -> dict[str, Any]:
    """The audit tenant (accounts excluded through the j0eyv group) with a unit holding it."""

    def unit(tenant: dict[str, Any]) -> None:
        tenant["administrativeUnits"] = [
            {
                "id": UNIT,
                "displayName": "Tier 0 continuity",
                "isMemberManagementRestricted": restricted,
                "members": [BG_GROUP] if member else [],
            }
        ]
        app = next(a for a in tenant["apps"] if not a.get("publicClient"))
        if permission:
            app["applicationPermissions"].append("AdministrativeUnit.Read.All")

    return bg_tenant(unit)


async def _audit(emu: Emulator) -> AuditReport:
    profile = audit_profile(emu)
    profile.exclusion_group_id, profile.exclusion_rmau_id = BG_GROUP, UNIT
    auth = AppOnlyAuthenticator(profile, AUDIT_CLIENT_ID, secret=AUDIT_SECRET)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    try:
        return await AuditService(graph, profile).run()
    finally:
        await graph.close()


def _via_group(report: AuditReport) -> list[tuple[str, str]]:
    return [
        (f.severity, f.message)
        for f in report.findings
        if f.rule == "ca.exclusion" and "through group" in f.message
    ]


async def test_a_group_in_the_restricted_unit_counts_as_protected(start: Any) -> None:
    report = await _audit(start(_tenant(restricted=True)))
    found = _via_group(report)
    assert found and all(severity == "ok" for severity, _ in found)
    assert all("restricted management unit Tier 0 continuity" in m for _, m in found)
    assert report.not_checked == ()


@pytest.mark.parametrize(
    ("restricted", "member"), [(False, True), (True, False)], ids=["unit-not-restricted", "not-in"]
)
async def test_an_ordinary_unit_or_a_group_outside_it_is_still_a_warning(
    start: Any, restricted: bool, member: bool
) -> None:
    report = await _audit(start(_tenant(restricted=restricted, member=member)))
    found = _via_group(report)
    assert found and all(severity == "warning" for severity, _ in found)
    assert not any("restricted management unit" in m for _, m in found)


async def test_a_unit_that_cannot_be_read_is_reported_not_assumed(start: Any) -> None:
    report = await _audit(start(_tenant(restricted=True, permission=False)))
    assert all(severity == "warning" for severity, _ in _via_group(report))
    reasons = [f.message for f in report.not_checked]
    assert any("AdministrativeUnit.Read.All" in r for r in reasons), reasons
