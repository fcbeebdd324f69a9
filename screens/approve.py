"""Demo mode: approve a device code in the emulator with the account's password or its key.

Stands in for Microsoft's sign-in page: a wrong password fails that attempt (and is recorded
by the emulator as a failed sign-in) while the device code sign-in keeps waiting. "Use
security key" signs the emulator's challenge with the FIDO2 key plugged in (its PIN typed
here), as the browser does on ``login.microsoft.com``.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from bgwizard.errors import BgWizardError
from bgwizard.passkeys.device import KeyDevice
from bgwizard.ports import DemoApprover, KeyApprover, KeyFinder
from bgwizard.secret import Secret


class ApproveDialog(ModalScreen[bool]):
    """Asks for username and password and approves ``user_code``; dismisses True on success."""

    CSS_PATH = "approve.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close_approve", tooltip="Close without approving."),
    ]

    def __init__(
        self,
        approver: DemoApprover,
        user_code: str,
        *,
        username: str = "",
        keys: KeyFinder,
    ) -> None:
        """Approve ``user_code`` through ``approver``.

        Args:
            approver: the emulator's approval service.
            user_code: the device code the sign-in screen shows.
            username: the account to suggest.
            keys: the security keys plugged in (USB; tests give a software key).
        """
        super().__init__()
        self._approver = approver
        self._user_code = user_code
        self._username = username
        self._find_keys = keys.list_keys
        self._keys = isinstance(approver, KeyApprover)
        self.method = ""
        """How the code was approved: ``password`` or ``security key`` (empty until then)."""

    def compose(self) -> ComposeResult:
        """Username, password, Approve and Close."""
        with Vertical(id="approve-box"):
            yield Static(f"Approve code {self._user_code} in the emulator", classes="title")
            yield Label("Username")
            yield Input(self._username, id="username", placeholder="name@tenant.onmicrosoft.com")
            yield Label("Password")
            yield Input(id="password", password=True, placeholder="the account's password")
            if self._keys:
                yield Label("Or the security key's PIN")
                yield Input(id="key-pin", password=True, placeholder="PIN of the plugged-in key")
            yield Static("", id="approve-error", classes="error")
            with Horizontal(id="approve-buttons"):
                yield Button("Approve", id="do-approve", variant="primary")
                if self._keys:
                    yield Button("Use security key", id="use-key")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        """Start in the password field when the username is already filled in."""
        self.query_one("#password" if self._username else "#username", Input).focus()

    @on(Input.Submitted, "#username, #password")
    @on(Button.Pressed, "#do-approve")
    def _submit(self) -> None:
        password_input = self.query_one("#password", Input)
        # Out of the widget at once: the characters live on only inside the Secret.
        password = Secret(password_input.value)
        password_input.value = ""
        username = self.query_one("#username", Input).value.strip()
        if not username or not password:
            self.query_one("#password" if username else "#username", Input).focus()
            self._show_error("Type the username and the password.")
            return
        self.query_one("#do-approve", Button).disabled = True
        self._approve(username, password)

    @work(exclusive=True, group="approve")
    async def _approve(self, username: str, password: Secret) -> None:
        try:
            await self._approver.approve(self._user_code, username, password)
        except BgWizardError as error:
            self._show_error(str(error))
            self.query_one("#do-approve", Button).disabled = False
            self.query_one("#password", Input).focus()
            return
        self.method = "password"
        self.dismiss(True)

    @on(Input.Submitted, "#key-pin")
    @on(Button.Pressed, "#use-key")
    def _use_key(self) -> None:
        pin_input = self.query_one("#key-pin", Input)
        pin = Secret(pin_input.value)
        pin_input.value = ""
        username = self.query_one("#username", Input).value.strip()
        if not username or not pin:
            self.query_one("#key-pin" if username else "#username", Input).focus()
            self._show_error("Type the username and the security key's PIN.")
            return
        self.query_one("#use-key", Button).disabled = True
        self._approve_with_key(username, pin)

    @work(exclusive=True, group="approve")
    async def _approve_with_key(self, username: str, pin: Secret) -> None:
        approver = self._approver
        assert isinstance(approver, KeyApprover)
        device: KeyDevice | None = None
        try:
            devices = list(await asyncio.to_thread(self._find_keys))
            if len(devices) != 1:
                found = "none is" if not devices else f"{len(devices)} are"
                raise BgWizardError(f"Plug in exactly one security key ({found} plugged in).")
            device = devices[0]
            self.query_one("#approve-error", Static).update("Touch the key when it blinks…")
            await approver.approve_with_key(self._user_code, username, device, pin)
        except BgWizardError as error:
            self._show_error(str(error))
            self.query_one("#use-key", Button).disabled = False
            self.query_one("#key-pin", Input).focus()
            return
        finally:
            if device is not None:
                device.close()
        self.method = "security key"
        self.dismiss(True)

    def _show_error(self, text: str) -> None:
        self.query_one("#approve-error", Static).update(text)
        self.notify(text, title="Not approved", severity="error")

    def action_close(self) -> None:
        """Close without approving; the sign-in keeps waiting."""
        self.dismiss(False)

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()
