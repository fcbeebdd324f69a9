"""Builders of audit snapshots for the audit unit tests: a tenant that passes, and tweaks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, Final

from bgwizard.audit.model import AccountSnapshot, AuditSnapshot, DrillRecord
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.graph.model import (
    AuthMethod,
    CaPolicy,
    DirectoryUser,
    RoleAssignment,
    RoleSchedule,
)
from bgwizard.profile.model import BreakGlassAccount

NOW: Final = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
PIM_START: Final = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
"""When the good tenant's Global Administrator assignments were made through PIM."""
DOMAIN: Final = "contosologistics.onmicrosoft.com"
IDS: Final = ("11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002")
FIXTURES: Final = Path(__file__).resolve().parents[1] / "fixtures" / "audit"
J0EYV_BG_GROUP: Final = "2802b872-ccfb-4b29-a9a9-459808dfb11b"


def user(oid: str, n: int) -> DirectoryUser:
    """A well-kept break glass user."""
    return DirectoryUser(
        id=oid,
        upn=f"kestrel{n}@{DOMAIN}",
        display_name=f"Kestrel {n}",
        account_enabled=True,
        password_policies="DisablePasswordExpiration",
        on_premises_sync_enabled=None,
        user_type="Member",
    )


def account(n: int = 1, **changes: Any) -> AccountSnapshot:
    """An account snapshot that passes every rule; ``changes`` replace fields."""
    oid = IDS[n - 1]
    snap = AccountSnapshot(
        account=BreakGlassAccount(upn=f"kestrel{n}@{DOMAIN}", object_id=oid),
        user=user(oid, n),
        last_success=None,
        groups=(),
        assignments=(RoleAssignment(f"ra{n}", oid, GLOBAL_ADMIN_ROLE_ID, "/"),),
        eligibilities=(),
        schedules=(
            # Made through PIM: an active schedule with a start and no end.
            RoleSchedule(
                f"rs{n}",
                "active",
                oid,
                GLOBAL_ADMIN_ROLE_ID,
                start=PIM_START,
                assignment_type="Assigned",
            ),
        ),
        methods=(
            AuthMethod("pw", "password"),
            AuthMethod(f"fido{n}", "fido2", "YubiKey 5C NFC"),
        ),
    )
    return dataclasses.replace(snap, **changes)


def policy(
    name: str = "Require MFA",
    state: str = "enabled",
    *,
    pid: str = "",
    include_users: tuple[str, ...] = ("All",),
    exclude_users: tuple[str, ...] = IDS,
    **users: Any,
) -> CaPolicy:
    """A policy in Graph JSON, excluding both accounts directly unless told otherwise."""
    conditions_users: dict[str, Any] = {
        "includeUsers": list(include_users),
        "excludeUsers": list(exclude_users),
    }
    conditions_users.update({k: list(v) for k, v in users.items()})
    return CaPolicy.from_graph(
        {
            "id": pid or f"pol-{name.replace(' ', '-').lower()}",
            "displayName": name,
            "state": state,
            "conditions": {"users": conditions_users},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        }
    )


def dedicated() -> CaPolicy:
    """The dedicated break glass policy: both accounts, phishing-resistant strength, on."""
    return CaPolicy.from_graph(
        {
            "id": "pol-bg-phishing-resistant",
            "displayName": "Break glass: phishing-resistant MFA",
            "state": "enabled",
            "conditions": {"users": {"includeUsers": list(IDS)}},
            "grantControls": {
                "operator": "OR",
                "authenticationStrength": {"id": "00000000-0000-0000-0000-000000000004"},
            },
        }
    )


def snapshot(**changes: Any) -> AuditSnapshot:
    """A tenant that passes: two good accounts, one policy excluding both, the dedicated
    phishing-resistant policy, a recent drill."""
    snap = AuditSnapshot(
        now=NOW,
        accounts=(account(1), account(2)),
        policies=(policy(), dedicated()),
        initial_domain=DOMAIN,
        tenant_id="c0a8e5b2-4d1f-4e7a-9b3c-5f2d8a6e1b74",
        tenant_name="Contoso Logistics",
        drills=(DrillRecord(IDS[0], NOW - dt.timedelta(days=10)),),
        global_admins=tuple(
            RoleAssignment(f"ra{n}", oid, GLOBAL_ADMIN_ROLE_ID, "/") for n, oid in enumerate(IDS)
        ),
    )
    return dataclasses.replace(snap, **changes)
