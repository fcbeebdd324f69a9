"""Pilot tests of the home screen: journeys, status panel, theme, keymap, command palette."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

import pytest
from fakes import (
    ADMIN_UPN,
    DEMO,
    SIZE,
    AppFactory,
    FakeServices,
    admin_identity,
    sample_profile,
    settle,
)
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Static

from bgwizard.container import open_profile
from bgwizard.errors import NetworkDown
from bgwizard.profile.model import PendingRotation, Profile, UiPrefs
from bgwizard.screens.home import HomeScreen
from bgwizard.screens.signin import SignInScreen
from bgwizard.screens.widgets.journey_menu import JOURNEYS, JourneyMenu
from bgwizard.screens.widgets.status import StatusPanel
from bgwizard.tui.app import JOURNEY_SCREENS, BgWizardApp


def status_text(app: BgWizardApp) -> str:
    return "\n".join(app.screen.query_one(StatusPanel).lines())


async def test_home_lists_every_journey_in_order(fakes: FakeServices, make_app: AppFactory) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, HomeScreen)
        menu = app.screen.query_one(JourneyMenu)
        ids = [menu.get_option_at_index(i).id for i in range(menu.option_count)]
        assert ids == [
            "setup",
            "drill",
            "audit",
            "rotate",
            "use",
            "passkey",
            "monitoring",
            "runbook",
        ]


class StubJourney(Screen[None]):
    """Stands in for a journey's screen: the tests check which journey the app opened."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", id="leave_stub", tooltip="Back home.")
    ]

    def __init__(self, journey_id: str) -> None:
        super().__init__()
        self.journey_id = journey_id

    def action_leave(self) -> None:
        self.dismiss(None)


def _stub_every_journey() -> None:
    for item in JOURNEYS:
        JOURNEY_SCREENS[item.id] = lambda app, journey_id=item.id: StubJourney(journey_id)


@pytest.mark.parametrize("index", range(len(JOURNEYS)))
async def test_each_journey_in_the_menu_opens_its_registered_screen(
    fakes: FakeServices, make_app: AppFactory, index: int
) -> None:
    _stub_every_journey()  # the menu opens what the registry says, through the app
    app = make_app(fakes)
    expected = JOURNEYS[index]
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(JourneyMenu).focus()
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot, lambda: isinstance(app.screen, StubJourney))
        assert isinstance(app.screen, StubJourney)
        assert app.screen.journey_id == expected.id
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))


def test_every_journey_is_built() -> None:
    """No journey is a placeholder any more: the registry has a screen for each."""
    assert set(JOURNEY_SCREENS) == {item.id for item in JOURNEYS}


async def test_a_registered_journey_screen_is_opened(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    class AuditScreen(Screen[None]):
        pass

    JOURNEY_SCREENS["audit"] = lambda app: AuditScreen()
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_journey("audit")
        await settle(pilot, lambda: isinstance(app.screen, AuditScreen))


async def test_status_panel_shows_tenant_accounts_and_next_drill(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE):
        text = status_text(app)
    assert "Contoso Logistics" in text
    assert "id 5f1c6f0e-7d3b-4a55-9c2e-1a2b3c4d5e6f" in text
    assert "not signed in" in text
    assert "bg-alpha@contosologistics.onmicrosoft.com" in text
    assert "object id 0b1e2c3d-1111-4000-8000-0000000000a1" in text
    assert "object id not created yet" in text
    # last drill 2026-10-01 + 90 days; the frozen clock says 2026-11-27.
    assert "next due 2026-12-30 (in 33 days)" in text


async def test_status_panel_for_a_new_profile(fakes: FakeServices, make_app: AppFactory) -> None:
    app = make_app(fakes, Profile())
    async with app.run_test(size=SIZE):
        text = status_text(app)
    assert "not known yet (sign in)" in text
    assert "none yet (Set up creates them)" in text
    assert "never drilled" in text


async def test_status_panel_says_when_the_drill_is_overdue(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes, Profile(last_drill=dt.date(2026, 8, 1)))
    async with app.run_test(size=SIZE):
        assert "next due 2026-10-30 (overdue by 28 days)" in status_text(app)
        assert "⚠ Overdue: run the quarterly drill now." in status_text(app)


async def test_status_panel_warns_about_an_unfinished_rotation(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = sample_profile()
    profile.accounts[0].pending_rotation = PendingRotation("S-NEW-0002", dt.date(2026, 11, 27))
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE):
        warnings = [line for line in status_text(app).splitlines() if "⚠" in line]
    assert warnings == [
        "    ⚠ Rotation to sheet S-NEW-0002 not finished: open Rotate to finish it or start again."
    ]


async def test_status_panel_shows_an_admin_already_signed_in(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    fakes.auth.approve()
    await fakes.auth.finish_device_code(await fakes.auth.start_device_code())
    app = make_app(fakes)
    async with app.run_test(size=SIZE):
        text = status_text(app)
    assert ADMIN_UPN in text
    assert "Global Administrator" in text
    assert app.identity == admin_identity()


async def test_warm_up_runs_once_after_the_first_frame(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.warmed_up)
    assert fakes.directory.warm_ups == 1


async def test_a_failed_warm_up_is_a_warning_not_a_crash(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    fakes.directory.warm_up_error = NetworkDown("The tenant could not be reached.")
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: bool(app._notifications))
        [note] = list(app._notifications)
        assert note.message == "The tenant could not be reached."
        assert note.severity == "warning"
        assert not app.warmed_up


async def test_theme_toggle_switches_and_remembers(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await app.workers.wait_for_complete()
        assert fakes.profiles.saved[-1].ui == UiPrefs(theme="textual-light")
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


async def test_theme_and_keymap_come_from_the_profile(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = Profile(ui=UiPrefs(theme="textual-light", keymap={"toggle_theme": "f9"}))
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")  # remapped away
        assert app.theme == "textual-light"
        await pilot.press("f9")
        assert app.theme == "textual-dark"


async def test_demo_banner_only_in_demo_mode(
    demo_fakes: FakeServices, fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(demo_fakes, demo=DEMO, sign_in_on_start=False)
    async with app.run_test(size=SIZE):
        banner = str(app.screen.query_one("#demo-banner", Static).render())
        assert "DEMO" in banner
        assert "https://127.0.0.1:8443" in banner
        assert ADMIN_UPN in banner
    plain = make_app(fakes)
    async with plain.run_test(size=SIZE):
        assert not plain.screen.query("#demo-banner")


async def test_every_binding_has_an_id_a_description_and_a_palette_entry(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE):
        titles = {title for title, _, _ in app.palette_commands(app.screen)}
    for binding in BgWizardApp.BINDINGS + SignInScreen.BINDINGS + StubJourney.BINDINGS:
        assert binding.id and binding.description  # type: ignore[union-attr]
    assert {"Sign in", "Theme", "Keys", "Quit"} <= titles
    assert {f"Open {j.title}" for j in JOURNEYS} <= titles


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Open Audit", StubJourney), ("Sign in", SignInScreen)],
)
async def test_command_palette_finds_and_runs_actions(
    fakes: FakeServices, make_app: AppFactory, query: str, expected: type[Screen[object]]
) -> None:
    _stub_every_journey()  # the palette opens what the registry says; here: stubs
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*query)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, expected))


def test_the_drill_summary_does_not_claim_a_check_it_does_not_make() -> None:
    """Issue 20: the drill asks the operator whether the alert arrived (a yes/no it records);
    it reads no alert rule, so the home screen must not say it checks that the alert fired."""
    from bgwizard.drill.model import CHECKLIST

    (drill,) = [j for j in JOURNEYS if j.id == "drill"]
    assert "check the alert" not in drill.summary.lower()
    assert "ask if the alert arrived" in drill.summary
    (alert,) = [spec for spec in CHECKLIST if spec.id == "alert"]
    assert alert.confirm.endswith("?")  # the checklist asks it as a question, and so do we


async def test_what_loading_the_profile_fixed_is_shown_in_the_app(
    fakes: FakeServices, make_app: AppFactory, tmp_path: Path
) -> None:
    """A 0644 profile made 0600: said as a notification on the first frame, not on a stderr
    the first screen covers."""
    path = tmp_path / "profile.toml"
    path.write_text('tenant_id = "tid"\n')
    path.chmod(0o644)
    _, profile, notices = open_profile(path)
    assert profile.tenant_id == "tid" and len(notices) == 1
    app = make_app(fakes, profile, notices=notices)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: bool(app._notifications))
        shown = [n.message for n in app._notifications]
    assert shown == notices and "0600" in shown[0]
