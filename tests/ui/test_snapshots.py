"""SVG snapshots of the home and sign-in screens (read the picture before ``--snapshot-update``).

The clock is frozen (``fakes.FROZEN_NOW``) and the fakes are deterministic, so the countdown,
the device code and the QR code are the same on every run.
"""

from __future__ import annotations

from typing import Any

from fakes import DEMO, SIZE, AppFactory, FakeServices, settle
from textual.pilot import Pilot

from bgwizard.screens.signin import SignInScreen


async def _settled(pilot: Pilot[Any]) -> None:
    await settle(pilot, lambda: bool(pilot.app.warmed_up))  # type: ignore[attr-defined]


def test_home_dark(snap_compare: Any, fakes: FakeServices, make_app: AppFactory) -> None:
    """Home in textual-dark: header "bgwizard — break glass accounts for Microsoft Entra ID";
    left, "Journeys" with six entries (Set up highlighted, Quarterly drill, Audit, Rotate,
    Monitoring, Print runbook), each with a one-line summary; right, "Status": tenant Contoso
    Logistics with its id and contosologistics.onmicrosoft.com, "not signed in (F2 to sign in)",
    two accounts (bg-alpha with object id 0b1e2c3d-…, bg-bravo "not created yet"), drill last
    2026-10-01, next due 2026-12-30 (in 33 days); footer with ^q Quit, f2 Sign in, ^t Theme,
    f1 Keys and ^p palette. No demo banner."""
    assert snap_compare(make_app(fakes), terminal_size=SIZE, run_before=_settled)


def test_home_light(snap_compare: Any, fakes: FakeServices, make_app: AppFactory) -> None:
    """The same home screen as ``test_home_dark`` in textual-light: light background, dark
    text, every line still readable, the highlighted journey in the light theme's primary."""

    async def light(pilot: Pilot[Any]) -> None:
        await _settled(pilot)
        await pilot.press("ctrl+t")

    assert snap_compare(make_app(fakes), terminal_size=SIZE, run_before=light)


def test_home_demo(snap_compare: Any, demo_fakes: FakeServices, make_app: AppFactory) -> None:
    """Home in demo mode: an orange banner under the header, "DEMO — an emulated tenant at
    https://127.0.0.1:8443, not a real one. Sign in as admin@contosologistics.onmicrosoft.com;
    the password is in README.md, under Demo mode."; the rest as in ``test_home_dark``."""
    app = make_app(demo_fakes, demo=DEMO, sign_in_on_start=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_sign_in_demo(snap_compare: Any, demo_fakes: FakeServices, make_app: AppFactory) -> None:
    """Sign-in in demo mode, waiting: title "Sign in as a Global Administrator"; on the left a
    black-on-white QR code (of https://127.0.0.1:8443/devicelogin); on the right "Open
    https://127.0.0.1:8443/devicelogin and enter the code", the code FAKE-0001 in bold,
    "Code expires in 15:00" (frozen clock) and the demo hint naming the admin account; below,
    "Waiting for you to finish signing in in the browser…", the buttons "Sign in here (browser
    flow)", "Approve in the emulator" and "Cancel"; footer with esc Cancel, f2 Browser and f3
    Approve (demo)."""

    async def waiting(pilot: Pilot[Any]) -> None:
        await settle(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, SignInScreen) and pilot.app.screen.phase == "waiting"
            ),
        )
        await _settled(pilot)

    assert snap_compare(make_app(demo_fakes, demo=DEMO), terminal_size=SIZE, run_before=waiting)
