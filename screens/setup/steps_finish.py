"""Steps 7-9: each account signs in, its methods are reviewed, the summary is recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from bgwizard.drill.events import signin_data
from bgwizard.drill.model import RecordedDrill
from bgwizard.ledger.chain import JsonValue
from bgwizard.profile.model import Profile
from bgwizard.screens.drill.log_event import EventSignDialog
from bgwizard.screens.setup.base import WizardStep
from bgwizard.screens.setup.steps_passkey import credential_text
from bgwizard.screens.setup.verify_panel import VerifyPanel
from bgwizard.setup.journal import StepId
from bgwizard.text import plural

if TYPE_CHECKING:
    from bgwizard.screens.setup.session import WizardSession


class VerifyStep(WizardStep):
    """Step 7: each account signs in; its token must be its own, hold GA and read CA.

    Each verification sign-in is signed into the log as a ``setup-signin`` entry when it
    happens (the log starts here, pinning the operator's key), so the audit can tell it from an
    unexplained use; Continue waits until every one is signed.
    """

    STEP: ClassVar[StepId] = "verify"
    INTRO = (
        "Prove each account works: sign in as it with its security key (an account without"
        " one: with the password from its sheet). The token must be for that account, carry"
        " Global Administrator, and be able to read the Conditional Access policies; an account"
        " with a passkey must have used the key. Each sign-in is signed into the log."
    )

    def __init__(self, session: WizardSession) -> None:
        """A verify step of ``session``."""
        super().__init__(session)
        self.unsigned: dict[str, dict[str, JsonValue]] = {}
        """UPN → the ``setup-signin`` entry of a verified sign-in not signed into the log yet."""
        self.done_text: dict[str, str] = {}
        """UPN → what its verification proved (shown beside it in the list)."""

    def compose_body(self) -> ComposeResult:
        """Progress per account and the sign-in panel."""
        yield Static("", id="verified")
        services = self.session.services
        yield VerifyPanel(services.verifier, services.demo, services.keys, id="verify")

    def compose_buttons(self) -> ComposeResult:
        """Sign a verified sign-in into the log (shown when one is not signed yet)."""
        yield Button("Sign the sign-in into the log", id="sign-signin", variant="primary")

    def start(self) -> None:
        """Show the first account still to verify."""
        self.next_account()

    def next_account(self) -> None:
        """Point the panel at the next account, or offer Continue."""
        journal = self.session.service.journal
        self.lines("verified").update(
            "\n".join(
                f"✓ {u}" + (f": {self.done_text[u]}" if u in self.done_text else "")
                if journal.is_done("verify", u)
                else f"· {u}"
                for u in journal.upns
            )
        )
        pending = journal.pending_accounts("verify")
        panels = self.query(VerifyPanel)
        self.query_one("#sign-signin").display = bool(self.unsigned)
        if self.unsigned:
            upn = next(iter(self.unsigned))
            self.say(
                f"{upn} signed in, but the sign-in is not in the signed log yet: press"
                " 'Sign the sign-in into the log' (the audit would call it unexplained use)."
            )
            self.can_continue(False)
        elif pending and panels:
            panels.first().show_account(pending[0])
            self.say(f"Next: sign in as {pending[0]}.")
        elif not pending:
            if panels:
                panels.first().display = False
            self.say("Every account signed in, passed the checks and is in the signed log.")
            self.can_continue(True)

    @on(VerifyPanel.Verified)
    def verified(self, message: VerifyPanel.Verified) -> None:
        """Check the token, journal it, sign it into the log, go to the next account."""
        signed_in = self.session.clock()

        async def job() -> None:
            proof = message.proof
            await self.session.service.accept_sign_in(
                message.upn, proof.identity, proof.policies_read
            )
            # Said in the account list, not in a toast: a toast would cover Continue.
            self.done_text[message.upn] = (
                f"signed in, holds Global Administrator, read {proof.policies_read}"
                " Conditional Access policies"
            )
            self.unsigned[message.upn] = signin_data(
                "setup-signin",
                message.upn,
                proof.identity.object_id,
                signed_in=signed_in,
                checks=[
                    "the token is the account's own",
                    "it holds Global Administrator",
                    f"it read {proof.policies_read} Conditional Access policies",
                ],
            )
            self.next_account()
            self.sign_signin()

        self.run(job, "Checking the token…")

    @on(Button.Pressed, "#sign-signin")
    def sign_signin(self) -> None:
        """Ask the operator to sign the oldest unsigned verification into the log."""
        if not self.unsigned:
            return
        upn, data = next(iter(self.unsigned.items()))
        recorder = self.session.services.recorder
        dialog = EventSignDialog(recorder, "setup-signin", data, recorder.last_signer)
        self.app.push_screen(dialog, callback=lambda recorded: self._signed(upn, recorded))

    def _signed(self, upn: str, recorded: RecordedDrill | None) -> None:
        if recorded is not None:
            self.unsigned.pop(upn, None)
            self.done_text[upn] = (
                f"{self.done_text.get(upn, 'signed in')}; log entry {recorded.entry.seq}"
                f" of {recorded.log_path.name}"
            )
        self.next_account()

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
            accounts = {a.upn.casefold(): a for a in self.session.profile.accounts}
            for review in reviews:
                kinds = ", ".join(m.kind for m in review.methods) or "none"
                lines.append(f"{review.upn}: {kinds}")
                if item := accounts.get(review.upn.casefold()):
                    lines.append(f"  phishing-resistant: {credential_text(item)}")
                lines += [f"  ⚠ {w}" for w in review.warnings]
            self.lines("methods").update("\n".join(lines))
            warned = sum(len(r.warnings) for r in reviews)
            self.say(f"{plural(warned, 'warning')}." if warned else "No warnings.")
            self.can_continue(True)

        self.run(job, "Reading the authentication methods…")

    def proceed(self) -> None:
        """Journal the review, then go on."""

        async def job() -> None:
            await self.session.service.record("methods")
            self.advance()

        self.run(job, "Saving…")


def exclusion_line(profile: Profile) -> str:
    """How the accounts are excluded from Conditional Access (the exclusion step's choice)."""
    if not profile.exclusion_group_id:
        return "Excluded directly (excludeUsers) from every policy that can apply."
    group = f"{profile.exclusion_group_name or 'group'} ({profile.exclusion_group_id})"
    unit = (
        f", in restricted management unit {profile.exclusion_rmau_id}"
        if profile.exclusion_rmau_id
        else ""
    )
    return f"Excluded through role-assignable group {group}{unit} from every policy that can apply."


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
            f"  credential  {credential_text(item)}",
        ]
    lines += ["", exclusion_line(profile)]
    if profile.setup_ca_backups:
        lines += [f"Conditional Access backup: {profile.setup_ca_backups[-1]}"]
    if profile.dedicated_policy_id:
        lines += [f"Dedicated phishing-resistant policy: {profile.dedicated_policy_id}"]
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
