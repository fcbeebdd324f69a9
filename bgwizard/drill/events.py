"""Log entries other than drills: password rotations and real break glass uses (post-mortem).

Pure: builds the ``data`` of a signed log entry (``kind`` ``rotation`` or ``use``); the set-up
wizard's rotation step and the post-mortem form append them through ``DrillRecorder``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from bgwizard.errors import LedgerError
from bgwizard.ledger.chain import JsonValue

USE_FIELDS: Final = ("incident", "reason", "who", "actions", "lessons")
"""Post-mortem fields a real use must record (all required)."""


def _utc(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise LedgerError("Times in the log must carry a time zone.")
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def rotation_data(
    account_upn: str,
    account_id: str,
    *,
    retired_serials: Sequence[str],
    new_serials: Sequence[str],
    reason: str,
    when: dt.datetime,
) -> dict[str, JsonValue]:
    """The entry for a password rotation: which sheets were retired and which replace them."""
    if not reason.strip():
        raise LedgerError("A rotation needs a reason (drill finding, real use, lost sheet…).")
    return {
        "account": account_upn,
        "account_id": account_id,
        "when": _utc(when),
        "reason": reason.strip(),
        "retired_serials": list(retired_serials),
        "new_serials": list(new_serials),
    }


def use_data(
    account_upn: str,
    account_id: str,
    *,
    started: dt.datetime,
    ended: dt.datetime,
    password_rotated: bool,
    fields: dict[str, str],
) -> dict[str, JsonValue]:
    """The entry for a real use, recorded after the fact with the post-mortem fields.

    Raises:
        LedgerError: a post-mortem field is empty, or the times are reversed or naive.
    """
    missing = [name for name in USE_FIELDS if not fields.get(name, "").strip()]
    if missing:
        raise LedgerError(f"The post-mortem needs: {', '.join(missing)}.")
    if ended < started:
        raise LedgerError("The use cannot end before it started.")
    data: dict[str, JsonValue] = {
        "account": account_upn,
        "account_id": account_id,
        "started": _utc(started),
        "ended": _utc(ended),
        "password_rotated": password_rotated,
    }
    data.update({name: fields[name].strip() for name in USE_FIELDS})
    return data
