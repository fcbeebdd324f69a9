"""Rotation and real-use entries for the signed log."""

from __future__ import annotations

import datetime as dt

import pytest

from bgwizard.drill.events import (
    CREDENTIAL_SKIPPED,
    USE_FIELDS,
    credential_skip_data,
    rotation_data,
    skip_reason_problem,
    use_data,
)
from bgwizard.errors import LedgerError
from bgwizard.ledger.chain import KINDS, canonical_json

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


def test_sign_ins_bgwizard_makes_have_entry_kinds_the_audit_accepts() -> None:
    """Issue 20: every product sign-in kind is a ledger kind and explains a sign-in in the
    audit; a rotation carries its check sign-in's time."""
    from bgwizard.audit.rules_access import PRODUCT_SIGNINS
    from bgwizard.drill.events import SIGNIN_KINDS, signin_data
    from bgwizard.drill.service import _drill_record
    from bgwizard.ledger.chain import KINDS

    assert set(SIGNIN_KINDS) | {"rotation"} == set(PRODUCT_SIGNINS)
    assert set(PRODUCT_SIGNINS) <= KINDS
    data = signin_data("setup-signin", "bg@x", "oid", signed_in=T0, checks=["holds GA"])
    assert data["signed_in"] == "2026-05-01T03:00:00Z" and data["checks"] == ["holds GA"]
    canonical_json(data)
    record = _drill_record("setup-signin", data)
    assert record is not None and (record.kind, record.account, record.when) == (
        "setup-signin", "oid", T0,
    )  # fmt: skip
    with pytest.raises(LedgerError, match="kind"):
        signin_data("drill", "bg@x", "oid", signed_in=T0)
    rotated = rotation_data("bg@x", "oid", retired_serials=[], new_serials=["B"], reason="lost",
                            when=T0, signed_in=T0 + dt.timedelta(minutes=4))  # fmt: skip
    record = _drill_record("rotation", rotated)
    assert record is not None and record.when == T0 + dt.timedelta(minutes=4)
    older = rotation_data("bg@x", "oid", retired_serials=[], new_serials=["B"], reason="lost",
                          when=T0)  # fmt: skip
    assert "signed_in" not in older
    record = _drill_record("rotation", older)
    assert record is not None and record.when == T0  # entries written before issue 20
    assert _drill_record("note", {"account_id": "oid", "signed_in": "2026-05-01T03:00:00Z"}) is None


@pytest.mark.parametrize(
    ("reason", "refusal"),
    [
        ("", "Type why"),
        ("   ", "Type why"),
        ("no keys", "at least 10 characters"),
        ("nokeysyetatall", "at least 10 characters"),  # one word is not a sentence
        ("keys come\x1b[2J next week", "printable"),
    ],
)
def test_a_skip_needs_a_printable_sentence(reason: str, refusal: str) -> None:
    assert refusal in (skip_reason_problem(reason) or "")
    with pytest.raises(LedgerError, match=refusal):
        credential_skip_data("bg@x", "oid", reason=reason, when=T0)


def test_a_skip_entry_is_a_ledger_kind_with_its_reason() -> None:
    data = credential_skip_data("bg@x", "oid", reason="  Keys arrive next week ", when=T0)
    assert skip_reason_problem("Keys arrive next week") is None
    assert data["reason"] == "Keys arrive next week" and data["when"] == "2026-05-01T03:00:00Z"
    assert CREDENTIAL_SKIPPED in KINDS
    canonical_json(data)
