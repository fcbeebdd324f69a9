"""Rotation: new password → new sheets (read back) → reset through Graph → verify sign-in.

The rotation is journaled in the profile before Graph is asked; once Graph accepted the new
password the new serial becomes current and the old serials are retired. A rotation left pending
(a failure, or the app ended in between) is offered on opening: finish it with a sign-in with
the NEW sheet, or start again (the pending sheet is then retired). Once the new
password signed in, the operator signs a ``rotation`` entry into the signed log (reason, retired
and new serials); a log that does not verify refuses it, and the rotation stays done.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Select, Static

from bgwizard.drill.events import rotation_data
from bgwizard.errors import BgWizardError, LedgerError
from bgwizard.ports import (
    DemoApprover,
    KeyFinder,
    LogRecorder,
    RotationActions,
    SheetMaker,
    SignInVerifying,
)
from bgwizard.profile.model import Profile
from bgwizard.rotation.journal import Rotated, pending_sentence
from bgwizard.screens.drill.log_event import EventSignDialog
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.screens.sheets.screen import SheetOutcome, SheetsScreen
from bgwizard.setup.journal import account

if TYPE_CHECKING:
    # A type only: the recorder's module is A2's service side.
    from bgwizard.drill.model import RecordedDrill


class RotateScreen(Screen[None]):
    """Rotates one break glass account's password."""

    CSS_PATH = "rotation.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave", id="leave_rotate", tooltip="Back to the home screen."),
    ]

    def __init__(
        self,
        profile: Profile,
        *,
        rotation: RotationActions,
        sheets: SheetMaker,
        recorder: LogRecorder,
        verifier: SignInVerifying,
        approver: DemoApprover | None,
        keys: KeyFinder,
        clock: Callable[[], dt.datetime],
        reason: str = "",
        upn: str = "",
    ) -> None:
        """Rotate accounts of ``profile``.

        Args:
            profile: the profile (changed in place by ``rotation``).
            rotation: resets the password through Graph and journals it.
            sheets: makes the new sheets.
            recorder: signs the rotation into the log.
            verifier: the new password's sign-in, on a session of its own.
            approver: the emulator's approval (demo mode), else None.
            keys: the security keys plugged in (for the emulator's approval with a key).
            clock: the current time (the rotation's time in the log).
            reason: the rotation's reason, prefilled (e.g. after recording a real use).
            upn: the account to preselect.
        """
        super().__init__()
        self._profile = profile
        self._rotation, self._sheets, self._recorder = rotation, sheets, recorder
        self._verifier, self._approver, self._keys = verifier, approver, keys
        self._clock = clock
        self._reason, self._preselect = reason, upn
        self._upn = ""
        self._finishing = ""
        """The account whose pending rotation a sign-in will finish (empty otherwise)."""
        self.rotated: tuple[Rotated, dt.datetime] | None = None
        """The reset done on this screen and when (None before)."""
        self.recorded: RecordedDrill | None = None
        """The rotation's log entry, once signed."""
        self.signed_in: dt.datetime | None = None
        """When the last verified sign-in happened (the rotation entry's ``signed_in``)."""

    def compose(self) -> ComposeResult:
        """Account choice, the new sheet, the reset, the verification."""
        created = [(a.upn, a.upn) for a in self._profile.accounts if a.object_id]
        pending = [a.upn for a in self._profile.accounts if a.object_id and a.pending_rotation]
        preselect = self._preselect or (pending[0] if pending else "")
        chosen = preselect if (preselect, preselect) in created else None
        yield Header()
        with VerticalScroll(id="rotate-body"):
            yield Static("Rotate a break glass password", classes="title")
            yield Static(
                "After any real use or a lost sheet: a new password on new sheets, read back,"
                " set through Microsoft Graph, then a sign-in with it. Old sheets are retired.",
                classes="hint",
            )
            yield Static("", id="pending-note")
            with Horizontal(id="pending-actions", classes="row"):
                yield Button(
                    "Finish: sign in with the NEW sheet", id="pending-finish", variant="warning"
                )
                yield Button("Start again", id="pending-restart")
            with Horizontal(classes="row"):
                yield Select(
                    created,
                    id="account",
                    allow_blank=not created,
                    value=chosen or (created[0][1] if created else Select.NULL),
                )
                yield Button("New password and sheets", id="new-sheet", variant="primary")
            yield Static("", id="unit-note")
            yield Input(
                self._reason,
                id="reason",
                placeholder="reason for the rotation (real use, lost sheet, drill finding…)",
            )
            yield Static(
                "" if created else "No created account in this profile.", id="rotate-status"
            )
            yield Button("Sign the rotation into the log", id="sign-rotation", variant="primary")
            yield VerifyPanel(self._verifier, self._approver, self._keys, id="rotate-verify")
        yield Footer()

    def on_mount(self) -> None:
        """Hide the verification until a password was reset."""
        for panel in self.query(VerifyPanel):
            panel.display = False
        self.query_one("#sign-rotation").display = False
        self._show_pending()
        self._check_unit(self._selected())

    @work(exclusive=True, group="rotate-unit")
    async def _check_unit(self, upn: str) -> None:
        """Before any sheet is printed: say who can reset an account in a restricted
        management administrative unit (nothing for other accounts)."""
        note = self.query_one("#unit-note", Static)
        note.display = False
        try:
            said = await self._rotation.who_can_reset(upn) if upn else None
        except BgWizardError:
            said = None  # the reset then tells for itself
        if upn != self._selected():
            return  # another account was chosen meanwhile
        note.update(said or "")
        note.display = bool(said)

    def _selected(self) -> str:
        value = self.query_one("#account", Select).value
        return value if isinstance(value, str) else ""

    def _show_pending(self) -> None:
        """Say whether the chosen account's rotation is pending, and offer to finish it."""
        upn = self._selected()
        sentence = pending_sentence(account(self._profile, upn)) if upn else ""
        self.query_one("#pending-note", Static).update(sentence)
        self.query_one("#pending-note").display = bool(sentence)
        self.query_one("#pending-actions").display = bool(sentence)

    @on(Select.Changed, "#account")
    def account_changed(self) -> None:
        """Show the newly chosen account's pending rotation and restricted unit, if any."""
        self._show_pending()
        self._check_unit(self._selected())

    @on(Button.Pressed, "#pending-finish")
    def finish_pending(self) -> None:
        """Verify a sign-in with the new sheet; success records the pending rotation as done."""
        upn = self._selected()
        panels = list(self.query(VerifyPanel))
        if not upn or not panels:
            self._say("A sign-in cannot be verified here (no sign-in configured).", error=True)
            return
        self._finishing, self.rotated, self.recorded = upn, None, None
        self._say(f"Sign in as {upn} with the password of the NEW sheet.")
        for panel in panels:
            panel.display = True
            panel.show_account(upn)

    @on(Button.Pressed, "#pending-restart")
    def restart_pending(self) -> None:
        """New password and sheets; the pending sheet is retired when the new one is journaled."""
        self.new_sheet()

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#rotate-status", Static)
        status.update(text)
        status.set_class(error, "error")

    @on(Button.Pressed, "#new-sheet")
    def new_sheet(self) -> None:
        """Make and read back the new sheet (on a copy: the profile changes after the reset)."""
        value = self.query_one("#account", Select).value
        if not isinstance(value, str):
            self._say("Choose an account.", error=True)
            return
        self._upn, self._finishing = value, ""
        self.rotated, self.recorded = None, None
        self.query_one("#sign-rotation").display = False
        draft = copy.deepcopy(account(self._profile, value))
        screen = SheetsScreen(self._profile, draft, self._sheets, profiles=None)
        self.app.push_screen(screen, callback=self._sheet_made)

    def _sheet_made(self, outcome: SheetOutcome | None) -> None:
        if outcome is None:
            self._say("No new sheet: nothing changed.")
            return
        self._reset(self._upn, outcome)

    @work(exclusive=True, group="rotate")
    async def _reset(self, upn: str, outcome: SheetOutcome) -> None:
        self._say(f"Setting the new password of {upn}…")
        try:
            done = await self._rotation.reset(
                upn, outcome.password, outcome.record, list(outcome.content.locations)
            )
        except BgWizardError as error:
            if account(self._profile, upn).pending_rotation is None:
                self._say(f"{error} The old sheets stay valid; destroy the new one.", error=True)
                return
            self._say(
                f"{error} The rotation stays pending: finish it with the new sheet, or start"
                " again (the new sheet is then retired).",
                error=True,
            )
            self._show_pending()
            return
        self._show_pending()
        self.rotated = (done, self._clock())
        retired = ", ".join(done.retired) or "none"
        self._say(
            f"The password of {upn} was reset. Sheet {done.new_serial} is current;"
            f" retired: {retired} (destroy those copies). Now sign in with the new password."
        )
        for panel in self.query(VerifyPanel):
            panel.display = True
            panel.show_account(upn)

    @on(VerifyPanel.Verified)
    def verified(self, message: VerifyPanel.Verified) -> None:
        """Check the new sign-in's token."""
        self.signed_in = self._clock()
        problems = self._rotation.check_sign_in(message.upn, message.proof.identity)
        if problems:
            self._say(" ".join(problems), error=True)
            return
        if message.upn == self._finishing:
            self._complete(message.upn)
            return
        self._done(message.upn)

    @work(exclusive=True, group="rotate")
    async def _complete(self, upn: str) -> None:
        """Record the pending rotation finished by the verified sign-in."""
        try:
            done = await self._rotation.complete(upn)
        except BgWizardError as error:
            self._say(str(error), error=True)
            return
        self._finishing = ""
        self.rotated = (done, self._clock())
        self._show_pending()
        self._done(upn)

    def _done(self, upn: str) -> None:
        # The sign-in is over: no "Sign in as …" or its buttons on the completed rotation.
        for panel in self.query(VerifyPanel):
            panel.display = False
        self._say(f"{upn} signs in with the new password. Rotation complete.")
        self.notify(f"{upn} rotated and verified.", title="Rotation")
        self.query_one("#sign-rotation").display = True
        self.sign_rotation()

    @on(Button.Pressed, "#sign-rotation")
    def sign_rotation(self) -> None:
        """Ask the operator to sign the completed rotation into the signed log."""
        if self.rotated is None or self.recorded is not None:
            return
        done, when = self.rotated
        item = account(self._profile, done.upn)
        try:
            data = rotation_data(
                done.upn,
                item.object_id,
                retired_serials=done.retired,
                new_serials=[done.new_serial],
                reason=self.query_one("#reason", Input).value,
                when=when,
                signed_in=self.signed_in,
            )
        except LedgerError as error:
            self._say(f"Rotation complete. To sign it into the log: {error}", error=True)
            self.query_one("#reason", Input).focus()
            return
        dialog = EventSignDialog(
            self._recorder,  # type: ignore[arg-type]  # A2's dialog takes LogRecorder: drop at merge
            "rotation",
            data,
            self._recorder.last_signer,
        )
        self.app.push_screen(dialog, callback=self._rotation_signed)

    def _rotation_signed(self, recorded: RecordedDrill | None) -> None:
        if recorded is not None:
            self.recorded = recorded
            self.query_one("#sign-rotation").display = False
            self._say(
                f"Rotation complete and signed as entry {recorded.entry.seq} of"
                f" {recorded.log_path} (head {recorded.head})."
            )
            return
        state = self._recorder.log_state()
        if state is not None and not state.ok:
            self._say(
                f"Rotation complete but not in the signed log: {state.describe()[:-1]}, so"
                " it refuses new entries; press 'Sign the rotation into the log' and choose"
                " 'Start a new linked log'.",
                error=True,
            )
            return
        self._say(
            "Rotation complete but not signed into the log yet:"
            " press 'Sign the rotation into the log'."
        )

    @on(VerifyPanel.Failed)
    def failed(self, message: VerifyPanel.Failed) -> None:
        """Show why the sign-in failed."""
        self._say(message.reason, error=True)

    def action_leave(self) -> None:
        """Back to the home screen."""
        self.dismiss(None)
