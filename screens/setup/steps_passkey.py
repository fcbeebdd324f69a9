"""The passkey step: right after the accounts exist, each gets a phishing-resistant credential.

Per account, one of: a device-bound passkey on a FIDO2 security key plugged into this
workstation (the security key screen, after the FIDO2 pre-checks with the account's groups
counted), certificate-based auth already bound (``certificateUserIds``), or a skip whose typed
reason is signed into the log as a ``credential-skipped`` entry before the step is journaled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from bgwizard.drill.events import CREDENTIAL_SKIPPED, skip_reason_problem
from bgwizard.drill.model import RecordedDrill
from bgwizard.errors import LedgerError
from bgwizard.passkeys.policy import cba_missing
from bgwizard.profile.model import BreakGlassAccount, SecurityKeyRecord
from bgwizard.screens.drill.log_event import EventSignDialog
from bgwizard.screens.passkeys import PasskeyScreen
from bgwizard.screens.setup.base import WizardStep
from bgwizard.setup.journal import StepId

if TYPE_CHECKING:
    from bgwizard.screens.setup.session import WizardSession

NO_CREDENTIAL = (
    "⚠ none: mandatory MFA keeps a password-only account out of the admin portals;"
    " register a security key (Security keys)"
)
"""The line for an account without a phishing-resistant credential (the audit calls it an
error)."""


def credential_text(item: BreakGlassAccount) -> str:
    """The account's phishing-resistant credential as the wizard shows it."""
    if item.strong_method == "cba":
        return "certificate-based auth"
    if item.strong_method == "skipped":
        return f"skipped: {item.skip_reason}"
    keys = [k.label for k in item.security_keys if k.retired is None]
    return ", ".join(keys) if keys else NO_CREDENTIAL


class PasskeyStep(WizardStep):
    """Step 5: a passkey, certificate-based auth, or a signed reason, for each account."""

    STEP: ClassVar[StepId] = "passkey"
    INTRO = (
        "Give each account a phishing-resistant credential now: a passkey on a FIDO2 security"
        " key plugged into this workstation, or certificate-based auth already bound to it."
        " The password sheet stays the last resort. Skipping needs a typed reason, signed"
        " into the log."
    )

    def __init__(self, session: WizardSession) -> None:
        """A passkey step of ``session``."""
        super().__init__(session)
        self.upn = ""
        """The account on screen ('' when every account is done)."""
        self.signed: dict[str, int] = {}
        """UPN → the log entry its skip was signed as (in this session)."""

    def compose_body(self) -> ComposeResult:
        """Each account's credential, the pre-checks of the current one, the skip reason."""
        yield Static("", id="credentials")
        yield Static("", id="prechecks")
        yield Input(
            placeholder="To skip: why this account gets neither (a sentence)",
            id="skip-reason",
        )

    def compose_buttons(self) -> ComposeResult:
        """Register a key, record CBA, skip."""
        yield Button("Register a key", id="register-passkey", variant="primary")
        yield Button("CBA is bound", id="record-cba")
        yield Button("Skip", id="skip")

    def start(self) -> None:
        """Go to the first account without a credential."""
        self.next_account()

    def _actions(self, shown: bool) -> None:
        for selector in ("#register-passkey", "#record-cba", "#skip", "#skip-reason"):
            self.query_one(selector).display = shown

    def _entry(self, upn: str) -> str:
        seq = self.signed.get(upn)
        return f" (log entry {seq})" if seq is not None else ""

    def next_account(self) -> None:
        """Show the accounts, then check the next one still without a credential."""
        service = self.session.service
        journal = service.journal
        self.lines("credentials").update(
            "\n".join(
                f"✓ {a.upn}: {credential_text(a)}{self._entry(a.upn)}"
                if journal.is_done("passkey", a.upn)
                else f"· {a.upn}"
                for a in self.session.profile.accounts
            )
        )
        pending = journal.pending_accounts("passkey")
        self._actions(bool(pending))
        if not pending:
            self.upn = ""
            self.lines("prechecks").update("")
            self.say("Every account has its phishing-resistant credential, or a signed reason.")
            self.can_continue(True)
            return
        self.upn = pending[0]
        self.query_one("#skip-reason", Input).value = ""
        self.run(self._check, f"Checking {self.upn}…")

    async def _check(self) -> None:
        service, upn = self.session.service, self.upn
        existing = await service.registered_key(upn)
        if existing is not None:
            # A rerun after a crash: the key is registered, so no second one.
            await service.record_passkey(upn, existing)
            self.next_account()
            return
        problems = await service.passkey_problems(upn)
        self.lines("prechecks").update(
            "\n".join(f"✗ {p}" for p in problems)
            if problems
            else f"✓ The Passkey (FIDO2) policy lets {upn} register a device-bound passkey."
        )
        self.query_one("#register-passkey", Button).disabled = bool(problems)
        if problems:
            self.say(
                f"{upn}: fix what is marked ✗ and press Retry, or record certificate-based"
                " auth, or skip with a reason.",
                error=True,
            )
            self.query_one("#retry").display = True
        else:
            self.say(f"{upn}: register a key, record certificate-based auth, or skip.")

    @on(Button.Pressed, "#register-passkey")
    def register_passkey(self) -> None:
        """Open the security key screen on this account, with the pre-checks counting groups."""
        session, upn = self.session, self.upn

        async def problems(item: BreakGlassAccount) -> list[str]:
            return await session.service.passkey_problems(item.upn)

        screen = PasskeyScreen.from_services(
            session.services, session.profile, session.clock, upn=upn, problems=problems
        )
        self.app.push_screen(screen, callback=self._registered)

    def _registered(self, record: SecurityKeyRecord | None) -> None:
        if record is None:
            self.say(f"No key was registered on {self.upn}.", error=True)
            return
        # The key screen lets the operator pick another account: record it on its owner.
        owner = next(
            (a.upn for a in self.session.profile.accounts if record in a.security_keys),
            self.upn,
        )

        async def job() -> None:
            await self.session.service.record_passkey(owner, record)
            self.next_account()

        self.run(job, "Recording the key…")

    @on(Button.Pressed, "#record-cba")
    def record_cba(self) -> None:
        """Record certificate-based auth when the account has certificate user IDs bound."""
        upn = self.upn

        async def job() -> None:
            if await self.session.service.record_cba(upn):
                self.next_account()
            else:
                self.say(cba_missing(upn), error=True)

        self.run(job, f"Reading {upn}'s certificate user IDs…")

    @on(Button.Pressed, "#skip")
    def skip(self) -> None:
        """Sign the skip and its reason into the log; the step is journaled once it is signed."""
        upn, reason = self.upn, self.query_one("#skip-reason", Input).value
        if problem := skip_reason_problem(reason):
            self.say(problem, error=True)
            return
        try:
            data = self.session.service.skip_entry(upn, reason)
        except LedgerError as error:
            self.say(str(error), error=True)
            return
        recorder = self.session.services.recorder
        dialog = EventSignDialog(recorder, CREDENTIAL_SKIPPED, data, recorder.last_signer)
        self.app.push_screen(dialog, callback=lambda done: self._skip_signed(upn, reason, done))

    def _skip_signed(self, upn: str, reason: str, recorded: RecordedDrill | None) -> None:
        if recorded is None:
            self.say(f"Not signed: {upn}'s skip is not recorded.", error=True)
            return

        async def job() -> None:
            await self.session.service.record_skip(upn, reason)
            # Said in the account list, not in a toast: a toast would cover the buttons.
            self.signed[upn] = recorded.entry.seq
            self.next_account()

        self.run(job, "Recording the skip…")
