"""Helpers for drill tests: break glass accounts created in the emulator through Graph."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from dataclasses import dataclass

from service_support import FAST, profile_for

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.drill.service import DrillChecks, DrillGateway
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.passkeys.service import PasskeyGraph, enrol_key
from bgwizard.passkeys.soft_key import SoftKey
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.secret import Secret

BG_PASSWORD = "Vq7#tLm2-Xr9!pWz4&Hs"


@dataclass(frozen=True)
class BreakGlass:
    """The emulated tenant with break glass accounts set up as the wizard would."""

    profile: Profile
    accounts: tuple[BreakGlassAccount, ...]


async def set_up_break_glass(
    emu: Emulator,
    graph: GraphDirectory,
    count: int = 2,
    *,
    exclude: bool = True,
    passkey: bool = True,
) -> BreakGlass:
    """Create ``count`` cloud-only accounts with Global Administrator and a current sheet each,
    excluded from every Conditional Access policy (unless ``exclude`` is False), each with a
    device-bound passkey on a software key (unless ``passkey`` is False: the audit calls a
    password-only account an error)."""
    info = await graph.tenant_info()
    accounts = []
    for n in range(1, count + 1):
        upn = f"ea-{n:02d}-k7q@{info.initial_domain}"
        outcome = await graph.create_user(upn, f"EA {n:02d}", Secret(BG_PASSWORD))
        await graph.assign_role(outcome.user.id)
        sheets = [
            SheetRecord(f"OLD{n}-0001", dt.date(2025, 10, 1), retired=dt.date(2026, 1, 2)),
            SheetRecord(f"CUR{n}-0002", dt.date(2026, 1, 2)),
        ]
        accounts.append(BreakGlassAccount(upn, outcome.user.id, sheets=sheets))
        if passkey:
            key = SoftKey(pin="48151623")
            await enrol_key(
                PasskeyGraph(graph.connection),
                key,
                user_id=outcome.user.id,
                label=f"BG key {n}",
                pin=Secret("48151623"),
            )
    ids = [a.object_id for a in accounts]
    for policy in await graph.list_ca_policies() if exclude else []:
        users = dict(policy.raw.get("conditions", {}).get("users", {}))
        users["excludeUsers"] = [*users.get("excludeUsers", []), *ids]
        await graph.patch_ca_policy(policy.id, {"conditions": {"users": users}})
    profile = profile_for(emu)
    profile.tenant_name, profile.initial_domain = info.display_name, info.initial_domain
    profile.accounts = list(accounts)
    return BreakGlass(profile, tuple(accounts))


def graph_factory(profile: Profile, credential: object) -> DrillGateway:
    """GraphDirectory with fast retries, for the drill's break glass credential."""
    return GraphDirectory(profile, credential, retry=FAST)  # type: ignore[arg-type]


def drill_checks(setup: BreakGlass, index: int = 0) -> DrillChecks:
    """Drill checks for one account with a separate authenticator."""
    auth = MsalAuthenticator(setup.profile).separate()
    return DrillChecks(setup.profile, setup.accounts[index], auth, gateway_factory=graph_factory)


async def sign_in_as(emu: Emulator, checks: DrillChecks, upn: str, password: str) -> list[object]:
    """Start the drill's sign-in and approve it in the emulator as ``upn`` from a thread."""
    prompt = await checks.start_sign_in()
    approved: list[bool] = []
    approver = threading.Thread(
        target=lambda: approved.append(emu.approve_device_code(prompt.user_code, upn, password))
    )
    approver.start()
    if not await asyncio.to_thread(_wait, approver) or not approved[0]:
        checks.cancel_sign_in(prompt)
    results = await checks.finish_sign_in(prompt)
    return list(results)


def _wait(thread: threading.Thread) -> bool:
    thread.join()
    return True


def remove_global_admin(emu: Emulator, object_id: str) -> int:
    """Remove the account's role assignments in the emulator (as another admin would)."""
    with emu.state.lock:
        gone = [k for k, a in emu.state.role_assignments.items() if a["principalId"] == object_id]
        for key in gone:
            del emu.state.role_assignments[key]
    return len(gone)
