"""Record a real use of a break glass account after the fact, with its post-mortem.

Which account, when, who used it, why (the incident or ticket), what was done, and what to
change: signed into the log as a ``use`` entry with the drill's signing dialog. The audit then
reads a sign-in in that span as explained. Every real use is followed by a rotation, so once
recorded the screen offers to open the Rotate journey for the account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Select, Static

from bgwizard.drill.events import use_data
from bgwizard.drill.model import RecordedDrill
from bgwizard.errors import LedgerError
from bgwizard.ledger.chain import JsonValue
from bgwizard.ports import LogRecorder
from bgwizard.profile.model import Profile
from bgwizard.screens.drill.log_event import EventSignDialog

TIME_FORMAT = "%Y-%m-%d %H:%M"
TIME_HINT = "YYYY-MM-DD HH:MM, UTC"
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("who", "Who used it", "the people at the keyboard, and who approved"),
    ("incident", "Incident or ticket", "INC-4711"),
    ("reason", "Why", "what made the normal admin accounts unusable"),
    ("actions", "What was done", "every change made with the account"),
    ("lessons", "Post-mortem: what to change", "so that it is not needed next time"),
)
"""Form field id (``use_data``'s post-mortem field), label, placeholder."""
RotateOpener = Callable[[str, str], None]
"""Opens the Rotate journey for (account UPN, reason)."""


def parse_when(text: str, label: str) -> dt.datetime:
    """A time typed as ``YYYY-MM-DD HH:MM`` in UTC (an ISO time with an offset also works).

    Raises:
        LedgerError: the text is not such a time.
    """
    text = text.strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        when = None
    if when is None:
        raise LedgerError(f"{label}: type a time as {TIME_HINT} (e.g. 2026-11-27 08:40).")
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class UseScreen(Screen[None]):
    """The post-mortem form of a real use, signed into the log."""

    CSS_PATH = "use.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", id="leave_use", tooltip="Back to the home screen."),
    ]

    def __init__(
        self,
        profile: Profile,
        recorder: LogRecorder,
        *,
        clock: Callable[[], dt.datetime],
        open_rotate: RotateOpener | None = None,
    ) -> None:
        """A real use of one of ``profile``'s accounts.

        Args:
            profile: names the accounts.
            recorder: signs the entry into the log.
            clock: current UTC time (prefills the end of the use).
            open_rotate: opens the Rotate journey (None: the button is not offered).
        """
        super().__init__()
        self._profile, self._recorder, self._clock = profile, recorder, clock
        self._open_rotate = open_rotate
        self.recorded: RecordedDrill | None = None
        """The ``use`` entry, once signed."""

    def compose(self) -> ComposeResult:
        """Account, times, the post-mortem fields, the follow-up, the buttons."""
        accounts = [(a.upn, a.upn) for a in self._profile.accounts if a.object_id]
        yield Header()
        with VerticalScroll(id="use-body"):
            yield Static("Record a real use of a break glass account", classes="title")
            yield Static(
                "After the emergency: what happened, signed into the log, so that the audit"
                " knows this sign-in was not an intruder. Rotate the password afterwards.",
                classes="hint",
            )
            yield Select(accounts, prompt="Break glass account", id="account")
            with Horizontal(classes="row"):
                yield Input(placeholder=f"started ({TIME_HINT})", id="started")
                now = self._clock().astimezone(dt.UTC).strftime(TIME_FORMAT)
                yield Input(now, placeholder=f"ended ({TIME_HINT})", id="ended")
            for field_id, label, placeholder in FIELDS:
                yield Label(label)
                yield Input(placeholder=placeholder, id=field_id)
            yield Checkbox("The password was already rotated after this use", id="rotated")
            with Horizontal(classes="row"):
                yield Button("Sign and record", id="record", variant="primary")
                yield Button("Rotate now", id="rotate-now", variant="warning")
            yield Static("", id="use-status")
        yield Footer()

    def on_mount(self) -> None:
        """Pick the only account; hide the follow-up until the use is recorded."""
        self.sub_title = "Record a use"
        self.query_one("#rotate-now").display = False
        select = self.query_one("#account", Select)
        created = [a for a in self._profile.accounts if a.object_id]
        if len(created) == 1:
            select.value = created[0].upn
        if not created:
            self._say("The profile names no created account: run the set-up first.", error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#use-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def entry_data(self) -> dict[str, JsonValue]:
        """The ``use`` entry from the form.

        Raises:
            LedgerError: a field is missing or a time is not valid (one sentence).
        """
        value = self.query_one("#account", Select).value
        item = next((a for a in self._profile.accounts if a.upn == value), None)
        if item is None:
            raise LedgerError("Choose the break glass account that was used.")
        fields = {name: self.query_one(f"#{name}", Input).value for name, _, _ in FIELDS}
        return use_data(
            item.upn,
            item.object_id,
            started=parse_when(self.query_one("#started", Input).value, "Started"),
            ended=parse_when(self.query_one("#ended", Input).value, "Ended"),
            password_rotated=self.query_one("#rotated", Checkbox).value,
            fields=fields,
        )

    @on(Button.Pressed, "#record")
    def record(self) -> None:
        """Check the form, then open the signing dialog."""
        if self.recorded is not None:
            self._say("This use is already recorded; leave and come back for another one.")
            return
        try:
            data = self.entry_data()
        except LedgerError as error:
            self._say(str(error), error=True)
            self.notify(str(error), title="Not recorded", severity="error")
            return
        dialog = EventSignDialog(self._recorder, "use", data, self._recorder.last_signer)
        self.app.push_screen(dialog, callback=self._signed)

    def _signed(self, recorded: RecordedDrill | None) -> None:
        if recorded is None:
            self._say("Not recorded yet: press 'Sign and record' again to sign it.")
            return
        self.recorded = recorded
        self.query_one("#record", Button).disabled = True
        said = (
            f"Recorded as entry {recorded.entry.seq} of {recorded.log_path} (head {recorded.head})."
        )
        if recorded.entry.data.get("password_rotated") is True:
            self._say(said)
            return
        self._say(f"{said} A used password must be rotated: press 'Rotate now'.")
        self.query_one("#rotate-now").display = self._open_rotate is not None

    @on(Button.Pressed, "#rotate-now")
    def rotate_now(self) -> None:
        """Open the Rotate journey for the account, with the incident as the reason."""
        if self.recorded is None or self._open_rotate is None:
            return
        data = self.recorded.entry.data
        self._open_rotate(str(data["account"]), f"real use, {data['incident']}")

    def action_leave(self) -> None:
        """Back to the home screen."""
        self.dismiss(None)
