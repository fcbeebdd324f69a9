"""Tenants for the audit service and CLI tests: the sample tenant plus two break glass accounts.

Tenants are written as tenant files (the emulator's own format) so each test starts an
emulator on exactly the tenant it needs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from bgwizard.audit.exports import normalize
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator, Fault
from bgwizard.emulator.http.core import Request
from bgwizard.profile.model import BreakGlassAccount, Profile

ROOT: Final = Path(__file__).resolve().parents[2]
SAMPLE: Final[dict[str, Any]] = json.loads(
    (ROOT / "bgwizard" / "data" / "sample_tenant.json").read_text(encoding="utf-8")
)
FIXTURES: Final = ROOT / "tests" / "fixtures" / "audit"
DOMAIN: Final = "contosologistics.onmicrosoft.com"
BG: Final = (
    "b6000001-0000-4000-8000-000000000001",
    "b6000002-0000-4000-8000-000000000002",
)
BG_GROUP: Final = "2802b872-ccfb-4b29-a9a9-459808dfb11b"
"""j0eyv's "CA-BreakGlassAccounts - Exclude" group, in the sample tenant."""
INNER_GROUP: Final = "b6000000-0000-4000-8000-0000000000a1"
AUDIT_APP: Final[dict[str, Any]] = next(a for a in SAMPLE["apps"] if not a.get("publicClient"))
AUDIT_SECRET: Final = str(AUDIT_APP["secret"])
AUDIT_CLIENT_ID: Final = str(AUDIT_APP["appId"])

Tweak = Callable[[dict[str, Any]], None]


def bg_tenant(*tweaks: Tweak) -> dict[str, Any]:
    """The sample tenant with two well-kept break glass accounts in the j0eyv group (nested).

    Args:
        *tweaks: functions that change the tenant dict before it is written.

    Returns:
        The tenant as a dict in the tenant-file format.
    """
    tenant = copy.deepcopy(SAMPLE)
    for n, oid in enumerate(BG, start=1):
        tenant["users"].append(
            {
                "id": oid,
                "userPrincipalName": f"kestrel{n}@{DOMAIN}",
                "displayName": f"Kestrel {n}",
                "passwordPolicies": "DisablePasswordExpiration",
                "password": f"Paper-Sheet-Password-{n}-Xq7",
            }
        )
        tenant["roleAssignments"].append(
            {
                "id": f"ra-bg-{n}",
                "principalId": oid,
                "roleDefinitionId": GLOBAL_ADMIN_ROLE_ID,
                "startDateTime": "2026-01-05T09:00:00Z",  # made through PIM
            }
        )
        tenant.setdefault("authMethods", {})[oid] = [
            {
                "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
                "id": f"fido-bg-{n}",
                "displayName": "YubiKey 5C NFC",
                "model": "YubiKey 5 Series with NFC",
            }
        ]
    tenant["groups"].append({"id": INNER_GROUP, "displayName": "Kestrels", "members": list(BG)})
    group = next(g for g in tenant["groups"] if g["id"] == BG_GROUP)
    group["members"] = [INNER_GROUP]
    for tweak in tweaks:
        tweak(tenant)
    return tenant


def user(tenant: dict[str, Any], oid: str) -> dict[str, Any]:
    """The user dict with object id ``oid``."""
    return next(u for u in tenant["users"] if u["id"] == oid)


def exclude_directly(tenant: dict[str, Any]) -> None:
    """Tweak: every policy excludes both accounts through ``excludeUsers``."""
    for policy in tenant["conditionalAccessPolicies"]:
        users = policy["conditions"]["users"]
        users["excludeUsers"] = [*(users.get("excludeUsers") or []), *BG]


def policies_from(folder: str) -> Tweak:
    """Tweak: replace the CA policies with an exported set (any encoding or casing)."""
    from bgwizard.audit.exports import decode

    def apply(tenant: dict[str, Any]) -> None:
        found: list[dict[str, Any]] = []
        for path in sorted((FIXTURES / folder).rglob("*.json")):
            document = normalize(json.loads(decode(path.read_bytes())))
            items = document.get("conditional_access_policies", document)
            found.extend(items if isinstance(items, list) else [items])
        tenant["conditionalAccessPolicies"] = found

    return apply


def write_tenant(tmp_path: Path, tenant: dict[str, Any]) -> Path:
    """Write ``tenant`` as a tenant file and return its path."""
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(tenant), encoding="utf-8")
    return path


def audit_profile(emu: Emulator, *oids: str) -> Profile:
    """A profile for ``emu`` naming the break glass accounts ``oids`` (both by default)."""
    chosen = oids or BG
    return Profile(
        tenant_id=emu.tenant_id,
        tenant_name="Contoso Logistics",
        initial_domain=DOMAIN,
        authority_host=emu.base_url,
        graph_url=emu.graph_url,
        ca_bundle=str(emu.ca_pem_path),
        demo=True,
        accounts=[
            BreakGlassAccount(
                upn=f"kestrel{BG.index(o) + 1}@{DOMAIN}" if o in BG else o, object_id=o
            )
            for o in chosen
        ],
    )


def drilled(profile: Profile, folder: Path, days_ago: int = 1) -> Profile:
    """``profile`` with a real signed drill log holding a passed drill per account.

    Args:
        profile: the audit profile (its accounts have object ids).
        folder: where the log and the signing key go.
        days_ago: how long ago the drills were.

    Returns:
        The same profile, now naming the log and key.
    """
    import datetime as dt

    from ledger_support import pinned_key

    from bgwizard.drill.model import CHECKLIST, Drill, passed
    from bgwizard.drill.record import DrillRecorder
    from bgwizard.profile.store import TomlProfileStore

    profile.drill_log = str(folder / "drill-log.jsonl")
    profile.signer_key = str(folder / "drill-key")
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    recorder = DrillRecorder(profile, TomlProfileStore(folder / "drill-profile.toml"))
    key = pinned_key(7)
    for account in profile.accounts:
        drill = Drill(account.upn, account.object_id, when)
        for spec in CHECKLIST:
            drill = drill.record(passed(spec.id, "ok", time=when.isoformat()), when)
        recorder.record(drill.finish(when + dt.timedelta(minutes=30)), key, "operator")
    return profile


class Tally(Fault):
    """Counts the Graph requests the emulator receives; answers none of them.

    Add it first (``emu.add_fault``): faults are tried in order. An HTTP request carries a
    ``Host`` header; the inner requests of a ``$batch`` do not.
    """

    def __init__(self) -> None:
        super().__init__(path=r"^/v1\.0/", kind="delay")
        self.http = 0
        """HTTP requests to Graph (a ``$batch`` counts once)."""
        self.inner = 0
        """Requests carried inside batches."""

    def matches(self, request: Request) -> bool:
        """Count ``request`` when it is a Graph request; never claim it."""
        if super().matches(request):
            if request.headers.get("Host"):
                self.http += 1
            else:
                self.inner += 1
        return False
