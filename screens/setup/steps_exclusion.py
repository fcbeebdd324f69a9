"""The exclusion step: how the accounts are excluded from Conditional Access — each one by
name (the default), or through a protected group, optionally in a restricted management
administrative unit. One screen states the trade-off; the Conditional Access step after it
applies the choice."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from bgwizard.screens.setup.base import WizardStep
from bgwizard.setup.journal import StepId
from bgwizard.setup.names import DEFAULT_GROUP_NAME, DEFAULT_UNIT_NAME
from bgwizard.setup.results import ExclusionResult

TRADE_OFF = (
    "Direct exclusion (the default) names each account in every policy's excluded users: the"
    " hardest to remove by accident, and what the article this tool started from asks for;"
    " every new policy must name them again.\n"
    "A protected group is what Microsoft's 2026 guidance recommends: a role-assignable"
    " security group holding exactly the break glass accounts, excluded from every policy."
    " Only Privileged Role Administrators and Global Administrators can change its members;"
    " anyone who can is one step from removing the exclusion. Inside a new restricted"
    " management administrative unit, tenant-wide admins cannot edit the group's other"
    " properties either."
)


class ExclusionStep(WizardStep):
    """Direct exclusion or the protected group; journals the choice."""

    STEP: ClassVar[StepId] = "exclusion"
    INTRO = TRADE_OFF

    def compose_body(self) -> ComposeResult:
        """The two choices; the group's name and the unit when the group is chosen."""
        with RadioSet(id="mode"):
            yield RadioButton("Direct exclusion of each account (default)", id="mode-direct")
            yield RadioButton("A protected, role-assignable group", id="mode-group")
        with Vertical(id="group-options"):
            yield Static("Group name (it should not say what it protects):")
            yield Input(DEFAULT_GROUP_NAME, id="group-name")
            yield Checkbox("Also in a new restricted management unit (RMAU)", id="rmau")
            yield Input(DEFAULT_UNIT_NAME, id="unit-name")
        yield Static("", id="results")

    def compose_buttons(self) -> ComposeResult:
        """Apply the choice."""
        yield Button("Use this choice", id="apply-exclusion", variant="primary")

    def start(self) -> None:
        """Preselect what the profile holds (direct unless a group was chosen before)."""
        profile = self.session.profile
        grouped = bool(profile.exclusion_group_id)
        self.query_one("#mode-group" if grouped else "#mode-direct", RadioButton).value = True
        if grouped:
            self.query_one("#group-name", Input).value = profile.exclusion_group_name
            self.query_one("#rmau", Checkbox).value = bool(profile.exclusion_rmau_id)
        self._show_options()

    @property
    def group_chosen(self) -> bool:
        """Whether the protected group is selected."""
        return self.query_one("#mode-group", RadioButton).value

    @on(RadioSet.Changed, "#mode")
    @on(Checkbox.Changed, "#rmau")
    def _show_options(self) -> None:
        self.query_one("#group-options").display = self.group_chosen
        self.query_one("#unit-name").display = self.query_one("#rmau", Checkbox).value
        self.can_continue(False)

    @on(Button.Pressed, "#apply-exclusion")
    def apply(self) -> None:
        """Journal direct exclusion, or create/find the group (and unit) and re-read it."""
        service = self.session.service
        if not self.group_chosen:

            async def direct() -> None:
                await service.choose_direct_exclusion()
                self.lines("results").update(
                    "Each account will be excluded by name from every policy that can apply."
                )
                self._done("Direct exclusion chosen.")

            self.run(direct, "Saving the choice…")
            return
        name = self.query_one("#group-name", Input).value.strip()
        restricted = self.query_one("#rmau", Checkbox).value
        unit_name = self.query_one("#unit-name", Input).value.strip()
        if not name or (restricted and not unit_name):
            self.say("Type a name for the group (and the unit).", error=True)
            return

        async def group() -> None:
            result = await service.set_up_protected_group(
                name, restricted_unit=restricted, unit_name=unit_name
            )
            self.lines("results").update(describe(result))
            self._done("The protected group was read back: it holds exactly the accounts.")

        self.run(group, "Setting up the protected group…")

    def _done(self, said: str) -> None:
        self.say(said)
        self.can_continue(True)


def describe(result: ExclusionResult) -> str:
    """What the group set-up found or did, one line each."""
    group = result.group
    lines = [
        f"✓ Group {group.display_name} ({group.id}) "
        + ("created" if result.created_group else "found")
        + ": role-assignable, security, not mail-enabled."
    ]
    lines.append(
        f"✓ {len(result.added)} account(s) added; it holds exactly the break glass accounts."
        if result.added
        else "✓ It already held exactly the break glass accounts."
    )
    if result.unit is not None:
        made = "created" if result.created_unit else "found"
        lines.append(
            f"✓ Restricted management unit {result.unit.display_name} {made}; the group"
            + (" was added to it." if result.unit_added else " was already in it.")
        )
    lines.append("The next step excludes the group instead of the accounts.")
    return "\n".join(lines)
