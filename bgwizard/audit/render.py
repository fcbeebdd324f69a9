"""An ``AuditReport`` as text for people and as JSON for pipelines.

The JSON shape is a contract (issue 5): ``result``, ``findings`` (rule, severity, account,
policy, message, evidence, fix) and ``not_checked`` (rule, reason) are always there; the
other keys are additions.
"""

from __future__ import annotations

import json
from typing import Any, Final

from bgwizard.audit.model import AuditReport, Finding, Severity
from bgwizard.text import plural

SCHEMA_VERSION: Final = 1
_HEADINGS: Final[dict[Severity, str]] = {
    "error": "ERRORS",
    "warning": "WARNINGS",
    "not_checked": "NOT CHECKED",
    "info": "FOR INFORMATION",
    "not_applicable": "NOT APPLICABLE (LICENCE)",
}
_VERDICTS: Final = {
    "pass": "PASS: every check ran and found no error.",
    "fail": "FAIL: errors were found.",
    "incomplete": "INCOMPLETE: some checks could not run, so the audit cannot pass.",
}


def _policy(finding: Finding) -> dict[str, str] | None:
    if finding.policy is None:
        return None
    return {"id": finding.policy.id, "displayName": finding.policy.display_name}


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding as the contract's JSON object.

    Args:
        finding: an error, warning or info.

    Returns:
        ``{"rule", "severity", "account", "policy", "message", "evidence", "fix", "upn"}``.
    """
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "account": finding.account,
        "upn": finding.upn or None,
        "policy": _policy(finding),
        "message": finding.message,
        "evidence": finding.evidence,
        "fix": finding.fix,
    }


def _not_checked_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "reason": finding.message,
        "account": finding.account,
        "policy": _policy(finding),
    }


def _passed_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "account": finding.account,
        "policy": _policy(finding),
        "message": finding.message,
    }


def to_json_data(report: AuditReport) -> dict[str, Any]:
    """The report as JSON-ready data.

    Args:
        report: the report.

    Returns:
        The document (see the module docstring for the contract).
    """
    return {
        "result": report.result,
        "findings": [finding_json(f) for f in report.problems],
        "not_checked": [_not_checked_json(f) for f in report.not_checked],
        "not_applicable": [_not_checked_json(f) for f in report.not_applicable],
        "summary": {
            "errors": report.count("error"),
            "warnings": report.count("warning"),
            "info": report.count("info"),
            "not_checked": report.count("not_checked"),
            "not_applicable": report.count("not_applicable"),
            "passed": report.count("ok"),
            "policies": report.policy_count,
        },
        "tenant": {"id": report.tenant_id or None, "displayName": report.tenant_name or None},
        "accounts": [{"id": oid or None, "upn": upn} for oid, upn in report.accounts],
        "generated": report.generated.isoformat(),
        "offline": report.offline,
        "passed": [_passed_json(f) for f in report.passed],
        "schemaVersion": SCHEMA_VERSION,
    }


def to_json(report: AuditReport) -> str:
    """The report as a JSON document (UTF-8 text, indented, ending in a newline)."""
    return json.dumps(to_json_data(report), indent=2, ensure_ascii=False) + "\n"


def summary_line(report: AuditReport) -> str:
    """``3 errors, 2 warnings, 0 not checked, 1 info, 71 passed``."""
    na = report.count("not_applicable")
    return (
        f"{plural(report.count('error'), 'error')}, {plural(report.count('warning'), 'warning')}, "
        f"{report.count('not_checked')} not checked, {report.count('info')} info, "
        + (f"{na} not applicable (licence), " if na else "")
        + f"{report.count('ok')} passed"
    )


def _finding_text(finding: Finding) -> list[str]:
    who = finding.upn or finding.account or "tenant"
    lines = [f"- [{finding.rule}] {who}: {finding.message}"]
    if finding.policy is not None:
        lines.append(f"    policy: {finding.policy.display_name} ({finding.policy.id})")
    if finding.severity != "not_checked":
        lines.extend(f"    {line}" for line in finding.evidence.splitlines() if line)
    if finding.fix:
        lines.append(f"    fix: {finding.fix}")
    return lines


def to_text(report: AuditReport) -> str:
    """The report as plain text: verdict, counts, then findings by severity.

    Args:
        report: the report.

    Returns:
        The text, ending in a newline.
    """
    tenant = report.tenant_name or report.tenant_id or "offline policy files"
    lines = [
        f"bgwizard audit of {tenant} at {report.generated:%Y-%m-%d %H:%M} UTC",
        "Accounts: " + (", ".join(upn or oid for oid, upn in report.accounts) or "none"),
        _verdict(report),
        summary_line(report),
    ]
    for severity, heading in _HEADINGS.items():
        items = report.of(severity)
        if items:
            lines += ["", f"{heading} ({len(items)})"]
            for finding in items:
                lines += _finding_text(finding)
    return "\n".join(lines) + "\n"


def _verdict(report: AuditReport) -> str:
    if report.result == "pass" and report.count("not_applicable"):
        return "PASS: every check this tenant's licence allows ran and found no error."
    return _VERDICTS[report.result]


def failure_json(reason: str, rule: str = "audit.run") -> str:
    """The JSON document of an audit that could not run at all (sign-in refused, no profile).

    Args:
        reason: the error's one sentence.
        rule: what could not run.

    Returns:
        A contract-shaped document with result ``incomplete`` and the reason.
    """
    document = {
        "result": "incomplete",
        "findings": [],
        "not_checked": [{"rule": rule, "reason": reason, "account": None, "policy": None}],
        "schemaVersion": SCHEMA_VERSION,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
