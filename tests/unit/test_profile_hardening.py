"""The profile loses nothing (issue 13 §3): concurrent saves, broken files, odd paths.

Each test here failed on main before the lock, the merge and the field checks landed.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from profile_corpus import BROKEN_PROFILES

from bgwizard.errors import ProfileError
from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord
from bgwizard.profile.store import TomlProfileStore

SAVES_PER_PROCESS = 300

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bgwizard.profile.store import TomlProfileStore

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = TomlProfileStore(path)
    profile = store.load()
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    for i in range(count):
        profile.setup_steps_done.append(f"{name}-{i}")
        profile.extra[f"counter_{name}"] = i
        store.save(profile)
    """
)


def _profile() -> Profile:
    account = BreakGlassAccount(
        upn="bg1@contoso.onmicrosoft.com",
        object_id="11111111-2222-3333-4444-555555555555",
        sheets=[SheetRecord("K7QF-2M9C", dt.date(2026, 1, 2))],
    )
    return Profile(tenant_id="tid", accounts=[account])


def test_two_processes_saving_300_times_each_lose_no_update(tmp_path: Path) -> None:
    """2 processes x 300 saves of one list and one key each: all 600 entries arrive."""
    path = tmp_path / "profile.toml"
    TomlProfileStore(path).save(_profile())
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), name, str(SAVES_PER_PROCESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    for writer in writers:
        assert writer.wait(timeout=300) == 0
    profile = TomlProfileStore(path).load()
    expected = {f"{n}-{i}" for n in ("a", "b") for i in range(SAVES_PER_PROCESS)}
    lost = expected - set(profile.setup_steps_done)
    assert not lost, f"{len(lost)} of {len(expected)} updates lost"
    assert len(profile.setup_steps_done) == len(expected)
    last = SAVES_PER_PROCESS - 1
    assert profile.extra == {"counter_a": last, "counter_b": last}
    assert profile.accounts == _profile().accounts


def test_a_save_keeps_what_another_process_saved_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    TomlProfileStore(path).save(_profile())
    tui, cli = TomlProfileStore(path), TomlProfileStore(path)
    held, other = tui.load(), cli.load()
    other.accounts[0].locations = ["Safe A"]
    other.contacts = ["soc@contoso.example"]
    cli.save(other)
    held.accounts[0].sheets.append(SheetRecord("P3XR-8TWN", dt.date(2026, 4, 1)))
    held.tenant_name = "Contoso"
    tui.save(held)
    merged = TomlProfileStore(path).load()
    assert merged.accounts[0].locations == ["Safe A"]
    assert [s.serial for s in merged.accounts[0].sheets] == ["K7QF-2M9C", "P3XR-8TWN"]
    assert (merged.tenant_name, merged.contacts) == ("Contoso", ["soc@contoso.example"])


@pytest.mark.parametrize(("content", "key"), BROKEN_PROFILES, ids=range(len(BROKEN_PROFILES)))
def test_every_broken_profile_is_one_sentence_naming_the_key_and_untouched(
    tmp_path: Path, content: bytes, key: str
) -> None:
    path = tmp_path / "profile.toml"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as info:
        TomlProfileStore(path).load()
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    assert str(path) in message and key in message
    assert path.read_bytes() == content


def test_a_profile_in_a_folder_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    store = TomlProfileStore(tmp_path / "file" / "sub" / "profile.toml")
    with pytest.raises(ProfileError, match=r"Cannot write the profile .*nothing was saved\.$"):
        store.save(_profile())


def test_a_temp_file_that_cannot_be_made_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(ProfileError, match="Permission denied; nothing was saved"):
        TomlProfileStore(tmp_path / "profile.toml").save(_profile())


def test_temp_files_left_by_a_killed_save_are_removed(tmp_path: Path) -> None:
    leftovers = [tmp_path / ".profile-abcd_123.tmp", tmp_path / ".profile-zz99yy88.tmp"]
    for leftover in leftovers:
        leftover.write_text("tenant_id = 'half'")
    unrelated = tmp_path / ".other-abcd1234.tmp"
    unrelated.write_text("keep")
    TomlProfileStore(tmp_path / "profile.toml").save(_profile())
    assert not any(p.exists() for p in leftovers)
    assert unrelated.exists()


def test_the_folder_is_fsynced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        mode = os.fstat(fd).st_mode
        synced.append("dir" if stat.S_ISDIR(mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    TomlProfileStore(tmp_path / "profile.toml").save(_profile())
    assert synced == ["file", "dir"]


def test_a_symlinked_profile_is_written_through_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "bgwizard.toml"
    target.parent.mkdir()
    link = tmp_path / "profile.toml"
    link.symlink_to(target)
    store = TomlProfileStore(link)
    store.save(_profile())
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert TomlProfileStore(target).load() == _profile()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_unknown_keys_of_an_account_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(
        '[[accounts]]\nupn = "bg1@c.onmicrosoft.com"\nsafe_combination_changed = 2026-10-01\n'
        "[accounts.hsm]\nslot = 3\n"
    )
    store = TomlProfileStore(path)
    profile = store.load()
    profile.accounts[0].object_id = "oid"
    store.save(profile)
    account = TomlProfileStore(path).load().accounts[0]
    assert account.object_id == "oid"
    assert account.extra == {"safe_combination_changed": dt.date(2026, 10, 1), "hsm": {"slot": 3}}


def test_unknown_keys_of_a_sheet_and_a_security_key_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(
        '[[accounts]]\nupn = "bg1@c.onmicrosoft.com"\n'
        '[[accounts.sheets]]\nserial = "S1"\ncreated = 2026-10-01\nenvelope = "E-17"\n'
        '[[accounts.security_keys]]\nlabel = "BG key 1"\naaguid = "a"\nsafe = "B"\n'
        "[accounts.security_keys.tamper_bag]\nnumber = 42\n"
    )
    store = TomlProfileStore(path)
    profile = store.load()
    profile.accounts[0].sheets[0].retired = dt.date(2026, 11, 1)
    store.save(profile)
    account = TomlProfileStore(path).load().accounts[0]
    assert account.sheets[0].retired == dt.date(2026, 11, 1)
    assert account.sheets[0].extra == {"envelope": "E-17"}
    assert account.security_keys[0].extra == {"safe": "B", "tamper_bag": {"number": 42}}


def test_a_profile_open_to_others_is_made_0600_and_said(tmp_path: Path) -> None:
    path = tmp_path / "profile.toml"
    path.write_text('tenant_id = "tid"\n')
    path.chmod(0o644)
    said: list[str] = []
    assert TomlProfileStore(path, warn=said.append).load().tenant_id == "tid"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(said) == 1 and "0644" in said[0] and "0600" in said[0]
    assert said[0].count(".") >= 1 and "\n" not in said[0]
    TomlProfileStore(path, warn=said.append).load()
    assert len(said) == 1  # said once: the mode is right now


@pytest.mark.parametrize("kind", ["fifo", "dir", "device", "huge"])
def test_a_profile_that_is_not_a_small_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "profile.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "huge":
        path.write_bytes(b"#" * (1024 * 1024 + 1))
    else:
        path = Path("/dev/zero")
    with pytest.raises(ProfileError) as info:
        TomlProfileStore(path).load()
    assert "\n" not in str(info.value) and str(path) in str(info.value)
