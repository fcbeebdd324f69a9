"""The profile file: round trip, mode 0600, atomic writes, clear errors, no data loss."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from pathlib import Path

import pytest

from bgwizard.errors import ProfileError
from bgwizard.profile.model import BreakGlassAccount, PendingRotation, Profile, SheetRecord
from bgwizard.profile.store import TomlProfileStore


def _profile() -> Profile:
    account = BreakGlassAccount(
        upn="svc-iam-recovery01@contoso.onmicrosoft.com",
        object_id="11111111-2222-3333-4444-555555555555",
        locations=["Safe A, Oslo", "Safe B, Bergen"],
        custodians=["K. Nordmann"],
        sheets=[
            SheetRecord("K7QF-2M9C", dt.date(2026, 1, 2), retired=dt.date(2026, 4, 1)),
            SheetRecord("P3XR-8TWN", dt.date(2026, 4, 1)),
        ],
        created=dt.date(2026, 1, 2),
    )
    return Profile(tenant_id="tid", tenant_name="Contoso", accounts=[account], last_drill=None)


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "cfg" / "profile.toml")
    profile = _profile()
    profile.extra["later_feature"] = {"enabled": True}
    store.save(profile)
    assert store.load() == profile
    assert store.load().accounts[0].current_serials == ["P3XR-8TWN"]


def test_a_pending_rotation_round_trips_and_old_profiles_have_none(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    profile = _profile()
    store.save(profile)
    assert "pending_rotation" not in store.path.read_text()
    assert store.load().accounts[0].pending_rotation is None
    pending = PendingRotation("Z9Q2-7HKD", dt.date(2026, 11, 27), ["Safe C"])
    profile.accounts[0].pending_rotation = pending
    store.save(profile)
    assert store.load().accounts[0].pending_rotation == pending
    assert store.load() == profile


def test_file_is_private(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    store.save(_profile())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_missing_file_gives_empty_profile(tmp_path: Path) -> None:
    assert TomlProfileStore(tmp_path / "none.toml").load() == Profile()


@pytest.mark.parametrize(
    "content",
    [b"tenant_id = ", b"\xff\xfe", b"demo = 3\n", b"[[accounts]]\nobject_id = 'x'\n"],
)
def test_corrupt_profile_is_one_sentence_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "profile.toml"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as info:
        TomlProfileStore(path).load()
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    assert str(path) in message
    assert path.read_bytes() == content


def test_failed_write_leaves_old_profile_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    store.save(_profile())
    before = store.path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    changed = _profile()
    changed.tenant_name = "Changed"
    with pytest.raises(ProfileError, match="No space left"):
        store.save(changed)
    assert store.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["profile.toml"]
