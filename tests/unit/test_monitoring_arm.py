"""ARM templates: valid JSON with the resource types and API versions Azure documents."""

from __future__ import annotations

import json
import re
from typing import Any

from bgwizard.monitoring.arm import build_export
from bgwizard.monitoring.rules import account_refs, build_rules
from bgwizard.profile.model import BreakGlassAccount

ACCOUNTS = account_refs(
    [
        BreakGlassAccount("bg-a@contoso.onmicrosoft.com", "aaaaaaaa-1111-4222-8333-444444444444"),
        BreakGlassAccount("bg-b@contoso.onmicrosoft.com", "bbbbbbbb-1111-4222-8333-444444444444"),
    ]
)
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
NAME_PATTERN = (
    r"\[concat\(parameters\('workspace'\), '/Microsoft\.SecurityInsights/([0-9a-f-]{36})'\)\]"
)
ISO_DURATION = re.compile(r"^P(T\d+[HMS])+$|^P\d+D$")


def files() -> dict[str, str]:
    return {f.name: f.content for f in build_export(ACCOUNTS)}


def template(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(files()[name])
    return document


def test_export_lists_one_kql_per_rule_beside_the_templates() -> None:
    names = set(files())
    assert {f"{r.key}.kql" for r in build_rules(ACCOUNTS)} <= names
    assert {"azure-monitor-alert-rules.json", "sentinel-analytics-rules.json", "DEPLOY.md"} <= names
    assert all(content.endswith("\n") for content in files().values())


def test_azure_monitor_template_shape() -> None:
    doc = template("azure-monitor-alert-rules.json")
    assert doc["$schema"] == SCHEMA
    assert doc["contentVersion"] == "1.0.0.0"
    assert {"workspaceResourceId", "actionGroupId"} <= set(doc["parameters"])
    assert all(p["type"] == "string" for p in doc["parameters"].values())
    resources = doc["resources"]
    assert [r["name"] for r in resources] == [
        f"bgwizard-{r.key}" for r in build_rules(ACCOUNTS) if r.log_analytics
    ]
    assert len(resources) == 10  # any sign-in, and every change rule
    for resource in resources:
        assert resource["type"] == "Microsoft.Insights/scheduledQueryRules"
        assert resource["apiVersion"] == "2023-12-01"
        assert resource["kind"] == "LogAlert"
        props = resource["properties"]
        assert props["scopes"] == ["[parameters('workspaceResourceId')]"]
        assert props["actions"]["actionGroups"] == ["[parameters('actionGroupId')]"]
        assert props["enabled"] is True
        assert ISO_DURATION.match(props["evaluationFrequency"])
        assert ISO_DURATION.match(props["windowSize"])
        (condition,) = props["criteria"]["allOf"]
        assert (condition["timeAggregation"], condition["operator"], condition["threshold"]) == (
            "Count",
            "GreaterThan",
            0,
        )
        assert all(a.object_id in condition["query"] for a in ACCOUNTS)


def test_signin_alert_is_critical_every_five_minutes_over_an_hour() -> None:
    signin = template("azure-monitor-alert-rules.json")["resources"][0]["properties"]
    assert (signin["severity"], signin["evaluationFrequency"], signin["windowSize"]) == (
        0,
        "PT5M",
        "PT1H",
    )
    query = signin["criteria"]["allOf"][0]["query"]
    assert "(SigninLogs |" in query and "(AADNonInteractiveUserSignInLogs |" in query
    assert signin["autoMitigate"] is False


def minutes(duration: str) -> int:
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", duration)
    assert found, duration
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


def test_every_deployed_rule_looks_back_further_than_it_runs_and_says_so() -> None:
    periods = [
        (p["evaluationFrequency"], p["windowSize"], p["criteria"]["allOf"][0]["query"], p)
        for p in (r["properties"] for r in template("azure-monitor-alert-rules.json")["resources"])
    ] + [
        (p["queryFrequency"], p["queryPeriod"], p["query"], p)
        for p in (r["properties"] for r in template("sentinel-analytics-rules.json")["resources"])
    ]
    assert len(periods) == 21
    for frequency, window, query, props in periods:
        assert minutes(window) > minutes(frequency), props["displayName"]
        every = re.search(r"let RunEvery = (\d+)([mh]);", query)
        back = re.search(r"let LookBack = (\d+)([mh]);", query)
        assert every and back
        as_minutes = {"m": 1, "h": 60}
        assert int(every.group(1)) * as_minutes[every.group(2)] == minutes(frequency)
        assert int(back.group(1)) * as_minutes[back.group(2)] == minutes(window)
        assert "ingestion_time() > ago(RunEvery)" in query or ("Ingested > ago(RunEvery)" in query)
        assert "ingested since the previous run" in props["description"]


def test_sentinel_template_shape() -> None:
    doc = template("sentinel-analytics-rules.json")
    assert doc["$schema"] == SCHEMA
    assert doc["contentVersion"] == "1.0.0.0"
    assert set(doc["parameters"]) == {"workspace"}
    rules = {r.sentinel_rule_id: r for r in build_rules(ACCOUNTS) if r.sentinel}
    assert len(doc["resources"]) == len(rules) == 11
    for resource in doc["resources"]:
        assert resource["type"] == "Microsoft.OperationalInsights/workspaces/providers/alertRules"
        assert resource["apiVersion"] == "2024-09-01"
        assert resource["kind"] == "Scheduled"
        match = re.fullmatch(NAME_PATTERN, resource["name"])
        assert match and match.group(1) in rules
        props = resource["properties"]
        assert props["severity"] in {"High", "Medium", "Low", "Informational"}
        assert ISO_DURATION.match(props["queryFrequency"]) and ISO_DURATION.match(
            props["queryPeriod"]
        )
        assert (props["triggerOperator"], props["triggerThreshold"]) == ("GreaterThan", 0)
        assert props["incidentConfiguration"]["createIncident"] is True
        assert all(a.object_id in props["query"] for a in ACCOUNTS)


def test_successful_signin_rule_maps_account_and_ip() -> None:
    doc = template("sentinel-analytics-rules.json")
    success = next(
        r
        for r in doc["resources"]
        if r["properties"]["displayName"].endswith("signed in successfully")
    )
    props = success["properties"]
    assert props["severity"] == "High"
    mappings = {m["entityType"]: m["fieldMappings"] for m in props["entityMappings"]}
    assert {"identifier": "FullName", "columnName": "UserPrincipalName"} in mappings["Account"]
    assert {"identifier": "AadUserId", "columnName": "UserId"} in mappings["Account"]
    assert mappings["IP"] == [{"identifier": "Address", "columnName": "IPAddress"}]
    for mapping in mappings.values():  # every mapped column is one the query projects
        for field in mapping:
            assert field["columnName"] in props["query"]


def test_instructions_give_the_az_commands_for_both_templates() -> None:
    text = files()["DEPLOY.md"]
    assert text.count("az deployment group create") == 2
    assert "--template-file azure-monitor-alert-rules.json" in text
    assert "--template-file sentinel-analytics-rules.json" in text
    assert "actionGroupId=" in text and "workspaceResourceId=" in text
    assert "**SignInLogs**" in text and "**AuditLogs**" in text
    assert "**NonInteractiveUserSignInLogs**" in text
    assert all(a.upn in text and a.object_id in text for a in ACCOUNTS)
    assert "Exclusion group: none given" in text
    for rule in build_rules(ACCOUNTS):  # per rule: what it watches
        assert f"`{rule.key}.kql` — {rule.title}\n  - watches: {rule.watches}" in text


def test_every_sentinel_entity_column_is_one_the_query_projects() -> None:
    for resource in template("sentinel-analytics-rules.json")["resources"]:
        props = resource["properties"]
        assert props["entityMappings"], props["displayName"]
        for mapping in props["entityMappings"]:
            for field in mapping["fieldMappings"]:
                assert re.search(rf"\b{field['columnName']}\b", props["query"]), field


def test_the_group_and_rmau_are_named_by_object_id_when_given() -> None:
    group, rmau = "cccccccc-1111-4222-8333-444444444444", "dddddddd-1111-4222-8333-444444444444"
    export = {
        f.name: f.content
        for f in build_export(ACCOUNTS, exclusion_group_id=group.upper(), rmau_id=rmau)
    }
    assert f"Exclusion group: object id `{group}`" in export["DEPLOY.md"]
    for name, text in export.items():
        if name.endswith(".kql"):
            assert f'let ExclusionGroupIds = dynamic(["{group}"]);' in text
            assert f'let RmauIds = dynamic(["{rmau}"]);' in text


def test_defender_rule_is_a_graph_detection_rule_body() -> None:
    rule = template("defender-xdr-signin-rule.json")
    assert set(rule) == {
        "displayName",
        "isEnabled",
        "queryCondition",
        "schedule",
        "detectionAction",
    }
    assert rule["schedule"] == {"period": "1H"}
    query = rule["queryCondition"]["queryText"]
    assert query.count("AADSignInEventsBeta") == 1
    assert all(a.object_id in query and a.upn in query for a in ACCOUNTS)
    # Custom detections need Timestamp and ReportId, and the column the impacted asset names.
    projected = query.split("| project", 1)[1]
    assert re.search(r"\bTimestamp\b", projected) and re.search(r"\bReportId\b", projected)
    template_ = rule["detectionAction"]["alertTemplate"]
    assert template_["severity"] == "high"
    (asset,) = template_["impactedAssets"]
    assert asset == {
        "@odata.type": "#microsoft.graph.security.impactedUserAsset",
        "identifier": "accountObjectId",
    }
    assert "AccountObjectId" in projected
    text = files()["DEPLOY.md"]
    assert "--body @defender-xdr-signin-rule.json" in text
