"""Rotation and real-use entries for the signed log."""

from __future__ import annotations

import datetime as dt

import pytest

from bgwizard.drill.events import USE_FIELDS, rotation_data, use_data
from bgwizard.errors import LedgerError
from bgwizard.ledger.chain import canonical_json

T0 = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)


def test_rotation_entry() -> None:
    data = rotation_data("bg@x", "oid", retired_serials=["A"], new_serials=["B"],
                         reason="drill found a retired sheet", when=T0)  # fmt: skip
    assert data["retired_serials"] == ["A"] and data["when"] == "2026-05-01T03:00:00Z"
    canonical_json(data)
    with pytest.raises(LedgerError, match="reason"):
        rotation_data("bg@x", "oid", retired_serials=[], new_serials=[], reason=" ", when=T0)


def test_use_entry_needs_every_post_mortem_field() -> None:
    fields = {name: f"{name} text" for name in USE_FIELDS}
    data = use_data("bg@x", "oid", started=T0, ended=T0 + dt.timedelta(hours=2),
                    password_rotated=True, fields=fields)  # fmt: skip
    assert data["incident"] == "incident text" and data["ended"] == "2026-05-01T05:00:00Z"
    with pytest.raises(LedgerError, match="needs: lessons"):
        use_data("bg@x", "oid", started=T0, ended=T0, password_rotated=False,
                 fields={**fields, "lessons": ""})  # fmt: skip
    with pytest.raises(LedgerError, match="end before"):
        use_data("bg@x", "oid", started=T0, ended=T0 - dt.timedelta(1), password_rotated=False,
                 fields=fields)  # fmt: skip
