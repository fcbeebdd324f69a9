"""Rotation's service against the emulator: the rotation is journaled before Graph is asked and
recorded as done only after Graph accepted the new password; afterwards the old password no
longer signs in and the new one does. A pending rotation is finished or started again."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from setup_support import Rig, make_rig, verify

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.emulator import Emulator, Fault
from bgwizard.errors import AuthError, BgWizardError, RotationError, Throttled
from bgwizard.profile.model import BreakGlassAccount, PendingRotation, SheetRecord
from bgwizard.rotation.service import RotationService
from bgwizard.sheets.password import generate_password

UPN = "svc-iam-recovery01@contosologistics.onmicrosoft.com"
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
async def rig(fresh_emu: Emulator, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await make_rig(fresh_emu, tmp_path)
    old = generate_password()
    user = (await made.graph.create_user(UPN, "svc-iam-recovery01", old)).user
    await made.graph.assign_role(user.id, GLOBAL_ADMIN_ROLE_ID)
    made.profile.accounts = [
        BreakGlassAccount(UPN, object_id=user.id, sheets=[SheetRecord("S-OLD", TODAY)])
    ]
    made.passwords[UPN] = old
    yield made
    await made.close()


async def test_a_failed_reset_changes_nothing_and_a_rerun_rotates(rig: Rig) -> None:
    rotation = RotationService(rig.graph, rig.profile, rig.store, today=lambda: TODAY)
    new = generate_password()
    record = SheetRecord("S-NEW", TODAY)
    rig.emu.add_fault(Fault("PATCH", r"^/users/", kind="503", count=40, retry_after=0))
    with pytest.raises(Throttled) as caught:
        await rotation.reset(UPN, new, record, ["Safe A", "Bank"])
    assert new.reveal() not in str(caught.value) and caught.value.__cause__ is None
    assert rig.profile.accounts[0].current_serials == ["S-OLD"]
    saved = rig.store.load().accounts[0]
    assert saved.current_serials == ["S-OLD"]
    pending = saved.pending_rotation
    assert pending is not None and pending.started is not None
    assert (pending.serial, pending.created, pending.locations) == (
        "S-NEW",
        TODAY,
        ["Safe A", "Bank"],
    )
    assert new.reveal() not in rig.store.path.read_text()
    rig.emu.clear_faults()

    done = await rotation.reset(UPN, new, record, ["Safe A", "Bank"])
    assert done.retired == ("S-OLD",) and rig.store.load().accounts[0].current_serials == ["S-NEW"]
    assert rig.store.load().accounts[0].pending_rotation is None
    with pytest.raises(AuthError):
        await verify(rig, UPN, rig.passwords[UPN].reveal())
    proof = await verify(rig, UPN, new.reveal())
    assert rotation.check_sign_in(UPN, proof.identity) == []


async def test_an_unknown_or_uncreated_account_is_refused(rig: Rig) -> None:
    rotation = RotationService(rig.graph, rig.profile, rig.store)
    rig.profile.accounts.append(BreakGlassAccount("new@contosologistics.onmicrosoft.com"))
    for upn in ("nobody@x.onmicrosoft.com", "new@contosologistics.onmicrosoft.com"):
        with pytest.raises(RotationError):
            await rotation.reset(upn, generate_password(), SheetRecord("S", TODAY), [])
    assert issubclass(RotationError, BgWizardError)


async def test_a_pending_rotation_is_completed_by_the_new_sign_in(rig: Rig) -> None:
    """Graph took the password but the profile was not updated: a sign-in with the new sheet
    proves it, and completing records the new serial and clears the journal."""
    item = rig.profile.accounts[0]
    new = generate_password()
    await rig.graph.reset_password(item.object_id, new, force_change=False)
    item.pending_rotation = PendingRotation("S-NEW", TODAY, ["Safe A"])
    rig.store.save(rig.profile)
    rotation = RotationService(rig.graph, rig.profile, rig.store, today=lambda: TODAY)
    proof = await verify(rig, UPN, new.reveal())
    assert rotation.check_sign_in(UPN, proof.identity) == []
    done = await rotation.complete(UPN)
    assert done.new_serial == "S-NEW" and done.retired == ("S-OLD",)
    saved = rig.store.load().accounts[0]
    assert saved.current_serials == ["S-NEW"] and saved.pending_rotation is None
    assert saved.locations == ["Safe A"] and saved.last_rotation == TODAY
    with pytest.raises(RotationError):
        await rotation.complete(UPN)


async def test_finishing_is_refused_when_the_reset_never_reached_the_tenant(rig: Rig) -> None:
    """Journaled, then the app died before Graph was asked: the old sheet still signs in, but
    the tenant's lastPasswordChangeDateTime shows no reset since, so Finish is refused."""
    item = rig.profile.accounts[0]
    started = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)  # after the account's creation
    item.pending_rotation = PendingRotation("S-NEW", TODAY, ["Safe A"], started=started)
    rig.store.save(rig.profile)
    assert rig.store.load().accounts[0].pending_rotation == item.pending_rotation
    rotation = RotationService(rig.graph, rig.profile, rig.store, today=lambda: TODAY)
    with pytest.raises(RotationError, match="still has the old password"):
        await rotation.complete(UPN)
    saved = rig.store.load().accounts[0]
    assert saved.current_serials == ["S-OLD"] and saved.pending_rotation is not None


async def test_starting_again_retires_the_pending_serial(rig: Rig) -> None:
    rig.profile.accounts[0].pending_rotation = PendingRotation("S-LOST", TODAY, [])
    rotation = RotationService(rig.graph, rig.profile, rig.store, today=lambda: TODAY)
    done = await rotation.reset(UPN, generate_password(), SheetRecord("S-NEW", TODAY), [])
    assert done.retired == ("S-LOST", "S-OLD")
    saved = rig.store.load().accounts[0]
    assert saved.current_serials == ["S-NEW"] and saved.pending_rotation is None
    assert [s.serial for s in saved.sheets if s.retired] == ["S-OLD", "S-LOST"]
