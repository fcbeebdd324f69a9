"""A set-up process killed (SIGKILL) after the accounts were created and before Global Admin
was assigned; a new process resumes from the profile's journal: one account per UPN, the
role and the Conditional Access exclusions done once, nothing asked again.

The child is a separate Python process running the real services against the emulator this
test serves; it is ended abruptly, with no chance to clean up.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from consented import ALL_SCOPES
from service_support import ADMIN, FAST, SAMPLE, device_sign_in, profile_for
from setup_support import UNDISTURBED, Rig, changes, end_state

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.store import TomlProfileStore
from bgwizard.setup.service import SetupService

CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from bgwizard.sheets.password import generate_password
    from bgwizard.setup.names import suggest_names
    from bgwizard.auth.scopes import scopes_for
    from bgwizard.auth.service import MsalAuthenticator
    from bgwizard.graph.directory import GraphDirectory
    from bgwizard.graph.client import RetryPolicy
    from bgwizard.profile.store import TomlProfileStore
    from bgwizard.setup.service import SetupService

    async def main(path):
        store = TomlProfileStore(Path(path))
        profile = store.load()
        auth = MsalAuthenticator(profile, scopes=scopes_for("set-up"))
        prompt = await auth.start_device_code()
        print("CODE", prompt.user_code, flush=True)
        identity = await auth.finish_device_code(prompt)
        graph = GraphDirectory(profile, auth.credential(), retry=RetryPolicy(3, 0, 20))
        service = SetupService(graph, profile, store, backup_dir=Path(path).parent / "b")
        assert await service.connect(identity) == []
        upns = suggest_names(profile.initial_domain, 2)
        await service.choose_names(upns)
        passwords = {}
        for upn in upns:
            passwords[upn] = generate_password()
            await service.record("sheets", upn)
        for upn in upns:
            await service.create_account(upn, passwords[upn])
        print("CREATED", flush=True)
        time.sleep(600)  # killed here: after creation, before the role step

    asyncio.run(main(sys.argv[1]))
    """
)


@pytest.fixture
async def killed(fresh_emu: Emulator, tmp_path: Path) -> AsyncIterator[Path]:
    """A profile left behind by a set-up process killed after creating the accounts."""
    path = tmp_path / "profile.toml"
    TomlProfileStore(path).save(profile_for(fresh_emu))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first[:1] == ["CODE"], child.stderr.read() if child.stderr else first
        approver = threading.Thread(
            target=fresh_emu.approve_device_code, args=(first[1], ADMIN.upn, ADMIN.password)
        )
        approver.start()
        approver.join()
        line = child.stdout.readline().strip()
        assert line == "CREATED", child.stderr.read() if child.stderr else line
        child.kill()
        assert child.wait(timeout=10) == -9
        yield path
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def test_a_killed_setup_resumes_with_one_account_per_upn(
    killed: Path, fresh_emu: Emulator, tmp_path: Path
) -> None:
    store = TomlProfileStore(killed)
    profile = store.load()
    upns = [a.upn for a in profile.accounts]
    assert all(f"create:{u}" in profile.setup_steps_done for u in upns)
    assert not any(e.startswith("role:") for e in profile.setup_steps_done)

    auth = MsalAuthenticator(profile, scopes=ALL_SCOPES)
    await device_sign_in(auth, fresh_emu, ADMIN)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    service = SetupService(graph, profile, store, backup_dir=tmp_path / "backups")
    rig = Rig(fresh_emu, tmp_path, profile, store, auth, graph, service)
    try:
        assert service.journal.next_step(connected=True) == "passkey"  # issue 16: after create
        assert await service.lost_passwords(in_memory=[]) == []  # created: on paper, fine
        await changes(rig)
        state = await end_state(graph, upns)
    finally:
        await graph.close()
    assert state == {**UNDISTURBED, "policies": len(SAMPLE["conditionalAccessPolicies"])}
    for upn in upns:
        same = [u for u in fresh_emu.state.users.values() if u["userPrincipalName"] == upn]
        assert len(same) == 1
    assert store.load().setup_steps_done.count("ca") == 1
    assert service.journal.next_step(connected=True) == "verify"
