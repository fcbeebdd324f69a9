"""The dataclasses Graph answers become (``bgwizard.graph.model``); pure, no network.

The policies come from the bundled sample tenant, which carries a real-world baseline set
(see ``bgwizard/data/SAMPLE_TENANT_SOURCES.md``).
"""

from __future__ import annotations

import copy

import pytest
from service_support import SAMPLE

from bgwizard.graph.model import CaPolicy, DirectoryUser

POLICIES = SAMPLE["conditionalAccessPolicies"]


@pytest.mark.parametrize("raw", POLICIES, ids=[p["displayName"][:40] for p in POLICIES])
def test_every_sample_policy_reads_back_its_user_conditions(raw: dict[str, object]) -> None:
    policy = CaPolicy.from_graph(raw)
    users = raw["conditions"]["users"]  # type: ignore[index]
    assert policy.id == raw["id"] and policy.state == raw["state"]
    assert list(policy.include_users) == (users.get("includeUsers") or [])
    assert list(policy.exclude_users) == (users.get("excludeUsers") or [])
    assert list(policy.exclude_groups) == (users.get("excludeGroups") or [])
    assert policy.raw is raw


def test_exclusion_patch_appends_once_and_keeps_the_rest() -> None:
    raw = copy.deepcopy(POLICIES[0])
    raw["conditions"]["users"]["excludeUsers"] = ["u-1"]
    policy = CaPolicy.from_graph(raw)
    patch = policy.exclusion_patch(("u-1", "u-2", "u-2"), ("g-1",))
    users = patch["conditions"]["users"]
    assert users["excludeUsers"] == ["u-1", "u-2"]
    assert users["excludeGroups"][-1] == "g-1" and users["excludeGroups"].count("g-1") == 1
    assert users["includeUsers"] == (raw["conditions"]["users"].get("includeUsers") or [])
    assert set(patch) == {"conditions"} and set(patch["conditions"]) == {"users"}
    assert raw["conditions"]["users"]["excludeUsers"] == ["u-1"]  # the backup is untouched


def test_excludes_through_a_group() -> None:
    raw = copy.deepcopy(POLICIES[0])
    raw["conditions"]["users"]["excludeGroups"] = ["g-9"]
    policy = CaPolicy.from_graph(raw)
    assert policy.excludes("someone", frozenset({"g-9"}))
    assert not policy.excludes("someone", frozenset({"g-8"}))


def test_a_policy_with_missing_sections_still_reads() -> None:
    policy = CaPolicy.from_graph({"id": "x", "displayName": "bare", "state": "disabled"})
    assert policy.exclude_users == () and policy.grant_controls == ()


@pytest.mark.parametrize(
    ("policies", "never"),
    [
        ("DisablePasswordExpiration", True),
        ("DisableStrongPassword, DisablePasswordExpiration", True),
        ("DisableStrongPassword", False),
        (None, False),
    ],
)
def test_password_never_expires(policies: str | None, never: bool) -> None:
    assert DirectoryUser("id", "upn", password_policies=policies).password_never_expires is never


def test_cloud_only_unless_synced() -> None:
    assert DirectoryUser("id", "upn").is_cloud_only
    assert not DirectoryUser("id", "upn", on_premises_sync_enabled=True).is_cloud_only
