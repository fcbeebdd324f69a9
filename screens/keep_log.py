"""Demo mode: "Keep the training log" — copy the signed training log and its public keys out of
the demo folder (which vanishes when the demo ends) to a folder the user names, so
``docs/drill-log.md``'s walk-through can be followed afterwards. Offered on quit too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from bgwizard.errors import BgWizardError

DEFAULT_FOLDER: Final = "~/bgwizard-training-log"


class KeepLogDialog(ModalScreen[bool]):
    """Asks for a folder and copies the training log there; dismisses True when the app may
    quit (kept, or "Quit without keeping" when opened on quit), else False."""

    CSS_PATH = "keep_log.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close_keep_log", tooltip="Back to the demo."),
    ]

    def __init__(self, keep: Callable[[Path], list[Path]], *, quitting: bool = False) -> None:
        """Copy through ``keep``.

        Args:
            keep: copies the log and its public keys to a folder; returns the files written.
            quitting: opened by Quit: offers "Quit without keeping", and quits once kept.
        """
        super().__init__()
        self._keep, self._quitting = keep, quitting
        self.kept: list[Path] = []
        """The files written (empty until kept)."""

    def compose(self) -> ComposeResult:
        """Folder, what is copied, buttons."""
        with Vertical(id="keep-box"):
            yield Static("Keep the training log", classes="title")
            yield Static(
                "The demo's folder, with its signed training log, is removed when the demo"
                " ends. Copy the log, allowed_signers and the signer's public key (never the"
                " private key) to a folder, to try `bgwizard log verify` and ssh-keygen on it.",
                classes="hint",
            )
            yield Label("Folder")
            yield Input(DEFAULT_FOLDER, id="keep-folder")
            yield Static("", id="keep-said")
            with Horizontal(id="keep-buttons"):
                yield Button("Keep the training log", id="keep", variant="primary")
                if self._quitting:
                    yield Button("Quit without keeping", id="quit-anyway", variant="warning")
                yield Button("Close", id="close-keep")

    @on(Input.Submitted, "#keep-folder")
    @on(Button.Pressed, "#keep")
    def keep(self) -> None:
        """Copy the log to the folder typed."""
        text = self.query_one("#keep-folder", Input).value.strip()
        if not text:
            self._say("Type a folder.", error=True)
            return
        self.query_one("#keep", Button).disabled = True
        self._copy(Path(text).expanduser())

    @work(exclusive=True, group="keep-log")
    async def _copy(self, folder: Path) -> None:
        try:
            self.kept = await asyncio.to_thread(self._keep, folder)
        except BgWizardError as error:
            self._say(str(error), error=True)
            self.query_one("#keep", Button).disabled = False
            return
        names = ", ".join(p.name for p in self.kept)
        self.notify(f"Kept in {folder}: {names}.", title="Training log")
        self.dismiss(self._quitting)

    def _say(self, text: str, *, error: bool = False) -> None:
        said = self.query_one("#keep-said", Static)
        said.update(text)
        said.set_class(error, "error")

    @on(Button.Pressed, "#quit-anyway")
    def quit_anyway(self) -> None:
        """Quit; the training log goes with the demo folder."""
        self.dismiss(True)

    @on(Button.Pressed, "#close-keep")
    def action_close(self) -> None:
        """Back to the demo."""
        self.dismiss(False)
