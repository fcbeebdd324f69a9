"""The Conditional Access step on fakes (``FakeSetup`` with four policies missing the accounts):
apply, restore from the backup, apply again. The wizard resumes at the step the journal names.
(A refused step's one sentence and Retry are in ``test_setup_fakes``.)

The tenant side of the same (the backup holds every changed policy, restore puts them back)
runs on the emulator in ``tests/services/test_setup_service.py``; the whole wizard end to end
in ``test_setup_wizard``."""

from __future__ import annotations

from typing import Any

from fakes import AppFactory, FakeServices, admin_identity, settle
from fakes_setup import FakeSetup, press_when_ready
from textual.widgets import Input, Static

from bgwizard.tui.app import BgWizardApp
from ui.test_setup_fakes import ALPHA, BRAVO, SIZE, created_profile

POLICIES = ["CA001 Require MFA", "CA002 Block legacy", "CA003 Admins MFA", "CA004 Risky sign-in"]


def _status(app: Any) -> str:
    return str(app.screen.query_one("#step-status", Static).render())


def _continue_shown(app: BgWizardApp) -> bool:
    found = app.screen.query("#continue")
    return bool(found) and bool(found.first().display)


def _on(app: BgWizardApp, name: str) -> bool:
    return type(app.screen).__name__ == name and app.screen.is_mounted


async def test_restore_from_backup_in_the_conditional_access_step(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = created_profile()
    profile.setup_steps_done += [f"role:{u}" for u in (ALPHA, BRAVO)] + ["exclusion"]
    setup = fakes.setup = FakeSetup(profile)
    setup.missing = list(POLICIES)
    app = make_app(fakes, profile)
    fakes.auth.approve(admin_identity())  # the admin signed in before opening the wizard
    identity = await fakes.auth.finish_device_code(await fakes.auth.start_device_code())
    async with app.run_test(size=SIZE) as pilot:
        app.identity = identity
        app.action_open_journey("setup")
        await settle(pilot, lambda: _continue_shown(app))
        await press_when_ready(pilot, "#continue")
        await settle(pilot, lambda: _on(app, "CaStepScreen"))  # resumed where the journal says
        plan = app.screen.query_one("#plan", Static)
        await settle(pilot, lambda: "policies read" in str(plan.render()))
        assert f"{len(POLICIES)} policies to change" in _status(app)
        await press_when_ready(pilot, "#apply")
        await settle(pilot, lambda: _continue_shown(app))
        assert setup.missing == []
        assert f"all {len(POLICIES)} exclude" in str(plan.render())
        path = app.screen.query_one("#backup-path", Input).value
        assert path.endswith(".json") and path == setup.backups[-1]
        await press_when_ready(pilot, "#restore")
        await settle(pilot, lambda: f"{len(POLICIES)} policies to change" in _status(app))
        assert sorted(setup.missing) == POLICIES
        assert not _continue_shown(app)
        assert "ca" not in profile.setup_steps_done
        await press_when_ready(pilot, "#apply")
        await settle(pilot, lambda: _continue_shown(app))
        assert setup.missing == []
    assert len(setup.backups) == 2  # one before each apply
    assert setup.calls.count("apply_ca") == 2 and setup.calls.count("restore_ca") == 1
    assert "ca" in profile.setup_steps_done
