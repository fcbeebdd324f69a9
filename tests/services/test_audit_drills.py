"""The audit's drill rules read the real signed drill log: never drilled is an error, a
recent drill passes, and a log that does not verify makes the rule "not checked"."""

from __future__ import annotations

from pathlib import Path

from audit_support import (
    AUDIT_CLIENT_ID,
    AUDIT_SECRET,
    audit_profile,
    bg_tenant,
    drilled,
    exclude_directly,
    write_tenant,
)
from consented import consented
from service_support import FAST

from bgwizard.audit.model import AuditReport, Finding
from bgwizard.audit.service import AuditService
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.drill.service import drill_source_for
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.model import Profile


async def _audit(emu: Emulator, profile: Profile) -> AuditReport:
    auth = AppOnlyAuthenticator(profile, AUDIT_CLIENT_ID, secret=AUDIT_SECRET)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    try:
        return await AuditService(graph, profile, drills=drill_source_for(profile)).run()
    finally:
        await graph.close()


def _last(report: AuditReport) -> Finding:
    (finding,) = [f for f in report.findings if f.rule == "drill.last"]
    return finding


async def test_drill_rules_follow_the_signed_log(tmp_path: Path) -> None:
    tenant = write_tenant(tmp_path, bg_tenant(exclude_directly))
    with consented(Emulator(tenant_file=tenant, state_dir=tmp_path / "emu")) as emu:
        never = audit_profile(emu)
        never.drill_log = str(tmp_path / "no-log-yet.jsonl")
        report = await _audit(emu, never)
        assert _last(report).severity == "error"
        assert report.exit_code == 1

        profile = drilled(audit_profile(emu), tmp_path)
        report = await _audit(emu, profile)
        assert _last(report).severity == "ok", _last(report)
        assert report.exit_code == 0, [f for f in report.problems]

        log = Path(profile.drill_log)
        lines = log.read_bytes().splitlines(keepends=True)
        log.write_bytes(b"".join(lines[:1] + lines[2:]))  # an entry removed
        report = await _audit(emu, profile)
        assert _last(report).severity == "not_checked"
        assert report.result != "pass"
