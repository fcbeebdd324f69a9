"""``BgWizardApp``: themes, key bindings, the journey registry and the app-wide workers. No I/O.

The app receives its services from the composition root (``bgwizard.container``) and hands
each screen only what it needs (``bgwizard.tui.journeys``). Heavy libraries (msgraph, msal,
reportlab) are never imported here: they load inside the services, after the first frame.
"""

from __future__ import annotations

import datetime as dt
import gc
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Final

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.screen import ModalScreen, Screen

from bgwizard.auth.identity import SignedInIdentity, TenantInfo
from bgwizard.auth.scopes import for_screen
from bgwizard.demo.info import DemoInfo
from bgwizard.errors import BgWizardError
from bgwizard.profile.model import Profile
from bgwizard.screens import messages
from bgwizard.screens.home import HomeScreen
from bgwizard.screens.widgets.journey_menu import JOURNEYS, Journey
from bgwizard.tui.commands import BgWizardCommands
from bgwizard.tui.journeys import DEFAULT_JOURNEYS, ScreenFactory, wizard_session

if TYPE_CHECKING:
    from bgwizard.ports import Services

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware (injected so tests can freeze it)."""

HOME_CSS: Final = Path(inspect.getfile(HomeScreen)).with_name("home.tcss").resolve()
"""``HomeScreen.CSS_PATH``, resolved as Textual resolves it (so it is never read twice)."""

SCREENSHOT_REFUSED: Final = (
    "Screenshots are off in bgwizard: a screen may show a password, and the file would keep it."
)
"""Said instead of saving an SVG (Textual's "Screenshot" would write it to ~/Downloads, 0644)."""

THEMES: Final = ("textual-dark", "textual-light")
"""The two themes bgwizard supports; ``toggle_theme`` switches between them."""

JOURNEY_SCREENS: dict[str, ScreenFactory] = dict(DEFAULT_JOURNEYS)
"""Journey id → screen factory (``bgwizard.tui.journeys``); tests replace entries."""


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


class BgWizardApp(App[None]):
    """The bgwizard terminal app."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [Path(__file__).with_name("app.tcss"), HOME_CSS]
    """Absolute, so subclasses (tests, the benchmark) defined elsewhere still find them. The
    home screen's sheet is parsed with the app's, once (see ``get_default_screen``)."""
    TITLE = "bgwizard"
    SUB_TITLE = "break glass accounts for Microsoft Entra ID"
    COMMANDS = App.COMMANDS | {BgWizardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "sign_in", "Sign in", id="sign_in", tooltip="Sign in as an administrator."),
        Binding(
            "ctrl+t", "toggle_theme", "Theme", id="toggle_theme", tooltip="Dark or light theme."
        ),
        Binding("f1", "help", "Keys", id="help", tooltip="Show the keys of this screen."),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Leave bgwizard."),
        Binding(
            "ctrl+k",
            "keep_training_log",
            "Keep the training log",
            id="keep_training_log",
            tooltip="Demo: copy the signed training log and its public keys to a folder.",
        ),
    ]

    identity: var[SignedInIdentity | None] = var(None)
    """The administrator signed in now."""
    tenant: var[TenantInfo | None] = var(None)
    """The tenant as Graph described it after the last sign-in."""
    warmed_up: var[bool] = var(False)
    """Whether the directory service finished warming up."""

    def __init__(
        self,
        services: Services,
        profile: Profile,
        *,
        demo: DemoInfo | None = None,
        clock: Clock = utc_now,
        keymap: Mapping[str, str] | None = None,
        sign_in_on_start: bool | None = None,
        notices: Sequence[str] = (),
    ) -> None:
        """Build the app around injected services.

        Args:
            services: the service bundle built by the composition root.
            profile: the loaded profile.
            demo: set when running against the embedded emulator.
            clock: the current time (tests freeze it).
            keymap: binding id → keys; overrides the profile's ``[ui] keymap``.
            sign_in_on_start: open the sign-in screen at start; default: in demo mode only.
            notices: what loading the profile fixed, shown as warnings on the first frame.
        """
        super().__init__()
        self.services = services
        self.profile = profile
        self.demo = demo
        self._kept_log: int | None = None
        """The training log's mtime when it was last kept (demo), to ask again only if it grew."""
        self.clock = clock
        self._keymap = {**profile.ui.keymap, **(keymap or {})}
        self.theme = profile.ui.theme if profile.ui.theme in THEMES else THEMES[0]
        self._sign_in_on_start = demo is not None if sign_in_on_start is None else sign_in_on_start
        self.set_reactive(BgWizardApp.identity, services.auth.identity)
        self._gc_paused = False
        self._notices = tuple(notices)

    def run(self, **options: Any) -> None:
        """Run the app, with the cyclic garbage collector paused until the first frame.

        Drawing the first frame allocates many short-lived objects; with Textual's ~400 modules
        loaded, they trigger a full collection that traverses ~50,000 objects to free ~220
        (25-40 ms measured). Textual pauses the collector the same way while scrolling
        (``PAUSE_GC_ON_SCROLL``). ``_after_first_frame`` resumes it (or the end of the run).

        Args:
            options: Textual's ``App.run`` options (``headless``, ``size``, …).
        """
        self._gc_paused = gc.isenabled()
        gc.disable()
        try:
            return super().run(**options)
        finally:
            self._resume_gc()

    def _resume_gc(self) -> None:
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()

    def get_default_screen(self) -> Screen[Any]:
        """The home screen, the base of the screen stack.

        The default screen rather than a mode: Textual loads a mode screen's ``CSS_PATH`` and
        then refreshes all CSS, re-parsing and re-applying every rule before the first frame
        (a third of the Python calls of that phase); ``home.tcss`` is in the app's
        ``CSS_PATH`` instead.
        """
        return HomeScreen(self.profile, demo=self.demo, today=self.clock().date())

    def on_mount(self) -> None:
        """Apply the keymap, then start the background work once the first frame is drawn."""
        if self._keymap:
            self.set_keymap(self._keymap)
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self._resume_gc()
        for notice in self._notices:
            self.notify(notice, title="Profile", severity="warning", timeout=30)
        self._warm_up()
        if self._sign_in_on_start and self.identity is None:
            self.action_sign_in()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No second sign-in while one is on screen (or a dialog is open)."""
        if action == "sign_in":
            return not isinstance(self.screen, ModalScreen) and not _is_sign_in(self.screen)
        if action == "keep_training_log":
            return self.demo is not None and self.demo.keep_log is not None
        return True

    def action_keep_training_log(self) -> None:
        """Demo: copy the training log out of the demo folder before it vanishes."""
        if self.demo is None or self.demo.keep_log is None:
            return
        from bgwizard.screens.keep_log import KeepLogDialog

        dialog = KeepLogDialog(self.demo.keep_log)
        self.push_screen(dialog, callback=lambda _: self._remember_kept(dialog.kept))

    def _remember_kept(self, kept: list[Path]) -> None:
        log = self.demo.training_log if self.demo is not None else None
        if kept and log is not None and log.exists():
            self._kept_log = log.stat().st_mtime_ns

    async def action_quit(self) -> None:
        """Leave; in the demo, first offer to keep a training log that would vanish."""
        demo = self.demo
        log = demo.training_log if demo is not None else None
        if demo is None or demo.keep_log is None or log is None or not log.exists():
            self.exit()
            return
        if self._kept_log == log.stat().st_mtime_ns:  # kept, and nothing signed since
            self.exit()
            return
        if isinstance(self.screen, ModalScreen):  # ctrl+q again on the dialog: quit
            self.exit()
            return
        from bgwizard.screens.keep_log import KeepLogDialog

        def done(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()

        self.push_screen(KeepLogDialog(demo.keep_log, quitting=True), callback=done)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands without "Screenshot" (an SVG on disk could hold a password).

        Args:
            screen: the screen the palette was opened on.

        Yields:
            Textual's system commands, minus the screenshot.
        """
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Refused: no screenshot file is ever written (a key binding could still ask)."""
        self.notify(SCREENSHOT_REFUSED, severity="warning")

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """Refused, like ``action_screenshot``: writes nothing and returns None."""
        self.notify(SCREENSHOT_REFUSED, severity="warning")
        return None

    # -- actions ---------------------------------------------------------------------------

    def action_sign_in(self) -> None:
        """Open the admin sign-in screen (device code)."""
        from bgwizard.screens.signin import SignInScreen

        self.push_screen(
            SignInScreen(
                self.services.auth,
                demo=self.demo,
                approver=self.services.demo,
                keys=self.services.keys,
                clock=self.clock,
            )
        )

    def action_toggle_theme(self) -> None:
        """Switch between the dark and the light theme and remember the choice."""
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]
        self.profile.ui.theme = self.theme
        self._save_profile()

    def action_help(self) -> None:
        """Show or hide the panel listing the keys of the current screen."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_open_journey(self, journey_id: str) -> None:
        """Open a journey's screen.

        Args:
            journey_id: a ``Journey.id``.

        Raises:
            KeyError: no journey has that id.
        """
        factory = JOURNEY_SCREENS[journey_id]
        self.services.auth.use_scopes(for_screen(journey_id))  # incremental consent
        self.push_screen(factory(self))

    def on_home_screen_journey_chosen(self, message: HomeScreen.JourneyChosen) -> None:
        """The home menu's choice: open that journey."""
        self.action_open_journey(message.journey_id)

    def palette_commands(self, screen: Screen[Any]) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        """Every action offered in the command palette: (title, help, callback).

        Args:
            screen: the screen the palette was opened on (its bindings are offered too).

        Yields:
            The app's bindings, the screen's bindings, and one entry per journey.
        """
        for node, bindings in ((self, self.BINDINGS), (screen, screen.BINDINGS)):
            for binding in bindings:
                if isinstance(binding, Binding) and binding.id and binding.description:
                    yield binding.description, binding.tooltip, _runner(self, binding.action, node)
        if screen is self.screen_stack[0]:
            for item in JOURNEYS:
                yield f"Open {item.title}", item.summary, _journey_opener(self, item)

    # -- workers and their results ---------------------------------------------------------

    @work(exclusive=True, group="warm-up")
    async def _warm_up(self) -> None:
        try:
            await self.services.directory.warm_up()
        except BgWizardError as error:
            self.notify(str(error), title="Microsoft Graph", severity="warning")
            return
        self.post_message(messages.WarmedUp())

    @on(messages.WarmedUp)
    def _record_warm_up(self) -> None:
        self.warmed_up = True

    def on_audit_screen_fix_ca_exclusions(self, message: Message) -> None:
        """The audit's "fix CA exclusions": open the set-up wizard's Conditional Access step.

        Handled by name (``AuditScreen.FixCaExclusions``) so the app imports no screen here.
        """
        message.stop()
        self.services.auth.use_scopes(for_screen("audit", "ca-change"))
        self.push_screen(wizard_session(self).screen_for("ca"))

    @on(messages.SignedIn)
    def _load_tenant_after_sign_in(self, message: messages.SignedIn) -> None:
        self.identity = message.identity
        self._load_tenant()

    @work(exclusive=True, group="graph")
    async def _load_tenant(self) -> None:
        try:
            tenant = await self.services.directory.tenant_info()
        except BgWizardError as error:
            self.notify(str(error), title="Tenant", severity="error")
            return
        self.post_message(messages.TenantLoaded(tenant))

    @on(messages.TenantLoaded)
    def _remember_tenant(self, message: messages.TenantLoaded) -> None:
        self.tenant = tenant = message.tenant
        profile = self.profile
        known = (profile.tenant_id, profile.tenant_name, profile.initial_domain)
        if known != (tenant.tenant_id, tenant.display_name, tenant.initial_domain):
            profile.tenant_id = tenant.tenant_id
            profile.tenant_name = tenant.display_name
            profile.initial_domain = tenant.initial_domain
            self._save_profile()

    def _save_profile(self) -> None:
        self._write_profile(self.profile)

    @work(thread=True, exclusive=True, group="profile")
    def _write_profile(self, profile: Profile) -> None:
        try:
            self.services.profiles.save(profile)
        except BgWizardError as error:
            self.call_from_thread(self.notify, str(error), title="Profile", severity="error")


def _is_sign_in(screen: Screen[Any]) -> bool:
    """Whether ``screen`` is the sign-in screen, asked without importing it.

    The footer asks ``check_action`` while drawing the first frame; importing the sign-in
    screen to answer would load it, its QR widget and the ports before that frame. A screen
    whose module is not loaded yet cannot be on screen.
    """
    signin = sys.modules.get("bgwizard.screens.signin")
    return signin is not None and isinstance(screen, signin.SignInScreen)


def _runner(app: BgWizardApp, action: str, node: Any) -> Callable[[], Any]:
    async def run() -> None:
        await app.run_action(action, node)

    return run


def _journey_opener(app: BgWizardApp, item: Journey) -> Callable[[], None]:
    return lambda: app.action_open_journey(item.id)
