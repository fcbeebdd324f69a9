"""The audit report's verdict, its JSON contract and text, and reading exported policies."""

from __future__ import annotations

import codecs
import json

import pytest
from audit_factory import FIXTURES, IDS, account, policy, snapshot

from bgwizard.audit.engine import run_audit
from bgwizard.audit.exports import decode, groups_of, normalize, parse_groups, parse_policies
from bgwizard.audit.model import Unread
from bgwizard.audit.render import to_json, to_json_data, to_text
from bgwizard.errors import PolicyFileError
from bgwizard.graph.model import AuthMethod

FINDING_KEYS = {"rule", "severity", "account", "policy", "message", "evidence", "fix"}


def failing_report():  # type: ignore[no-untyped-def]
    policies = (policy("Block legacy", exclude_users=(IDS[1],)), policy("Fine"))
    accounts = (
        account(1, methods=Unread("Throttled by Graph.")),
        account(2, methods=(*account(2).methods, AuthMethod("p", "phone"))),  # type: ignore[misc]
    )
    return run_audit(snapshot(accounts=accounts, policies=policies))


def test_json_keeps_the_contract_shape() -> None:
    data = json.loads(to_json(failing_report()))
    assert data["result"] == "fail"
    assert {f["severity"] for f in data["findings"]} <= {"error", "warning", "info"}
    for finding in data["findings"]:
        assert finding.keys() >= FINDING_KEYS
    gap = next(f for f in data["findings"] if f["rule"] == "ca.exclusion")
    assert gap == gap | {
        "severity": "error",
        "account": IDS[0],
        "policy": {"id": "pol-block-legacy", "displayName": "Block legacy"},
    }
    assert sorted((n["rule"], n["reason"]) for n in data["not_checked"]) == [
        ("auth.other_methods", "Throttled by Graph."),
        ("auth.strong_method", "Throttled by Graph."),
    ]
    assert data["summary"]["errors"] == 1
    assert data["summary"]["policies"] == 2


def test_json_of_a_passing_tenant_has_empty_lists() -> None:
    data = to_json_data(run_audit(snapshot()))
    assert data["result"] == "pass"
    assert data["findings"] == []
    assert data["not_checked"] == []
    assert data["passed"]


def test_incomplete_result_in_json() -> None:
    data = to_json_data(
        run_audit(snapshot(policies=Unread("Permission missing: Policy.Read.All.")))
    )
    assert data["result"] == "incomplete"
    assert data["not_checked"][0]["reason"] == "Permission missing: Policy.Read.All."


def test_text_leads_with_the_verdict_and_lists_by_severity() -> None:
    text = to_text(failing_report())
    lines = text.splitlines()
    assert lines[2].startswith("FAIL")
    assert text.index("ERRORS (1)") < text.index("WARNINGS") < text.index("NOT CHECKED")
    assert "policy: Block legacy (pol-block-legacy)" in text
    assert "fix: Add the account" in text


def test_text_of_an_incomplete_audit_says_it_cannot_pass() -> None:
    text = to_text(run_audit(snapshot(policies=Unread("Network down."))))
    assert "INCOMPLETE" in text
    assert "Network down." in text


# -- reading exports -------------------------------------------------------------------

POLICY = {
    "id": "p1",
    "displayName": "Block",
    "state": "enabled",
    "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": [IDS[0]]}},
}


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        lambda t: t.encode("utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom"],
)
def test_every_encoding_exports_use_is_read(encode) -> None:  # type: ignore[no-untyped-def]
    (parsed,) = parse_policies(encode(json.dumps(POLICY)), "p.json")
    assert parsed.exclude_users == (IDS[0],)


def test_pascal_case_and_annotations_are_normalised() -> None:
    pascal = {
        "Id": "p2",
        "DisplayName": "Block",
        "State": "enabled",
        "Conditions": {"Users": {"IncludeUsers": ["All"], "ExcludeGroups": ["g1"]}},
        "GrantControls": {"BuiltInControls": ["block"]},
        "State@odata.type": "#microsoft.graph.conditionalAccessPolicyState",
        "@odata.context": "https://graph.microsoft.com/beta/$metadata",
    }
    (parsed,) = parse_policies(
        json.dumps({"conditional_access_policies": pascal}).encode(), "s.json"
    )
    assert (parsed.id, parsed.exclude_groups, parsed.grant_controls) == ("p2", ("g1",), ("block",))
    assert "@odata.context" not in normalize(pascal)


def test_graph_pages_and_lists_are_read_and_templates_get_their_file_as_id() -> None:
    template = {k: v for k, v in POLICY.items() if k != "id"}
    page = {"value": [POLICY, template]}
    parsed = parse_policies(json.dumps(page).encode(), "dir/t.json")
    assert [p.id for p in parsed] == ["p1", "dir/t.json"]
    assert parse_policies(b'{"id": "group", "displayName": "not a policy"}', "g.json") == []


def test_invalid_files_say_which_and_where() -> None:
    with pytest.raises(PolicyFileError, match=r"bad.json is not valid JSON \(line 2\)"):
        parse_policies(b'{\n  "id": }', "bad.json")
    with pytest.raises(PolicyFileError, match="not UTF-8"):
        decode(b"\xff\xfe\x00\xd8", "x.json")


def test_real_exports_of_three_kinds_read() -> None:
    j0eyv = FIXTURES / "j0eyv-ConditionalAccessBaseline" / "ConditionalAccess"
    utf16 = j0eyv / "CA000-Global-IdentityProtection-AnyApp-AnyPlatform-MFA.json"
    assert utf16.read_bytes()[:2] == codecs.BOM_UTF16_LE
    (ca000,) = parse_policies(utf16.read_bytes(), utf16.name)
    assert ca000.exclude_roles == ("d29b2b05-8046-44ba-8758-1e26182fcf32",)
    rego = FIXTURES / "cisagov-ScubaGear" / "RunRegoStubs" / "ProviderSettingsExport.subset.json"
    (single,) = parse_policies(rego.read_bytes(), rego.name)
    assert single.include_users == ("GuestsOrExternalUsers",)


def test_group_files_in_both_shapes_and_nesting() -> None:
    members, names = parse_groups(json.dumps({"g1": ["g2"], "g2": [IDS[0]]}).encode(), "g.json")
    assert groups_of(IDS[0], members) == {"g1", "g2"}
    assert names == {}
    listed = [{"id": "g1", "displayName": "BG", "members": [{"id": IDS[1]}]}]
    members, names = parse_groups(json.dumps({"value": listed}).encode(), "g.json")
    assert groups_of(IDS[1], members) == {"g1"}
    assert names == {"g1": "BG"}
    with pytest.raises(PolicyFileError, match="must map group ids"):
        parse_groups(b'{"g1": "x"}', "g.json")
