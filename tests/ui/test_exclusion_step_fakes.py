"""The exclusion step's screen on in-memory fakes: direct exclusion is the default, the
protected group (and its restricted unit) is chosen and named by the operator, and a refusal
is one sentence with Retry. The real stack runs in ``test_setup_wizard`` (direct) and
``tests/services/test_setup_exclusion_group.py`` (the group)."""

from __future__ import annotations

from fakes import AppFactory, FakeServices, settle
from fakes_setup import FakeSetup
from textual.widgets import Button, Checkbox, Input, RadioButton, Static

from bgwizard.errors import ExclusionError
from bgwizard.profile.model import Profile
from bgwizard.setup.names import DEFAULT_GROUP_NAME
from ui.test_setup_fakes import ALPHA, BRAVO, SIZE, created_profile, open_wizard


def _role_done() -> Profile:
    profile = created_profile()
    profile.setup_steps_done += [f"role:{u}" for u in (ALPHA, BRAVO)]
    return profile


def _shown(app: object, selector: str) -> bool:
    return bool(app.screen.query_one(selector).display)  # type: ignore[attr-defined]


async def test_direct_exclusion_is_the_default(fakes: FakeServices, make_app: AppFactory) -> None:
    profile = _role_done()
    setup = fakes.setup = FakeSetup(profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "ExclusionStep")
        screen = app.screen
        assert screen.query_one("#mode-direct", RadioButton).value
        assert not _shown(app, "#group-options")
        intro = str(screen.query_one("#step-intro", Static).render())
        assert "hardest to remove by accident" in intro and "role-assignable" in intro
        screen.query_one("#apply-exclusion", Button).press()
        await settle(pilot, lambda: _shown(app, "#continue"))
    assert setup.calls == ["choose_direct_exclusion"]
    assert "exclusion" in profile.setup_steps_done and profile.exclusion_group_id == ""


async def test_choosing_the_protected_group_with_a_restricted_unit(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = _role_done()
    setup = fakes.setup = FakeSetup(profile)
    setup.fail_next(
        ExclusionError("The group X already holds 1 other member(s); nothing was changed.")
    )
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "ExclusionStep")
        screen = app.screen
        screen.query_one("#mode-group", RadioButton).value = True
        await settle(pilot, lambda: _shown(app, "#group-options"))
        name = screen.query_one("#group-name", Input)
        assert name.value == DEFAULT_GROUP_NAME and not _shown(app, "#unit-name")
        name.value = "Continuity 7Q"
        screen.query_one("#rmau", Checkbox).value = True
        await settle(pilot, lambda: _shown(app, "#unit-name"))
        screen.query_one("#apply-exclusion", Button).press()
        await settle(pilot, lambda: _shown(app, "#retry"))
        said = str(screen.query_one("#step-status", Static).render())
        assert "other member" in said and "\n" not in said
        assert not _shown(app, "#continue")
        screen.query_one("#retry", Button).press()
        await settle(pilot, lambda: _shown(app, "#continue"))
        results = str(screen.query_one("#results", Static).render())
    assert setup.calls == ["set_up_protected_group", "set_up_protected_group"]
    assert profile.exclusion_group_name == "Continuity 7Q" and profile.exclusion_rmau_id
    assert "Continuity 7Q" in results and "Restricted management unit" in results
    assert "exclusion" in profile.setup_steps_done


async def test_the_ca_step_says_the_group_mode(fakes: FakeServices, make_app: AppFactory) -> None:
    profile = _role_done()
    profile.setup_steps_done += ["exclusion"]
    profile.exclusion_group_id, profile.exclusion_group_name = "gid-1", "Continuity 7Q"
    fakes.setup = FakeSetup(profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "CaStepScreen")
        plan = app.screen.query_one("#plan", Static)
        await settle(pilot, lambda: "policies read" in str(plan.render()))
        shown = str(plan.render())
    assert "Mode: the protected group is excluded instead of the accounts." in shown
    assert "exclude the protected group Continuity 7Q" in shown
