"""The CA rule's matching data against the audit records the emulator writes for real PATCHes.

bgwizard changes a Conditional Access policy through the real msgraph-sdk; the emulator logs a
``directoryAudit`` the way its ground truth says Entra does (``Update conditional access
policy``, the changed keys old and new under ``ConditionalAccessPolicy``). Read back raw over
HTTPS and shaped as a Log Analytics ``AuditLogs`` row (``OperationName`` ← ``activityDisplayName``,
``TargetResources`` ← ``targetResources``, same inner shape), each record must be selected by
``ca-policy-updated`` exactly when the change weakens the break glass accounts' cover.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
from consented import ALL_SCOPES, consented
from service_support import ADMIN, FAST, device_sign_in, profile_for

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.monitoring import matching as m
from bgwizard.monitoring.rules import SPECS

#: The sample tenant's break glass exclusion group ("CA-BreakGlassAccounts - Exclude").
EXCLUSION_GROUP = "2802b872-ccfb-4b29-a9a9-459808dfb11b"
POLICY = "19bbdbd4-d871-4964-a6ef-9b3054b9337c"  # CA001 … BLOCK-CountryWhitelist
UPDATED = next(s.conditions for s in SPECS if s.key == "ca-policy-updated")
WATCHED = m.Watched(
    object_ids=("00000000-0000-4000-8000-00000000b001",),
    upns=("bg@contoso.onmicrosoft.com",),
    group_ids=(EXCLUSION_GROUP,),
)


def la_row(record: dict[str, Any]) -> dict[str, Any]:
    """A Graph ``directoryAudit`` as the Log Analytics ``AuditLogs`` row Entra exports."""
    return {
        "OperationName": record["activityDisplayName"],
        "Category": record.get("category"),
        "Result": record.get("result"),
        "InitiatedBy": record.get("initiatedBy"),
        "TargetResources": record.get("targetResources") or [],
    }


async def ca_updates(emu: Emulator, auth: MsalAuthenticator) -> list[dict[str, Any]]:
    token, _ = auth.token()
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=str(emu.ca_pem_path)), trust_env=False
    ) as client:
        response = await client.get(
            f"{emu.graph_url}/auditLogs/directoryAudits",
            headers={"Authorization": f"Bearer {token}"},
        )
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["value"]
    return sorted(
        (r for r in records if r["activityDisplayName"] == "Update conditional access policy"),
        key=lambda r: r["activityDateTime"],
    )


async def test_emulator_ca_audit_records_fire_only_when_the_cover_weakens() -> None:
    with consented(Emulator()) as emu:
        auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
        await device_sign_in(auth, emu, ADMIN)
        graph = GraphDirectory(profile_for(emu), auth.credential(), retry=FAST)
        try:
            policy = await graph.get_ca_policy(POLICY)
            assert EXCLUSION_GROUP in policy.exclude_groups
            users = dict(policy.raw["conditions"]["users"])
            await graph.patch_ca_policy(POLICY, {"displayName": policy.display_name + " (v2)"})
            await graph.patch_ca_policy(POLICY, {"state": "enabledForReportingButNotEnforced"})
            await graph.patch_ca_policy(POLICY, {"state": "enabled"})
            users["excludeGroups"] = [g for g in users["excludeGroups"] if g != EXCLUSION_GROUP]
            await graph.patch_ca_policy(POLICY, {"conditions": {"users": users}})
            records = await ca_updates(emu, auth)
        finally:
            await graph.close()
    assert len(records) == 4  # a fresh emulator: only the four PATCHes above
    fired = [m.selects(UPDATED, "AuditLogs", la_row(r), WATCHED) for r in records]
    # rename: no; to report-only: no; back to enabled: yes; exclusion group removed: yes
    assert fired == [False, False, True, True]
    without_group = m.Watched(WATCHED.object_ids, WATCHED.upns)
    assert m.selects(UPDATED, "AuditLogs", la_row(records[-1]), without_group)
