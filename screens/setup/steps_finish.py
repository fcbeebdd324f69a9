"""Steps 7-9: each account signs in, its methods are reviewed, the summary is recorded."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.screens.setup.base import WizardStep
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.setup.journal import StepId


class VerifyStep(WizardStep):
    """Step 7: each account signs in; its token must be its own, hold GA and read CA."""

    STEP: ClassVar[StepId] = "verify"
    INTRO = (
        "Prove each account works: sign in as it in a browser with the password from its"
        " sheet. The token must be for that account, carry Global Administrator, and be able"
        " to read the Conditional Access policies."
    )

    def compose_body(self) -> ComposeResult:
        """Progress per account and the sign-in panel."""
        yield Static("", id="verified")
        services = self.session.services
        yield VerifyPanel(services.verifier, services.demo, services.keys, id="verify")

    def start(self) -> None:
        """Show the first account still to verify."""
        self.next_account()

    def next_account(self) -> None:
        """Point the panel at the next account, or offer Continue."""
        journal = self.session.service.journal
        self.lines("verified").update(
            "\n".join(f"{'✓' if journal.is_done('verify', u) else '·'} {u}" for u in journal.upns)
        )
        pending = journal.pending_accounts("verify")
        panels = self.query(VerifyPanel)
        if pending and panels:
            panels.first().show_account(pending[0])
            self.say(f"Next: sign in as {pending[0]}.")
        elif not pending:
            if panels:
                panels.first().display = False
            self.say("Every account signed in and passed the checks.")
            self.can_continue(True)

    @on(VerifyPanel.Verified)
    def verified(self, message: VerifyPanel.Verified) -> None:
        """Check the token, journal it, go to the next account."""

        async def job() -> None:
            proof = message.proof
            await self.session.service.accept_sign_in(
                message.upn, proof.identity, proof.policies_read
            )
            self.notify(
                f"{message.upn} signed in, holds Global Administrator and read"
                f" {proof.policies_read} Conditional Access policies.",
                title="Verified",
            )
            self.next_account()

        self.run(job, "Checking the token…")

    @on(VerifyPanel.Failed)
    def failed(self, message: VerifyPanel.Failed) -> None:
        """Show why the sign-in failed; the panel offers a new one."""
        self.say(message.reason, error=True)


class MethodsStep(WizardStep):
    """Step 8: registered authentication methods, with the mandatory-MFA warnings."""

    STEP: ClassVar[StepId] = "methods"
    INTRO = (
        "Since mandatory MFA, the admin portals refuse a password-only account. Register a"
        " passkey (FIDO2 security key) stored with each sheet; no phone or app of a person."
    )

    def compose_body(self) -> ComposeResult:
        """The review."""
        yield Static("", id="methods")

    def compose_buttons(self) -> ComposeResult:
        """Register a key from here; the review is read again when that screen closes."""
        yield Button("Register a security key", id="register-key")

    @on(Button.Pressed, "#register-key")
    def register_key(self) -> None:
        """Open the security key screen (issue 9) on the same app and profile."""
        from bgwizard.screens.passkeys import PasskeyScreen

        session = self.session
        screen = PasskeyScreen.from_services(session.services, session.profile, session.clock)
        self.app.push_screen(screen, callback=lambda _record: self.start())

    def start(self) -> None:
        """Read every account's methods."""

        async def job() -> None:
            reviews = await self.session.service.review_methods()
            lines = []
            for review in reviews:
                kinds = ", ".join(m.kind for m in review.methods) or "none"
                lines.append(f"{review.upn}: {kinds}")
                lines += [f"  ⚠ {w}" for w in review.warnings]
            self.lines("methods").update("\n".join(lines))
            warned = sum(len(r.warnings) for r in reviews)
            self.say(f"{warned} warnings." if warned else "No warnings.")
            self.can_continue(True)

        self.run(job, "Reading the authentication methods…")

    def proceed(self) -> None:
        """Journal the review, then go on."""

        async def job() -> None:
            await self.session.service.record("methods")
            self.advance()

        self.run(job, "Saving…")


NO_PASSKEY = (
    "⚠ none: mandatory MFA keeps a password-only account out of the admin portals;"
    " register a security key (Security keys)"
)
"""The summary's line for an account without a passkey (the audit calls it an error)."""


def _passkeys(item: BreakGlassAccount) -> str:
    keys = [k.label for k in item.security_keys if k.retired is None]
    return ", ".join(keys) if keys else NO_PASSKEY


def summary_lines(profile: Profile) -> list[str]:
    """What the summary shows (and the profile holds): ids, serials, places, people, dates."""
    lines = [f"Tenant {profile.tenant_name} ({profile.tenant_id})"]
    for item in profile.accounts:
        lines += [
            "",
            item.upn,
            f"  object id   {item.object_id or '(not created)'}",
            f"  sheet       {', '.join(item.current_serials) or '-'}",
            f"  kept at     {'; '.join(x for x in item.locations if x) or '(not recorded)'}",
            f"  custodians  {', '.join(item.custodians) or '(not recorded)'}",
            f"  created     {item.created or '-'}",
            f"  passkey     {_passkeys(item)}",
        ]
    if profile.setup_ca_backups:
        lines += ["", f"Conditional Access backup: {profile.setup_ca_backups[-1]}"]
    return lines


class SummaryStep(WizardStep):
    """Step 9: the summary, saved in the profile."""

    STEP: ClassVar[StepId] = "summary"
    INTRO = "The set-up is recorded in the profile. Next: monitoring, and the printed runbook."

    def compose_body(self) -> ComposeResult:
        """The summary."""
        yield Static("\n".join(summary_lines(self.session.profile)), id="summary")

    def compose_buttons(self) -> ComposeResult:
        """Finish."""
        yield Button("Finish", id="finish", variant="success")

    @on(Button.Pressed, "#finish")
    def finish(self) -> None:
        """Journal the summary, save, and go home."""

        async def job() -> None:
            await self.session.service.finish()
            self.notify("The break glass accounts are set up.", title="Set-up")
            self.dismiss(None)

        self.run(job, "Saving the summary…")
