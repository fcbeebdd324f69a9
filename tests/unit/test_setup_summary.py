"""The set-up summary says how the accounts are excluded (issue 16's exclusion step)."""

from __future__ import annotations

from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.screens.setup.steps_finish import summary_lines


def _profile(**fields: str) -> Profile:
    return Profile(
        tenant_name="Contoso", accounts=[BreakGlassAccount("bg1@c.onmicrosoft.com")], **fields
    )


def test_direct_exclusion_is_said() -> None:
    lines = summary_lines(_profile())
    assert "Excluded directly (excludeUsers) from every policy that can apply." in lines


def test_the_protected_group_and_its_unit_are_named() -> None:
    lines = summary_lines(
        _profile(exclusion_group_id="g1", exclusion_group_name="Tenant continuity T0")
    )
    assert any("role-assignable group Tenant continuity T0 (g1)" in line for line in lines)
    assert not any("restricted management unit" in line for line in lines)
    lines = summary_lines(
        _profile(exclusion_group_id="g1", exclusion_group_name="T0", exclusion_rmau_id="u1")
    )
    assert any("T0 (g1), in restricted management unit u1" in line for line in lines)
    assert not any("Excluded directly" in line for line in lines)
