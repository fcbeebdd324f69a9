"""``SheetService``: building sheets from the profile and recording them on the account."""

from __future__ import annotations

import datetime as dt

import pytest

from bgwizard.errors import SheetError
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.secret import Secret
from bgwizard.sheets import service as sheets
from bgwizard.sheets.password import PasswordPolicy
from bgwizard.sheets.service import SheetService

DAY = dt.date(2026, 11, 27)
PASSWORD = Secret("K7mPqR4tVx9bNc3dHj8sWf2gLa6eTu5x" + "Ab3dEf4hJk5mNp6q" * 2)


def service() -> SheetService:
    return SheetService(today=lambda: DAY, serials=lambda: "S-NEW2-3456")


def test_build_takes_tenant_account_and_locations() -> None:
    profile = Profile(tenant_id="tid", tenant_name="Contoso")
    account = BreakGlassAccount("bg@c.onmicrosoft.com", object_id="oid", locations=["Safe A"])
    content = service().build(profile, account, PASSWORD)
    assert (content.serial, content.generated) == ("S-NEW2-3456", DAY)
    assert (content.tenant_name, content.tenant_id, content.upn, content.object_id) == (
        "Contoso",
        "tid",
        "bg@c.onmicrosoft.com",
        "oid",
    )
    assert content.locations == ("Safe A", "")
    assert content.password is PASSWORD
    assert content.sign_in_url == "https://entra.microsoft.com"
    typed = service().build(profile, account, PASSWORD, locations=["X", "Y", "Z"])
    assert typed.copies == 3


def test_demo_profile_points_sign_in_at_the_emulator() -> None:
    profile = Profile(demo=True, authority_host="https://127.0.0.1:8443")
    content = service().build(profile, BreakGlassAccount("bg@c"), PASSWORD)
    assert content.sign_in_url == "https://127.0.0.1:8443"


def test_confirm_records_serial_and_locations_once() -> None:
    account = BreakGlassAccount("bg@c", sheets=[SheetRecord("S-OLD", dt.date(2026, 1, 1))])
    content = service().build(Profile(), account, PASSWORD, locations=["A", "B"])
    record = service().confirm(account, content)
    service().confirm(account, content)
    assert record == SheetRecord("S-NEW2-3456", DAY)
    assert account.current_serials == ["S-OLD", "S-NEW2-3456"]
    assert account.locations == ["A", "B"]


def test_confirm_with_rotation_retires_the_old_sheets() -> None:
    account = BreakGlassAccount("bg@c", sheets=[SheetRecord("S-OLD", dt.date(2026, 1, 1))])
    content = service().build(Profile(), account, PASSWORD)
    service().confirm(account, content, retire_current=True)
    assert account.sheets[0].retired == DAY
    assert account.current_serials == ["S-NEW2-3456"]


def test_new_password_follows_the_policy() -> None:
    value = service().new_password(PasswordPolicy(100, symbols=True))
    assert len(value) == 100 and PasswordPolicy(100, symbols=True).admits(value.reveal())


def test_render_failure_is_one_sentence_without_the_library_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(content: object, paper: str) -> None:
        raise RuntimeError("library detail that might hold characters")

    monkeypatch.setattr(sheets, "render_sheet", broken)
    content = service().build(Profile(), BreakGlassAccount("bg@c"), PASSWORD)
    with pytest.raises(SheetError) as info:
        service().render(content)
    assert str(info.value) == "The sheet could not be drawn (RuntimeError)."
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_check_names_wrong_lines() -> None:
    content = service().build(Profile(), BreakGlassAccount("bg@c"), PASSWORD)
    lines = [line.reveal() for line in content.lines()]
    assert service().check(content, lines).ok
    assert service().check(content, [lines[0], lines[2], lines[1], lines[3]]).wrong == [2, 3]
