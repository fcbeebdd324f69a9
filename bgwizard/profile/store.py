"""Reads and writes the profile TOML: atomically, mode 0600, never a secret.

A crash or a full disk during ``save`` leaves the previous file whole (temp file in the same
directory, fsync, rename). A corrupt file, or a section with a value of the wrong type, raises
``ProfileError`` and is left untouched. Keys this version does not know are written back as
they were read, so an older bgwizard never drops what a newer one saved.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any, Final

import platformdirs
import tomli_w

from bgwizard.errors import ProfileError
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
_SECTIONS: Final = frozenset({"accounts", "setup_ca_backups", "ui", "drill", "extra"})
"""Profile fields with their own reader and writer (``extra`` is the unknown keys)."""
_PROFILE_FIELDS: Final = frozenset(f.name for f in fields(Profile)) - _SECTIONS
_ACCOUNT_FIELDS: Final = frozenset(f.name for f in fields(BreakGlassAccount)) - {
    "sheets",
    "security_keys",
    "pending_rotation",
}


def default_profile_path() -> Path:
    """The profile in the user's config directory (``platformdirs``)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "profile.toml"


class TomlProfileStore:
    """The profile as a TOML file."""

    def __init__(self, path: Path | None = None) -> None:
        """Use ``path``, or the default location when None.

        Args:
            path: the profile file.
        """
        self.path = path or default_profile_path()

    def exists(self) -> bool:
        """Whether the profile file exists yet."""
        return self.path.exists()

    def load(self) -> Profile:
        """Read the profile; a new empty one when the file does not exist.

        Raises:
            ProfileError: the file cannot be read or is not a valid profile.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Profile()
        except OSError as exc:
            raise ProfileError(f"Cannot read the profile {self.path}: {exc.strerror}.") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
            return profile_from_dict(data)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
            raise ProfileError(
                f"The profile {self.path} is not valid ({exc}); it was left as it is."
            ) from None

    def save(self, profile: Profile) -> None:
        """Write ``profile`` atomically with mode 0600.

        Raises:
            ProfileError: the file could not be written (the old one is intact).
        """
        text = tomli_w.dumps(profile_to_dict(profile))
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".profile-", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise ProfileError(f"Cannot write the profile {self.path}: {exc.strerror}.") from None


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
        if value is not None:
            out[name] = value
    out["accounts"] = [_account_to_dict(a) for a in profile.accounts]
    return out


def _account_to_dict(account: BreakGlassAccount) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: getattr(account, name)
        for name in sorted(_ACCOUNT_FIELDS)
        if getattr(account, name) is not None
    }
    out["sheets"] = [{k: v for k, v in vars(s).items() if v is not None} for s in account.sheets]
    if account.security_keys:
        out["security_keys"] = [
            {k: v for k, v in vars(key).items() if v is not None} for key in account.security_keys
        ]
    if account.pending_rotation is not None:
        out["pending_rotation"] = {
            k: v for k, v in vars(account.pending_rotation).items() if v is not None
        }
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
    accounts = [_account_from_dict(a) for a in _as_list(data.get("accounts", []), "accounts")]
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


def _account_from_dict(data: Any) -> BreakGlassAccount:
    if not isinstance(data, dict) or "upn" not in data:
        raise ValueError("every [[accounts]] entry needs a upn")
    known = {k: v for k, v in data.items() if k in _ACCOUNT_FIELDS}
    for key in ("created", "last_rotation"):
        if key in known:
            known[key] = _as_date(known[key], key)
    sheets = [
        SheetRecord(
            serial=str(s["serial"]),
            created=_as_date(s["created"], "created"),
            retired=_as_date(s["retired"], "retired") if "retired" in s else None,
        )
        for s in _as_list(data.get("sheets", []), "sheets")
    ]
    keys = [_key_from_dict(k) for k in _as_list(data.get("security_keys", []), "security_keys")]
    pending = _pending_from_dict(data["pending_rotation"]) if "pending_rotation" in data else None
    return BreakGlassAccount(**known, sheets=sheets, security_keys=keys, pending_rotation=pending)


def _pending_from_dict(data: Any) -> PendingRotation:
    if not isinstance(data, dict) or "serial" not in data or "created" not in data:
        raise ValueError("pending_rotation needs a serial and a created date")
    locations = _as_list(data.get("locations", []), "pending_rotation.locations")
    started = data.get("started")
    if started is not None and not isinstance(started, dt.datetime):
        raise ValueError("pending_rotation.started must be a date and time")
    return PendingRotation(
        serial=str(data["serial"]),
        created=_as_date(data["created"], "created"),
        locations=[str(item) for item in locations],
        started=started,
    )


def _key_from_dict(data: Any) -> SecurityKeyRecord:
    if not isinstance(data, dict) or "label" not in data or "aaguid" not in data:
        raise ValueError("every security_keys entry needs a label and an aaguid")
    return SecurityKeyRecord(
        label=str(data["label"]),
        aaguid=str(data["aaguid"]),
        model=str(data.get("model", "")),
        method_id=str(data.get("method_id", "")),
        registered=_as_date(data["registered"], "registered") if "registered" in data else None,
        retired=_as_date(data["retired"], "retired") if "retired" in data else None,
    )


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
    for name in _PROFILE_FIELDS:
        default = getattr(Profile(), name)
        value = getattr(profile, name)
        if default is not None and value is not None and not isinstance(value, type(default)):
            raise ValueError(f"{name} must be a {type(default).__name__}")
