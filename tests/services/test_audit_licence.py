"""The audit on Free, P1 and P2 tenants: what a licence makes impossible is "not applicable",
never "not checked", so a P1 tenant whose accounts are right passes (exit 0)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from audit_support import bg_tenant, exclude_directly, write_tenant
from test_audit_service import audit

from bgwizard.audit.render import to_json_data, to_text
from bgwizard.emulator import Emulator


def licensed(licence: str) -> Any:
    def apply(tenant: dict[str, Any]) -> None:
        tenant["tenant"]["licence"] = licence

    return apply


@pytest.fixture
def tenant_with(tmp_path: Path) -> Iterator[Any]:
    running: list[Emulator] = []

    def run(licence: str) -> Emulator:
        tenant = bg_tenant(exclude_directly, licensed(licence))
        emu = Emulator(tenant_file=write_tenant(tmp_path, tenant), state_dir=tmp_path / "emu")
        emu.start()
        running.append(emu)
        return emu

    yield run
    for emu in running:
        emu.stop()


def _rules(findings: tuple[Any, ...]) -> set[str]:
    return {f.rule for f in findings}


async def test_p2_tenant_checks_everything(tenant_with: Any) -> None:
    report = await audit(tenant_with("p2"))
    assert report.result == "pass" and report.exit_code == 0
    assert report.not_applicable == () and report.not_checked == ()
    ga = [f for f in report.findings if f.rule == "role.global_admin"]
    assert len(ga) == 2 and all(f.severity == "ok" and "PIM" not in f.message for f in ga)


async def test_p1_tenant_passes_without_pim(tenant_with: Any) -> None:
    report = await audit(tenant_with("p1"))
    assert report.not_checked == (), [f.message for f in report.not_checked]
    assert report.result == "pass" and report.exit_code == 0
    ga = [f for f in report.findings if f.rule == "role.global_admin"]
    assert len(ga) == 2
    assert all(f.severity == "ok" and "no PIM in this tenant" in f.message for f in ga)
    assert all("Entra ID P2" in f.evidence for f in ga)
    # Sign-in activity needs P1, which this tenant has: the rule really ran.
    assert {f.severity for f in report.findings if f.rule == "signin.unexplained"} == {"ok"}


async def test_free_tenant_grades_sign_in_activity_not_applicable(tenant_with: Any) -> None:
    report = await audit(tenant_with("free"))
    assert report.not_checked == (), [f.message for f in report.not_checked]
    na = report.not_applicable
    assert _rules(na) == {"signin.unexplained"} and len(na) == 2
    assert all("needs Entra ID P1" in f.message for f in na)
    assert all("Entra ID P1" in f.evidence for f in na)
    assert report.result == "pass" and report.exit_code == 0
    data = to_json_data(report)
    assert data["summary"]["not_applicable"] == 2 and len(data["not_applicable"]) == 2
    assert data["not_checked"] == [] and data["result"] == "pass"
    text = to_text(report)
    assert "NOT APPLICABLE (LICENCE) (2)" in text
    assert "every check this tenant's licence allows ran" in text


async def test_a_broken_account_still_fails_on_a_free_tenant(tenant_with: Any) -> None:
    emu = tenant_with("free")
    user = emu.state.find_user("kestrel1@contosologistics.onmicrosoft.com")
    assert user is not None
    user["passwordPolicies"] = None
    report = await audit(emu)
    assert report.result == "fail" and report.exit_code == 1
