"""Pilot helpers shared by the drill screen's tests (on fakes and end to end)."""

from __future__ import annotations

from bgwizard.screens.drill.checklist import DrillScreen
from bgwizard.screens.drill.items import ManualItem


def item_status(screen: DrillScreen, item: str) -> str:
    assert screen.drill is not None
    return screen.drill.item(item).status


def fill_before(screen: DrillScreen) -> None:
    manual = {m.spec.id: m for m in screen.query(ManualItem)}
    manual["notified"].fill(who="SOC on call", how="phone", when="09:00")
    manual["window"].fill(start="09:00", end="10:00")
    manual["ticket"].fill(number="CHG-1042")
    manual["operator"].fill(name="Alice Operator")
    manual["sheet_retrieved"].fill(location="Safe A", by="Alice Operator")
    for item in ("people_current", "runbook_current", "safe_changed"):
        manual[item].fill(answer=True)
