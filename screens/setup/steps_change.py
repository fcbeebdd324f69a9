"""Steps 4-6: create the accounts, make Global Administrator permanent, exclude them from
every Conditional Access policy. Each shows the change first and re-reads it afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from bgwizard.screens.setup.base import WizardStep
from bgwizard.setup.ca_plan import CaPlan
from bgwizard.setup.journal import StepId
from bgwizard.setup.results import SECURITY_DEFAULTS_NOTE
from bgwizard.text import plural

if TYPE_CHECKING:
    from bgwizard.screens.setup.session import WizardSession


class CreateStep(WizardStep):
    """Step 4: each account cloud-only, enabled, password never expiring; re-read."""

    STEP: ClassVar[StepId] = "create"
    INTRO = (
        "Each account is created cloud-only and enabled, with passwordPolicies"
        " DisablePasswordExpiration and forceChangePasswordNextSignIn false, with the password"
        " on its sheet. Then it is read back. An account that exists already is not made twice."
    )

    def compose_body(self) -> ComposeResult:
        """The accounts and what happened to them."""
        yield Static("", id="results")

    def compose_buttons(self) -> ComposeResult:
        """Create."""
        yield Button("Create the accounts", id="create", variant="primary")

    def start(self) -> None:
        """List the accounts to create."""
        pending = self.session.service.journal.pending_accounts("create")
        self.lines("results").update("\n".join(f"· {u}" for u in pending))

    @on(Button.Pressed, "#create")
    def create(self) -> None:
        """Create (or find) each account, then re-read it."""
        session = self.session

        async def job() -> None:
            lost = await session.service.lost_passwords(list(session.passwords))
            if lost:
                self.notify(
                    f"The password of {', '.join(lost)} was lost when bgwizard stopped; make"
                    " a new sheet (the old one is retired: destroy it).",
                    severity="warning",
                )
                self.show("sheets")
                return
            lines = []
            for upn in session.service.journal.pending_accounts("create"):
                result = await session.service.create_account(
                    upn, session.passwords.get(upn.casefold())
                )
                session.passwords.pop(upn.casefold(), None)  # on paper and in Entra: drop it
                user = result.user
                said = "created" if result.created else "found (made before the interruption)"
                fixed = f"; corrected: {', '.join(result.fixed)}" if result.fixed else ""
                lines.append(
                    f"✓ {user.upn} {said}: id {user.id}, enabled {user.account_enabled},"
                    f" password never expires {user.password_never_expires},"
                    f" cloud-only {user.is_cloud_only}{fixed}"
                )
            self.lines("results").update("\n".join(lines) or "Every account exists already.")
            self.query_one("#create").display = False
            self.say("The accounts exist and were read back.")
            self.can_continue(True)

        self.run(job, "Creating the accounts…")


class RoleStep(WizardStep):
    """Step 5: Global Administrator, permanently active at ``/``; re-read."""

    STEP: ClassVar[StepId] = "role"
    INTRO = (
        "Each account gets Global Administrator as a permanent, active assignment for the"
        " whole directory (/). An eligible-only (PIM) or time-bound assignment is reported"
        " and replaced."
    )

    def compose_body(self) -> ComposeResult:
        """What was found and done per account."""
        yield Static("", id="results")

    def compose_buttons(self) -> ComposeResult:
        """Assign."""
        yield Button("Assign Global Administrator", id="assign", variant="primary")

    @on(Button.Pressed, "#assign")
    def assign(self) -> None:
        """Assign (or confirm) the role for each account."""
        service = self.session.service

        async def job() -> None:
            lines = []
            for upn in service.journal.pending_accounts("role"):
                result = await service.ensure_global_admin(upn)
                problem = result.before.problem()
                before = f"was: {problem} Fixed. " if problem else ""
                how = f" {result.note}" if result.note else ""
                lines.append(f"✓ {upn}: {before}Now permanent and active at /.{how}")
            self.lines("results").update(
                "\n".join(lines) or "Every account holds the role already."
            )
            self.query_one("#assign").display = False
            self.say("Global Administrator re-read: permanent and active for every account.")
            self.can_continue(True)

        self.run(job, "Assigning Global Administrator…")


class CaStepScreen(WizardStep):
    """Step 6: every policy that can apply, any state, excludes every account directly, or
    the protected group when the exclusion step chose it."""

    STEP: ClassVar[StepId] = "ca"
    INTRO = (
        "Every Conditional Access policy that can apply to the accounts, whatever its state,"
        " must exclude them: each by name (excludeUsers), or the protected group chosen in the"
        " previous step (excludeGroups). Policies for workload identities or guests only, and"
        " a policy aimed at the break glass accounts, are left alone. Every policy about to"
        " change is saved to a backup file first."
    )

    def __init__(self, session: WizardSession) -> None:
        """See ``WizardStep``."""
        super().__init__(session)
        self._plan: CaPlan | None = None

    def compose_body(self) -> ComposeResult:
        """The plan; restore from a backup."""
        yield Static("", id="plan")
        with Horizontal(classes="row", id="restore-row"):
            yield Input(placeholder="backup file to restore", id="backup-path")
            yield Button("Restore from backup", id="restore", variant="warning")

    def compose_buttons(self) -> ComposeResult:
        """Apply."""
        yield Button("Back up and apply", id="apply", variant="primary")

    def start(self) -> None:
        """Read the policies and plan."""
        backups = self.session.service.backups
        if backups:
            self.query_one("#backup-path", Input).value = backups[-1]
        self.query_one("#apply").display = False
        self.run(self._make_plan, "Reading every Conditional Access policy…")

    async def _make_plan(self) -> None:
        plan = self._plan = await self.session.service.plan_ca()
        profile = self.session.profile
        names = {a.object_id: a.upn.split("@")[0] for a in profile.accounts}
        if profile.exclusion_group_id:
            names[profile.exclusion_group_id] = profile.exclusion_group_name
        lines = [
            self.mode_line(),
            f"{plural(plan.total, 'policy', 'policies')} read; {plan.already_done} exclude"
            f" {self.whom()}.",
        ]
        lines += [f"• {c.describe(names)}" for c in plan.changes]
        lines += [f"· {s.describe()}" for s in plan.skipped]
        if self.session.service.security_defaults:
            lines.insert(0, f"⚠ {SECURITY_DEFAULTS_NOTE}")
        self.lines("plan").update("\n".join(lines))
        apply = self.query_one("#apply", Button)
        apply.display = True
        apply.label = "Back up and apply" if plan.changes else "Confirm"
        self.say(
            f"{plural(len(plan.changes), 'policy', 'policies')} to change."
            if plan.changes
            else "Nothing to change."
        )

    def whom(self) -> str:
        """What the policies exclude: the accounts by name, or the protected group."""
        group = self.session.profile.exclusion_group_name
        return f"the protected group {group}" if group else "every account directly"

    def mode_line(self) -> str:
        """Which exclusion the previous step chose."""
        if self.session.profile.exclusion_group_id:
            return "Mode: the protected group is excluded instead of the accounts."
        return "Mode: direct exclusion of each account (excludeUsers)."

    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        """Back up, PATCH, re-read."""
        plan = self._plan
        if plan is None:
            return

        async def job() -> None:
            result = await self.session.service.apply_ca(plan)
            backup = f" Backup: {result.backup}." if result.backup else ""
            self.lines("plan").update(
                f"Changed {plural(len(result.patched), 'policy', 'policies')}; re-read: all"
                f" {result.total} exclude {self.whom()} or cannot apply.{backup}"
            )
            if result.backup:
                self.query_one("#backup-path", Input).value = str(result.backup)
            self.query_one("#apply").display = False
            self.say("Conditional Access is done.")
            self.can_continue(True)

        self.run(job, "Backing up and changing the policies…")

    @on(Button.Pressed, "#restore")
    def restore(self) -> None:
        """Put the policies of a backup back as they were, then plan again."""
        path = self.query_one("#backup-path", Input).value.strip()
        if not path:
            self.say("Type the path of a backup file.", error=True)
            return

        async def job() -> None:
            restored = await self.session.service.restore_ca(Path(path))
            self.notify(
                f"Restored {plural(len(restored), 'policy', 'policies')} from {path}.",
                title="Restore",
            )
            self.can_continue(False)
            await self._make_plan()

        self.run(job, "Restoring from the backup…")
