"""The rotation journal: begun before the reset, finished by recording the new sheet, or
abandoned (the pending serial retired, so that sheet can never pass a drill)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bgwizard.profile.model import BreakGlassAccount, PendingRotation, SheetRecord
from bgwizard.rotation.journal import (
    abandon_rotation,
    begin_rotation,
    finish_rotation,
    pending_sentence,
)

UPN = "svc-iam-recovery01@contoso.onmicrosoft.com"
DAY = dt.date(2026, 11, 27)


def _account() -> BreakGlassAccount:
    return BreakGlassAccount(
        UPN, object_id="u1", sheets=[SheetRecord("S-OLD", dt.date(2026, 1, 1))]
    )


def test_begin_journals_without_touching_the_sheets() -> None:
    account = _account()
    assert begin_rotation(account, SheetRecord("S-NEW", DAY), ["Safe A"], DAY) == []
    assert account.pending_rotation == PendingRotation("S-NEW", DAY, ["Safe A"])
    assert account.current_serials == ["S-OLD"] and account.last_rotation is None
    assert begin_rotation(account, SheetRecord("S-NEW", DAY), ["Safe A"], DAY) == []  # rerun


def test_finish_records_the_new_sheet_and_clears_the_journal() -> None:
    account = _account()
    begin_rotation(account, SheetRecord("S-NEW", DAY), ["Safe A", "Bank"], DAY)
    assert finish_rotation(account, DAY) == ["S-OLD"]
    assert account.current_serials == ["S-NEW"] and account.pending_rotation is None
    assert account.locations == ["Safe A", "Bank"] and account.last_rotation == DAY
    assert finish_rotation(account, DAY) == []  # nothing pending any more


def test_starting_again_retires_the_pending_serial() -> None:
    account = _account()
    begin_rotation(account, SheetRecord("S-LOST", DAY), [], DAY)
    assert begin_rotation(account, SheetRecord("S-NEW", DAY), [], DAY) == ["S-LOST"]
    lost = next(s for s in account.sheets if s.serial == "S-LOST")
    assert lost.retired == DAY and account.current_serials == ["S-OLD"]
    assert account.pending_rotation is not None and account.pending_rotation.serial == "S-NEW"


def test_abandon_without_a_pending_rotation_changes_nothing() -> None:
    account = _account()
    assert abandon_rotation(account, DAY) == [] and len(account.sheets) == 1


def test_the_sentence_names_the_account_and_the_new_sheet() -> None:
    account = _account()
    assert pending_sentence(account) == ""
    begin_rotation(account, SheetRecord("S-NEW", DAY), [], DAY)
    sentence = pending_sentence(account)
    assert UPN in sentence and "S-NEW" in sentence and "NEW sheet" in sentence


def test_an_account_in_a_restricted_unit_is_explained_before_the_reset() -> None:
    from bgwizard.graph.model import GroupRef
    from bgwizard.rotation.journal import restricted_unit_note

    upn = "ea-01@contoso.onmicrosoft.com"
    plain = [GroupRef("g1", "BG"), GroupRef("au1", "Region", kind="administrativeUnit")]
    assert restricted_unit_note(upn, plain) is None  # an ordinary AU restricts nothing
    rmau = GroupRef("au2", "Break glass RMAU", kind="administrativeUnit", restricted=True)
    note = restricted_unit_note(upn, [*plain, rmau])
    assert note is not None and note.count(". ") == 0
    assert "Break glass RMAU" in note and "scoped to that unit" in note and upn in note


async def test_a_refused_reset_in_a_restricted_unit_says_who_can_do_it(tmp_path: Path) -> None:
    from bgwizard.errors import PermissionMissing, RotationError
    from bgwizard.graph.model import GroupRef
    from bgwizard.profile.model import Profile
    from bgwizard.profile.store import TomlProfileStore
    from bgwizard.rotation.service import RotationService
    from bgwizard.secret import Secret

    class Directory:
        async def transitive_member_of(self, user_id: str) -> list[GroupRef]:
            return [GroupRef("au", "BG RMAU", kind="administrativeUnit", restricted=True)]

        async def reset_password(self, user_id: str, password: Secret, **_: object) -> None:
            raise PermissionMissing("resetting a password", "User-PasswordProfile.ReadWrite.All")

    upn = "ea-01@contoso.onmicrosoft.com"
    profile = Profile(accounts=[BreakGlassAccount(upn, "oid-1")])
    store = TomlProfileStore(tmp_path / "profile.toml")
    service = RotationService(Directory(), profile, store)  # type: ignore[arg-type]
    assert "BG RMAU" in str(await service.who_can_reset(upn))
    record = SheetRecord("NEW1-0003", dt.date(2026, 11, 27))
    with pytest.raises(RotationError) as caught:
        await service.reset(upn, Secret("x" * 64), record, ["safe A"])
    message = str(caught.value)
    assert message.startswith(f"{upn} is in the restricted management administrative unit BG RMAU")
    assert "; the reset was refused (Permission missing" in message and message.count(". ") == 0
    assert profile.accounts[0].pending_rotation is not None  # stays pending, as any failure
