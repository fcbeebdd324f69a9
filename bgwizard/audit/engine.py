"""Run every audit rule on a snapshot and collect the report.

Kept apart from ``model``: the rule modules import the model's types, and this module imports
the rule modules, so imports run one way: engine, then rules and ca_rule, then model.
"""

from __future__ import annotations

from bgwizard.audit import ca_rule as audit_ca
from bgwizard.audit import rules as audit_rules
from bgwizard.audit.model import AuditReport, AuditSnapshot, Unread, sort_findings


def run_audit(snapshot: AuditSnapshot) -> AuditReport:
    """Apply every rule to the snapshot.

    Args:
        snapshot: what was read from the tenant (or the offline files).

    Returns:
        The report.
    """
    findings = [*audit_rules.evaluate(snapshot), *audit_ca.evaluate(snapshot)]
    policies = snapshot.policies
    return AuditReport(
        findings=sort_findings(findings),
        generated=snapshot.now,
        tenant_id=snapshot.tenant_id,
        tenant_name=snapshot.tenant_name,
        accounts=tuple((a.object_id, a.upn) for a in snapshot.accounts),
        policy_count=None if isinstance(policies, Unread) else len(policies),
        offline=snapshot.offline,
    )
