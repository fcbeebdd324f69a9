"""Real uses and rotations in the signed log: verified by OpenSSH, read by the audit.

A sign-in covered by a signed ``use`` entry is a recorded real use (info, rotate if not done),
not unexplained use; one outside it still is; a use never counts as a drill.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from ledger_support import pinned_key, ssh_keygen_verify, ticking_clock

from bgwizard.audit.engine import run_audit
from bgwizard.audit.model import DrillRecord, Finding
from bgwizard.cli.main import main
from bgwizard.drill.events import rotation_data, use_data
from bgwizard.drill.record import DrillRecorder
from bgwizard.drill.service import LogDrillSource
from bgwizard.errors import LogRefused
from bgwizard.ledger.anchored import ProfileLog
from bgwizard.ledger.chain import JsonValue, Signer, allowed_signers_text
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
from audit_factory import DOMAIN, IDS, NOW, account, snapshot

STARTED = dt.datetime(2026, 11, 20, 8, 40, tzinfo=dt.UTC)
ENDED = dt.datetime(2026, 11, 20, 9, 55, tzinfo=dt.UTC)
POST_MORTEM = {
    "incident": "INC-4711",
    "reason": "the federation server was down; no admin could sign in",
    "who": "alice (approved by the CISO)",
    "actions": "switched the domain back to managed authentication",
    "lessons": "a second federation server",
}


def _use() -> dict[str, JsonValue]:
    return use_data(
        f"kestrel1@{DOMAIN}",
        IDS[0],
        started=STARTED,
        ended=ENDED,
        password_rotated=False,
        fields=POST_MORTEM,
    )


def _recorder(tmp_path: Path) -> DrillRecorder:
    store = TomlProfileStore(tmp_path / "profile.toml")
    profile = Profile(drill_log=str(tmp_path / "drill-log.jsonl"), signer_key=str(tmp_path / "k"))
    return DrillRecorder(profile, store, clock=ticking_clock())


def test_use_and_rotation_entries_verify_with_openssh_and_feed_the_audit(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    use = recorder.record_event("use", _use(), pinned_key(1), "alice")
    rotation = rotation_data(
        f"kestrel1@{DOMAIN}",
        IDS[0],
        retired_serials=["OLD1-0001"],
        new_serials=["NEW1-0002"],
        reason="real use, INC-4711",
        when=ENDED + dt.timedelta(hours=1),
    )
    bob = Signer("bob", pinned_key(2).public_line)
    ProfileLog(recorder.profile, TomlProfileStore(tmp_path / "profile.toml")).change_signer(
        pinned_key(1), "alice", "add", bob, "second operator"
    )
    rotated = recorder.record_event("rotation", rotation, pinned_key(2), "bob")
    assert (use.seq, rotated.seq) == (2, 4)
    log = DrillLog(recorder.log_path)
    assert [e.kind for e in log.entries()] == ["log-start", "use", "signers", "rotation"]
    assert log.entries()[1].data["lessons"] == "a second federation server"
    signers = allowed_signers_text(log.verify().trusted)
    assert ssh_keygen_verify(log.path, tmp_path, signers) == [0, 0, 0, 0]
    records = LogDrillSource(ProfileLog(recorder.profile)).drill_records()
    assert records == (
        DrillRecord(IDS[0], STARTED, "use", ENDED),
        DrillRecord(IDS[0], ENDED + dt.timedelta(hours=1), "rotation"),  # its check sign-in
    )


def test_log_show_lists_every_entry(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    recorder.record_event("use", _use(), pinned_key(1), "alice")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["log", "show", "--profile", str(tmp_path / "profile.toml")]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["SEQ", "TIME", "KIND", "OPERATOR", "SUMMARY"]
    assert lines[2].split()[:4] == ["2", "2026-01-05T09:02:00Z", "use", "alice"]
    assert "INC-4711" in lines[2] and f"kestrel1@{DOMAIN}" in lines[2]
    recorder.log_path.write_bytes(recorder.log_path.read_bytes().replace(b"INC", b"INK", 1))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["log", "show", "--profile", str(tmp_path / "profile.toml")]) == 1
    assert "Entry 2 fails" in err.getvalue()
    assert [line.split()[0] for line in out.getvalue().splitlines()] == ["SEQ", "1"]


def _signin(last: dt.datetime, *records: DrillRecord, rotated: dt.date | None = None) -> Finding:
    first = account(1, last_success=last)
    first = dataclasses.replace(
        first, account=dataclasses.replace(first.account, last_rotation=rotated)
    )
    report = run_audit(snapshot(accounts=(first, account(2)), drills=records))
    found = [f for f in report.findings if f.rule == "signin.unexplained" and f.account == IDS[0]]
    assert len(found) == 1
    return found[0]


DRILL = DrillRecord(IDS[0], NOW - dt.timedelta(days=30))
USE = DrillRecord(IDS[0], STARTED, "use", ENDED)


@pytest.mark.parametrize(
    "last", [STARTED, ENDED, STARTED - dt.timedelta(minutes=90), ENDED + dt.timedelta(hours=1)]
)
def test_a_sign_in_during_a_recorded_use_is_explained(last: dt.datetime) -> None:
    found = _signin(last, DRILL, USE)
    assert found.severity == "info"
    assert "recorded real use on 2026-11-20; rotate if not done" in found.message
    assert "Rotate" in found.fix


def test_an_explained_use_lets_the_audit_pass() -> None:
    first = account(1, last_success=ENDED)
    report = run_audit(snapshot(accounts=(first, account(2)), drills=(DRILL, USE)))
    assert report.result == "pass" and report.exit_code == 0


def test_a_recorded_use_followed_by_a_rotation_needs_no_fix() -> None:
    found = _signin(ENDED, DRILL, USE, rotated=dt.date(2026, 11, 20))
    assert found.severity == "info" and found.fix == ""
    assert "rotation on 2026-11-20" in found.evidence


@pytest.mark.parametrize(
    "last", [STARTED - dt.timedelta(hours=3), ENDED + dt.timedelta(hours=3), NOW]
)
def test_a_sign_in_outside_the_recorded_use_is_still_unexplained(last: dt.datetime) -> None:
    assert _signin(last, DRILL, USE).severity == "error"


def test_a_use_of_the_other_account_explains_nothing() -> None:
    other = dataclasses.replace(USE, account=IDS[1])
    assert _signin(ENDED, DRILL, other).severity == "error"


def test_a_use_is_not_a_drill() -> None:
    report = run_audit(snapshot(drills=(USE,)))
    last = [f for f in report.findings if f.rule == "drill.last"]
    assert [f.severity for f in last] == ["error"]
    recent = dataclasses.replace(USE, when=NOW - dt.timedelta(days=1))
    report = run_audit(snapshot(drills=(DRILL, recent)))
    last = [f for f in report.findings if f.rule == "drill.last"]
    assert [f.severity for f in last] == ["ok"] and "30 days ago" in last[0].evidence


def test_a_use_entry_is_refused_from_a_log_that_does_not_verify(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    recorder.record_event("use", _use(), pinned_key(1), "alice")
    recorder.log_path.write_bytes(recorder.log_path.read_bytes().replace(b"alice", b"mallory", 1))
    before = recorder.log_path.read_bytes()
    with pytest.raises(LogRefused, match="start a new log linked to it"):
        recorder.record_event("use", _use(), pinned_key(1), "alice")
    assert recorder.log_path.read_bytes() == before
