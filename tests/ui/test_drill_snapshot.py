"""SVG snapshots of the drill checklist (read the picture before ``--snapshot-update``)."""

from __future__ import annotations

from typing import Any

from fakes import SIZE, AppFactory, FakeServices, settle
from fakes_drill import FakeDrillChecksFactory, FakeLogRecorder
from textual.pilot import Pilot
from textual.widgets import Select

from bgwizard.screens.drill.checklist import DrillScreen


async def _open_drill(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    app.action_open_journey("drill")
    await settle(
        pilot, lambda: isinstance(app.screen, DrillScreen) and bool(app.screen.query("#verdict"))
    )
    app.screen.query_one("#account", Select).value = app.profile.accounts[0].upn
    await pilot.pause()


def _drill_fakes(fakes: FakeServices) -> FakeServices:
    fakes.drill, fakes.recorder = FakeDrillChecksFactory(), FakeLogRecorder()
    return fakes


def test_drill_checklist_dark(snap_compare: Any, fakes: FakeServices, make_app: AppFactory) -> None:
    """The drill in textual-dark: header; "Quarterly drill for Contoso Logistics"; a row with the
    account select showing bg-alpha@contosologistics.onmicrosoft.com and an empty "sheet serial"
    field; the "1  Before" band, then "· Security team notified — to do" with who/how/when fields,
    "· Test window agreed — to do" with start/end, "· Ticket or incident number — to do";
    footer with esc Back, f5 Sign in, f7 Password failed, f8 Check logs, f9 Finish and sign."""
    assert snap_compare(make_app(_drill_fakes(fakes)), terminal_size=SIZE, run_before=_open_drill)


def test_drill_checklist_light(
    snap_compare: Any, fakes: FakeServices, make_app: AppFactory
) -> None:
    """The same drill checklist in textual-light: dark text on a light background, the phase
    band in the light panel colour, every line readable."""

    async def light(pilot: Pilot[Any]) -> None:
        await _open_drill(pilot)
        await pilot.press("ctrl+t")

    assert snap_compare(make_app(_drill_fakes(fakes)), terminal_size=SIZE, run_before=light)
