"""The profile file: round trip, mode 0600, atomic writes, clear errors, no data loss."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from pathlib import Path

import pytest

from bgwizard.errors import ProfileError
from bgwizard.profile.model import (
    BreakGlassAccount,
    DrillLogHead,
    PendingRotation,
    Profile,
    SheetRecord,
    UiPrefs,
)
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
    # Only the profile and its lock file: no temp file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".profile.toml.lock", "profile.toml"]


# What an earlier version wrote, with [ui], [drill] and the CA backups in ``extra``, and a
# section from a later version; saved again unchanged, it must keep every byte.
EXISTING_PROFILE = """\
setup_ca_backups = [
    "/home/k/.config/bgwizard/ca-backups/ca-backup-20260102T030405Z.json",
    "/home/k/.config/bgwizard/ca-backups/ca-backup-20260301T101010Z.json",
]
arm_url = "https://management.azure.com"
authority_host = "https://login.microsoftonline.com"
ca_bundle = ""
client_id = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
contacts = []
demo = false
drill_log = "/home/k/.local/share/bgwizard/drill-log.jsonl"
graph_url = "https://graph.microsoft.com/v1.0"
initial_domain = "contoso.onmicrosoft.com"
last_drill = 2026-03-01
runbook_templates_dir = ""
setup_steps_done = []
sheet_paper = "a4"
sheet_qr = true
signer_key = ""
tenant_id = "tid"
tenant_name = "Contoso"
accounts = []

[ui]
theme = "textual-light"

[ui.keymap]
toggle_theme = "f9"
help = "f1,question_mark"

[drill]
operator = "alice@contoso.example"
head = "3f2a9c0d7b1e4f5a6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"

[later_feature]
enabled = true
"""


def test_an_existing_profile_with_sections_round_trips_byte_for_byte(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    store.path.write_text(EXISTING_PROFILE, encoding="utf-8")
    profile = store.load()
    assert profile.ui == UiPrefs(
        "textual-light", {"toggle_theme": "f9", "help": "f1,question_mark"}
    )
    assert profile.drill.operator == "alice@contoso.example"
    assert profile.drill.head.startswith("3f2a9c")
    assert profile.setup_ca_backups[-1].endswith("ca-backup-20260301T101010Z.json")
    assert profile.extra == {"later_feature": {"enabled": True}}
    store.save(profile)
    assert store.path.read_text(encoding="utf-8") == EXISTING_PROFILE


def test_typed_sections_round_trip_and_unknown_keys_in_them_are_kept(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    profile = _profile()
    profile.ui = UiPrefs("textual-dark", {"sign_in": "f2"}, extra={"font_size": 14})
    profile.drill = DrillLogHead("bob", "ab" * 32, extra={"witness": "carol"})
    profile.setup_ca_backups = ["/tmp/one.json"]
    store.save(profile)
    assert store.load() == profile


def test_a_profile_without_sections_writes_none(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    store.save(_profile())
    text = store.path.read_text(encoding="utf-8")
    assert "[ui]" not in text and "[drill]" not in text and "setup_ca_backups" not in text
    assert store.load().ui == UiPrefs() and store.load().drill == DrillLogHead()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'ui = "dark"\n', "ui must be a table"),
        (b"[ui]\ntheme = 3\n", "ui.theme must be a string"),
        (b"[ui]\nkeymap = 'f9'\n", "ui.keymap must be a table"),
        (b"[ui.keymap]\ntoggle_theme = 9\n", "every ui.keymap value must be a string of keys"),
        (b"[drill]\nhead = 1\n", "drill.operator and drill.head must be strings"),
        (b"setup_ca_backups = 'x.json'\n", "setup_ca_backups must be a list"),
        (b"setup_ca_backups = [1]\n", "setup_ca_backups must be a list of strings"),
    ],
)
def test_a_bad_section_value_is_one_sentence_and_untouched(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "profile.toml"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as info:
        TomlProfileStore(path).load()
    message = str(info.value)
    assert f"({reason})" in message
    assert "\n" not in message and message.endswith(".")
    assert path.read_bytes() == content
