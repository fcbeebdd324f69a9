"""Sign the drill into the log: signer name, signing key, passphrase; a refused log offers a new,
linked log. Dismisses with the ``RecordedDrill``, or None when closed.

Subclasses sign other entries (rotations, real uses) by overriding ``heading`` and ``_append``.
The dialog takes the ``LogRecorder`` port; the key is unlocked and used inside the recorder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from bgwizard.drill.model import Drill, RecordedDrill
from bgwizard.errors import BgWizardError, LedgerError, LogRefused
from bgwizard.ledger.chain import check_principal
from bgwizard.ports import LogRecorder
from bgwizard.secret import Secret


class SignDialog(ModalScreen[RecordedDrill | None]):
    """Unlock (or create) the signing key and append the drill to the signed log."""

    CSS_PATH = "drill.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close_sign", tooltip="Close without signing."),
    ]

    @dataclass
    class Done(Message):
        """The drill was appended."""

        recorded: RecordedDrill

    @dataclass
    class Refused(Message):
        """The log does not verify; nothing was appended."""

        reason: str

    @dataclass
    class Failed(Message):
        """The key or the file failed (one sentence)."""

        reason: str

    def __init__(self, recorder: LogRecorder, drill: Drill | None, signer: str) -> None:
        """Sign ``drill`` through ``recorder``; ``signer`` is the suggested signer name.

        ``drill`` is None only in subclasses that override ``_append``.
        """
        super().__init__()
        self._recorder, self._drill, self._signer = recorder, drill, signer
        self._relink = False

    def compose(self) -> ComposeResult:
        """Signer, key file, passphrase, the log's state, buttons."""
        exists = self._recorder.key_exists()
        with Vertical(id="sign-box"):
            yield Static(self.heading(), classes="title")
            yield Label("Signer (the name in allowed_signers)")
            yield Input(self._signer, id="signer", placeholder="alice@contoso.com")
            yield Label("Signing key (OpenSSH Ed25519)")
            yield Input(str(self._recorder.key_path), id="key-path")
            yield Static(self._key_hint(exists), id="key-hint", classes="hint")
            yield Label("Passphrase of the key")
            yield Input(id="passphrase", password=True, placeholder="at least 8 characters")
            yield Static(f"Log: {self._recorder.log_path}", id="log-path", classes="hint")
            yield Static("", id="sign-error", classes="error")
            with Horizontal(id="sign-buttons"):
                yield Button("Sign and record", id="sign", variant="primary")
                yield Button("Start a new linked log", id="relink", variant="warning")
                yield Button("Close", id="close-sign")

    def heading(self) -> str:
        """What is signed (the dialog's title)."""
        return "Sign the drill into the log"

    @staticmethod
    def _key_hint(exists: bool) -> str:
        if exists:
            return "The key exists: type its passphrase (none for an unencrypted key)."
        return "No key there yet: a new one is created, encrypted with the passphrase you type."

    def on_mount(self) -> None:
        """Hide the relink button until the log is refused; focus the first empty field."""
        self.query_one("#relink").display = False
        self.query_one("#passphrase" if self._signer else "#signer", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#sign")
    def _sign_pressed(self) -> None:
        self._submit(relink=False)

    @on(Button.Pressed, "#relink")
    def _relink_pressed(self) -> None:
        self._submit(relink=True)

    def _submit(self, relink: bool) -> None:
        box = self.query_one("#passphrase", Input)
        passphrase = Secret(box.value) if box.value else None
        box.value = ""
        signer = self.query_one("#signer", Input).value.strip()
        try:
            check_principal(signer)
        except LedgerError as error:
            self._show_error(str(error))
            return
        key_path = Path(self.query_one("#key-path", Input).value.strip()).expanduser()
        self.query_one("#sign", Button).disabled = True
        self._record(signer, key_path, passphrase, relink)

    @work(thread=True, exclusive=True, group="drill-sign")
    def _record(self, signer: str, key_path: Path, passphrase: Secret | None, relink: bool) -> None:
        try:
            recorded = self._append(signer, key_path, passphrase, relink)
        except LogRefused as refused:
            self.post_message(self.Refused(str(refused)))
            return
        except BgWizardError as error:
            self.post_message(self.Failed(str(error)))
            return
        self.post_message(self.Done(recorded))

    def _append(
        self, signer: str, key_path: Path, passphrase: Secret | None, relink: bool
    ) -> RecordedDrill:
        """Unlock the key and append the entry (in the worker thread).

        Raises:
            LogRefused: the log does not verify.
            BgWizardError: what ``LogRecorder.sign_drill`` raises.
        """
        if self._drill is None:
            raise BgWizardError("There is no drill to sign.")
        return self._recorder.sign_drill(self._drill, signer, key_path, passphrase, relink=relink)

    @on(Done)
    def _done(self, message: Done) -> None:
        self.dismiss(message.recorded)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._show_error(message.reason)
        self.query_one("#relink").display = True
        self.query_one("#sign", Button).disabled = False

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._show_error(message.reason)
        self.query_one("#sign", Button).disabled = False
        self.query_one("#passphrase", Input).focus()

    def _show_error(self, text: str) -> None:
        self.query_one("#sign-error", Static).update(text)
        self.notify(text, title="Not recorded", severity="error")

    def action_close(self) -> None:
        """Close without signing (the drill stays on screen)."""
        self.dismiss(None)

    @on(Button.Pressed, "#close-sign")
    def _close_pressed(self) -> None:
        self.action_close()
