"""The passkey screen's reaction to a refused registration, on fakes (``FakePasskeys`` with the
tests' software key): the refusal is said in one sentence, the screen goes back to choosing,
and checking again then registering records the key. Moved from ``test_passkey_screen``, which
keeps a key registered end to end on the emulator; the expired challenge itself is refused by
the emulator in ``tests/services/test_passkeys.py``."""

from __future__ import annotations

from fakes import AppFactory, FakeServices, admin_identity, sample_profile, settle
from fakes_setup import FakeKeys, FakePasskeys, press_when_ready
from soft_authenticator import SoftKey
from textual.widgets import Button, Input, Static

from bgwizard.errors import PasskeyError
from bgwizard.passkeys.policy import Fido2Policy
from bgwizard.screens.passkeys import PasskeyScreen
from bgwizard.secret import Secret

SIZE = (120, 44)
PIN = "48151623"
EXPIRED = (
    "The passkey registration was refused: the challenge expired at 2026-11-27 10:05 UTC;"
    " check again and register within 5 minutes."
)


def _text(screen: PasskeyScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_an_expired_challenge_is_reported_and_can_be_retried(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = sample_profile()
    account = profile.accounts[0]
    key = SoftKey(pin=PIN)
    passkeys = FakePasskeys(Fido2Policy(enabled=True))
    passkeys.fail_next(PasskeyError(EXPIRED))
    app = make_app(fakes, profile)
    fakes.auth.approve(admin_identity())
    await fakes.auth.finish_device_code(await fakes.auth.start_device_code())
    screen = PasskeyScreen(
        profile,
        passkeys=passkeys,
        keys=FakeKeys([key]),
        sheets=fakes.sheets,
        profiles=fakes.profiles,
        auth=fakes.auth,
        clock=app.clock,
        upn=account.upn,
        new_pin=lambda: Secret(PIN),
    )
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        await press_when_ready(pilot, "#check")
        await settle(pilot, lambda: screen.stage == "ready")
        assert "Type the key's PIN" in _text(screen, "#pin-text")
        assert screen.query_one("#print-pin", Button).display is False
        screen.query_one("#pin", Input).value = PIN
        await press_when_ready(pilot, "#register")
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: "challenge expired" in _text(screen, "#passkey-status"))
        assert screen.stage == "choose"
        assert passkeys.attempts == 1 and not passkeys.enrolled
        assert fakes.profiles.saved == []
        await press_when_ready(pilot, "#check")
        await settle(pilot, lambda: screen.stage == "ready")
        screen.query_one("#pin", Input).value = PIN
        await press_when_ready(pilot, "#register")
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: screen.stage == "done")
        assert passkeys.enrolled == [(account.object_id, "BG key 1")]
        app.screen.action_leave()  # type: ignore[attr-defined]
        await pilot.pause()
        assert screen.result is not None and screen.result.aaguid == key.aaguid
    assert len(fakes.profiles.profile.accounts[0].security_keys) == 1
