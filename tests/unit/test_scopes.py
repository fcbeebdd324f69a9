"""The journey → scopes map (``bgwizard.auth.scopes``) checked against Microsoft's table."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from bgwizard.auth import scopes as sc

TABLE: dict[str, Any] = json.loads(
    resources.files("bgwizard.data").joinpath("graph-ground-truth.json").read_text("utf-8")
)
OPERATIONS: dict[str, dict[str, Any]] = {op["id"]: op for op in TABLE["operations"]}
_PERMISSION = re.compile(r"[A-Z][A-Za-z]+(?:-[A-Za-z]+)?(?:\.[A-Za-z]+)+")


def _least(op: dict[str, Any]) -> list[str]:
    """Every permission name the table's least-privileged delegated text mentions, in order."""
    return _PERMISSION.findall(str(op["least_privileged"]["delegated"]))


def _named(op: dict[str, Any]) -> set[str]:
    higher = op.get("higher_privileged", {}).get("delegated") or []
    return set(_least(op)) | set(higher) | set(_PERMISSION.findall(str(op.get("notes") or "")))


USES = [(name, use) for name, uses in sc.JOURNEYS.items() for use in uses]


@pytest.mark.parametrize(("journey", "use"), USES, ids=[f"{j}:{u.operation}" for j, u in USES])
def test_every_scope_is_one_the_table_names_for_that_operation(journey: str, use: sc.Use) -> None:
    op = OPERATIONS[use.operation]  # a KeyError names an operation the table does not have
    named = _named(op) | (_named(OPERATIONS[use.also]) if use.also else set())
    for scope in use.scopes:
        assert scope in named, f"{journey}: {scope} is not named for {use.operation}"


@pytest.mark.parametrize(("journey", "use"), USES, ids=[f"{j}:{u.operation}" for j, u in USES])
def test_the_least_privileged_entry_is_used_or_the_departure_has_a_reason(
    journey: str, use: sc.Use
) -> None:
    least = _least(OPERATIONS[use.operation])
    if use.scopes[0] != least[0] and set(use.scopes) != set(least):
        assert use.why, f"{journey}: {use.operation} asks {use.scopes}, table says {least[0]}"


def test_sign_in_activity_comes_with_a_user_read_permission() -> None:
    # The table: signInActivity needs AuditLog.Read.All "in addition to a user-read permission".
    for name, uses in sc.JOURNEYS.items():
        if any(u.operation == "user-signInActivity" for u in uses):
            assert {"User.Read", "User.Read.All"} & set(sc.scopes_for(name)), name


def test_documented_exceptions_are_followed() -> None:
    setup = set(sc.scopes_for("set-up"))
    assert {"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"} <= set(
        sc.scopes_for("ca-change")
    )
    assert "User-PasswordProfile.ReadWrite.All" in sc.scopes_for("rotation")
    assert "UserAuthMethod-Passkey.ReadWrite.All" in sc.scopes_for("passkeys")
    assert {"User.Create", "RoleManagement.ReadWrite.Directory"} <= setup
    ca_update = _least(OPERATIONS["ca-update"])
    assert set(ca_update) == {"Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"}


@pytest.mark.parametrize("journey", ["audit", "break-glass", "sign-in", "drill"])
def test_reading_journeys_never_ask_for_a_write_scope(journey: str) -> None:
    writes = [s for s in sc.scopes_for(journey) if sc.is_write(s)]
    assert writes == []


def test_no_journey_asks_for_default_or_directory_wide_scopes() -> None:
    for name in sc.JOURNEYS:
        for scope in sc.scopes_for(name):
            assert ".default" not in scope
            assert not scope.startswith("Directory."), (name, scope)


def test_rotation_asks_only_for_what_a_password_reset_needs() -> None:
    assert sc.scopes_for("rotation") == (
        "Domain.Read.All",
        "User-PasswordProfile.ReadWrite.All",
        "User.Read",
        "User.Read.All",
    )


def test_unknown_journey_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        sc.scopes_for("nope")
