"""Log entries other than drills: password rotations, real break glass uses (post-mortem), and
the sign-ins bgwizard itself makes (set-up verification, a passkey's registration check).

Pure: builds the ``data`` of a signed log entry (``kind`` ``rotation``, ``use``,
``setup-signin``, ``passkey-signin`` or ``credential-skipped``); the screens append them
through ``DrillRecorder``.
Every sign-in bgwizard makes is logged with its time (``signed_in``), so the audit can tell it
from an unexplained use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from bgwizard.errors import LedgerError
from bgwizard.ledger.chain import JsonValue

USE_FIELDS: Final = ("incident", "reason", "who", "actions", "lessons")
"""Post-mortem fields a real use must record (all required)."""
SIGNIN_KINDS: Final = {
    "setup-signin": "the set-up's verification sign-in",
    "passkey-signin": "a passkey's registration check",
}
"""Entry kinds of the sign-ins bgwizard makes outside drills and rotations, as people say them."""
CREDENTIAL_SKIPPED: Final = "credential-skipped"
"""Entry kind of an account the set-up left without a phishing-resistant credential, and why."""
MIN_REASON: Final = 10
"""Shortest reason accepted for skipping the phishing-resistant credential (characters)."""


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
    signed_in: dt.datetime | None = None,
) -> dict[str, JsonValue]:
    """The entry for a password rotation: which sheets were retired and which replace them.

    Args:
        account_upn: the account.
        account_id: its object id.
        retired_serials: sheets no longer valid.
        new_serials: the sheets of the new password.
        reason: why (drill finding, real use, lost sheet…).
        when: when the rotation was done.
        signed_in: when the check sign-in with the new password happened (the audit matches
            the account's last sign-in against it).

    Raises:
        LedgerError: no reason, or a naive time.
    """
    if not reason.strip():
        raise LedgerError("A rotation needs a reason (drill finding, real use, lost sheet…).")
    data: dict[str, JsonValue] = {
        "account": account_upn,
        "account_id": account_id,
        "when": _utc(when),
        "reason": reason.strip(),
        "retired_serials": list(retired_serials),
        "new_serials": list(new_serials),
    }
    if signed_in is not None:
        data["signed_in"] = _utc(signed_in)
    return data


def signin_data(
    kind: str,
    account_upn: str,
    account_id: str,
    *,
    signed_in: dt.datetime,
    checks: Sequence[str] = (),
) -> dict[str, JsonValue]:
    """The entry for a sign-in bgwizard made as the account (``kind`` in ``SIGNIN_KINDS``).

    Args:
        kind: ``setup-signin`` or ``passkey-signin``.
        account_upn: the account that signed in.
        account_id: its object id.
        signed_in: when the sign-in happened.
        checks: what the sign-in proved, one short sentence each.

    Raises:
        LedgerError: an unknown kind or a naive time.
    """
    if kind not in SIGNIN_KINDS:
        raise LedgerError(f"Unknown sign-in entry kind {kind!r}.")
    return {
        "account": account_upn,
        "account_id": account_id,
        "signed_in": _utc(signed_in),
        "purpose": SIGNIN_KINDS[kind],
        "checks": list(checks),
    }


def skip_reason_problem(reason: str) -> str | None:
    """Why ``reason`` cannot stand as the reason for skipping an account's credential, or None.

    A reason is a sentence a reviewer can act on: printable, at least ``MIN_REASON`` characters
    and more than one word.
    """
    text = reason.strip()
    if not text:
        return "Type why this account gets neither a passkey nor certificate-based auth."
    if not text.isprintable():
        return "The reason may hold only printable characters (no control characters)."
    if len(text) < MIN_REASON or len(text.split()) < 2:
        return (
            f"Say why in a sentence of at least {MIN_REASON} characters"
            " (e.g. 'The security keys arrive next week')."
        )
    return None


def credential_skip_data(
    account_upn: str, account_id: str, *, reason: str, when: dt.datetime
) -> dict[str, JsonValue]:
    """The entry for an account the set-up left without a phishing-resistant credential.

    Args:
        account_upn: the account.
        account_id: its object id.
        reason: why, as the operator typed it (see ``skip_reason_problem``).
        when: when the operator decided it.

    Raises:
        LedgerError: the reason is not a usable sentence, or the time is naive.
    """
    if problem := skip_reason_problem(reason):
        raise LedgerError(problem)
    return {
        "account": account_upn,
        "account_id": account_id,
        "when": _utc(when),
        "reason": reason.strip(),
        "password_only": "the password sheet is the account's only way in",
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
