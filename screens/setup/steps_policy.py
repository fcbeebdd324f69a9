"""The dedicated phishing-resistant policy: offered after the exclusions (``policy``), switched
on after the verified security key sign-ins (``enforce``)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from bgwizard.screens.setup.base import WizardStep
from bgwizard.setup.journal import StepId
from bgwizard.setup.results import DECLINED_AUDIT, SECURITY_DEFAULTS_NOTE


class PolicyStepScreen(WizardStep):
    """Offer the dedicated policy Microsoft recommends; create it report-only, or decline."""

    STEP: ClassVar[StepId] = "policy"
    INTRO = (
        "Microsoft recommends one Conditional Access policy just for the break glass accounts:"
        " it targets only them (or their protected group), covers all cloud apps and demands"
        " the built-in phishing-resistant authentication strength, so a stolen password alone"
        " can never sign in as them. It is created report-only: switched on, it would refuse"
        " an account that cannot sign in with its security key yet. The 'Dedicated policy on'"
        " step switches it on after each account's security key sign-in is verified."
    )

    def compose_body(self) -> ComposeResult:
        """What exists, and what would be created."""
        yield Static("", id="policy")

    def compose_buttons(self) -> ComposeResult:
        """Create, or go on without it."""
        yield Button("Create it report-only", id="create-policy", variant="primary")
        yield Button("Not now", id="decline-policy")

    def start(self) -> None:
        """Say whom the policy would target; under security defaults, explain instead."""
        profile = self.session.profile
        target = (
            f"the protected group {profile.exclusion_group_name or profile.exclusion_group_id}"
            if profile.exclusion_group_id
            else ", ".join(a.upn for a in profile.accounts)
        )
        text = f"Targets: {target}.\nGrant: phishing-resistant MFA. State: report-only."
        if self.session.service.security_defaults:
            text = f"⚠ {SECURITY_DEFAULTS_NOTE}\nNo policy is created while they are on."
            self.query_one("#create-policy").display = False
        self.lines("policy").update(text)
        self.say(f"Declining is recorded in the journal. {DECLINED_AUDIT}")

    @on(Button.Pressed, "#create-policy")
    def create(self) -> None:
        """Find or create the policy, re-read it, journal the step."""

        async def job() -> None:
            result = await self.session.service.ensure_dedicated_policy()
            policy = result.policy
            said = "Created" if result.created else "Found (made earlier)"
            self.lines("policy").update(
                f"✓ {said}: {policy.display_name} (id {policy.id}), state {policy.state};"
                " re-read: it demands the phishing-resistant strength."
            )
            self._done("The dedicated policy exists, report-only.")

        self.run(job, "Creating the dedicated policy…")

    @on(Button.Pressed, "#decline-policy")
    def decline(self) -> None:
        """Journal the step without a policy."""

        async def job() -> None:
            await self.session.service.decline_dedicated_policy()
            self.lines("policy").update(f"No dedicated policy. {DECLINED_AUDIT}")
            self._done("Declined; recorded in the journal.")

        self.run(job, "Saving…")

    def _done(self, text: str) -> None:
        self.query_one("#create-policy").display = False
        self.query_one("#decline-policy").display = False
        self.say(text)
        self.can_continue(True)


class EnforceStep(WizardStep):
    """Switch the dedicated policy on when every account verified with its security key."""

    STEP: ClassVar[StepId] = "enforce"
    INTRO = (
        "The dedicated policy goes from report-only to on only when every account signed in"
        " with its security key in the verify step: an account without one would be locked"
        " out. The policy is backed up before the change and read back after it."
    )

    def compose_body(self) -> ComposeResult:
        """What will happen, or why not."""
        yield Static("", id="enforce")

    def compose_buttons(self) -> ComposeResult:
        """Switch on (or record that it stays report-only)."""
        yield Button("Switch it on", id="enforce-policy", variant="primary")

    def start(self) -> None:
        """Say what the step will do."""
        service = self.session.service
        button = self.query_one("#enforce-policy", Button)
        if not self.session.profile.dedicated_policy_id:
            self.lines("enforce").update("No dedicated policy was created: nothing to switch on.")
            button.label = "Go on"
            return
        blockers = service.enforce_blockers()
        if blockers:
            self.lines("enforce").update(
                "It stays report-only:\n" + "\n".join(f"• {b}" for b in blockers)
            )
            button.label = "Leave it report-only"
        else:
            self.lines("enforce").update(
                "Every account verified with its security key: the policy can be switched on."
            )

    @on(Button.Pressed, "#enforce-policy")
    def enforce(self) -> None:
        """Back up, PATCH, re-read (or just journal); then offer Continue."""

        async def job() -> None:
            result = await self.session.service.enforce_dedicated_policy()
            policy = result.policy
            if policy is None:
                text = "No dedicated policy: nothing was changed."
            elif result.enabled:
                backup = f" Backup: {result.backup}." if result.backup else ""
                text = f"✓ {policy.display_name} is on (read back: {policy.state}).{backup}"
            else:
                reasons = "\n".join(f"• {b}" for b in result.blockers)
                text = f"{policy.display_name} stays report-only:\n{reasons}"
            self.lines("enforce").update(text)
            self.query_one("#enforce-policy").display = False
            self.say("Recorded in the journal.")
            self.can_continue(True)

        self.run(job, "Switching the dedicated policy on…")
