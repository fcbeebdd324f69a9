"""Demo mode: approve a device code in the emulator by typing the account's password.

Stands in for Microsoft's sign-in page: a wrong password fails that attempt (and is recorded
by the emulator as a failed sign-in) while the device code sign-in keeps waiting.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from bgwizard.domain.secret import Secret
from bgwizard.errors import BgWizardError
from bgwizard.services.protocols import DemoApprover


class ApproveDialog(ModalScreen[bool]):
    """Asks for username and password and approves ``user_code``; dismisses True on success."""

    CSS_PATH = "approve.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close_approve", tooltip="Close without approving."),
    ]

    def __init__(self, approver: DemoApprover, user_code: str, *, username: str = "") -> None:
        """Approve ``user_code`` through ``approver``.

        Args:
            approver: the emulator's approval service.
            user_code: the device code the sign-in screen shows.
            username: the account to suggest.
        """
        super().__init__()
        self._approver = approver
        self._user_code = user_code
        self._username = username

    def compose(self) -> ComposeResult:
        """Username, password, Approve and Close."""
        with Vertical(id="approve-box"):
            yield Static(f"Approve code {self._user_code} in the emulator", classes="title")
            yield Label("Username")
            yield Input(self._username, id="username", placeholder="name@tenant.onmicrosoft.com")
            yield Label("Password")
            yield Input(id="password", password=True, placeholder="the account's password")
            yield Static("", id="approve-error", classes="error")
            with Horizontal(id="approve-buttons"):
                yield Button("Approve", id="do-approve", variant="primary")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        """Start in the password field when the username is already filled in."""
        self.query_one("#password" if self._username else "#username", Input).focus()

    @on(Input.Submitted)
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
