"""Demo mode: sign in through the emulator's own sign-in page, completed here in the app.

A browser would not trust the emulator's throw-away CA, so the demo types the username and
password into the same ``/authorize`` page (PKCE, ``state``, consent) on the user's behalf.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from bgwizard.auth.identity import PageAnswers


class InAppSignInDialog(ModalScreen[PageAnswers | None]):
    """Asks for the account, its password and the consent choice; dismisses with them."""

    CSS_PATH = "approve.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close_in_app", tooltip="Close without signing in."),
    ]

    def __init__(self, *, username: str = "", ca_note: str = "") -> None:
        """Suggest ``username``; ``ca_note`` says how a real browser could trust the CA."""
        super().__init__()
        self._username = username
        self._ca_note = ca_note

    def compose(self) -> ComposeResult:
        """Username, password, consent for the organisation, buttons."""
        with Vertical(id="approve-box"):
            yield Static("Sign in on the emulator's page (demo)", classes="title")
            yield Label("Username")
            yield Input(self._username, id="username")
            yield Label("Password")
            yield Input(password=True, id="password")
            yield Checkbox("Consent on behalf of the organisation", value=True, id="for-tenant")
            yield Static(self._ca_note, id="ca-note", classes="hint")
            with Horizontal(id="approve-buttons"):
                yield Button("Sign in", id="sign-in", variant="primary")
                yield Button("Cancel", id="close")

    def on_mount(self) -> None:
        """Start in the password field when the username is given."""
        self.query_one("#password" if self._username else "#username", Input).focus()

    @on(Button.Pressed, "#sign-in")
    @on(Input.Submitted, "#password")
    def _submit(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self.notify("Enter the username and the password.", severity="error")
            return
        for_tenant = self.query_one("#for-tenant", Checkbox).value
        self.dismiss(PageAnswers(username, password, for_tenant=for_tenant))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        """Close without signing in."""
        self.dismiss(None)
