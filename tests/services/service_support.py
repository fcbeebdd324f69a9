"""Helpers for the msal and Graph service tests: sample tenant people, profiles, sign-in.

Signing in goes through the real device code flow, approved through the emulator from a
thread while msal polls.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consented import ALL_SCOPES

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.graph.client import RetryPolicy
from bgwizard.profile.model import Profile

SAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "bgwizard" / "data" / "sample_tenant.json").read_text()
)
FAST = RetryPolicy(max_retries=3, delay=0, timeout=20)
"""kiota's real retry handler with no base delay, so 429 tests take ~1 s, not ~10 s."""


@dataclass(frozen=True)
class Person:
    """A user of the sample tenant and the password the tenant file gives them."""

    id: str
    upn: str
    password: str


def _person(user: dict[str, Any]) -> Person:
    return Person(user["id"], user["userPrincipalName"], user["password"])


def _sample_admin() -> Person:
    return _person(next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("admin@")))


def _sample_nobody() -> Person:
    """A member with no directory role, active or eligible: the low-privilege user."""
    privileged = {a["principalId"] for a in SAMPLE["roleAssignments"]}
    privileged |= {e["principalId"] for e in SAMPLE.get("roleEligibilities", [])}
    return _person(
        next(
            u
            for u in SAMPLE["users"]
            if u["id"] not in privileged
            and u.get("userType", "Member") == "Member"
            and not u.get("onPremisesSyncEnabled")
            and "#EXT#" not in u["userPrincipalName"]
            and u.get("accountEnabled", True)
        )
    )


ADMIN = _sample_admin()
NOBODY = _sample_nobody()
AUDIT_APP: dict[str, Any] = next(a for a in SAMPLE["apps"] if not a.get("publicClient"))
AUDIT_PEM = Path(__file__).parents[2] / "bgwizard" / "data" / "sample_audit_app.pem"


def profile_for(emu: Emulator) -> Profile:
    """The profile bgwizard uses for the emulator."""
    return Profile(
        tenant_id=emu.tenant_id,
        authority_host=emu.base_url,
        graph_url=emu.graph_url,
        ca_bundle=str(emu.ca_pem_path),
        client_id=emu.public_client_id,
        demo=True,
    )


async def device_sign_in(
    auth: MsalAuthenticator, emu: Emulator, who: Person, *, hint: str | None = None
) -> None:
    """Sign ``who`` in through the device code flow, approving from another thread."""
    prompt = await auth.start_device_code(login_hint=hint)
    approved: list[bool] = []

    def approve() -> None:
        approved.append(emu.approve_device_code(prompt.user_code, who.upn, who.password))
        if not approved[-1]:
            auth.cancel(prompt)  # refused: stop msal polling until the code expires

    approver = threading.Thread(target=approve)
    approver.start()
    try:
        await auth.finish_device_code(prompt)
    finally:
        approver.join()
    assert approved == [True]


def signed_in(emu: Emulator, who: Person) -> MsalAuthenticator:
    """A fresh authenticator with ``who`` signed in (runs its own event loop)."""
    return asyncio.run(sign_in(emu, who))


async def sign_in(emu: Emulator, who: Person) -> MsalAuthenticator:
    """A fresh authenticator with ``who`` signed in."""
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, emu, who)
    return auth


def ca_policy(n: int, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A Conditional Access policy in Graph's shape, numbered ``n``."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "displayName": f"Test policy {n:02d}",
        "state": "enabledForReportingButNotEnforced" if n % 2 else "enabled",
        "conditions": {
            "users": {
                "includeUsers": ["All"],
                "excludeUsers": list(exclude),
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": [],
                "excludeRoles": [],
            },
            "applications": {"includeApplications": ["All"]},
            "clientAppTypes": ["all"],
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
    }


def tenant_with_policies(directory: Path, count: int) -> Path:
    """The sample tenant with ``count`` test policies instead of its own, as a file."""
    tenant = json.loads(json.dumps(SAMPLE))
    tenant["conditionalAccessPolicies"] = [
        ca_policy(n, exclude=(ADMIN.id,) if n % 3 == 0 else ()) for n in range(count)
    ]
    path = directory / "tenant.json"
    path.write_text(json.dumps(tenant))
    return path
