"""Reads and writes the profile TOML: atomically, mode 0600, never a secret.

A crash or a full disk during ``save`` leaves the previous file whole (temp file in the same
directory, fsync, rename). A corrupt file, or a section with a value of the wrong type, raises
``ProfileError`` and is left untouched. Keys this version does not know are written back as
they were read, so an older bgwizard never drops what a newer one saved.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import fcntl
import os
import re
import stat
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, Final

import platformdirs
import tomli_w

from bgwizard.errors import ProfileError
from bgwizard.inputs import MiB, read_input
from bgwizard.profile.merge import merge
from bgwizard.profile.model import (
    ED25519_KEY,
    HEAD,
    PRINCIPAL,
    BreakGlassAccount,
    DrillLogHead,
    PendingRotation,
    PinnedSigner,
    Profile,
    SecurityKeyRecord,
    SheetRecord,
    UiPrefs,
)

APP_NAME: Final = "bgwizard"
PROFILE_LIMIT: Final = 1 * MiB
"""The largest profile read; a real one is a few KiB."""
LOCK_WAIT: Final = 10.0
"""Seconds a save waits for another process's save to finish."""
_SECTIONS: Final = frozenset({"accounts", "setup_ca_backups", "ui", "drill", "extra"})
"""Profile fields with their own reader and writer (``extra`` is the unknown keys)."""
_TYPE_NAMES: Final = {str: "string", list: "list of strings", bool: "true or false"}
_OMITTED_WHEN_EMPTY: Final = frozenset(
    {
        "exclusion_group_id",
        "exclusion_group_name",
        "exclusion_rmau_id",
        "dedicated_policy_id",
        "strong_method",
        "skip_reason",
    }
)
"""Fields added after profiles were in use: written only when set, so an older profile saved
again unchanged keeps its bytes."""
_ACCOUNT_SECTIONS: Final = frozenset({"sheets", "security_keys", "pending_rotation"})
_PROFILE_FIELDS: Final = frozenset(f.name for f in fields(Profile)) - _SECTIONS
_ACCOUNT_FIELDS: Final = frozenset(f.name for f in fields(BreakGlassAccount)) - {
    "sheets",
    "security_keys",
    "pending_rotation",
    "extra",
}


def default_profile_path() -> Path:
    """The profile in the user's config directory (``platformdirs``)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "profile.toml"


class TomlProfileStore:
    """The profile as a TOML file.

    Every save is a read-modify-write under an exclusive lock (``flock`` on a lock file beside
    the profile): the file is read again, merged with what this store last read or wrote
    (``bgwizard.profile.merge``), and replaced atomically. Two processes saving at once both
    keep their changes.
    """

    def __init__(
        self, path: Path | None = None, *, warn: Callable[[str], None] | None = None
    ) -> None:
        """Use ``path``, or the default location when None.

        Args:
            path: the profile file.
            warn: where to say what loading fixed (a too-open file mode); default: stderr.
        """
        self.path = path or default_profile_path()
        self._warn = warn or _warn_on_stderr
        self._base: dict[str, Any] | None = None
        """The document this store last read or wrote: the base of the next save's merge."""

    def exists(self) -> bool:
        """Whether the profile file exists yet."""
        return self.path.exists()

    def load(self) -> Profile:
        """Read the profile; a new empty one when the file does not exist.

        A profile others may read or write (mode 0644) is made 0600, and ``warn`` says so.

        Raises:
            ProfileError: the file cannot be read or is not a valid profile.
        """
        data = self._read_document(self.path)
        if data is None:
            self._base = {}
            return Profile()
        profile = self._parse(data)
        self._fix_mode()
        self._base = copy.deepcopy(data)
        return profile

    def save(self, profile: Profile) -> None:
        """Write ``profile`` atomically with mode 0600, keeping what others saved meanwhile.

        Raises:
            ProfileError: the file could not be written (the old one is intact).
        """
        ours = profile_to_dict(profile)
        target = Path(os.path.realpath(self.path))  # a symlinked profile is written through
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with _locked(target):
                _remove_leftovers(target)
                document = ours
                if self._base is not None:
                    theirs = self._read_document(target)
                    if theirs is not None:
                        document = merge(self._base, ours, theirs)
                        self._parse(document)  # what two valid saves merge into is valid
                _replace(target, tomli_w.dumps(document))
                self._base = copy.deepcopy(ours)  # under the lock: threads of one app save too
        except OSError as exc:
            raise ProfileError(
                f"Cannot write the profile {self.path}: {exc.strerror or exc}; nothing was saved."
            ) from None

    def _read_document(self, path: Path) -> dict[str, Any] | None:
        try:
            os.stat(path)
        except FileNotFoundError:  # none yet (a dangling symlink: created at its target)
            return None
        except OSError:
            pass  # read_input names the problem (a path through a file, a loop of links)
        raw = read_input(path, what="profile", limit=PROFILE_LIMIT, error=ProfileError)
        try:
            return tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ProfileError(
                f"The profile {self.path} is not valid ({reason}); it was left as it is."
            ) from None

    def _parse(self, data: dict[str, Any]) -> Profile:
        try:
            return profile_from_dict(data)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ProfileError(
                f"The profile {self.path} is not valid ({exc}); it was left as it is."
            ) from None

    def _fix_mode(self) -> None:
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
            if mode & 0o077:
                os.chmod(self.path, 0o600)
        except OSError:
            return  # read it, could not change it: the next save writes it 0600
        if mode & 0o077:
            self._warn(
                f"The profile {self.path} was open to other users (mode {mode:04o}); "
                "its mode is now 0600."
            )


def _warn_on_stderr(message: str) -> None:
    print(f"bgwizard: {message}", file=sys.stderr)


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``target`` (a ``.<name>.lock`` file beside it).

    Raises:
        OSError: the lock file cannot be opened.
        ProfileError: another process held the lock for ``LOCK_WAIT`` seconds.
    """
    lock = target.with_name(f".{target.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ProfileError(
                        f"Another bgwizard has been saving the profile {target} for "
                        f"{LOCK_WAIT:.0f} seconds; nothing was saved."
                    ) from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_leftovers(target: Path) -> None:
    """Delete temp files a killed save left behind (only a lock holder writes them)."""
    pattern = re.compile(rf"\.{re.escape(target.stem)}-[a-z0-9_]{{8}}\.tmp")
    for entry in os.scandir(target.parent):
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _replace(target: Path, text: str) -> None:
    """Write ``text`` to a temp file, fsync it, rename it over ``target``, fsync the folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The TOML document for ``profile`` (None values left out, as TOML has no null).

    Sections come first, then unknown keys, in the order earlier versions wrote them, so a
    file saved again without a change keeps its bytes.
    """
    out: dict[str, Any] = {}
    if profile.setup_ca_backups:
        out["setup_ca_backups"] = list(profile.setup_ca_backups)
    for name, section in (
        ("ui", _ui_to_dict(profile.ui)),
        ("drill", _drill_to_dict(profile.drill)),
    ):
        if section:
            out[name] = section
    out.update(profile.extra)
    for name in sorted(_PROFILE_FIELDS):
        value = getattr(profile, name)
        if value is not None and (value != "" or name not in _OMITTED_WHEN_EMPTY):
            out[name] = value
    out["accounts"] = [_account_to_dict(a) for a in profile.accounts]
    return out


def _account_to_dict(account: BreakGlassAccount) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: getattr(account, name)
        for name in sorted(_ACCOUNT_FIELDS)
        if getattr(account, name) is not None
        and (getattr(account, name) != "" or name not in _OMITTED_WHEN_EMPTY)
    }
    out.update((k, v) for k, v in account.extra.items() if k not in out)
    out["sheets"] = [_entry_to_dict(s) for s in account.sheets]
    if account.security_keys:
        out["security_keys"] = [_entry_to_dict(key) for key in account.security_keys]
    if account.pending_rotation is not None:
        out["pending_rotation"] = {
            k: v for k, v in vars(account.pending_rotation).items() if v is not None
        }
    return out


def _entry_to_dict(entry: SheetRecord | SecurityKeyRecord) -> dict[str, Any]:
    """A sheet's or key's table: its known fields (None left out), then what a later version
    added, never replacing a known field."""
    out = {k: v for k, v in vars(entry).items() if v is not None and k != "extra"}
    out.update((k, v) for k, v in entry.extra.items() if k not in out)
    return out


def profile_from_dict(data: dict[str, Any]) -> Profile:
    """Build a Profile from a parsed TOML document.

    Raises:
        ValueError: a field has the wrong type.
    """
    known = {k: v for k, v in data.items() if k in _PROFILE_FIELDS}
    extra = {k: v for k, v in data.items() if k not in _PROFILE_FIELDS | _SECTIONS}
    for key in ("last_drill",):
        if key in known:
            known[key] = _as_date(known[key], key)
    accounts = [
        _account_from_dict(a, f"accounts[{i}]")
        for i, a in enumerate(_as_list(data.get("accounts", []), "accounts"))
    ]
    profile = Profile(
        **known,
        accounts=accounts,
        setup_ca_backups=_as_strings(data.get("setup_ca_backups", []), "setup_ca_backups"),
        ui=_ui_from_dict(data.get("ui", {})),
        drill=_drill_from_dict(data.get("drill", {})),
        extra=extra,
    )
    _check_types(profile)
    return profile


def _ui_from_dict(data: Any) -> UiPrefs:
    rest = dict(_as_table(data, "ui"))
    theme = rest.pop("theme", "")
    if not isinstance(theme, str):
        raise ValueError("ui.theme must be a string")
    keymap = _as_table(rest.pop("keymap", {}), "ui.keymap")
    if not all(isinstance(keys, str) for keys in keymap.values()):
        raise ValueError("every ui.keymap value must be a string of keys")
    return UiPrefs(theme=theme, keymap=dict(keymap), extra=rest)


def _ui_to_dict(ui: UiPrefs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ui.theme:
        out["theme"] = ui.theme
    if ui.keymap:
        out["keymap"] = dict(ui.keymap)
    return {**out, **ui.extra}


def _drill_from_dict(data: Any) -> DrillLogHead:
    rest = dict(_as_table(data, "drill"))
    operator, head = rest.pop("operator", ""), rest.pop("head", "")
    if not isinstance(operator, str) or not isinstance(head, str):
        raise ValueError("drill.operator and drill.head must be strings")
    if head and not re.match(HEAD, head):
        raise ValueError("drill.head must be 64 lower-case hex digits (a log head)")
    signers = _signers_from_list(rest.pop("signers", []))
    return DrillLogHead(operator=operator, head=head, signers=signers, extra=rest)


def _signers_from_list(value: Any) -> list[PinnedSigner]:
    """``[[drill.signers]]``: each an ``operator`` (principal) and an Ed25519 ``key``."""
    signers = []
    for item in _as_list(value, "drill.signers"):
        if not isinstance(item, dict) or set(item) != {"operator", "key"}:
            raise ValueError("every drill.signers entry needs exactly an operator and a key")
        operator, key = item["operator"], item["key"]
        if not isinstance(operator, str) or not re.match(PRINCIPAL, operator):
            raise ValueError("a drill.signers operator must be 1-128 letters, digits or . _ @ + -")
        if not isinstance(key, str) or not re.match(ED25519_KEY, key):
            raise ValueError("a drill.signers key must be an OpenSSH Ed25519 public key")
        signers.append(PinnedSigner(operator, key))
    return signers


def _drill_to_dict(drill: DrillLogHead) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: v for k, v in (("operator", drill.operator), ("head", drill.head)) if v
    }
    if drill.signers:
        out["signers"] = [{"operator": s.operator, "key": s.key} for s in drill.signers]
    return {**out, **drill.extra}


def _account_from_dict(data: Any, where: str) -> BreakGlassAccount:
    table = _as_table(data, where)
    upn = table.get("upn")
    if not isinstance(upn, str) or not upn:
        raise ValueError(f"{where}.upn must be a non-empty string")
    known: dict[str, Any] = {"upn": upn}
    for key in ("object_id", "strong_method", "skip_reason"):
        if key in table:
            known[key] = _as_str(table[key], f"{where}.{key}")
    for key in ("locations", "custodians"):
        if key in table:
            known[key] = _as_strings(table[key], f"{where}.{key}")
    for key in ("created", "last_rotation"):
        if key in table:
            known[key] = _as_date(table[key], f"{where}.{key}")
    sheets = [
        _sheet_from_dict(s, f"{where}.sheets[{i}]")
        for i, s in enumerate(_as_list(table.get("sheets", []), f"{where}.sheets"))
    ]
    keys = [
        _key_from_dict(k, f"{where}.security_keys[{i}]")
        for i, k in enumerate(_as_list(table.get("security_keys", []), f"{where}.security_keys"))
    ]
    pending = (
        _pending_from_dict(table["pending_rotation"], f"{where}.pending_rotation")
        if "pending_rotation" in table
        else None
    )
    extra = {k: v for k, v in table.items() if k not in _ACCOUNT_FIELDS | _ACCOUNT_SECTIONS}
    return BreakGlassAccount(
        **known, sheets=sheets, security_keys=keys, pending_rotation=pending, extra=extra
    )


def _sheet_from_dict(data: Any, where: str) -> SheetRecord:
    table = _as_table(data, where)
    for key in ("serial", "created"):
        if key not in table:
            raise ValueError(f"{where} has no {key}")
    return SheetRecord(
        serial=_as_str(table["serial"], f"{where}.serial"),
        created=_as_date(table["created"], f"{where}.created"),
        retired=_as_date(table["retired"], f"{where}.retired") if "retired" in table else None,
        extra=_unknown(table, SheetRecord),
    )


def _pending_from_dict(data: Any, where: str) -> PendingRotation:
    if not isinstance(data, dict) or "serial" not in data or "created" not in data:
        raise ValueError(f"{where} needs a serial and a created date")
    started = data.get("started")
    if started is not None and not isinstance(started, dt.datetime):
        raise ValueError(f"{where}.started must be a date and time")
    return PendingRotation(
        serial=_as_str(data["serial"], f"{where}.serial"),
        created=_as_date(data["created"], f"{where}.created"),
        locations=_as_strings(data.get("locations", []), f"{where}.locations"),
        started=started,
    )


def _key_from_dict(data: Any, where: str) -> SecurityKeyRecord:
    if not isinstance(data, dict) or "label" not in data or "aaguid" not in data:
        raise ValueError(f"{where} needs a label and an aaguid")
    return SecurityKeyRecord(
        label=_as_str(data["label"], f"{where}.label"),
        aaguid=_as_str(data["aaguid"], f"{where}.aaguid"),
        model=_as_str(data.get("model", ""), f"{where}.model"),
        method_id=_as_str(data.get("method_id", ""), f"{where}.method_id"),
        registered=(
            _as_date(data["registered"], f"{where}.registered") if "registered" in data else None
        ),
        retired=_as_date(data["retired"], f"{where}.retired") if "retired" in data else None,
        extra=_unknown(data, SecurityKeyRecord),
    )


def _unknown(
    table: dict[str, Any], record: type[SheetRecord | SecurityKeyRecord]
) -> dict[str, Any]:
    """The keys of ``table`` that ``record`` does not know (a later version's), to keep."""
    known = {f.name for f in fields(record)} - {"extra"}
    return {k: v for k, v in table.items() if k not in known}


def _as_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _as_list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


def _as_table(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a table")
    return value


def _as_strings(value: Any, name: str) -> list[str]:
    items = _as_list(value, name)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{name} must be a list of strings")
    return list(items)


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"{name} must be a date")


def _check_types(profile: Profile) -> None:
    blank = Profile()
    for name in sorted(_PROFILE_FIELDS):
        default = getattr(blank, name)
        value = getattr(profile, name)
        if default is None or value is None:
            continue
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        if not isinstance(value, type(default)):
            raise ValueError(f"{name} must be a {_TYPE_NAMES.get(type(default), 'value')}")
        if isinstance(value, list):
            _as_strings(value, name)
