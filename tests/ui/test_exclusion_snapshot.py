"""SVG snapshot of the exclusion step (read the picture before ``--snapshot-update``): fakes and
a frozen clock keep it the same every run."""

from __future__ import annotations

from typing import Any

from fakes import SIZE, AppFactory, FakeServices, settle
from fakes_setup import FakeSetup
from textual.pilot import Pilot
from textual.widgets import RadioButton

from bgwizard.tui.app import BgWizardApp
from bgwizard.tui.journeys import wizard_session
from ui.test_setup_fakes import ALPHA, BRAVO, created_profile


async def _group_chosen(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, BgWizardApp)
    session = wizard_session(app)
    session.connected = True
    await app.push_screen(session.screen_for(session.next_step()))
    await settle(pilot, lambda: bool(app.screen.query("#mode-group")))
    app.screen.query_one("#mode-group", RadioButton).value = True
    await settle(pilot, lambda: bool(app.screen.query_one("#group-options").display))
    await pilot.pause()


def test_exclusion_step_with_the_group_chosen(
    snap_compare: Any, fakes: FakeServices, make_app: AppFactory
) -> None:
    """The "Exclusion: direct or group" step in textual-dark. Left, the rail with steps 1-6
    done (success colour) and "▶ 7. Exclusion: direct or group" reversed. Right, the intro
    stating the trade-off (direct: hardest to remove by accident; the group: Microsoft's 2026
    advice, role-assignable, only Privileged Role or Global Administrators change members; the
    restricted unit), then two radio buttons with "A protected, role-assignable group"
    selected, the group-name input holding "Tenant continuity T0", the
    unchecked "Also in a new restricted management unit (RMAU)" box (no
    unit name shown); at the bottom the button "Use this choice"."""
    profile = created_profile()
    profile.setup_steps_done += [f"role:{u}" for u in (ALPHA, BRAVO)]
    fakes.setup = FakeSetup(profile)
    app = make_app(fakes, profile)
    assert snap_compare(app, terminal_size=SIZE, run_before=_group_chosen)
