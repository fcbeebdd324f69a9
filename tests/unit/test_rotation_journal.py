"""The rotation journal: begun before the reset, finished by recording the new sheet, or
abandoned (the pending serial retired, so that sheet can never pass a drill)."""

from __future__ import annotations

import datetime as dt

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
