"""Issue 20: "Approve in the emulator" pressed before the drill's sign-in waits says why,
instead of doing nothing."""

from __future__ import annotations

from fakes import AppFactory, FakeDemoApprover, FakeServices, sample_profile, settle
from fakes_drill import FakeDrillChecksFactory, FakeLogRecorder, bg_identity
from fakes_setup import FakeKeys
from textual.widgets import Button

from bgwizard.screens.approve import ApproveDialog
from bgwizard.screens.drill.checklist import DrillScreen

SIZE = (120, 44)


async def test_approve_before_a_sign_in_waits_says_why(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = sample_profile()
    drill = fakes.drill = FakeDrillChecksFactory()
    account = profile.accounts[0]
    fakes.demo = FakeDemoApprover(
        drill.auth, {account.upn: "x"}, {account.upn: bg_identity(account)}
    )
    fakes.recorder = FakeLogRecorder(signer="alice")
    fakes.keys = FakeKeys()
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        app.action_open_journey("drill")
        await settle(pilot, lambda: isinstance(app.screen, DrillScreen))
        screen = app.screen
        assert isinstance(screen, DrillScreen) and screen.prompt is None
        await settle(pilot, lambda: bool(screen.query("#approve")))
        screen.query_one("#approve", Button).press()
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any("No sign-in is waiting" in m and "Sign in as the account" in m for m in said)
        assert not isinstance(app.screen, ApproveDialog)
