"""Where ``bgwizard audit`` sends its report: stdout, or ``--output FILE`` beside a text summary.

Every format is written from the JSON contract (one document per tenant): ``text`` and
``json`` as before for one tenant, ``junit``, ``sarif`` and ``markdown`` for CI systems. With
``--output FILE`` the chosen format goes to the file (written whole, then renamed into place,
so a reader never sees half a report) and the text summary to stdout.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from bgwizard.audit.junit import to_junit
from bgwizard.audit.markdown import to_markdown
from bgwizard.audit.outcomes import TenantResult, worst_result
from bgwizard.audit.render import failure_json
from bgwizard.audit.sarif import to_sarif
from bgwizard.errors import BgWizardError

FORMATS: Final = ("text", "json", "junit", "sarif", "markdown")


def failure_document(reason: str) -> dict[str, Any]:
    """The contract's document for an audit that could not run at all."""
    document: dict[str, Any] = json.loads(failure_json(reason))
    return document


def render_ci(form: str, tenants: Sequence[TenantResult], artifact: str) -> str:
    """``junit``, ``sarif`` or ``markdown`` text for the tenants' documents."""
    if form == "junit":
        return to_junit(tenants)
    if form == "sarif":
        return to_sarif(tenants, artifact)
    return to_markdown(tenants)


def artifact_for(path: Path | None) -> str:
    """The repository-relative file SARIF results point at: ``path`` if relative, else a name."""
    if path is None or path.is_absolute():
        return "bgwizard-audit" if path is None else path.name
    return path.as_posix()


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, renamed).

    Raises:
        BgWizardError: the folder does not exist or cannot be written.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as exc:
        raise BgWizardError(f"Cannot write the report to {path}: {exc.strerror}.") from exc


def fleet_text(tenants: Sequence[TenantResult]) -> str:
    """The summary table of a many-tenant audit, for people (one row per tenant)."""
    overall = worst_result(t.result for t in tenants)
    width = max([len(t.label) for t in tenants] + [6])
    header = f"{'TENANT':<{width}}  {'RESULT':<10}  ERRORS  WARNINGS  NOT CHECKED  PASSED"
    lines = [f"bgwizard audit of {len(tenants)} tenants: {overall.upper()}", "", header]
    reasons = []
    for t in tenants:
        summary = t.document.get("summary")
        if isinstance(summary, dict):
            counts = [summary.get(k, 0) for k in ("errors", "warnings", "not_checked", "passed")]
        else:
            counts = ["-", "-", len(t.document.get("not_checked") or []), "-"]
            reasons += [
                f"{t.label}: {item.get('reason')}"
                for item in t.document.get("not_checked") or []
                if isinstance(item, dict)
            ]
        lines.append(
            f"{t.label:<{width}}  {t.result:<10}  {counts[0]!s:>6}  {counts[1]!s:>8}  "
            f"{counts[2]!s:>11}  {counts[3]!s:>6}"
        )
    if reasons:
        lines += ["", "Could not run:", *(f"- {r}" for r in reasons)]
    return "\n".join(lines) + "\n"


def fleet_json(tenants: Sequence[TenantResult], codes: Sequence[int]) -> str:
    """The many-tenant JSON: the worst result and each tenant's contract document."""
    document = {
        "result": worst_result(t.result for t in tenants),
        "tenants": [
            {
                "name": t.label,
                "tenantId": t.tenant_id or None,
                "exitCode": code,
                "report": t.document,
            }
            for t, code in zip(tenants, codes, strict=True)
        ],
        "schemaVersion": 1,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def parse_outputs(values: Sequence[str], default: str) -> list[tuple[str, Path]]:
    """``--output [FORMAT:]FILE`` values as (format, path) pairs.

    Raises:
        ValueError: an empty file name.
    """
    outputs = []
    for value in values:
        form, sep, rest = value.partition(":")
        if sep and form in FORMATS:
            value = rest
        else:
            form = default
        if not value:
            raise ValueError("--output needs a file name")
        outputs.append((form, Path(value)))
    return outputs


def emit(render: Callable[[str], str], default: str, outputs: Sequence[tuple[str, Path]]) -> None:
    """Print the report in ``default``; or write each output and print the text summary.

    Raises:
        BgWizardError: an output file cannot be written.
    """
    if not outputs:
        sys.stdout.write(render(default))
    else:
        for form, path in outputs:
            write_file(path, render(form))
        sys.stdout.write(render("text"))
    sys.stdout.flush()
