"""Helpers for the set-up wizard's service tests: a signed-in rig on an emulator, the whole
set-up run headless (as the screens run it), and the end state read back through Graph."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from consented import ALL_SCOPES
from service_support import ADMIN, FAST, device_sign_in, profile_for

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.errors import LicenceMissing
from bgwizard.graph.ca_scope import applies_to_members
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore
from bgwizard.secret import Secret
from bgwizard.setup.names import suggest_names
from bgwizard.setup.service import SetupService
from bgwizard.setup.verify import SignInVerifier, VerifiedSignIn
from bgwizard.sheets.password import generate_password

INITIAL = "contosologistics.onmicrosoft.com"


@dataclass
class Rig:
    """An admin signed in to an emulator, a profile on disk, the set-up service."""

    emu: Emulator
    tmp: Path
    profile: Profile
    store: TomlProfileStore
    auth: MsalAuthenticator
    graph: GraphDirectory
    service: SetupService
    passwords: dict[str, Secret] = field(default_factory=dict)

    async def close(self) -> None:
        await self.graph.close()

    def reload(self) -> SetupService:
        """A new service on the profile as saved (what a restarted app would have)."""
        self.profile = self.store.load()
        self.service = SetupService(
            self.graph, self.profile, self.store, backup_dir=self.tmp / "backups"
        )
        return self.service


async def make_rig(emu: Emulator, tmp: Path) -> Rig:
    """Sign the sample admin in and build the service on a fresh profile file."""
    profile = profile_for(emu)
    store = TomlProfileStore(tmp / "profile.toml")
    store.save(profile)
    auth = MsalAuthenticator(profile, scopes=ALL_SCOPES)
    await device_sign_in(auth, emu, ADMIN)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    service = SetupService(graph, profile, store, backup_dir=tmp / "backups")
    return Rig(emu, tmp, profile, store, auth, graph, service)


async def verify(rig: Rig, upn: str, password: str) -> VerifiedSignIn:
    """Sign ``upn`` in on a separate session, typing ``password`` at the emulator."""
    verifier = SignInVerifier(rig.profile, rig.auth.separate, retry=FAST)
    prompt = await verifier.start(upn)
    ok: list[bool] = []
    thread = threading.Thread(
        target=lambda: ok.append(rig.emu.approve_device_code(prompt.user_code, upn, password))
    )
    thread.start()
    thread.join()
    if not ok[0]:
        verifier.cancel(prompt)
    try:
        return await verifier.finish(prompt)
    finally:
        verifier.close()


async def names_and_sheets(rig: Rig, count: int = 2) -> list[str]:
    """Steps 1-3 headless: connect, names, a password per account (the sheet's stand-in)."""
    service = rig.service
    assert rig.auth.identity is not None
    assert await service.connect(rig.auth.identity) == []
    upns = suggest_names(rig.profile.initial_domain, count)
    assert await service.check_names(upns) == []
    await service.choose_names(upns, ["Alex Doe"])
    for upn in upns:
        rig.passwords[upn] = generate_password()
        await service.record("sheets", upn)
    return upns


async def changes(rig: Rig) -> None:
    """Steps 4-6 headless: create, Global Administrator, Conditional Access (the passkey and
    exclusion steps journaled as done until their services land; the dedicated policy
    declined, so the end state is the tenant's own policies)."""
    service = rig.service
    for upn in service.journal.pending_accounts("create"):
        await service.create_account(upn, rig.passwords.get(upn))
    for upn in service.journal.pending_accounts("passkey"):
        await service.record("passkey", upn)
    for upn in service.journal.pending_accounts("role"):
        await service.ensure_global_admin(upn)
    if not service.journal.is_done("exclusion"):
        await service.record("exclusion")
    if not service.journal.is_done("ca"):
        await service.apply_ca(await service.plan_ca())
    if not service.journal.is_done("policy"):
        await service.decline_dedicated_policy()


async def verify_all(rig: Rig) -> None:
    """Steps 7-9 headless: each account signs in with its password, the dedicated policy's
    switch-on step, methods, summary."""
    service = rig.service
    for upn in service.journal.pending_accounts("verify"):
        proof = await verify(rig, upn, rig.passwords[upn].reveal())
        await service.accept_sign_in(upn, proof.identity, proof.policies_read)
    if not service.journal.is_done("enforce"):
        await service.enforce_dedicated_policy()
    await service.review_methods()
    await service.finish()


async def run_setup(rig: Rig) -> list[str]:
    """The whole set-up headless; the UPNs made."""
    upns = await names_and_sheets(rig)
    await changes(rig)
    await verify_all(rig)
    return upns


async def end_state(graph: GraphDirectory, upns: list[str]) -> dict[str, object]:
    """The tenant as Graph reads it: users per UPN, GA assignments, policies missing one."""
    ids = []
    users = {}
    for upn in upns:
        found = await graph.find_user_by_upn(upn)
        users[upn] = found
        if found is not None:
            ids.append(found.id)
    assignments = {
        i: [
            (a.directory_scope_id, a.role_definition_id)
            for a in await graph.list_role_assignments(i, GLOBAL_ADMIN_ROLE_ID)
        ]
        for i in ids
    }
    ends = {}
    for i in ids:
        try:
            schedules = await graph.list_role_assignment_schedules(i)
        except LicenceMissing:  # no PIM (no Entra ID P2): no schedule, so no end
            schedules = []
        ends |= {
            s.principal_id: s.end for s in schedules if s.role_definition_id == GLOBAL_ADMIN_ROLE_ID
        }
    policies = await graph.list_ca_policies()
    # Policies that cannot reach a member (workload identities, guests only) get no exclusion.
    reach = [p for p in policies if applies_to_members(p)]
    missing = sorted(p.display_name for p in reach if not all(i in p.exclude_users for i in ids))
    needless = sorted(
        p.display_name for p in policies if p not in reach and set(ids) & set(p.exclude_users)
    )
    return {
        "users": {
            u: (v is not None and v.account_enabled, v and v.password_never_expires)
            for u, v in users.items()
        },
        "ga": {upns[ids.index(k)]: v for k, v in assignments.items()},
        "ends": {upns[ids.index(k)]: v for k, v in ends.items()},
        "policies": len(policies),
        "missing": missing,
        "needless": needless,
    }


UNDISTURBED = {
    "ga": {u: [("/", GLOBAL_ADMIN_ROLE_ID)] for u in suggest_names(INITIAL, 2)},
    "ends": {u: None for u in suggest_names(INITIAL, 2)},
    "missing": [],
    "needless": [],
    "users": {u: (True, True) for u in suggest_names(INITIAL, 2)},
}
"""What an undisturbed set-up leaves (plus ``policies``: every one of the tenant)."""
