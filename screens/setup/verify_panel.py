"""``VerifyPanel``: a break glass account signs in through a browser, and the token is checked.

Device code with the account as login hint, on a session separate from the administrator's;
a terminal QR code of the URL; in demo mode an "approve in the emulator" dialog where the
password is typed from the paper sheet (a wrong one fails like the real sign-in page).
Used by the set-up wizard's verify step and by rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from bgwizard.auth.identity import DeviceCodePrompt
from bgwizard.errors import BgWizardError, SignInCancelled
from bgwizard.ports import DemoApprover, KeyFinder, SignInVerifying
from bgwizard.screens.widgets.qr import QrCode
from bgwizard.setup.results import VerifiedSignIn


class VerifyPanel(Vertical):
    """Signs one account in and reports ``Verified`` or ``Failed``."""

    @dataclass
    class Verified(Message):
        """The account signed in and its token could read Conditional Access."""

        upn: str
        proof: VerifiedSignIn

    @dataclass
    class Failed(Message):
        """The sign-in failed (one sentence)."""

        upn: str
        reason: str

    def __init__(
        self,
        verifier: SignInVerifying,
        approver: DemoApprover | None,
        keys: KeyFinder,
        *,
        id: str | None = None,
    ) -> None:
        """Verify through ``verifier``.

        Args:
            verifier: the separate-session verifier.
            approver: the emulator's approval (demo mode), else None.
            keys: the security keys plugged in (for the emulator's approval with a key).
            id: the widget id.
        """
        super().__init__(id=id)
        self._verifier = verifier
        self._approver = approver
        self._keys = keys
        self._prompt: DeviceCodePrompt | None = None
        self.upn = ""

    def compose(self) -> ComposeResult:
        """Code, URL, QR code and the buttons."""
        yield Static("", id="verify-who")
        with Horizontal(id="verify-main"):
            yield Vertical(id="verify-qr")
            with Vertical(id="verify-text"):
                yield Static("", id="verify-url")
                yield Static("", id="verify-code")
                yield Button("Sign in as this account", id="verify-start", variant="primary")
                if self._approver is not None:
                    yield Button("Approve in the emulator", id="verify-approve", variant="primary")
                yield Button("Cancel the sign-in", id="verify-cancel")

    def on_mount(self) -> None:
        """Nothing is waiting yet."""
        self._waiting(False)

    def show_account(self, upn: str) -> None:
        """Prepare the panel for ``upn``."""
        self.upn = upn
        self.query_one("#verify-who", Static).update(
            f"Sign in as {upn} in a browser, typing the password from its paper sheet."
        )
        self._clear()

    def _waiting(self, waiting: bool) -> None:
        self.query_one("#verify-start").display = not waiting
        self.query_one("#verify-cancel").display = waiting
        if self._approver is not None:
            self.query_one("#verify-approve").display = waiting

    def _clear(self) -> None:
        self._prompt = None
        self.query_one("#verify-qr").remove_children()
        self.query_one("#verify-url", Static).update("")
        self.query_one("#verify-code", Static).update("")
        self._waiting(False)

    @on(Button.Pressed, "#verify-start")
    def start(self) -> None:
        """Ask for a device code for the account."""
        if self.upn:
            self._sign_in(self.upn)

    @work(exclusive=True, group="verify")
    async def _sign_in(self, upn: str) -> None:
        try:
            prompt = await self._verifier.start(upn)
        except BgWizardError as error:
            self.post_message(self.Failed(upn, str(error)))
            return
        self._show(prompt)
        try:
            proof = await self._verifier.finish(prompt)
        except SignInCancelled:
            self._clear()
            return
        except BgWizardError as error:
            self._clear()
            self.post_message(self.Failed(upn, str(error)))
            return
        finally:
            self._verifier.close()
        self._clear()
        self.post_message(self.Verified(upn, proof))

    def _show(self, prompt: DeviceCodePrompt) -> None:
        self._prompt = prompt
        self.query_one("#verify-url", Static).update(
            f"Open {prompt.verification_uri}\nand enter the code (as {prompt.login_hint})"
        )
        self.query_one("#verify-code", Static).update(prompt.user_code)
        self.query_one("#verify-qr").mount(QrCode(prompt.verification_uri, id="verify-qrcode"))
        self._waiting(True)

    @property
    def prompt(self) -> DeviceCodePrompt | None:
        """The device code waiting now."""
        return self._prompt

    @on(Button.Pressed, "#verify-cancel")
    def cancel(self) -> None:
        """Stop waiting for the sign-in."""
        if self._prompt is not None:
            self._verifier.cancel(self._prompt)

    @on(Button.Pressed, "#verify-approve")
    def approve(self) -> None:
        """Open the emulator's approval dialog (demo): the password comes from the paper."""
        if self._approver is None or self._prompt is None:
            return
        from bgwizard.screens.approve import ApproveDialog

        self.app.push_screen(
            ApproveDialog(
                self._approver, self._prompt.user_code, username=self.upn, keys=self._keys
            )
        )
