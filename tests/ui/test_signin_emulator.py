"""The sign-in screen end to end on the real stack: emulator over HTTPS, msal, msgraph-sdk.

No fakes: the device code comes from the emulator through msal, the approval dialog checks
the typed password against the emulator's salted hash, and the home screen shows the tenant
Graph returns; the demo approver is the production ``EmulatorApprover``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from consented import consented
from fakes import SIZE, FakeProfileStore, settle
from textual.widgets import Static

from bgwizard.container import Container
from bgwizard.demo.approver import EmulatorApprover
from bgwizard.demo.info import DEMO_ADMIN_UPN, DemoInfo
from bgwizard.emulator import Emulator
from bgwizard.profile.model import Profile
from bgwizard.screens.approve import ApproveDialog
from bgwizard.screens.home import HomeScreen
from bgwizard.screens.signin import SignInScreen
from bgwizard.screens.widgets.qr import QrCode
from bgwizard.screens.widgets.status import StatusPanel
from bgwizard.tui.app import BgWizardApp

SAMPLE = json.loads((Path(__file__).parents[2] / "bgwizard/data/sample_tenant.json").read_text())


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with consented(Emulator()) as emulator:
        yield emulator


def emulator_profile(emu: Emulator) -> Profile:
    return Profile(
        tenant_id=emu.tenant_id,
        authority_host=emu.base_url,
        graph_url=emu.graph_url,
        ca_bundle=str(emu.ca_pem_path),
        client_id=emu.public_client_id,
        demo=True,
    )


def admin_password() -> str:
    admin = next(u for u in SAMPLE["users"] if u["userPrincipalName"] == DEMO_ADMIN_UPN)
    return str(admin["password"])


async def test_demo_sign_in_through_the_emulator(emu: Emulator) -> None:
    profile = emulator_profile(emu)
    services = Container(profile, FakeProfileStore(profile), demo=EmulatorApprover(emu))
    app = BgWizardApp(services, profile, demo=DemoInfo(emu.base_url))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _sign_in(app, pilot, emu)
            lines = "\n".join(app.screen.query_one(StatusPanel).lines())
            assert DEMO_ADMIN_UPN in lines
            assert "Global Administrator" in lines and "not a Global" not in lines
            assert emu.tenant_id in lines
            assert app.tenant is not None and app.tenant.initial_domain.endswith(".onmicrosoft.com")
    finally:
        await services.graph.close()


async def _sign_in(app: BgWizardApp, pilot: Any, emu: Emulator) -> None:
    def waiting() -> bool:
        return isinstance(app.screen, SignInScreen) and app.screen.phase == "waiting"

    await settle(pilot, waiting, rounds=400)
    code = str(app.screen.query_one("#code", Static).render())
    assert code in {p["user_code"] for p in emu.pending_device_codes()}
    assert app.screen.query_one(QrCode).data in str(app.screen.query_one("#url", Static).render())

    await pilot.press("f3")
    await settle(pilot, lambda: isinstance(app.screen, ApproveDialog))
    await pilot.press(*"not-the-password", "enter")
    await _workers_then(app, pilot, lambda: bool(_error_text(app)), group="approve")
    assert "password is wrong" in _error_text(app)

    await pilot.press(*admin_password(), "enter")
    await _workers_then(app, pilot, lambda: isinstance(app.screen, HomeScreen))
    await _workers_then(app, pilot, lambda: app.tenant is not None)


def _error_text(app: BgWizardApp) -> str:
    return str(app.screen.query_one("#approve-error", Static).render())


async def _workers_then(
    app: BgWizardApp, pilot: Any, until: Callable[[], bool], group: str | None = None
) -> None:
    """Let the running workers (of ``group``, or all) finish, then the messages they posted."""
    for _ in range(20):
        if until():
            return
        await app.workers.wait_for_complete(
            [w for w in app.workers if group is None or w.group == group]
        )
        await pilot.pause()
    assert until(), "the app never reached the expected state"


async def test_every_journey_opens_its_real_screen_on_the_emulator(emu: Emulator) -> None:
    """Signed in on the real stack, each journey on the home screen opens its own screen
    (none is a placeholder any more) and the app survives it: no worker or handler crashes."""
    from bgwizard.screens.widgets.journey_menu import JOURNEYS
    from bgwizard.tui.app import JOURNEY_SCREENS

    profile = emulator_profile(emu)
    services = Container(profile, FakeProfileStore(profile), demo=EmulatorApprover(emu))
    app = BgWizardApp(services, profile, demo=DemoInfo(emu.base_url))
    try:
        async with app.run_test(size=(110, 40)) as pilot:
            await _sign_in(app, pilot, emu)
            for item in JOURNEYS:
                assert item.id in JOURNEY_SCREENS, f"{item.id} has no screen"
                app.action_open_journey(item.id)
                await pilot.pause()
                opened = app.screen
                assert not isinstance(opened, HomeScreen), item.id
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert app.is_running, f"{item.id} crashed the app"
                while not isinstance(app.screen, HomeScreen):
                    app.pop_screen()
                    await pilot.pause()
    finally:
        await services.graph.close()


async def test_demo_signs_in_through_the_browser_flow_with_device_code_blocked(
    tmp_path: Path,
) -> None:
    """The sample tenant as shipped (no grants, CA004 blocking device code, MFA for admins):
    the device code shown is refused for the admin, and "Sign in here (browser flow)" signs in
    through the emulator's /authorize page (PKCE, Authenticator push, consent for the org)."""
    with Emulator(state_dir=tmp_path / "emu") as shipped:
        profile = emulator_profile(shipped)
        services = Container(profile, FakeProfileStore(profile), demo=EmulatorApprover(shipped))
        app = BgWizardApp(services, profile, demo=DemoInfo(shipped.base_url))
        try:
            async with app.run_test(size=SIZE) as pilot:
                await settle(
                    pilot,
                    lambda: isinstance(app.screen, SignInScreen) and app.screen.phase == "waiting",
                    rounds=400,
                )
                code = str(app.screen.query_one("#code", Static).render())
                refused = shipped.devices.approve(code, DEMO_ADMIN_UPN, admin_password())
                assert refused is not None and "AADSTS53003" in refused
                await _workers_then(
                    app, pilot, lambda: app.screen.phase == "failed", "sign-in-wait"
                )
                status = str(app.screen.query_one("#status", Static).render())
                assert status.startswith("Conditional Access blocked this device code sign-in")

                await pilot.press("f2")
                await settle(pilot, lambda: type(app.screen).__name__ == "InAppSignInDialog")
                await pilot.press(*admin_password(), "enter")
                await _workers_then(app, pilot, lambda: isinstance(app.screen, HomeScreen))
                assert app.identity is not None and app.identity.upn == DEMO_ADMIN_UPN
                granted = shipped.granted_scopes(shipped.public_client_id)
                assert granted == {"User.Read", "Domain.Read.All"}  # the sign-in's, no more
                await _workers_then(app, pilot, lambda: app.tenant is not None)
        finally:
            await services.graph.close()
