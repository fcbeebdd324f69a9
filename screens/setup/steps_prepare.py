"""Steps 1-3: connect as an administrator, choose the names, make the paper sheets."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from bgwizard.auth.identity import SignedInIdentity
from bgwizard.screens.setup.base import WizardStep
from bgwizard.screens.sheets.screen import SheetOutcome, SheetsScreen
from bgwizard.setup.journal import StepId, account
from bgwizard.setup.names import DEFAULT_COUNT, NameIssue, blocking, suggest_names
from bgwizard.setup.results import SECURITY_DEFAULTS_NOTE


class ConnectStep(WizardStep):
    """Step 1: sign in, and check the roles and permissions before any change."""

    STEP: ClassVar[StepId] = "connect"
    INTRO = (
        "Sign in as the administrator who makes the accounts. bgwizard first checks that you"
        " hold every role and permission the set-up needs, so it never stops half-way."
    )

    def compose_body(self) -> ComposeResult:
        """Who is signed in."""
        yield Static("", id="who")

    def compose_buttons(self) -> ComposeResult:
        """Sign in."""
        yield Button("Sign in", id="sign-in", variant="primary")

    def start(self) -> None:
        """Check the admin signed in already, or ask for a sign-in."""
        identity = self.session.services.auth.identity
        if identity is not None:
            self.check(identity)
        else:
            self.say("Not signed in: press Sign in.")

    @on(Button.Pressed, "#sign-in")
    def sign_in(self) -> None:
        """Open the device code sign-in."""
        from bgwizard.screens.signin import SignInScreen

        session = self.session
        screen = SignInScreen(
            session.services.auth,
            demo=session.demo,
            approver=session.services.demo,
            keys=session.services.keys,
            clock=session.clock,
        )
        self.app.push_screen(screen, callback=self._signed_in)

    def _signed_in(self, identity: SignedInIdentity | None) -> None:
        if identity is not None:
            self.check(identity)

    def check(self, identity: SignedInIdentity) -> None:
        """Check ``identity`` and read the tenant."""

        async def job() -> None:
            missing = await self.session.service.connect(identity)
            profile = self.session.profile
            defaults = (
                f"\n⚠ {SECURITY_DEFAULTS_NOTE}" if self.session.service.security_defaults else ""
            )
            self.lines("who").update(
                f"Signed in as {identity.upn}.\nTenant {profile.tenant_name} ({profile.tenant_id}),"
                f" initial domain {profile.initial_domain}.{defaults}"
            )
            if missing:
                self.say("Nothing was changed. " + " ".join(missing), error=True)
                return
            self.session.connected = True
            self.say("You hold every role and permission the set-up needs.")
            self.can_continue(True)

        self.run(job, "Checking your roles and permissions…")


class NamesStep(WizardStep):
    """Step 2: neutral names on the initial domain, checked against the tenant."""

    STEP: ClassVar[StepId] = "names"
    INTRO = (
        "Neutral, service-like names do not tell an attacker which accounts to go after."
        " The accounts live on the tenant's initial *.onmicrosoft.com domain."
    )

    def compose_body(self) -> ComposeResult:
        """How many, the names, the custodians, and what is wrong with them."""
        with Horizontal(classes="row"):
            yield Label("Accounts", classes="label")
            yield Input(str(DEFAULT_COUNT), id="count", type="integer", max_length=1)
        yield Vertical(id="names")
        with Horizontal(classes="row"):
            yield Label("Custodians", classes="label")
            yield Input(placeholder="who holds the sheets, comma separated", id="custodians")
        yield Static("", id="issues")

    def compose_buttons(self) -> ComposeResult:
        """Check."""
        yield Button("Check the names", id="check", variant="primary")

    def start(self) -> None:
        """Fill in the names chosen before, or suggestions."""
        chosen = [a.upn for a in self.session.profile.accounts]
        custodians = next((a.custodians for a in self.session.profile.accounts if a.custodians), [])
        self.query_one("#custodians", Input).value = ", ".join(custodians)
        self._fill(chosen or suggest_names(self.session.profile.initial_domain, DEFAULT_COUNT))

    def _fill(self, upns: list[str]) -> None:
        box = self.query_one("#names", Vertical)
        box.remove_children()
        box.mount_all(
            Input(upn, id=f"name-{n}", classes="name") for n, upn in enumerate(upns, start=1)
        )
        self.query_one("#count", Input).value = str(len(upns))
        self.can_continue(False)

    @on(Input.Submitted, "#count")
    def recount(self) -> None:
        """Suggest as many names as the count asks for."""
        try:
            count = max(1, min(9, int(self.query_one("#count", Input).value or DEFAULT_COUNT)))
        except ValueError:
            count = DEFAULT_COUNT
        kept = self.upns()[:count]
        extra = suggest_names(self.session.profile.initial_domain, count, kept)[: count - len(kept)]
        self._fill(kept + extra)

    def upns(self) -> list[str]:
        """The names typed now."""
        return [i.value.strip() for i in self.query("#names Input").results(Input)]

    @on(Input.Changed, ".name")
    def _names_changed(self) -> None:
        self.can_continue(False)

    @on(Button.Pressed, "#check")
    def check(self) -> None:
        """Check the rules and look each name up in the tenant."""
        upns = self.upns()

        async def job() -> None:
            issues = await self.session.service.check_names(upns)
            self.lines("issues").update(_issue_text(issues))
            if blocking(issues):
                self.say("Fix the names marked as errors, then check again.", error=True)
                return
            self.say(f"{len(upns)} names are free and follow the rules.")
            self.can_continue(True)

        self.run(job, "Looking the names up…")

    def proceed(self) -> None:
        """Record the names, then go on."""
        upns = self.upns()
        custodians = [c.strip() for c in self.query_one("#custodians", Input).value.split(",")]

        async def job() -> None:
            await self.session.service.choose_names(upns, [c for c in custodians if c])
            self.advance()

        self.run(job, "Saving the names…")


def _issue_text(issues: list[NameIssue]) -> str:
    if not issues:
        return "No problems found."
    return "\n".join(f"{'Error' if i.level == 'error' else 'Warning'}: {i.message}" for i in issues)


class SheetsStep(WizardStep):
    """Step 3: a password and two paper copies per account, read back before anything else."""

    STEP: ClassVar[StepId] = "sheets"
    INTRO = (
        "Each account gets a new password, printed twice and typed back from paper before the"
        " account exists. The password is kept in memory only until the account is created."
    )

    def compose_body(self) -> ComposeResult:
        """Where each account stands."""
        yield Static("", id="sheet-list")

    def compose_buttons(self) -> ComposeResult:
        """Make the next sheet."""
        yield Button("Make the next sheet", id="make-sheet", variant="primary")

    def start(self) -> None:
        """Show which accounts still need a sheet."""
        self.refresh_list()

    def pending(self) -> list[str]:
        """Accounts without a sheet in this set-up."""
        return self.session.service.journal.pending_accounts("sheets")

    def refresh_list(self) -> None:
        """Redraw the list; offer Continue when every account has its sheet."""
        lines = []
        for item in self.session.profile.accounts:
            done = self.session.service.journal.is_done("sheets", item.upn)
            serials = ", ".join(item.current_serials) or "-"
            lines.append(
                f"{'✓' if done else '·'} {item.upn}   sheet {serials if done else 'to make'}"
            )
        self.lines("sheet-list").update("\n".join(lines))
        pending = self.pending()
        self.query_one("#make-sheet").display = bool(pending)
        self.can_continue(not pending)
        if pending:
            self.say(f"Next: the sheet for {pending[0]}.")
        else:
            self.say("Every account has its paper sheet.")

    @on(Button.Pressed, "#make-sheet")
    def make_sheet(self) -> None:
        """Open the sheet step for the next account."""
        pending = self.pending()
        if not pending:
            return
        item = account(self.session.profile, pending[0])
        screen = SheetsScreen(
            self.session.profile,
            item,
            self.session.sheets,
            profiles=self.session.services.profiles,
            retire_current=True,
        )
        self.app.push_screen(screen, callback=lambda outcome: self._made(item.upn, outcome))

    def _made(self, upn: str, outcome: SheetOutcome | None) -> None:
        if outcome is None:
            self.say(f"No sheet was made for {upn}.")
            return
        self.session.passwords[upn.casefold()] = outcome.password

        async def job() -> None:
            await self.session.service.record("sheets", upn)
            self.refresh_list()

        self.run(job, "Saving…")
