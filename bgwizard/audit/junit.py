"""The audit as JUnit XML: one test suite per tenant, one test case per rule × account.

CI systems (Azure DevOps' Publish Test Results, GitHub test reporters, GitLab) read JUnit
natively. As in Maester's JUnit output, a rule that found an error is a ``<failure>``, a check
that could not run (or is not applicable, or has a status this version does not know) is
``<skipped>``, and an audit that could not run at all (``audit.run``) is an ``<error>``.
Warnings and infos pass, as they do for the exit code; their text is in ``<system-out>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Final

from bgwizard.audit.outcomes import Outcome, TenantResult, case_verdict, group_by_case

_ELEMENT: Final = {"fail": "failure", "skip": "skipped", "error": "error"}


def _line(outcome: Outcome) -> str:
    policy = f" [policy {outcome.policy_name or outcome.policy_id}]" if outcome.policy_id else ""
    line = f"{outcome.status}: {outcome.message}{policy}"
    if outcome.fix:
        line += f" Fix: {outcome.fix}"
    return line


def _case(rule: str, who: str, outcomes: list[Outcome]) -> ET.Element:
    case = ET.Element("testcase", classname=f"bgwizard.{rule}", name=f"{rule} ({who})")
    case.set("time", "0")
    verdict = case_verdict(outcomes)
    if verdict != "pass":
        chosen = [o for o in outcomes if o.verdict == verdict]
        element = ET.SubElement(case, _ELEMENT[verdict], message=chosen[0].message)
        if verdict != "skip":
            element.set("type", chosen[0].status)
            element.text = "\n".join(_line(o) + _evidence(o) for o in chosen)
    notes = [_line(o) for o in outcomes if o.status in ("warning", "info")]
    if notes:
        ET.SubElement(case, "system-out").text = "\n".join(notes)
    return case


def _evidence(outcome: Outcome) -> str:
    return "".join(f"\n    {line}" for line in outcome.evidence.splitlines() if line)


def _suite(tenant: TenantResult) -> ET.Element:
    suite = ET.Element("testsuite", name=tenant.label)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("tenantId", tenant.tenant_id), ("result", tenant.result)):
        ET.SubElement(properties, "property", name=name, value=value)
    generated = tenant.document.get("generated")
    if generated:
        suite.set("timestamp", str(generated)[:19])
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for (rule, who), outcomes in group_by_case(tenant.outcomes()).items():
        suite.append(_case(rule, who, outcomes))
        counts["tests"] += 1
        verdict = case_verdict(outcomes)
        counted = {"fail": "failures", "error": "errors", "skip": "skipped"}.get(verdict)
        if counted:
            counts[counted] += 1
    for attribute, count in counts.items():
        suite.set(attribute, str(count))
    suite.set("time", "0")
    return suite


def to_junit(tenants: Sequence[TenantResult]) -> str:
    """The audits as a JUnit XML document.

    Args:
        tenants: one JSON document per tenant audited.

    Returns:
        The XML text (UTF-8 declaration, ending in a newline).
    """
    root = ET.Element("testsuites", name="bgwizard audit")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for tenant in tenants:
        suite = _suite(tenant)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
