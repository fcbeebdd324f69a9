"""The wizard's passkey step on fakes of its ports (``tests/fakes_setup.py``): what it says when
a pre-check fails or certificate-based auth is not bound, and that nothing is journaled then.
The whole stack (software key, signed skip) runs in ``test_setup_wizard``."""

from __future__ import annotations

from typing import Any

from fakes import AppFactory, FakeServices, sample_profile, settle
from fakes_setup import FakeSetup
from textual.pilot import Pilot
from textual.widgets import Button, Static

from bgwizard.passkeys.policy import cba_missing
from bgwizard.profile.model import Profile
from ui.test_setup_fakes import _said, open_wizard

SIZE = (120, 44)
ALPHA = "bg-alpha@contosologistics.onmicrosoft.com"
BRAVO = "bg-bravo@contosologistics.onmicrosoft.com"
DISABLED = "Passkeys (FIDO2) are disabled: enable them in the Entra admin center."


class RefusingSetup(FakeSetup):
    """A tenant whose FIDO2 policy is disabled."""

    async def passkey_problems(self, upn: str, aaguid: str | None = None) -> list[str]:
        self._call("passkey_problems")
        return [DISABLED]


def created_profile() -> Profile:
    """Both accounts created; the passkey step next."""
    profile = sample_profile()
    profile.accounts[1].object_id = "0b1e2c3d-1111-4000-8000-0000000000b2"
    profile.setup_steps_done = ["connect", "names"] + [
        f"{s}:{u}" for s in ("sheets", "create") for u in (ALPHA, BRAVO)
    ]
    return profile


async def open_step(pilot: Pilot[Any]) -> None:
    """Open the wizard at the passkey step, once its first check has said something."""
    app = pilot.app
    await open_wizard(pilot, "PasskeyStep")
    await settle(pilot, lambda: "register a key" in _said(app) or "✗" in _said(app))


async def test_a_failed_pre_check_is_shown_with_its_fix_and_blocks_registration(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = created_profile()
    fakes.setup = RefusingSetup(profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        checks = str(app.screen.query_one("#prechecks", Static).render())
        assert checks == f"✗ {DISABLED}"
        assert app.screen.query_one("#register-passkey", Button).disabled
        assert app.screen.query_one("#retry").display  # to check again after the fix
        assert not app.screen.query_one("#continue").display
    assert not any(e.startswith("passkey:") for e in profile.setup_steps_done)


async def test_cba_not_bound_says_how_to_bind_it(fakes: FakeServices, make_app: AppFactory) -> None:
    profile = created_profile()
    setup = fakes.setup = FakeSetup(profile)
    app = make_app(fakes, profile)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot)
        assert not app.screen.query_one("#register-passkey", Button).disabled
        app.screen.query_one("#record-cba", Button).press()
        await settle(pilot, lambda: "No certificate is bound" in _said(app))
        assert _said(app) == cba_missing(ALPHA)
        assert "Authorization info > Certificate user IDs" in _said(app)
    assert "record_cba" in setup.calls
    assert f"passkey:{ALPHA}" not in profile.setup_steps_done
    assert profile.accounts[0].strong_method == ""


def test_passkey_step_snapshot(
    snap_compare: Any, fakes: FakeServices, make_app: AppFactory
) -> None:
    """The passkey step in textual-dark. Left, the rail with "✓ 4. Create accounts" done and
    "▶ 5. Passkeys" current. Right, the title "Passkeys", the intro (a passkey on a security key
    or certificate-based auth; the password sheet the last resort; a skip needs a signed
    reason), "· bg-alpha@…" and "· bg-bravo@…", "✓ The Passkey (FIDO2) policy lets bg-alpha@…
    register a device-bound passkey.", the empty skip-reason field with its placeholder; at the
    bottom "bg-alpha@…: register a key, record certificate-based auth, or skip." and the
    buttons "Register a key", "CBA is bound", "Skip"."""
    profile = created_profile()
    fakes.setup = FakeSetup(profile)
    app = make_app(fakes, profile)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_step)
