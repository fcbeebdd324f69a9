"""The audit's JSON contract flattened into outcomes, the input of the CI report formats.

JUnit, SARIF and Markdown (``junit``, ``sarif``, ``markdown``) are written from the JSON
document (``render.to_json_data``, or ``render.failure_json`` for an audit that could not run),
never from the in-memory report: the JSON is the contract, and a writer that reads it handles
whatever a newer bgwizard adds. A status this module does not know — a new severity, or a
new top-level list of rule entries such as ``not_applicable`` — is reported like a check that
did not run ("skip-like"): it neither fails nor passes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

Verdict = Literal["fail", "pass", "skip", "error"]
"""How a CI format shows an outcome: a failure, a pass, a skip, or "could not run at all"."""

PASSING: Final = frozenset({"ok", "warning", "info"})
"""Statuses that do not fail the audit (warnings and infos pass, as the exit code says)."""
RUN_RULE: Final = "audit.run"
"""The rule of a ``not_checked`` entry that says the whole audit could not run."""
_KNOWN_LISTS: Final = ("findings", "not_checked", "passed")


@dataclass(frozen=True)
class Outcome:
    """One rule's outcome for one account (and policy), read from the JSON document."""

    rule: str
    status: str
    """``error``, ``warning``, ``info``, ``ok``, ``not_checked``, or any newer status."""
    message: str
    account: str = ""
    """The account's object id ('' for tenant-wide rules)."""
    upn: str = ""
    policy_id: str = ""
    policy_name: str = ""
    evidence: str = ""
    fix: str = ""

    @property
    def verdict(self) -> Verdict:
        """``fail`` for errors, ``pass`` for ok/warning/info, ``error`` when the audit could
        not run at all, ``skip`` for anything else (not checked, not applicable, unknown)."""
        if self.status == "error":
            return "fail"
        if self.status in PASSING:
            return "pass"
        if self.rule == RUN_RULE:
            return "error"
        return "skip"

    @property
    def who(self) -> str:
        """The account as people know it (UPN, else object id), or ``tenant``."""
        return self.upn or self.account or "tenant"


@dataclass(frozen=True)
class TenantResult:
    """One tenant's JSON document and the name to show for it."""

    name: str
    document: Mapping[str, Any]

    @property
    def result(self) -> str:
        """``pass``, ``fail``, ``incomplete`` (or a newer word), from the document."""
        return str(self.document.get("result", "incomplete"))

    @property
    def tenant_id(self) -> str:
        """The tenant id the document names ('' when none)."""
        tenant = self.document.get("tenant")
        return str(tenant.get("id") or "") if isinstance(tenant, Mapping) else ""

    @property
    def label(self) -> str:
        """The name given, else the tenant's display name or id."""
        tenant = self.document.get("tenant")
        shown = tenant.get("displayName") if isinstance(tenant, Mapping) else None
        return self.name or str(shown or "") or self.tenant_id or "tenant"

    def outcomes(self) -> tuple[Outcome, ...]:
        """Every outcome in the document, in document order (UPNs filled in from
        ``accounts`` where an entry names only the object id)."""
        upns = {
            str(a.get("id")): str(a.get("upn"))
            for a in self.document.get("accounts") or []
            if isinstance(a, Mapping) and a.get("id") and a.get("upn")
        }
        return tuple(
            replace(o, upn=upns[o.account]) if not o.upn and o.account in upns else o
            for o in _outcomes(self.document)
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _outcome(item: Mapping[str, Any], status: str) -> Outcome:
    policy = item.get("policy")
    policy = policy if isinstance(policy, Mapping) else {}
    return Outcome(
        rule=_text(item.get("rule")) or "unknown",
        status=status,
        message=_text(item.get("message") or item.get("reason")),
        account=_text(item.get("account")),
        upn=_text(item.get("upn")),
        policy_id=_text(policy.get("id")),
        policy_name=_text(policy.get("displayName")),
        evidence=_text(item.get("evidence")),
        fix=_text(item.get("fix")),
    )


def _entries(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping) and "rule" in item)


def _outcomes(document: Mapping[str, Any]) -> Iterator[Outcome]:
    for item in _entries(document.get("findings")):
        yield _outcome(item, _text(item.get("severity")) or "unknown")
    for item in _entries(document.get("not_checked")):
        yield _outcome(item, "not_checked")
    for item in _entries(document.get("passed")):
        yield _outcome(item, "ok")
    for key, value in document.items():
        if key not in _KNOWN_LISTS:
            for item in _entries(value):
                yield _outcome(item, _text(item.get("severity") or item.get("status")) or key)


def group_by_case(outcomes: Iterable[Outcome]) -> dict[tuple[str, str], list[Outcome]]:
    """Outcomes per (rule, account): one JUnit test case or Markdown row each.

    Args:
        outcomes: any outcomes.

    Returns:
        ``{(rule, who): [outcomes]}`` in first-seen order.
    """
    cases: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        cases.setdefault((outcome.rule, outcome.who), []).append(outcome)
    return cases


def case_verdict(outcomes: Iterable[Outcome]) -> Verdict:
    """The verdict of several outcomes of one case: error, then fail, then skip, then pass."""
    verdicts = {o.verdict for o in outcomes}
    for verdict in ("error", "fail", "skip"):
        if verdict in verdicts:
            return verdict  # type: ignore[return-value]
    return "pass"


def worst_result(results: Iterable[str]) -> str:
    """The overall result of several audits, ranked as one audit ranks its findings.

    An error found anywhere fails (exit 1), as a single audit fails on an error even when
    other checks could not run; else any audit that could not run (or an unknown result)
    makes it ``incomplete`` (exit 2); only all passing passes.

    Args:
        results: each audit's ``result``.

    Returns:
        ``fail``, ``incomplete`` or ``pass``.
    """
    seen = set(results)
    if "fail" in seen:
        return "fail"
    if not seen or seen - {"pass"}:
        return "incomplete"
    return "pass"
