"""Admin sign-in: the browser (authorization code with PKCE) where one can open, the device
code flow beside it (code, URL, QR code, countdown, cancel, retry), and in the demo the
emulator's sign-in page completed in the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from bgwizard.auth.identity import DeviceCodePrompt, PageAnswers, SignedInIdentity
from bgwizard.demo.info import DemoInfo
from bgwizard.errors import BgWizardError, SignInCancelled
from bgwizard.ports import Authenticator, DemoApprover, KeyFinder
from bgwizard.screens import messages
from bgwizard.screens.widgets.qr import QrCode


def countdown_text(prompt: DeviceCodePrompt, now: dt.datetime) -> str:
    """How long the code stays valid, e.g. ``Code expires in 14:59``.

    Args:
        prompt: the device code prompt.
        now: the current time.
    """
    seconds = int((prompt.expires_at - now).total_seconds())
    if seconds <= 0:
        return "The code has expired."
    return f"Code expires in {seconds // 60:d}:{seconds % 60:02d}"


class SignInScreen(Screen[SignedInIdentity | None]):
    """Signs an administrator in; dismisses with the identity, or None when cancelled."""

    CSS_PATH = "signin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel_sign_in", tooltip="Stop this sign-in."),
        Binding("f6", "retry", "Try again", id="retry_sign_in", tooltip="Start a new code."),
        Binding(
            "f2",
            "sign_in_browser",
            "Browser",
            id="sign_in_browser",
            tooltip="Sign in through the web browser (or, in the demo, the emulator's page).",
        ),
        Binding(
            "f3",
            "approve_in_emulator",
            "Approve (demo)",
            id="approve_in_emulator",
            tooltip="Approve the code in the emulator, as a browser would.",
        ),
    ]

    @dataclass
    class PromptReady(Message):
        """The authenticator issued a device code."""

        prompt: DeviceCodePrompt

    @dataclass
    class Failed(Message):
        """The sign-in could not start or did not complete."""

        reason: str

    prompt: var[DeviceCodePrompt | None] = var(None)
    """The device code shown now (None while asking for one or after a failure)."""
    phase: var[str] = var("starting")
    """``starting`` (asking for a code), ``waiting`` (for the browser) or ``failed``."""

    def __init__(
        self,
        auth: Authenticator,
        *,
        demo: DemoInfo | None,
        approver: DemoApprover | None,
        keys: KeyFinder,
        clock: Callable[[], dt.datetime],
    ) -> None:
        """Sign in through ``auth``.

        Args:
            auth: the authenticator.
            demo: set in demo mode (shows who to sign in as).
            approver: approves codes in the emulator (demo mode only).
            keys: the security keys plugged in (the emulator's approval with a key).
            clock: the current time, for the countdown.
        """
        super().__init__()
        self._auth = auth
        self._demo = demo
        self._approver = approver
        self._keys = keys
        self._clock = clock

    def compose(self) -> ComposeResult:
        """QR code beside the instructions; buttons; status line."""
        yield Header()
        with Vertical(id="signin-body"):
            yield Static("Sign in as a Global Administrator", classes="title")
            with Horizontal(id="signin-main"):
                yield Vertical(id="qr-box")
                with Vertical(id="instructions"):
                    yield Static("Asking for a sign-in code…", id="url")
                    yield Static("", id="code")
                    yield Static("", id="countdown", classes="hint")
                    yield Static(self._who_text(), id="who", classes="hint")
            yield Static("", id="status")
            with Horizontal(id="signin-buttons"):
                if self._approver is not None:
                    yield Button("Sign in here (browser flow)", id="in-app", variant="primary")
                    yield Button("Approve in the emulator", id="approve", variant="primary")
                elif self._auth.browser_available():
                    yield Button("Sign in with the browser", id="browser", variant="primary")
                yield Button("Try again", id="retry", variant="primary")
                yield Button("Cancel", id="cancel", variant="default")
        yield Footer()

    def _who_text(self) -> str:
        if self._demo is None:
            return "Use an account that holds Global Administrator."
        return f"Demo: sign in as {self._demo.admin_hint}; {self._demo.password_hint}."

    def on_mount(self) -> None:
        """Open the browser where one can open; ask for a code beside it; start the countdown."""
        self.sub_title = "Sign in"
        self.set_interval(1, self._tick)
        self._apply_phase(self.phase)
        self._start()
        if self._approver is None and self._auth.browser_available():
            self._browser()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer Retry only after a failure, and Approve only in demo mode while waiting."""
        if action == "retry":
            return self.phase == "failed"
        if action == "approve_in_emulator":
            return self._approver is not None and self.phase == "waiting"
        return True

    # -- the flow --------------------------------------------------------------------------

    @work(exclusive=True, group="sign-in-start")
    async def _start(self) -> None:
        try:
            prompt = await self._auth.start_device_code()
        except BgWizardError as error:
            self.post_message(self.Failed(str(error)))
            return
        self.post_message(self.PromptReady(prompt))

    @on(PromptReady)
    def _show_prompt(self, message: PromptReady) -> None:
        prompt = message.prompt
        self.prompt = prompt
        self.query_one("#url", Static).update(f"Open {prompt.verification_uri}\nand enter the code")
        self.query_one("#code", Static).update(prompt.user_code)
        qr_box = self.query_one("#qr-box")
        qr_box.display = True
        qr_box.mount(QrCode(prompt.verification_uri, id="qr"))
        self._tick()
        self.phase = "waiting"
        self._wait(prompt)

    @work(exclusive=True, group="sign-in-wait")
    async def _wait(self, prompt: DeviceCodePrompt) -> None:
        try:
            identity = await self._auth.finish_device_code(prompt)
        except SignInCancelled:
            return
        except BgWizardError as error:
            self.post_message(self.Failed(str(error)))
            return
        self.app.post_message(messages.SignedIn(identity))
        self.app.notify(f"Signed in as {identity.upn}.", title="Sign-in")
        self._leave(identity)

    @work(exclusive=True, group="sign-in-browser")
    async def _browser(self, answers: PageAnswers | None = None) -> None:
        try:
            if answers is None:
                identity = await self._auth.sign_in_browser()
            else:
                identity = await self._auth.sign_in_in_app(answers)
        except BgWizardError as error:
            self.post_message(self.Failed(str(error)))
            return
        if self.prompt is not None:
            self._auth.cancel(self.prompt)
        self.app.post_message(messages.SignedIn(identity))
        self.app.notify(f"Signed in as {identity.upn}.", title="Sign-in")
        self._leave(identity)

    def action_sign_in_browser(self) -> None:
        """Sign in through the browser; in the demo, through the emulator's page in the app."""
        if self._approver is None:
            if not self._auth.browser_available():
                self.notify("No web browser can open here; use the device code.", title="Sign-in")
                return
            self._browser()
            return
        from bgwizard.screens.signin_inapp import InAppSignInDialog

        hint = self._demo.admin_hint if self._demo else ""
        note = (
            "A web browser would not trust the emulator's throw-away CA unless you import its "
            "emulator-ca.pem (in the emulator's state folder); this page is the same one."
        )
        self.app.push_screen(InAppSignInDialog(username=hint, ca_note=note), self._in_app_answers)

    def _in_app_answers(self, answers: PageAnswers | None) -> None:
        if answers is not None:
            self._browser(answers)

    def _leave(self, result: SignedInIdentity | None) -> None:
        # A sign-in can finish (in a real browser) while the approval dialog is still open.
        if self.app.screen is not self:
            self.pop_until_active()
        self.dismiss(result)

    @on(Failed)
    def _show_failure(self, message: Failed) -> None:
        self.phase = "failed"
        self.prompt = None
        qr_box = self.query_one("#qr-box")
        qr_box.remove_children()
        qr_box.display = False
        self.query_one("#code", Static).update("")
        self.query_one("#countdown", Static).update("")
        self.query_one("#url", Static).update("No sign-in is waiting.")
        self.query_one("#status", Static).update(message.reason)
        self.query_one("#status").add_class("error")
        self.notify(message.reason, title="Sign-in failed", severity="error")

    def _tick(self) -> None:
        if self.prompt is not None:
            self.query_one("#countdown", Static).update(countdown_text(self.prompt, self._clock()))

    def watch_phase(self, phase: str) -> None:
        """Show what the screen is waiting for, and which buttons make sense now.

        Reading ``phase`` the first time runs this watcher, which may happen after the screen
        is attached but before its widgets are composed (``on_mount`` applies the phase then).
        """
        if self.is_attached and self.query("#status"):
            self._apply_phase(phase)

    def _apply_phase(self, phase: str) -> None:
        status = self.query_one("#status", Static)
        if phase != "failed":
            status.remove_class("error")
            status.update("Waiting for you to finish signing in in the browser…")
        if phase == "starting":
            status.update("")
        self.query_one("#retry").display = phase == "failed"
        if self._approver is not None:
            self.query_one("#approve").display = phase == "waiting"
        self.refresh_bindings()

    # -- actions ---------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Stop waiting for the sign-in and go back."""
        if self.prompt is not None:
            self._auth.cancel(self.prompt)
        self._leave(None)

    def action_retry(self) -> None:
        """Ask for a new code after a failure."""
        if self.phase != "failed":
            return
        self.phase = "starting"
        self.query_one("#url", Static).update("Asking for a sign-in code…")
        self._start()

    def action_approve_in_emulator(self) -> None:
        """Open the emulator's approval dialog for the code shown (demo mode)."""
        if self._approver is None or self.prompt is None:
            return
        from bgwizard.screens.approve import ApproveDialog

        hint = self._demo.admin_hint if self._demo else ""
        self.app.push_screen(
            ApproveDialog(self._approver, self.prompt.user_code, username=hint, keys=self._keys)
        )

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#approve")
    def _approve_pressed(self) -> None:
        self.action_approve_in_emulator()

    @on(Button.Pressed, "#browser")
    @on(Button.Pressed, "#in-app")
    def _browser_pressed(self) -> None:
        self.action_sign_in_browser()
