"""The audit as GitHub-flavoured Markdown, for ``$GITHUB_STEP_SUMMARY`` and pipeline summaries.

A summary table (one row per tenant: result, errors, warnings, not checked, passed), then per
tenant the problems as a table and the checks that could not run, each with its reason. Text
from the tenant (names, messages) is escaped so a policy name cannot break the table or inject
markup into the summary page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from bgwizard.audit.outcomes import Outcome, TenantResult, worst_result

_ICONS: Final = {"pass": "✅ pass", "fail": "❌ fail", "incomplete": "⚠️ incomplete"}
_STATUS: Final = {"error": "❌ error", "warning": "⚠️ warning", "info": "ℹ️ info"}
_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>|~])")


def escape(text: str) -> str:
    """``text`` safe inside a Markdown table cell: one line, markup characters escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _result(result: str) -> str:
    return _ICONS.get(result, escape(result))


def _counts(tenant: TenantResult) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "skip": 0, "ok": 0}
    for outcome in tenant.outcomes():
        if outcome.status in ("error", "warning", "ok"):
            counts[outcome.status] += 1
        elif outcome.verdict in ("skip", "error"):
            counts["skip"] += 1
    return counts


def _summary(tenants: Sequence[TenantResult]) -> list[str]:
    lines = [
        "| Tenant | Result | Errors | Warnings | Not checked | Passed |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for tenant in tenants:
        c = _counts(tenant)
        lines.append(
            f"| {escape(tenant.label)} | {_result(tenant.result)} | {c['error']} | "
            f"{c['warning']} | {c['skip']} | {c['ok']} |"
        )
    return lines


def _where(outcome: Outcome) -> str:
    if outcome.policy_id:
        return f"{escape(outcome.who)}, policy {escape(outcome.policy_name or outcome.policy_id)}"
    return escape(outcome.who)


def _problems(outcomes: Sequence[Outcome]) -> list[str]:
    rows = [o for o in outcomes if o.status in _STATUS]
    if not rows:
        return []
    lines = ["", "| Severity | Rule | Where | Finding | Fix |", "| --- | --- | --- | --- | --- |"]
    for o in rows:
        lines.append(
            f"| {_STATUS[o.status]} | `{o.rule}` | {_where(o)} | {escape(o.message)} | "
            f"{escape(o.fix)} |"
        )
    return lines


def _skipped(outcomes: Sequence[Outcome]) -> list[str]:
    lines: list[str] = []
    groups = (
        ("not_checked", "**Not checked** (these checks did not run, so the audit cannot pass):"),
        (
            "other",
            "**Neither passed nor failed** (not applicable, or a status this version "
            "does not know):",
        ),
    )
    for kind, heading in groups:
        rows = [
            o
            for o in outcomes
            if o.verdict in ("skip", "error")
            and (kind == "not_checked") == (o.status == "not_checked")
        ]
        if rows:
            lines += ["", heading, ""]
        for o in rows:
            status = "" if o.status == "not_checked" else f" ({escape(o.status)})"
            lines.append(f"- `{o.rule}`{status} {_where(o)}: {escape(o.message)}")
    return lines


def _tenant(tenant: TenantResult) -> list[str]:
    outcomes = tenant.outcomes()
    lines = ["", f"### {escape(tenant.label)} — {_result(tenant.result)}"]
    if tenant.tenant_id:
        lines += ["", f"Tenant id `{tenant.tenant_id}`"]
    body = _problems(outcomes) + _skipped(outcomes)
    return lines + (body or ["", "Every check ran and passed."])


def to_markdown(tenants: Sequence[TenantResult]) -> str:
    """The audits as Markdown.

    Args:
        tenants: one JSON document per tenant audited.

    Returns:
        The Markdown text, ending in a newline.
    """
    overall = worst_result(t.result for t in tenants)
    lines = [f"## bgwizard audit: {_result(overall)}", "", *_summary(tenants)]
    for tenant in tenants:
        lines += _tenant(tenant)
    return "\n".join(lines) + "\n"
