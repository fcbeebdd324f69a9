"""Issue 20: every sign-in bgwizard makes is a signed log entry of its kind, and the audit
accepts exactly those. On the emulator with real msal/msgraph: set-up (each verification
sign-in signed as ``setup-signin``, the log starting there), then drills, then the audit (app
sign-in, as a schedule runs it); then a sign-in nobody logged, which the audit names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from audit_support import AUDIT_CLIENT_ID, AUDIT_SECRET
from consented import consented
from ledger_support import pinned_key
from service_support import FAST
from setup_support import Rig, changes, make_rig, names_and_sheets, verify, verify_with_key

from bgwizard.audit.model import AuditReport, Finding
from bgwizard.audit.service import AuditService
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.drill.events import rotation_data, signin_data
from bgwizard.drill.model import CHECKLIST, Drill, passed
from bgwizard.drill.record import DrillRecorder
from bgwizard.drill.service import drill_source_for
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import Profile

OPERATOR = "alex.doe"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _audit(profile: Profile) -> AuditReport:
    auth = AppOnlyAuthenticator(profile, AUDIT_CLIENT_ID, secret=AUDIT_SECRET)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    try:
        return await AuditService(graph, profile, drills=drill_source_for(profile)).run()
    finally:
        await graph.close()


def _sign_in_finding(report: AuditReport, object_id: str) -> Finding:
    (found,) = [
        f for f in report.findings if f.rule == "signin.unexplained" and f.account == object_id
    ]
    return found


async def _set_up(rig: Rig, recorder: DrillRecorder, unsigned: int | None = None) -> list[str]:
    """The whole set-up headless, each verification signed into the log as the screen does
    (but for account number ``unsigned``, whose signing dialog the operator closed)."""
    upns = await names_and_sheets(rig)
    await changes(rig)
    key = pinned_key(11)
    for number, upn in enumerate(upns, start=1):
        proof = await verify_with_key(rig, upn, rig.keys[upn])  # a passkey account (issue 16)
        signed_in = _now()
        await rig.service.accept_sign_in(upn, proof.identity, proof.policies_read)
        if number == unsigned:
            continue
        data = signin_data("setup-signin", upn, proof.identity.object_id, signed_in=signed_in)
        recorder.record_event("setup-signin", data, key, OPERATOR)
    await rig.service.review_methods()
    await rig.service.finish()
    return upns


async def _drill(rig: Rig, recorder: DrillRecorder, upn: str) -> None:
    """A drill of ``upn``: a real sign-in with the sheet's password, recorded as passed."""
    account = next(a for a in rig.profile.accounts if a.upn == upn)
    await verify(rig, upn, rig.passwords[upn].reveal())
    when = _now()
    drill = Drill(upn, account.object_id, when)
    for spec in CHECKLIST:
        drill = drill.record(passed(spec.id, "ok", time=when.isoformat()), when)
    recorder.record(drill.finish(when + dt.timedelta(minutes=1)), pinned_key(11), OPERATOR)


def _recorder(rig: Rig) -> DrillRecorder:
    rig.profile.drill_log = str(rig.tmp / "drill-log.jsonl")
    rig.profile.signer_key = str(rig.tmp / "drill-key")
    return DrillRecorder(rig.profile, rig.store)


async def test_set_up_and_one_drill_per_account_pass_the_audit(tmp_path: Path) -> None:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emu:
        rig = await make_rig(emu, tmp_path)
        try:
            recorder = _recorder(rig)
            upns = await _set_up(rig, recorder)
            ids = [a.object_id for a in rig.profile.accounts]
            kinds = [e.kind for e in DrillLog(recorder.log_path).entries()]
            assert kinds == ["log-start", "setup-signin", "setup-signin"]  # the log starts here

            # Account 02 not drilled yet: its last sign-in is the set-up's, which is logged.
            await _drill(rig, recorder, upns[0])
            report = await _audit(rig.profile)
            second = _sign_in_finding(report, ids[1])
            assert second.severity == "ok", second
            assert "set-up's verification" in second.message and "setup-signin" in second.evidence

            await _drill(rig, recorder, upns[1])
            report = await _audit(rig.profile)
            errors = [f for f in report.findings if f.severity == "error"]
            assert errors == []
            assert report.exit_code == 0, report.problems
            assert all(_sign_in_finding(report, i).message.endswith("a logged drill.") for i in ids)

        finally:
            await rig.close()


async def test_a_sign_in_nobody_logged_fails_the_audit_naming_it(tmp_path: Path) -> None:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emu:
        rig = await make_rig(emu, tmp_path)
        try:
            recorder = _recorder(rig)
            upns = await _set_up(rig, recorder, unsigned=2)
            ids = [a.object_id for a in rig.profile.accounts]
            await _drill(rig, recorder, upns[0])
            report = await _audit(rig.profile)
            assert report.exit_code == 1
            (error,) = [f for f in report.findings if f.severity == "error"]
            assert error.rule == "signin.unexplained" and error.account == ids[1]
            assert error.upn == upns[1] and error.message.startswith("Unexplained use")

            # The fix the audit suggests: rotate. Its check sign-in is signed as the rotation.
            await verify(rig, upns[1], rig.passwords[upns[1]].reveal())
            signed_in = _now()
            data = rotation_data(
                upns[1], ids[1], retired_serials=[], new_serials=["NEW-0002"],
                reason="unexplained use found by the audit", when=_now(), signed_in=signed_in,
            )  # fmt: skip
            recorder.record_event("rotation", data, pinned_key(11), OPERATOR)
            report = await _audit(rig.profile)
            second = _sign_in_finding(report, ids[1])
            assert second.severity == "ok" and "rotation" in second.message, second
            assert report.exit_code == 0, report.problems
        finally:
            await rig.close()
