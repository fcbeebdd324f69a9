"""Screen logic of the set-up wizard and the passkey screen, on in-memory fakes of their ports
(``tests/fakes_setup.py``): no emulator, no msal. The whole stack runs in ``test_setup_wizard``,
``test_setup_retry``, ``test_rotate*`` and ``test_passkey_screen``."""

from __future__ import annotations

from typing import Any

from fakes import AppFactory, FakeServices, admin_identity, sample_profile, settle
from fakes_drill import FakeLogRecorder
from fakes_setup import FakeKeys, FakePasskeys, FakeSetup, FakeVerifier
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from bgwizard.errors import AuthError, BgWizardError
from bgwizard.passkeys.policy import Fido2Policy
from bgwizard.profile.model import Profile
from bgwizard.screens.passkeys import PasskeyScreen
from bgwizard.screens.setup.rail import ProgressRail
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.tui.app import BgWizardApp
from bgwizard.tui.journeys import wizard_session

SIZE = (120, 44)
ALPHA = "bg-alpha@contosologistics.onmicrosoft.com"
BRAVO = "bg-bravo@contosologistics.onmicrosoft.com"


def created_profile() -> Profile:
    """Both accounts created (steps 1-4 journaled), Global Administrator still to assign."""
    profile = sample_profile()
    profile.accounts[1].object_id = "0b1e2c3d-1111-4000-8000-0000000000b2"
    done = ["connect", "names"] + [
        f"{s}:{u}" for s in ("sheets", "create", "passkey") for u in (ALPHA, BRAVO)
    ]
    profile.setup_steps_done = done
    return profile


async def open_wizard(pilot: Pilot[Any], name: str) -> None:
    """Open the wizard at the step the journal names, as a connected session."""
    app = pilot.app
    assert isinstance(app, BgWizardApp)
    session = wizard_session(app)
    session.connected = True
    await app.push_screen(session.screen_for(session.next_step()))
    # composed, not only current (a pending step before it advances within one frame)
    await settle(
        pilot,
        lambda: type(app.screen).__name__ == name and bool(app.screen.query("#step-status")),
    )


def _dialog_ready(app: Any) -> bool:
    """The signing dialog is on screen and composed (its Sign button exists)."""
    return type(app.screen).__name__ == "EventSignDialog" and bool(app.screen.query("#sign"))


def _said(app: Any) -> str:
    return str(app.screen.query_one("#step-status", Static).render())


async def test_a_refused_step_says_why_in_one_sentence_and_retries(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = created_profile()
    setup = fakes.setup = FakeSetup(profile)
    setup.fail_next(BgWizardError("Assigning the role needs RoleManagement.ReadWrite.Directory."))
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "RoleStep")
        rail = app.screen.query_one(ProgressRail).states()
        assert rail["create"] == "done" and rail["role"] == "current"
        app.screen.query_one("#assign", Button).press()
        retry = app.screen.query_one("#retry")
        await settle(pilot, lambda: retry.display)
        said = _said(app)
        assert "RoleManagement.ReadWrite.Directory" in said and said.count("\n") == 0
        assert not app.screen.query_one("#continue").display
        retry_button = app.screen.query_one("#retry", Button)
        retry_button.press()
        await settle(pilot, lambda: app.screen.query_one("#continue").display)
        assert not retry.display
    assert setup.calls == ["ensure_global_admin", "ensure_global_admin", "ensure_global_admin"]
    assert all(f"role:{u}" in profile.setup_steps_done for u in (ALPHA, BRAVO))


async def test_the_verify_step_shows_a_failed_sign_in_then_journals_a_good_one(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = created_profile()
    profile.setup_steps_done += [f"role:{u}" for u in (ALPHA, BRAVO)] + [
        "exclusion",
        "ca",
        "policy",
    ]
    fakes.setup = FakeSetup(profile)
    verifier = fakes.verifier = FakeVerifier()
    recorder = fakes.recorder = FakeLogRecorder(signer="alice")
    fakes.keys = FakeKeys()
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "VerifyStep")
        panel = app.screen.query_one(VerifyPanel)
        await settle(pilot, lambda: panel.upn == ALPHA)
        panel.query_one("#verify-start", Button).press()
        await settle(pilot, lambda: panel.prompt is not None)
        assert verifier.started == [ALPHA]
        verifier.fail(AuthError("The sign-in was declined in the browser."))
        await settle(pilot, lambda: "declined" in _said(app))
        assert panel.prompt is None and verifier.closed == 1
        panel.query_one("#verify-start", Button).press()
        await settle(pilot, lambda: panel.prompt is not None)
        verifier.approve(admin_identity(ALPHA))
        await settle(pilot, lambda: f"verify:{ALPHA}" in profile.setup_steps_done)
        # Issue 20: the verification sign-in is signed into the log when it happens.
        await settle(pilot, lambda: _dialog_ready(app))
        app.screen.query_one("#passphrase", Input).value = "correct horse battery"
        app.screen.query_one("#sign", Button).press()
        await settle(pilot, lambda: type(app.screen).__name__ == "VerifyStep")
        (entry,) = recorder.entries
        assert (entry.kind, entry.operator) == ("setup-signin", "alice")
        assert entry.data["account"] == ALPHA and entry.data["signed_in"]
        await settle(pilot, lambda: panel.upn == BRAVO)
        assert "Next: sign in as " + BRAVO in _said(app)
        verified = str(app.screen.query_one("#verified", Static).render())
        assert "log entry 1" in verified


async def test_a_verification_not_signed_into_the_log_holds_continue_back(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    """Closing the signing dialog leaves the sign-in unlogged: Continue stays hidden and a
    button signs it later (an unlogged sign-in would be "unexplained use" in the audit)."""
    profile = created_profile()
    profile.setup_steps_done += [f"role:{u}" for u in (ALPHA, BRAVO)] + [
        "exclusion",
        "ca",
        "policy",
    ]
    profile.setup_steps_done += [f"verify:{BRAVO}"]
    fakes.setup = FakeSetup(profile)
    verifier = fakes.verifier = FakeVerifier()
    recorder = fakes.recorder = FakeLogRecorder(signer="alice")
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "VerifyStep")
        panel = app.screen.query_one(VerifyPanel)
        await settle(pilot, lambda: panel.upn == ALPHA)
        panel.query_one("#verify-start", Button).press()
        await settle(pilot, lambda: panel.prompt is not None)
        verifier.approve(admin_identity(ALPHA))
        await settle(pilot, lambda: _dialog_ready(app))
        await pilot.press("escape")
        await settle(pilot, lambda: type(app.screen).__name__ == "VerifyStep")
        step = app.screen
        await settle(pilot, lambda: step.query_one("#sign-signin").display)
        assert not step.query_one("#continue").display
        assert "not in the signed log" in _said(app)
        assert recorder.entries == []
        step.query_one("#sign-signin", Button).press()
        await settle(pilot, lambda: _dialog_ready(app))
        app.screen.query_one("#sign", Button).press()
        await settle(pilot, lambda: type(app.screen).__name__ == "VerifyStep")
        await settle(pilot, lambda: step.query_one("#continue").display)
        assert [e.kind for e in recorder.entries] == ["setup-signin"]
        assert not step.query_one("#sign-signin").display


async def test_passkey_checks_say_what_is_missing(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = sample_profile()
    app = make_app(fakes, profile)
    fakes.auth.approve(admin_identity())
    await fakes.auth.finish_device_code(await fakes.auth.start_device_code())
    screen = PasskeyScreen(
        profile,
        passkeys=FakePasskeys(Fido2Policy(enabled=False)),
        keys=FakeKeys(),
        sheets=fakes.sheets,
        profiles=fakes.profiles,
        auth=fakes.auth,
        clock=app.clock,
        upn=ALPHA,
    )
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(screen)
        screen.query_one("#check", Button).press()
        status = screen.query_one("#passkey-status", Static)
        await settle(pilot, lambda: "Fix what is marked" in str(status.render()))
        checks = str(screen.query_one("#checks", Static).render())
        assert "✗ Passkeys (FIDO2) are disabled: enable them in Entra admin center" in checks
        assert "✗ No security key found" in checks
        assert "ℹ Entra ID's challenge is valid for 5 minutes" in checks
        assert "✓ The signed-in admin may register keys." in checks
        assert screen.query_one("#register", Button).disabled


def ca_done_profile() -> Profile:
    """Every step up to Conditional Access journaled."""
    profile = created_profile()
    profile.setup_steps_done += [f"role:{u}" for u in (ALPHA, BRAVO)] + ["exclusion", "ca"]
    return profile


async def test_under_security_defaults_the_policy_step_explains_and_only_declines(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = ca_done_profile()
    setup = fakes.setup = FakeSetup(profile)
    setup.security_defaults = True
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "PolicyStepScreen")
        text = str(app.screen.query_one("#policy", Static).render())
        assert "Security defaults are on" in text and "turn security defaults off" in text
        assert not app.screen.query_one("#create-policy").display
        app.screen.query_one("#decline-policy", Button).press()
        await settle(pilot, lambda: app.screen.query_one("#continue").display)
        assert _said(app) == "Declined; recorded in the journal."
        after = str(app.screen.query_one("#policy", Static).render())
        assert "The audit will say: No policy demands phishing-resistant MFA" in after
    assert "policy" in profile.setup_steps_done and profile.dedicated_policy_id == ""
    assert "ensure_dedicated_policy" not in setup.calls


async def test_the_enforce_step_names_each_account_that_blocks_it(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = ca_done_profile()
    profile.accounts[0].strong_method = "passkey"
    profile.accounts[1].strong_method = "skipped"
    profile.dedicated_policy_id = "policy-dedicated"
    profile.setup_steps_done += ["policy", f"verify:{ALPHA}", f"verify:{BRAVO}"]
    setup = fakes.setup = FakeSetup(profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_wizard(pilot, "EnforceStep")
        text = app.screen.query_one("#enforce", Static)
        assert "stays report-only" in str(text.render())
        assert f"{BRAVO} skipped its phishing-resistant credential" in str(text.render())
        assert ALPHA not in str(text.render())
        app.screen.query_one("#enforce-policy", Button).press()
        await settle(pilot, lambda: app.screen.query_one("#continue").display)
        assert "stays report-only" in str(text.render())
    assert "enforce" in profile.setup_steps_done
    assert setup.calls == ["enforce_dedicated_policy"]


async def test_the_connect_step_says_when_security_defaults_are_on(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = sample_profile()
    profile.setup_steps_done = []
    setup = fakes.setup = FakeSetup(profile)
    setup.security_defaults = True
    app = make_app(fakes, profile)
    fakes.auth.approve(admin_identity())
    await fakes.auth.finish_device_code(await fakes.auth.start_device_code())
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(wizard_session(app).screen_for("connect"))
        await settle(pilot, lambda: type(app.screen).__name__ == "ConnectStep")
        who = app.screen.query_one("#who", Static)
        await settle(pilot, lambda: "Security defaults are on" in str(who.render()))
        said = str(who.render())
        assert "Conditional Access exclusions and policies do not apply" in said
        assert "turn security defaults off" in said and "Entra ID P1" in said
