"""Counts in sentences: "1 error", "1 page" (issue 20 saw "1 errors" and "(1 pages, a4)")."""

from __future__ import annotations

from audit_factory import NOW

from bgwizard.audit.model import AuditReport, Finding
from bgwizard.audit.render import summary_line
from bgwizard.text import plural


def test_plural() -> None:
    assert plural(1, "error") == "1 error"
    assert plural(0, "error") == "0 errors"
    assert plural(2, "policy", "policies") == "2 policies"
    assert plural(1, "copy", "copies") == "1 copy"


def test_the_audit_summary_says_1_error_and_1_warning() -> None:
    report = AuditReport(
        (Finding("a", "error", "bad"), Finding("b", "warning", "meh")), NOW, "tenant"
    )
    assert summary_line(report).startswith("1 error, 1 warning, ")
