"""Pilot tests of the admin sign-in screen and the demo approval dialog."""

from __future__ import annotations

import datetime as dt

import zxingcpp
from fakes import (
    ADMIN_UPN,
    DEMO,
    DEMO_PASSWORD,
    FROZEN_NOW,
    SIZE,
    TENANT,
    VERIFICATION_URI,
    AppFactory,
    FakeServices,
    settle,
)
from PIL import Image
from textual.message import Message
from textual.widgets import Button, Input, Static

from bgwizard.auth.identity import DeviceCodePrompt
from bgwizard.errors import AuthError, NetworkDown, PermissionMissing
from bgwizard.screens import messages
from bgwizard.screens.approve import ApproveDialog
from bgwizard.screens.home import HomeScreen
from bgwizard.screens.signin import SignInScreen, countdown_text
from bgwizard.screens.widgets.qr import DARK, LIGHT, QrCode, qr_matrix
from bgwizard.screens.widgets.status import StatusPanel
from bgwizard.tui.app import BgWizardApp


def text_of(app: BgWizardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def waiting(app: BgWizardApp) -> bool:
    return isinstance(app.screen, SignInScreen) and app.screen.phase == "waiting"


def matrix_from_cells(qr: QrCode) -> list[list[bool]]:
    """Read the modules back from the half-block cells the widget draws."""
    rows: list[list[bool]] = []
    for y in range(qr.size.height):
        top: list[bool] = []
        bottom: list[bool] = []
        for segment in qr.render_line(y):
            assert segment.style is not None
            colours = (segment.style.color, segment.style.bgcolor)
            assert all(c is not None for c in colours)
            hexes = [c.get_truecolor().hex.lower() for c in colours if c is not None]
            assert set(hexes) <= {DARK, LIGHT}, "only explicit black and white"
            for _ in segment.text:
                assert segment.text == "▀" * len(segment.text)
                top.append(hexes[0] == DARK)
                bottom.append(hexes[1] == DARK)
        rows += [top, bottom]
    return rows


def decode(matrix: list[list[bool]], scale: int = 8) -> str:
    """Decode a module matrix with zxing, as a scanner would from the picture."""
    size = (len(matrix[0]) * scale, len(matrix) * scale)
    image = Image.new("L", size, 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    [result] = zxingcpp.read_barcodes(image)
    return str(result.text)


async def open_sign_in(app: BgWizardApp, pilot: object) -> None:
    await pilot.press("f2")  # type: ignore[attr-defined]
    await settle(pilot, lambda: waiting(app))  # type: ignore[arg-type]


async def test_shows_code_url_countdown_and_a_qr_that_decodes_to_the_url(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await open_sign_in(app, pilot)
        assert text_of(app, "#code") == "FAKE-0001"
        assert VERIFICATION_URI in text_of(app, "#url")
        assert text_of(app, "#countdown") == "Code expires in 15:00"
        qr = app.screen.query_one(QrCode)
        assert qr.data == VERIFICATION_URI
        drawn = matrix_from_cells(qr)
        expected = [list(row) for row in qr_matrix(VERIFICATION_URI)]
        assert drawn[: len(expected)] == expected
        assert not any(any(row) for row in drawn[len(expected) :])  # padding row is light
        assert decode(drawn) == VERIFICATION_URI


async def test_success_shows_the_admin_and_loads_the_tenant(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    fakes.profiles.profile.tenant_id = ""
    app = make_app(fakes, fakes.profiles.load())
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await open_sign_in(app, pilot)
        fakes.auth.approve()
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen) and app.tenant is not None)
        await app.workers.wait_for_complete()
        assert app.identity is not None and app.identity.upn == ADMIN_UPN
        assert app.tenant == TENANT
        lines = "\n".join(app.screen.query_one(StatusPanel).lines())
        assert ADMIN_UPN in lines and "Contoso Logistics" in lines and TENANT.tenant_id in lines
        assert fakes.directory.tenant_calls == 1
        signed_in = [m for m in seen if isinstance(m, messages.SignedIn)]
        loaded = [m for m in seen if isinstance(m, messages.TenantLoaded)]
        assert [m.identity.upn for m in signed_in] == [ADMIN_UPN]
        assert [m.tenant for m in loaded] == [TENANT]
        saved = fakes.profiles.saved[-1]
        assert (saved.tenant_id, saved.initial_domain) == (TENANT.tenant_id, TENANT.initial_domain)


async def test_failure_shows_one_sentence_and_retry_asks_for_a_new_code(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await open_sign_in(app, pilot)
        fakes.auth.fail(AuthError("The code expired before the sign-in was finished."))
        await settle(pilot, lambda: app.screen.phase == "failed")  # type: ignore[attr-defined]
        assert text_of(app, "#status") == "The code expired before the sign-in was finished."
        assert not app.screen.query(QrCode)
        retry = app.screen.query_one("#retry", Button)
        assert retry.display
        await pilot.click("#retry")
        await settle(pilot, lambda: waiting(app))
        assert text_of(app, "#code") == "FAKE-0002"
        assert not retry.display
        assert app.identity is None


async def test_a_sign_in_that_cannot_start_says_why(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    fakes.auth.start_error = NetworkDown("The sign-in service could not be reached.")
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await settle(pilot, lambda: getattr(app.screen, "phase", "") == "failed")
        assert text_of(app, "#status") == "The sign-in service could not be reached."
        assert any(n.severity == "error" for n in app._notifications)
        await pilot.press("f6")  # retry binding
        await settle(pilot, lambda: waiting(app))


async def test_cancel_stops_the_sign_in_and_returns_home(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await open_sign_in(app, pilot)
        await pilot.click("#cancel")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert fakes.auth.cancelled == fakes.auth.prompts[:1]
        assert app.identity is None
        assert fakes.directory.tenant_calls == 0


async def test_no_second_sign_in_screen_on_top_of_the_first(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await open_sign_in(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert sum(isinstance(s, SignInScreen) for s in app.screen_stack) == 1


async def test_demo_opens_sign_in_and_approves_after_a_wrong_password(
    demo_fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(demo_fakes, demo=DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: waiting(app))  # demo mode opens sign-in by itself
        assert ADMIN_UPN in text_of(app, "#who")
        await pilot.click("#approve")
        await settle(pilot, lambda: isinstance(app.screen, ApproveDialog))
        assert app.screen.query_one("#username", Input).value == ADMIN_UPN
        password = app.screen.query_one("#password", Input)
        assert password.password and password.has_focus

        await pilot.press(*"wrong-password", "enter")
        await settle(pilot, lambda: bool(text_of(app, "#approve-error")))
        assert text_of(app, "#approve-error") == (
            f"Wrong username or password for {ADMIN_UPN}; try again."
        )
        assert password.value == ""  # cleared at once, kept only in the Secret
        assert isinstance(app.screen, ApproveDialog)
        assert app.identity is None

        await pilot.press(*DEMO_PASSWORD, "enter")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen) and app.tenant is not None)
        assert app.identity is not None and app.identity.upn == ADMIN_UPN
        assert [ok for _, _, ok in demo_fakes.demo.attempts] == [False, True]  # type: ignore[union-attr]
        assert {code for code, _, _ in demo_fakes.demo.attempts} == {"FAKE-0001"}  # type: ignore[union-attr]


async def test_closing_the_approval_dialog_keeps_the_sign_in_waiting(
    demo_fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(demo_fakes, demo=DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: waiting(app))
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, ApproveDialog))
        await pilot.press("escape")
        await settle(pilot, lambda: waiting(app))
        assert demo_fakes.auth.cancelled == []


async def test_no_approve_button_outside_demo_mode(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await open_sign_in(app, pilot)
        assert not app.screen.query("#approve")
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.check_action("approve_in_emulator", ()) is False


async def test_a_sign_in_finished_elsewhere_closes_the_open_approval_dialog(
    demo_fakes: FakeServices, make_app: AppFactory
) -> None:
    app = make_app(demo_fakes, demo=DEMO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: waiting(app))
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, ApproveDialog))
        demo_fakes.auth.approve()  # approved in a real browser meanwhile
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert len(app.screen_stack) == 1
        assert app.identity is not None


async def test_a_tenant_that_cannot_be_read_is_an_error_notification(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    fakes.directory.tenant_error = PermissionMissing(
        "Reading the organisation", "Organization.Read.All"
    )
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        await open_sign_in(app, pilot)
        fakes.auth.approve()
        await settle(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        [error] = [n for n in app._notifications if n.severity == "error"]
        assert error.message == (
            "Permission missing: Reading the organisation needs the permission"
            " Organization.Read.All."
        )
        assert app.identity is not None and app.tenant is None


def test_countdown_text() -> None:
    prompt = DeviceCodePrompt("C", VERIFICATION_URI, "m", FROZEN_NOW + dt.timedelta(seconds=125))
    assert countdown_text(prompt, FROZEN_NOW) == "Code expires in 2:05"
    assert countdown_text(prompt, FROZEN_NOW + dt.timedelta(seconds=125)) == "The code has expired."
