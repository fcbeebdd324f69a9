"""The audit as SARIF 2.1.0 (OASIS), for GitHub code scanning and other SARIF readers.

One run of the ``bgwizard`` tool holds every tenant's results (GitHub code scanning wants one
run per tool and category). Errors, warnings and infos are results of level ``error``,
``warning`` and ``note``; a check that could not run is a result of kind ``open`` ("could not
be determined"), one not applicable (or of a status this version does not know) of kind
``notApplicable``, both with level ``none`` as SARIF requires for kinds other than ``fail``.
Passed checks are counted in the run's properties, not listed. A tenant whose audit could not
run at all makes the invocation unsuccessful, with a tool execution notification.

A tenant is not a file, but code scanning needs a physical location: every result points at
the file that configured the audit (the tenants file or profile, when relative to the
repository) and names tenant, account and policy as logical locations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Final

from bgwizard import __version__
from bgwizard.audit.outcomes import Outcome, TenantResult
from bgwizard.audit.rules import RULES

SARIF_SCHEMA: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
DEFAULT_ARTIFACT: Final = "bgwizard-audit"
_LEVELS: Final = {"error": "error", "warning": "warning", "info": "note"}


def _rule(rule: str) -> dict[str, Any]:
    title = RULES.get(rule, rule)
    return {
        "id": rule,
        "name": "".join(part.title() for part in rule.replace("_", ".").split(".")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"bgwizard audit rule {rule}: {title}."},
        "properties": {"tags": ["security", "entra-id", "break-glass"]},
    }


def _kind(outcome: Outcome) -> dict[str, str]:
    level = _LEVELS.get(outcome.status)
    if level is not None:
        return {"kind": "fail", "level": level}
    if outcome.status == "not_checked":
        return {"kind": "open", "level": "none"}
    return {"kind": "notApplicable", "level": "none"}


def _message(outcome: Outcome, tenant: TenantResult) -> str:
    parts = [f"{tenant.label} / {outcome.who}: {outcome.message}"]
    if outcome.policy_id:
        parts.append(f"Policy: {outcome.policy_name or outcome.policy_id} ({outcome.policy_id}).")
    if outcome.status == "not_checked":
        parts.append("The check could not run, so it did not pass.")
    if outcome.fix:
        parts.append(f"Fix: {outcome.fix}")
    return " ".join(parts)


def _fingerprint(outcome: Outcome, tenant: TenantResult) -> str:
    key = "\x1f".join(
        (tenant.tenant_id or tenant.label, outcome.rule, outcome.account, outcome.policy_id)
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _location(outcome: Outcome, tenant: TenantResult, artifact: str) -> dict[str, Any]:
    tenant_name = tenant.tenant_id or tenant.label
    logical = [
        {"name": tenant.label, "fullyQualifiedName": tenant_name, "kind": "namespace"},
        {
            "name": outcome.who,
            "fullyQualifiedName": f"{tenant_name}/{outcome.account or 'tenant'}",
            "kind": "object",
        },
    ]
    if outcome.policy_id:
        logical.append(
            {
                "name": outcome.policy_name or outcome.policy_id,
                "fullyQualifiedName": f"{tenant_name}/policies/{outcome.policy_id}",
                "kind": "object",
            }
        )
    return {
        "physicalLocation": {"artifactLocation": {"uri": artifact}},
        "logicalLocations": logical,
    }


def _result(outcome: Outcome, tenant: TenantResult, index: int, artifact: str) -> dict[str, Any]:
    properties = {
        "tenantId": tenant.tenant_id,
        "tenant": tenant.label,
        "account": outcome.account,
        "upn": outcome.upn,
        "status": outcome.status,
    }
    if outcome.evidence:
        properties["evidence"] = outcome.evidence
    return {
        "ruleId": outcome.rule,
        "ruleIndex": index,
        **_kind(outcome),
        "message": {"text": _message(outcome, tenant)},
        "locations": [_location(outcome, tenant, artifact)],
        "partialFingerprints": {"bgwizardFinding/v1": _fingerprint(outcome, tenant)},
        "properties": properties,
    }


def to_sarif_data(
    tenants: Sequence[TenantResult], artifact: str = DEFAULT_ARTIFACT
) -> dict[str, Any]:
    """The audits as a SARIF 2.1.0 log (JSON-ready data).

    Args:
        tenants: one JSON document per tenant audited.
        artifact: the repository-relative file the results point at.

    Returns:
        The SARIF log.
    """
    rules: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    passed = 0
    for tenant in tenants:
        for outcome in tenant.outcomes():
            if outcome.verdict == "pass" and outcome.status == "ok":
                passed += 1
                continue
            index = rules.setdefault(outcome.rule, len(rules))
            results.append(_result(outcome, tenant, index, artifact))
            if outcome.verdict == "error":
                notifications.append(
                    {
                        "level": "error",
                        "message": {"text": f"{tenant.label}: {outcome.message}"},
                    }
                )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bgwizard",
                        "version": __version__,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "automationDetails": {"id": "bgwizard-audit/"},
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
                "properties": {
                    "passedChecks": passed,
                    "tenants": [
                        {"tenant": t.label, "tenantId": t.tenant_id, "result": t.result}
                        for t in tenants
                    ],
                },
            }
        ],
    }


def to_sarif(tenants: Sequence[TenantResult], artifact: str = DEFAULT_ARTIFACT) -> str:
    """The audits as SARIF 2.1.0 JSON text (indented, ending in a newline).

    Args:
        tenants: one JSON document per tenant audited.
        artifact: the repository-relative file the results point at.

    Returns:
        The SARIF document.
    """
    return json.dumps(to_sarif_data(tenants, artifact), indent=2, ensure_ascii=False) + "\n"
