"""SVG snapshots of a set-up wizard step with its progress rail, dark and light (read the
picture before ``--snapshot-update``). Fakes and a frozen clock keep them the same every run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fakes import SIZE, AppFactory, FakeServices, sample_profile, settle
from fakes_setup import FakeSetup
from textual.pilot import Pilot

from bgwizard.profile.model import SheetRecord
from bgwizard.tui.app import BgWizardApp
from bgwizard.tui.journeys import wizard_session

ALPHA = "bg-alpha@contosologistics.onmicrosoft.com"


def sheets_step_app(fakes: FakeServices, make_app: AppFactory) -> BgWizardApp:
    """The app on fakes: alpha's sheet made, bravo's to make."""
    profile = sample_profile()
    profile.accounts[0].sheets = [SheetRecord("S-AAAA-0001", dt.date(2026, 11, 27))]
    profile.setup_steps_done = ["connect", "names", f"sheets:{ALPHA}"]
    fakes.setup = FakeSetup(profile)
    return make_app(fakes, profile)


async def open_step(pilot: Pilot[Any]) -> None:
    """Open the step the journal names (the sheets), as a connected session."""
    app = pilot.app
    assert isinstance(app, BgWizardApp)
    session = wizard_session(app)
    session.connected = True
    await app.push_screen(session.screen_for(session.next_step()))
    await settle(pilot, lambda: type(app.screen).__name__ == "SheetsStep")
    await pilot.pause()


def test_sheets_step_with_rail(
    snap_compare: Any, fakes: FakeServices, make_app: AppFactory
) -> None:
    """The "Password and sheets" step in textual-dark. Left, the rail "Set-up": "✓ 1. Connect"
    and "✓ 2. Names" in the success colour, "▶ 3. Password and sheets" highlighted (reverse),
    "· 4. Create accounts" … "· 9. Summary" muted. Right, the title "Password and sheets", the
    intro about paper and memory, "✓ bg-alpha@… sheet S-AAAA-0001" and "· bg-bravo@… sheet to
    make"; at the bottom, fixed, "Next: the sheet for bg-bravo@…" and the button "Make the
    next sheet"."""
    app = sheets_step_app(fakes, make_app)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_step)


def test_sheets_step_with_rail_light(
    snap_compare: Any, fakes: FakeServices, make_app: AppFactory
) -> None:
    """The same step as ``test_sheets_step_with_rail`` in textual-light: dark text on a light
    background; done steps in the light theme's success colour, the current one reversed,
    the rest muted but readable."""

    async def light(pilot: Pilot[Any]) -> None:
        await open_step(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()

    app = sheets_step_app(fakes, make_app)
    assert snap_compare(app, terminal_size=SIZE, run_before=light)
