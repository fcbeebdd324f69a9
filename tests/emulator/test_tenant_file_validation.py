"""Issue 13 §4: bad tenant files are one sentence each, never a traceback or a silent accept.

Each case mutates the bundled sample tenant in one way. On main, 48 such files gave 8
tracebacks (``int()`` on settings, group members, ``delegatedScopes``, ``authMethods`` items,
deep nesting) and 6 silent accepts (``pageSize`` 0 made paging loop forever; duplicate app and
role-assignment ids).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bgwizard.emulator.errors import TenantFileError
from bgwizard.emulator.tenant.file import bundled_sample, load_tenant

SAMPLE: dict[str, Any] = json.loads(bundled_sample().read_text(encoding="utf-8"))
Mutation = Callable[[dict[str, Any]], object]


def _set(*path: str | int, value: object) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _dup(section: str, key: str = "id") -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        copy_ = copy.deepcopy(doc[section][0])
        if key != "id":
            copy_["displayName"] = "Another"
        doc[section].append(copy_)

    return mutate


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "settings not an object": (_set("settings", value=[]), "settings"),
    "pageSize 0": (_set("settings", "pageSize", value=0), "settings.pageSize"),
    "pageSize -5": (_set("settings", "pageSize", value=-5), "settings.pageSize"),
    "pageSize text": (_set("settings", "pageSize", value="ten"), "settings.pageSize"),
    "pageSize float": (_set("settings", "pageSize", value=2.5), "settings.pageSize"),
    "pageSize huge": (_set("settings", "pageSize", value=10**6), "settings.pageSize"),
    "pageSize list": (_set("settings", "pageSize", value=[1]), "settings.pageSize"),
    "pageSize bool": (_set("settings", "pageSize", value=True), "settings.pageSize"),
    "maxPageSize below pageSize": (_set("settings", "maxPageSize", value=1), "maxPageSize"),
    "token lifetime text": (
        _set("settings", "tokenLifetimeSeconds", value="1h"),
        "tokenLifetimeSeconds",
    ),
    "device code lifetime 0": (
        _set("settings", "deviceCodeLifetimeSeconds", value=0),
        "deviceCodeLifetimeSeconds",
    ),
    "passkey challenge null": (
        _set("settings", "passkeyChallengeSeconds", value=None),
        "passkeyChallengeSeconds",
    ),
    "ropcEnabled text": (_set("settings", "ropcEnabled", value="yes"), "ropcEnabled"),
    "group members not a list": (_set("groups", 0, "members", value="x"), "groups[0].members"),
    "group member a number": (_set("groups", 0, "members", value=[5]), "groups[0].members"),
    "group member an object": (
        _set("groups", 0, "members", value=[{"id": "x"}]),
        "groups[0].members",
    ),
    "group id a number": (_set("groups", 0, "id", value=7), "groups[0].id"),
    "delegatedScopes text": (_set("apps", 0, "delegatedScopes", value="User.Read"), "apps[0]"),
    "delegatedScopes numbers": (_set("apps", 0, "delegatedScopes", value=[1]), "apps[0]"),
    "applicationPermissions object": (
        _set("apps", 0, "applicationPermissions", value={"a": 1}),
        "apps[0]",
    ),
    "publicClient text": (_set("apps", 0, "publicClient", value="no"), "apps[0].publicClient"),
    "certificates text": (_set("apps", 0, "certificates", value="PEM"), "apps[0].certificates"),
    "certificate number": (_set("apps", 0, "certificates", value=[1]), "apps[0].certificates"),
    "duplicate appId": (_dup("apps", "appId"), "repeats appId"),
    "duplicate role assignment id": (_dup("roleAssignments"), "repeats id"),
    "duplicate eligibility id": (_dup("roleEligibilities"), "repeats id"),
    "assignment id a number": (_set("roleAssignments", 0, "id", value=3), "roleAssignments[0].id"),
    "assignment scope a number": (
        _set("roleAssignments", 0, "directoryScopeId", value=1),
        "directoryScopeId",
    ),
    "assignment end a list": (_set("roleAssignments", 0, "endDateTime", value=[1]), "endDateTime"),
    "authMethods items text": (
        _set("authMethods", "admin@contosologistics.onmicrosoft.com", value="x"),
        "authMethods",
    ),
    "authMethods item a number": (
        _set("authMethods", "admin@contosologistics.onmicrosoft.com", value=[1]),
        "authMethods",
    ),
    "authMethods a list": (_set("authMethods", value=[]), "authMethods"),
    "authMethods unknown user": (_set("authMethods", "nobody@x", value=[]), "unknown user"),
    "user id a number": (_set("users", 0, "id", value=12), "users[0].id"),
    "user password a number": (_set("users", 0, "password", value=1234), "users[0].password"),
    "user without upn": (lambda d: d["users"][0].pop("userPrincipalName"), "userPrincipalName"),
    "user a string": (_set("users", 0, value="admin"), "users[0]"),
    "users an object": (_set("users", value={}), "users"),
    "diagnosticSettings numbers": (_set("diagnosticSettings", value=[1]), "diagnosticSettings"),
    "signIns strings": (_set("signIns", value=["x"]), "signIns"),
    "directoryAudits object": (_set("directoryAudits", value={}), "directoryAudits"),
    "policy without id": (lambda d: d["conditionalAccessPolicies"][0].pop("id"), "id"),
    "policy a string": (_set("conditionalAccessPolicies", 0, value="p"), "Policies[0]"),
    "licence unknown": (_set("tenant", "licence", value="e5"), "tenant.licence"),
    "no initial domain": (_set("tenant", "domains", value=[]), "isInitial"),
    "domain a string": (
        _set("tenant", "domains", value=["x", {"id": "y", "isInitial": True}]),
        "domains[0]",
    ),
    "tenant id a number": (_set("tenant", "id", value=1), "tenant.id"),
    "unknown assignment principal": (
        _set("roleAssignments", 0, "principalId", value="nobody"),
        "unknown principal",
    ),
    "deep nesting in a policy": (
        _set("conditionalAccessPolicies", 0, "conditions", value=json.loads("[" * 500 + "]" * 500)),
        "nested too deeply",
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_bad_tenant_file_is_one_sentence(tmp_path: Path, name: str) -> None:
    mutate, key = MUTATIONS[name]
    doc = copy.deepcopy(SAMPLE)
    mutate(doc)
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(TenantFileError) as info:
        load_tenant(path)
    message = str(info.value)
    assert "\n" not in message and message.endswith("."), message
    assert key in message, message


@pytest.mark.parametrize(
    "content",
    [b"[" * 200_000 + b"]" * 200_000, b'{"a": ' + b"1" * 5000 + b"}", b"\xff\xfe\x00", b""],
    ids=["deep", "huge-int", "binary", "empty"],
)
def test_unreadable_json_is_one_sentence(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tenant.json"
    path.write_bytes(content)
    with pytest.raises(TenantFileError) as info:
        load_tenant(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "tenant.json"
    os.mkfifo(path)
    with pytest.raises(TenantFileError, match="FIFO"):
        load_tenant(path)


def test_the_sample_still_loads() -> None:
    state = load_tenant()
    assert state.settings.page_size == 10 and state.apps
