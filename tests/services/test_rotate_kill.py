"""A rotation process killed (SIGKILL) right after Graph accepted the new password and before
the profile recorded it; a new process sees the pending rotation in the profile (the old
serial still current), and finishing it — a sign-in with the new password — records the new
serial and retires the old one.

The child is a separate Python process running the real services against the emulator this
test serves; it is ended abruptly, with no chance to clean up.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from service_support import ADMIN
from setup_support import Rig, make_rig, verify

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator
from bgwizard.errors import AuthError
from bgwizard.profile.model import BreakGlassAccount, SheetRecord
from bgwizard.rotation.service import RotationService
from bgwizard.screens.widgets.status import OVERDUE_MARK, status_lines
from bgwizard.sheets.password import generate_password

UPN = "svc-iam-recovery01@contosologistics.onmicrosoft.com"
OLD_SERIAL = "S-OLD-0001"
NEW_SERIAL = "S-NEW-0002"
OLD_DAY = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 11, 27)

CHILD = textwrap.dedent(
    """
    import asyncio, datetime, os, sys, time
    from pathlib import Path
    from bgwizard.profile.model import SheetRecord
    from bgwizard.secret import Secret
    from bgwizard.auth.scopes import scopes_for
    from bgwizard.auth.service import MsalAuthenticator
    from bgwizard.graph.directory import GraphDirectory
    from bgwizard.graph.client import RetryPolicy
    from bgwizard.profile.store import TomlProfileStore
    from bgwizard.rotation.service import RotationService

    async def main(path, upn, serial):
        store = TomlProfileStore(Path(path))
        profile = store.load()
        auth = MsalAuthenticator(profile, scopes=scopes_for("rotation"))
        prompt = await auth.start_device_code()
        print("CODE", prompt.user_code, flush=True)
        await auth.finish_device_code(prompt)
        graph = GraphDirectory(profile, auth.credential(), retry=RetryPolicy(3, 0, 20))
        real = graph.reset_password

        async def reset_then_stall(*args, **kwargs):
            await real(*args, **kwargs)
            print("RESET", flush=True)
            time.sleep(600)  # killed here: Graph accepted, the profile not yet updated

        graph.reset_password = reset_then_stall
        record = SheetRecord(serial, datetime.date(2026, 11, 27))
        password = Secret(os.environ["BGW_TEST_NEW_PASSWORD"])
        await RotationService(graph, profile, store).reset(upn, password, record, ["Safe C"])

    asyncio.run(main(*sys.argv[1:]))
    """
)


@pytest.fixture
async def rig(fresh_emu: Emulator, tmp_path: Path) -> AsyncIterator[Rig]:
    """A created Global Admin account with one current sheet, on a profile file."""
    made = await make_rig(fresh_emu, tmp_path)
    old = generate_password()
    user = (await made.graph.create_user(UPN, "svc-iam-recovery01", old)).user
    await made.graph.assign_role(user.id, GLOBAL_ADMIN_ROLE_ID)
    made.profile.accounts = [
        BreakGlassAccount(UPN, object_id=user.id, sheets=[SheetRecord(OLD_SERIAL, OLD_DAY)])
    ]
    made.store.save(made.profile)
    made.passwords[UPN] = old
    yield made
    await made.close()


def _kill_after_reset(rig: Rig, new_password: str) -> None:
    """Run the rotation in a child process and kill it once Graph accepted the password."""
    env = {**os.environ, "BGW_TEST_NEW_PASSWORD": new_password}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(rig.store.path), UPN, NEW_SERIAL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first[:1] == ["CODE"], child.stderr.read() if child.stderr else first
        approver = threading.Thread(
            target=rig.emu.approve_device_code, args=(first[1], ADMIN.upn, ADMIN.password)
        )
        approver.start()
        approver.join()
        line = child.stdout.readline().strip()
        assert line == "RESET", child.stderr.read() if child.stderr else line
        child.kill()
        assert child.wait(timeout=10) == -9
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def test_a_rotation_killed_after_the_reset_is_finished_by_a_new_process(rig: Rig) -> None:
    new = generate_password()
    _kill_after_reset(rig, new.reveal())
    assert new.reveal() not in rig.store.path.read_text()

    profile = rig.store.load()  # what a new process sees
    item = profile.accounts[0]
    assert item.pending_rotation is not None and item.pending_rotation.serial == NEW_SERIAL
    assert item.current_serials == [OLD_SERIAL]
    warnings = [line for line in status_lines(profile, None, None, TODAY) if OVERDUE_MARK in line]
    assert len(warnings) == 1 and NEW_SERIAL in warnings[0]

    with pytest.raises(AuthError):  # the tenant holds the new password already
        await verify(rig, UPN, rig.passwords[UPN].reveal())
    rotation = RotationService(rig.graph, profile, rig.store, today=lambda: TODAY)
    proof = await verify(rig, UPN, new.reveal())
    assert rotation.check_sign_in(UPN, proof.identity) == []
    done = await rotation.complete(UPN)
    assert done.new_serial == NEW_SERIAL and done.retired == (OLD_SERIAL,)

    saved = rig.store.load().accounts[0]
    assert saved.current_serials == [NEW_SERIAL] and saved.pending_rotation is None
    assert [s.serial for s in saved.sheets if s.retired] == [OLD_SERIAL]
    assert saved.locations == ["Safe C"] and saved.last_rotation == TODAY
