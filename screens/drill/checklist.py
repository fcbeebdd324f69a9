"""The quarterly drill: one checklist screen with three phases — before, during, after.

Before: the operator records who was told, the window, the ticket, the sheet. During: the
break glass account signs in with its own device code (a separate sign-in, the account as login
hint) — with the sheet's password or, better, the account's FIDO2 security key, which the admin
portals accept since mandatory MFA — and bgwizard checks how it signed in (``amr``), the token,
the role, Conditional Access and the audit rules. After:
the logs are searched for the sign-in and for changes, the operator confirms the alert and the
sealed sheet, and the drill is signed into the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Select, Static

from bgwizard.auth.identity import DeviceCodePrompt
from bgwizard.drill.checks import check_serial
from bgwizard.drill.model import CHECKLIST, Drill, ItemResult, RecordedDrill
from bgwizard.errors import BgWizardError, SignInCancelled
from bgwizard.ports import DemoApprover, DrillChecker, DrillChecksFactory, KeyFinder, LogRecorder
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.screens.drill.items import ItemRow, ManualItem
from bgwizard.sheets.model import PIN_RULE
from bgwizard.text import plural

_AUTOMATIC = [s for s in CHECKLIST if s.automatic]
_PHASE_TITLES = {"before": "1  Before", "during": "2  During", "after": "3  After"}


class DrillScreen(Screen[None]):
    """The drill checklist; every item ends up recorded and the drill is signed into the log."""

    CSS_PATH = "drill.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", id="leave_drill", tooltip="Back to the home screen."),
        Binding("f5", "sign_in", "Sign in", id="drill_sign_in",
                tooltip="Sign in as the break glass account."),
        Binding("f7", "password_failed", "Password failed", id="drill_password_failed",
                tooltip="Record that the password on the sheet did not work."),
        Binding("f8", "check_logs", "Check logs", id="drill_check_logs",
                tooltip="Search the logs for the sign-in and for changes."),
        Binding("f9", "finish", "Finish and sign", id="drill_finish",
                tooltip="Record the remaining items and sign the drill into the log."),
    ]  # fmt: skip

    drill: var[Drill | None] = var(None)
    """The drill so far (None until an account is chosen)."""
    prompt: var[DeviceCodePrompt | None] = var(None)
    """The break glass sign-in waiting in the browser, if any."""

    def __init__(
        self,
        profile: Profile,
        checks: DrillChecksFactory,
        recorder: LogRecorder,
        *,
        approver: DemoApprover | None = None,
        clock: Callable[[], dt.datetime],
        keys: KeyFinder,
    ) -> None:
        """A drill of one of ``profile``'s accounts.

        Args:
            profile: names the accounts and their sheets.
            checks: builds the checks (with a separate sign-in) for an account.
            recorder: signs the drill into the log.
            approver: approves the code in the emulator (demo and training mode only).
            clock: current UTC time.
            find_keys: the security keys plugged in, for a demo approval with the key (USB;
                tests give a software key).
        """
        super().__init__()
        self._profile, self._factory, self._recorder = profile, checks, recorder
        self._approver, self._clock, self._keys = approver, clock, keys
        self._checks: DrillChecker | None = None
        self._window_start: dt.datetime | None = None
        self.recorded: RecordedDrill | None = None

    def compose(self) -> ComposeResult:
        """Account and serial, then the three phases, then the verdict."""
        yield Header()
        with VerticalScroll(id="drill-body"):
            yield Static(self._title(), id="drill-title")
            with Horizontal(id="account-row"):
                options = [(a.upn, a.upn) for a in self._profile.accounts]
                yield Select(options, prompt="Break glass account", id="account")
                yield Input(placeholder="sheet serial", id="serial")
            for phase in ("before", "during", "after"):
                yield Static(_PHASE_TITLES[phase], classes="phase-title")
                for spec in (s for s in CHECKLIST if s.phase == phase):
                    yield ItemRow(spec, id=f"row-{spec.id}") if spec.automatic else ManualItem(spec)
                if phase == "during":
                    yield from self._sign_in_box()
            yield Input(placeholder="notes (optional)", id="notes")
            with Horizontal(classes="drill-buttons"):
                yield Button("Check the logs", id="check-logs")
                yield Button("Finish and sign", id="finish", variant="primary")
            yield Static("", id="verdict")
        yield Footer()

    def _sign_in_box(self) -> ComposeResult:
        yield Static("", id="device-code")
        with Horizontal(classes="drill-buttons"):
            yield Button("Sign in as the account", id="sign-in", variant="primary")
            if self._approver is not None:
                yield Button("Approve in the emulator", id="approve")
            yield Button("The password did not work", id="password-failed", variant="error")

    def _title(self) -> str:
        tenant = self._profile.tenant_name or self._profile.tenant_id or "this tenant"
        mode = " — training (demo tenant)" if self._profile.demo else ""
        return f"Quarterly drill for {tenant}{mode}"

    def on_mount(self) -> None:
        """Pick the only account when there is one."""
        self.sub_title = "Quarterly drill"
        if len(self._profile.accounts) == 1:
            self.query_one("#account", Select).value = self._profile.accounts[0].upn
        if not self._profile.accounts:
            self._verdict("The profile names no break glass account: run the set-up first.")

    # -- state -----------------------------------------------------------------------------

    @on(Select.Changed, "#account")
    def _account_chosen(self, event: Select.Changed) -> None:
        account = self._account()
        if account is not None and (self.drill is None or self.drill.account_upn != account.upn):
            self.drill = Drill(account.upn, account.object_id, self._clock())

    def _account(self) -> BreakGlassAccount | None:
        value = self.query_one("#account", Select).value
        return next((a for a in self._profile.accounts if a.upn == value), None)

    def _record(self, results: Sequence[ItemResult]) -> None:
        drill = self.drill
        if drill is None:
            return
        for result in results:
            drill = drill.record(result, self._clock())
        self.drill = drill

    def watch_drill(self, drill: Drill | None) -> None:
        """Show every recorded item."""
        if drill is None:
            return
        for row in self.query(ItemRow):
            row.show(drill.item(row.spec.id))

    def _record_manual(self, phase: str) -> None:
        self._record([m.result() for m in self.query(ManualItem) if m.spec.phase == phase])

    # -- during: the break glass sign-in -----------------------------------------------------

    def action_sign_in(self) -> None:
        """Record the before items and the serial, then start the break glass sign-in."""
        account = self._account()
        if account is None or self.drill is None:
            self.notify("Choose the break glass account first.", severity="warning")
            return
        self._record_manual("before")
        self._record([check_serial(account, self.query_one("#serial", Input).value)])
        self._checks = self._factory.checks_for(account)
        self._window_start = self._clock() - dt.timedelta(minutes=1)
        self._run_sign_in(self._checks)

    @work(exclusive=True, group="drill-sign-in")
    async def _run_sign_in(self, checks: DrillChecker) -> None:
        try:
            prompt = await checks.start_sign_in()
        except BgWizardError as error:
            self._record(checks.sign_in_failed(str(error)))
            return
        self.prompt = prompt
        try:
            results = await checks.finish_sign_in(prompt)
        except SignInCancelled:
            return
        finally:
            self.prompt = None
        self._record(results)
        if checks.identity is not None:
            try:
                self._record(await checks.during_checks())
            except BgWizardError as error:
                self.notify(str(error), title="Checks not run", severity="error")

    def watch_prompt(self, prompt: DeviceCodePrompt | None) -> None:
        """Show the code and where to enter it."""
        boxes = self.query("#device-code").results(Static)
        text = ""
        if prompt is not None:
            text = (
                f"In a private browser window open {prompt.verification_uri}, enter "
                f"{prompt.user_code} and sign in as {prompt.login_hint} with the account's "
                f"security key ({PIN_RULE}), or with the sheet's password."
            )
        for box in boxes:  # none once the screen is gone (a worker may finish late)
            box.update(text)

    def action_password_failed(self) -> None:
        """Record that the password did not work and stop waiting for the sign-in."""
        if self._checks is None or self.drill is None:
            return
        if self.prompt is not None:
            self._checks.cancel_sign_in(self.prompt)
        self._record(self._checks.sign_in_failed("The password on the sheet did not work"))

    def action_approve(self) -> None:
        """Demo: approve the code in the emulator, typing the password from the sheet."""
        if self._approver is None:
            return
        if self.prompt is None:
            self.notify(
                "No sign-in is waiting for approval yet: press 'Sign in as the account' first,"
                " then approve its code here.",
                title="Nothing to approve",
                severity="warning",
            )
            return
        from bgwizard.screens.approve import ApproveDialog

        hint = self.prompt.login_hint or ""
        dialog = ApproveDialog(
            self._approver, self.prompt.user_code, username=hint, keys=self._keys
        )
        self.app.push_screen(dialog)

    # -- after -------------------------------------------------------------------------------

    def action_check_logs(self) -> None:
        """Search the directory audit and sign-in logs of the window."""
        if self._checks is None or self._window_start is None:
            self.notify("Sign in as the account first.", severity="warning")
            return
        self._run_after(self._checks, self._window_start)

    @work(exclusive=True, group="drill-after")
    async def _run_after(self, checks: DrillChecker, start: dt.datetime) -> None:
        try:
            self._record(await checks.after_checks(start, self._clock()))
        except BgWizardError as error:
            self.notify(str(error), title="Logs not checked", severity="error")

    def action_finish(self) -> None:
        """Record the manual items, mark the rest not run, and open the signing dialog."""
        if self.drill is None:
            self.notify("Choose the break glass account first.", severity="warning")
            return
        self._record_manual("before")
        self._record_manual("after")
        assert self.drill is not None
        notes = self.query_one("#notes", Input).value.strip()
        finished = self.drill.finish(self._clock(), notes=notes)
        self.drill = finished
        from bgwizard.screens.drill.sign_dialog import SignDialog

        signer = self._recorder.last_signer
        self.app.push_screen(SignDialog(self._recorder, finished, signer), self._signed)

    def _signed(self, recorded: RecordedDrill | None) -> None:
        if recorded is None or self.drill is None:
            return
        self.recorded = recorded
        self._close_checks()
        drill = self.drill
        warned = len(drill.warnings())
        verdict = drill.outcome.upper()
        if warned and drill.outcome == "pass":  # e.g. password only: the portals refuse it
            verdict += f" WITH {plural(warned, 'WARNING')} (⚠ below)"
        lines = [f"Drill result: {verdict} — signed as entry {recorded.entry.seq} "
                 f"of {recorded.log_path} (head {recorded.head})."]  # fmt: skip
        if recorded.next_due:
            lines.append(f"Next drill due {recorded.next_due.isoformat()}.")
        lines += [f"• {f.id}: {f.fix}" for f in drill.failures() if f.fix]
        lines += [f"⚠ {w.id}: {w.detail} {w.fix}" for w in drill.warnings()]
        self._verdict("\n".join(lines), drill.outcome)

    def _verdict(self, text: str, outcome: str = "") -> None:
        verdict = self.query_one("#verdict", Static)
        verdict.update(text)
        for name in ("pass", "fail", "incomplete"):
            verdict.set_class(name == outcome, name)

    @work(group="drill-close")
    async def _close_checks(self) -> None:
        if self._checks is not None:
            await self._checks.close()

    def action_leave(self) -> None:
        """Back to the home screen (a sign-in still waiting is cancelled)."""
        if self._checks is not None and self.prompt is not None:
            self._checks.cancel_sign_in(self.prompt)
        self.dismiss(None)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "sign-in": self.action_sign_in,
            "approve": self.action_approve,
            "password-failed": self.action_password_failed,
            "check-logs": self.action_check_logs,
            "finish": self.action_finish,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()
