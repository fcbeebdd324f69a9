"""Rebuild the sample tenant's Conditional Access policies from the j0eyv baseline export.

Run from the repository root::

    python -m bgwizard.emulator.tenant.import_fixtures

It reads the IntuneManagement export in
``tests/fixtures/ca-policies/j0eyv-ConditionalAccessBaseline``
(UTF-16 LE or UTF-8 files with BOMs, beta ``@odata.type`` annotations), keeps only properties
Graph v1.0 declares (``tests/fixtures/graph_csdl/graph-v1.0-subset.xml``), adds the export's
groups (same GUIDs, names from ``MigrationTable.json``) to the tenant, puts the Microsoft 365
licence group around "All Staff" and the service account into ``CA-ServiceAccounts``, and
writes ``bgwizard/data/sample_tenant.json``. Running it twice gives the same file.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from pathlib import Path
from typing import Any

from bgwizard.emulator.tenant.csdl import Schema, load_schema, prune

SOURCE = Path("tests/fixtures/ca-policies/j0eyv-ConditionalAccessBaseline")
CSDL = Path("tests/fixtures/graph_csdl/graph-v1.0-subset.xml")
TENANT = Path("bgwizard/data/sample_tenant.json")
#: Sample-tenant members given to groups of the baseline (by display name).
GROUP_MEMBERS = {
    "APP_Microsoft365_E5": ["All Staff"],
    "CA-ServiceAccounts": ["sync_CLDC01_3f9a2b1c@contosologistics.onmicrosoft.com"],
}


def read_export_json(path: Path) -> Any:
    """Read a JSON file as PowerShell writes it: UTF-16 LE/BE or UTF-8, with or without BOM."""
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return json.loads(raw.decode("utf-16"))
    return json.loads(raw.decode("utf-8-sig"))


def convert_policy(schema: Schema, raw: dict[str, Any]) -> dict[str, Any]:
    """A beta export policy in Graph v1.0 shape (unknown properties and annotations dropped)."""
    policy: dict[str, Any] = prune(schema, "conditionalAccessPolicy", raw)
    grant = policy.get("grantControls")
    if isinstance(grant, dict) and grant.get("authenticationStrength") is not None:
        strength = grant["authenticationStrength"]
        grant["authenticationStrength"] = {
            k: strength.get(k)
            for k in (
                "id",
                "displayName",
                "description",
                "policyType",
                "requirementsSatisfied",
                "allowedCombinations",
            )
            if k in strength
        }
    return policy


def baseline_groups(source: Path) -> list[dict[str, Any]]:
    """The baseline's groups: id, name and description from its Groups/ export."""
    names = {
        o["Id"]: o["DisplayName"]
        for o in read_export_json(source / "MigrationTable.json")["Objects"]
    }
    groups: list[dict[str, Any]] = []
    for path in sorted((source / "Groups").glob("*.json")):
        raw = read_export_json(path)
        if raw["id"] in names and all(g["id"] != raw["id"] for g in groups):
            groups.append(
                {
                    "id": raw["id"],
                    "displayName": names[raw["id"]],
                    "description": raw.get("description"),
                    "mailNickname": raw.get("mailNickname"),
                    "securityEnabled": True,
                    "mailEnabled": False,
                    "isAssignableToRole": raw.get("isAssignableToRole"),
                    "createdDateTime": raw.get("createdDateTime"),
                    "members": [],
                }
            )
    return sorted(groups, key=lambda g: g["displayName"])


def rebuild(tenant: dict[str, Any], source: Path, schema: Schema) -> dict[str, Any]:
    """``tenant`` with its CA policies and baseline groups regenerated from ``source``."""
    policies = [
        convert_policy(schema, read_export_json(p))
        for p in sorted((source / "ConditionalAccess").glob("*.json"))
    ]
    imported = baseline_groups(source)
    imported_ids = {g["id"] for g in imported}
    own = [g for g in tenant.get("groups", []) if g["id"] not in imported_ids]
    by_name = {g["displayName"]: g["id"] for g in own}
    users = {u["userPrincipalName"]: u["id"] for u in tenant.get("users", [])}
    for group in imported:
        refs = GROUP_MEMBERS.get(group["displayName"], [])
        group["members"] = [by_name.get(r) or users[r] for r in refs]
    return {**tenant, "groups": own + imported, "conditionalAccessPolicies": policies}


def main(argv: list[str] | None = None) -> int:
    """Command line entry: rewrite the tenant file in place."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--csdl", type=Path, default=CSDL)
    parser.add_argument("--tenant", type=Path, default=TENANT)
    args = parser.parse_args(argv)
    tenant = json.loads(args.tenant.read_text(encoding="utf-8"))
    result = rebuild(tenant, args.source, load_schema(args.csdl))
    args.tenant.write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(
        f"{args.tenant}: {len(result['conditionalAccessPolicies'])} policies, "
        f"{len(result['groups'])} groups."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
