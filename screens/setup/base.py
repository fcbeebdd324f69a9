"""``WizardStep``: the frame every step screen shares — progress rail, body, status, buttons.

A step does its Graph work in an exclusive worker through ``run``; a failure is shown as one
sentence with a Retry button that runs the same work again (every step is idempotent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from bgwizard.errors import BgWizardError
from bgwizard.screens.setup.rail import ProgressRail
from bgwizard.setup.journal import STEP_TITLES, StepId

if TYPE_CHECKING:
    from bgwizard.screens.setup.session import WizardSession


class WizardStep(Screen[None]):
    """One step of the set-up wizard. Subclasses set ``STEP`` and write ``compose_body``."""

    CSS_PATH = "wizard.tcss"
    STEP: ClassVar[StepId] = "connect"
    INTRO: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Leave",
            id="leave_wizard",
            tooltip="Back to the home screen; the wizard resumes here next time.",
        ),
    ]

    def __init__(self, session: WizardSession) -> None:
        """A step of ``session``.

        Args:
            session: the wizard's shared state.
        """
        super().__init__()
        # Set before mounting, as Screen sets SUB_TITLE: a change after mount makes the Header
        # redraw through an awaited watcher, which can run after a quick step switch removed it.
        self.sub_title = STEP_TITLES[self.STEP]
        self.session = session
        self._retry: Callable[[], Awaitable[None]] | None = None

    def compose(self) -> ComposeResult:
        """Rail on the left; on the right the scrolling step, then status and buttons (fixed)."""
        yield Header()
        with Horizontal(id="wizard"):
            yield ProgressRail(self.session.service.journal.rail(self.STEP), id="rail")
            with Vertical(id="step-pane"):
                with VerticalScroll(id="step"):
                    yield Static(STEP_TITLES[self.STEP], id="step-title")
                    if self.INTRO:
                        yield Static(self.INTRO, id="step-intro")
                    with Vertical(id="step-body"):
                        yield from self.compose_body()
                yield Static("", id="step-status")
                with Horizontal(id="step-buttons"):
                    yield from self.compose_buttons()
                    yield Button("Retry", id="retry", variant="warning")
                    yield Button("Continue", id="continue", variant="success")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        """The step's own buttons (before Retry and Continue)."""
        yield from ()

    def on_mount(self) -> None:
        """Hide Retry and Continue until they make sense; start the step."""
        self.query_one("#retry").display = False
        self.can_continue(False)
        self.start()

    def start(self) -> None:
        """What the step does when it appears (nothing by default)."""

    # -- helpers for subclasses ------------------------------------------------------------

    def can_continue(self, allowed: bool) -> None:
        """Show or hide the Continue button."""
        self.query_one("#continue").display = allowed

    def say(self, text: str, *, error: bool = False) -> None:
        """Show ``text`` in the status line (as an error when ``error``)."""
        status = self.query_one("#step-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def run(self, job: Callable[[], Awaitable[None]], doing: str) -> None:
        """Run ``job`` in the step's worker; a failure shows one sentence and a Retry button.

        Args:
            job: the work (calls services, then updates the screen).
            doing: what the status line says meanwhile.
        """
        self._retry = job
        self.query_one("#retry").display = False
        self.say(doing)
        self._run(job)

    @work(exclusive=True, group="wizard-step")
    async def _run(self, job: Callable[[], Awaitable[None]]) -> None:
        try:
            await job()
        except BgWizardError as error:
            self.say(str(error), error=True)
            self.query_one("#retry").display = True
            self.notify(str(error), title=STEP_TITLES[self.STEP], severity="error")

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self) -> None:
        self.retry()

    def retry(self) -> None:
        """Run the failed work again."""
        if self._retry is not None:
            self.run(self._retry, "Trying again…")

    @on(Button.Pressed, "#continue")
    def _continue_pressed(self) -> None:
        self.proceed()

    def proceed(self) -> None:
        """Go on to the next step the journal names."""
        self.advance()

    def advance(self) -> None:
        """Replace this step's screen with the next step's."""
        self.show(self.session.next_step())

    def show(self, step: StepId) -> None:
        """Go to ``step`` (e.g. back to the sheets when a password was lost)."""
        self.app.switch_screen(self.session.screen_for(step))

    def action_leave(self) -> None:
        """Back to the home screen; the journal keeps the progress."""
        self.dismiss(None)

    def lines(self, widget_id: str) -> Any:
        """The ``Static`` with ``widget_id`` in the body (to fill in)."""
        return self.query_one(f"#{widget_id}", Static)
