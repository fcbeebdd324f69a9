"""Recording drills in the signed log: profile updates, refusal, linked logs, the audit source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ledger_support import pinned_key, ssh_keygen_verify, ticking_clock

from bgwizard.drill.events import rotation_data
from bgwizard.drill.model import CHECKLIST, Drill, ItemResult, passed
from bgwizard.drill.record import DrillRecorder
from bgwizard.drill.service import drill_source_for
from bgwizard.errors import LogRefused, SignerKeyError
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import DrillLogHead, PinnedSigner, Profile
from bgwizard.profile.store import TomlProfileStore
from bgwizard.secret import Secret

T0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def _drill(status: str = "pass") -> Drill:
    drill = Drill("bg1@contoso.example", "oid-1", T0)
    for spec in CHECKLIST:
        drill = drill.record(passed(spec.id, "ok", time="2026-04-01T09:05:00+00:00"), T0)
    if status != "pass":
        drill = drill.record(ItemResult("global_admin", "fail", "no GA", fix="assign"), T0)
    return drill.finish(T0 + dt.timedelta(minutes=40))


def _recorder(tmp_path: Path) -> tuple[DrillRecorder, TomlProfileStore]:
    store = TomlProfileStore(tmp_path / "profile.toml")
    profile = Profile(drill_log=str(tmp_path / "drill-log.jsonl"),
                      signer_key=str(tmp_path / "key"))  # fmt: skip
    return DrillRecorder(profile, store, clock=ticking_clock()), store


def test_first_drill_creates_key_and_log_and_moves_last_drill(tmp_path: Path) -> None:
    recorder, store = _recorder(tmp_path)
    assert not recorder.key_exists()
    with pytest.raises(SignerKeyError, match="at least 8"):
        recorder.unlock(None)
    key = recorder.unlock(Secret("drill passphrase"), comment="alice")
    assert recorder.key_needs_passphrase()
    recorded = recorder.record(_drill(), key, "alice")
    assert recorded.entry.seq == 2 and recorded.next_due == dt.date(2026, 6, 30)
    saved = store.load()
    assert saved.last_drill == dt.date(2026, 4, 1) and saved.signer_key == str(tmp_path / "key")
    pin = [PinnedSigner("alice", key.public_line)]  # the log's first entry pins the key
    assert saved.drill == DrillLogHead("alice", recorded.head, pin)
    signers = "".join(
        s.allowed_signers_line() + "\n" for s in DrillLog(recorded.log_path).signers()
    )
    assert ssh_keygen_verify(recorded.log_path, tmp_path, signers) == [0, 0]
    again = DrillRecorder(saved, store).unlock(Secret("drill passphrase"))
    assert again.public_line == key.public_line


def test_failed_drill_is_logged_but_does_not_reset_the_clock(tmp_path: Path) -> None:
    recorder, store = _recorder(tmp_path)
    recorded = recorder.record(_drill("fail"), pinned_key(1), "alice")
    assert recorded.entry.data["result"] == "fail"
    assert store.load().last_drill is None and recorded.next_due is None


def test_refused_log_then_linked_log(tmp_path: Path) -> None:
    recorder, _ = _recorder(tmp_path)
    recorder.record(_drill(), pinned_key(1), "alice")
    log_path = recorder.log_path
    log_path.write_bytes(log_path.read_bytes().replace(b"pass", b"PASS", 1))
    state = recorder.log_state()
    assert state is not None and state.first_bad == 2
    with pytest.raises(LogRefused, match="start a new log linked to it"):
        recorder.record(_drill(), pinned_key(1), "alice")
    new = recorder.start_linked_log(pinned_key(1), "alice")
    assert new.name == "drill-log-2.jsonl" and recorder.log_path == new
    recorder.record(_drill(), pinned_key(1), "alice")
    entries = DrillLog(new).entries()
    assert [e.kind for e in entries] == ["log-start", "drill"]
    link = entries[0].data["previous"]
    assert isinstance(link, dict) and link["file"] == str(log_path)


def test_rotation_event_and_audit_drill_source(tmp_path: Path) -> None:
    recorder, _ = _recorder(tmp_path)
    source = drill_source_for(recorder.profile)
    assert source.drill_records() == ()
    recorder.record(_drill(), pinned_key(1), "alice")
    data = rotation_data("bg1@contoso.example", "oid-1", retired_serials=["A"],
                         new_serials=["B"], reason="retired sheet found", when=T0)  # fmt: skip
    assert recorder.record_event("rotation", data, pinned_key(1), "alice").seq == 3
    records = source.drill_records()
    assert records is not None and [r.kind for r in records] == ["drill", "rotation"]
    assert records[0].account == "oid-1"
    assert records[0].when == dt.datetime(2026, 4, 1, 9, 5, tzinfo=dt.UTC)
    # Issue 20: a rotation's check sign-in is one bgwizard made; its entry explains it.
    assert (records[1].account, records[1].when, records[1].seq) == ("oid-1", T0, 3)


def test_training_drills_never_touch_the_real_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = TomlProfileStore(tmp_path / "profile.toml")
    real = DrillRecorder(Profile(), store)
    training = DrillRecorder(Profile(demo=True), store)
    assert real.log_path == tmp_path / "data" / "bgwizard" / "drill-log.jsonl"
    assert training.log_path == tmp_path / "data" / "bgwizard" / "training" / "drill-log.jsonl"
    assert training.key_path.parent.name == "training" != real.key_path.parent.name


def test_entries_cut_off_the_end_are_noticed_through_the_remembered_head(tmp_path: Path) -> None:
    recorder, store = _recorder(tmp_path)
    recorder.record(_drill(), pinned_key(1), "alice")
    recorded = recorder.record(_drill(), pinned_key(1), "alice")
    pin = [PinnedSigner("alice", pinned_key(1).public_line)]
    assert store.load().drill == DrillLogHead("alice", recorded.head, pin)
    lines = recorder.log_path.read_bytes().splitlines(keepends=True)
    recorder.log_path.write_bytes(b"".join(lines[:2]))
    assert DrillLog(recorder.log_path).verify().ok
    with pytest.raises(LogRefused, match=r"entry 3 fails .*cut off the end"):
        recorder.record(_drill(), pinned_key(1), "alice")
    new = recorder.start_linked_log(pinned_key(1), "alice")
    assert recorder.record(_drill(), pinned_key(1), "alice").log_path == new


def test_evidence_with_a_control_character_is_recorded_escaped_not_lost(tmp_path: Path) -> None:
    """A sign-in log field someone else typed (an app name with ESC) must not cost the drill its
    entry: it is written escaped, and the log still verifies."""
    recorder, _ = _recorder(tmp_path)
    key = recorder.unlock(Secret("drill passphrase"), comment="alice")
    drill = _drill().record(
        passed("signin_evidence", "found", app="Portal\x1b[8m hidden", note="x" * 5000), T0
    )
    recorded = recorder.record(drill, key, "alice")
    items = recorded.entry.data["items"]
    assert isinstance(items, list)
    evidence = next(i for i in items if isinstance(i, dict) and i["id"] == "signin_evidence")
    assert isinstance(evidence, dict) and isinstance(evidence["evidence"], dict)
    assert evidence["evidence"]["app"] == "Portal\\x1b[8m hidden"
    assert len(str(evidence["evidence"]["note"])) == 4096
    signers = "".join(
        s.allowed_signers_line() + "\n" for s in DrillLog(recorded.log_path).signers()
    )
    assert ssh_keygen_verify(recorded.log_path, tmp_path, signers) == [0, 0]
