"""The home screen: the journeys, and a status panel of tenant, admin, accounts and drill.

It needs no app class: it follows the app's ``identity`` and ``tenant`` reactives by name and
posts ``HomeScreen.JourneyChosen``, which the app turns into the journey's screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static

from bgwizard.auth.identity import SignedInIdentity, TenantInfo
from bgwizard.demo.info import DemoInfo
from bgwizard.profile.model import Profile
from bgwizard.screens.widgets.journey_menu import JourneyMenu
from bgwizard.screens.widgets.status import StatusPanel


def demo_banner_text(demo: DemoInfo) -> str:
    """The one-line banner shown in demo mode.

    Args:
        demo: the emulator's facts.
    """
    return (
        f"DEMO — an emulated tenant at {demo.base_url}, not a real one. "
        f"Sign in as {demo.admin_hint}; {demo.password_hint}."
    )


class HomeScreen(Screen[None]):
    """Where every journey starts."""

    CSS_PATH = "home.tcss"

    @dataclass
    class JourneyChosen(Message):
        """The user chose a journey in the menu."""

        journey_id: str
        """The ``Journey.id`` to open."""

    def __init__(self, profile: Profile, *, demo: DemoInfo | None, today: dt.date) -> None:
        """Show the journeys and the status of ``profile``.

        Args:
            profile: the loaded profile (changed in place by the app).
            demo: set in demo mode, to show the banner.
            today: the current date, for the drill due date.
        """
        super().__init__()
        self._profile = profile
        self._demo = demo
        self._today = today

    def compose(self) -> ComposeResult:
        """Header, demo banner, journeys beside the status panel, footer."""
        yield Header()
        if self._demo is not None:
            yield Static(demo_banner_text(self._demo), id="demo-banner", classes="banner")
        with Horizontal(id="home-body"):
            with Vertical(id="journeys-box"):
                yield Static("Journeys", classes="title")
                yield JourneyMenu(id="journeys")
            with Vertical(id="status-box"):
                yield Static("Status", classes="title")
                yield StatusPanel(id="status")
        yield Footer()

    def on_mount(self) -> None:
        """Fill the status panel and follow the app's sign-in state."""
        panel = self.query_one(StatusPanel)
        panel.today = self._today
        panel.profile = self._profile
        self.watch(self.app, "identity", self._show_identity)
        self.watch(self.app, "tenant", self._show_tenant)

    def on_screen_resume(self) -> None:
        """Redraw the status when coming back: a journey may have changed the profile."""
        self.query_one(StatusPanel).profile = self._profile

    def _show_identity(self, identity: SignedInIdentity | None) -> None:
        self.query_one(StatusPanel).identity = identity

    def _show_tenant(self, tenant: TenantInfo | None) -> None:
        panel = self.query_one(StatusPanel)
        panel.tenant = tenant
        panel.profile = self._profile

    @on(OptionList.OptionSelected, "#journeys")
    def _open_chosen_journey(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.post_message(self.JourneyChosen(event.option.id))
