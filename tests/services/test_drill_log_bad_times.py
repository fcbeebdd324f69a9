"""Issue 13 §5: a signed entry the audit cannot read is "could not run", never a traceback.

On main a ``use`` entry signed with an invalid ``started`` time (or a drill entry whose items
have the wrong shape) raised ``ValueError`` out of the audit: exit 1, read by a pipeline as
"errors found". Now the drill rules are not checked, with one sentence naming the entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_support import pinned_key

from bgwizard.drill.service import LogDrillSource
from bgwizard.errors import LogError
from bgwizard.ledger.store import DrillLog

ACCOUNT = "b6000001-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("use", {"account_id": ACCOUNT, "started": "yesterday at noon", "incident": "x"}),
        ("use", {"account_id": ACCOUNT, "started": "2026-11-01T10:00:00", "incident": "x"}),
        ("use", {"account_id": ACCOUNT, "started": "2026-11-01T10:00:00Z", "ended": 5}),
        ("drill", {"account_id": ACCOUNT, "items": "all passed"}),
        ("drill", {"account_id": ACCOUNT, "items": [7]}),
        ("drill", {"account_id": ACCOUNT, "items": [{"id": "signin", "status": "pass"}]}),
        (
            "drill",
            {"account_id": ACCOUNT, "items": [{"id": "signin", "status": "pass", "evidence": 3}]},
        ),
        (
            "drill",
            {
                "account_id": ACCOUNT,
                "items": [{"id": "signin", "status": "pass", "evidence": {"time": "soon"}}],
            },
        ),
    ],
)
def test_a_signed_entry_with_bad_data_is_one_log_error(
    tmp_path: Path, kind: str, data: dict[str, object]
) -> None:
    log = DrillLog(tmp_path / "drill-log.jsonl")
    log.append(pinned_key(1, tmp_path / "key"), "alice@contoso.example", kind, data)  # type: ignore[arg-type]
    try:
        records = LogDrillSource(log).drill_records()
    except LogError as exc:
        message = str(exc)
        assert "\n" not in message and message.endswith(".")
        assert message.startswith("Entry 2 of the drill log is signed but cannot be read")
        return
    # A drill without a usable sign-in time proves no drill; it is left out, never a pass.
    assert records == (), records
