"""Register a FIDO2 security key (passkey) on a break glass account.

Since Microsoft's mandatory MFA, a password-only break glass account cannot reach the admin
portals; a security key on the account can. Pre-checks first (the admin's permission, the
Passkey (FIDO2) policy, the key itself, the 5-minute window), then the PIN (set on a new key,
written on paper and typed back), then creationOptions → touch → register, and the key is
recorded in the profile. The PIN is shown once, for the paper; it is never saved.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Select, Static

from bgwizard.errors import BgWizardError
from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.device import KeyDevice, KeyInfo
from bgwizard.passkeys.policy import WINDOW_TEXT, Fido2Policy, permission_problem
from bgwizard.ports import (
    Authenticator,
    KeyFinder,
    PasskeyRegistrar,
    ProfileStore,
    Services,
    SheetMaker,
)
from bgwizard.profile.model import BreakGlassAccount, Profile, SecurityKeyRecord
from bgwizard.secret import Secret
from bgwizard.sheets.model import PinSheet, blocks

STEP_TEXT: Final = {
    "key": "Reading the security key…",
    "pin": "Setting the key's new PIN…",
    "options": "Asking Entra ID for a challenge (valid 5 minutes)…",
    "touch": "Touch the security key now (it blinks).",
    "register": "Sending the new passkey to Entra ID…",
    "done": "Registered.",
}
WHY: Final = (
    "Microsoft's mandatory MFA keeps password-only accounts out of the admin portals. A FIDO2 "
    "security key on each break glass account lets it in. " + WINDOW_TEXT
)


class PasskeyScreen(Screen[SecurityKeyRecord | None]):
    """Registers a security key on one break glass account; dismisses with its record."""

    CSS_PATH = "passkeys.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave", id="leave_passkey", tooltip="Back without a key."),
    ]

    @classmethod
    def from_services(
        cls,
        services: Services,
        profile: Profile,
        clock: Callable[[], dt.datetime],
        *,
        upn: str = "",
        problems: Callable[[BreakGlassAccount], Awaitable[list[str]]] | None = None,
    ) -> PasskeyScreen:
        """The screen on the app's ports (the journey, and the wizard's passkey and methods steps).

        Args:
            services: the app's ports.
            profile: the profile whose accounts get keys.
            clock: the current time.
            upn: the account to preselect.
            problems: the wizard's policy pre-checks with the account's groups counted.
        """
        return cls(
            profile,
            passkeys=services.passkeys,
            keys=services.keys,
            sheets=services.sheets,
            profiles=services.profiles,
            auth=services.auth,
            clock=clock,
            upn=upn,
            problems=problems,
        )

    def __init__(
        self,
        profile: Profile,
        *,
        passkeys: PasskeyRegistrar,
        keys: KeyFinder,
        sheets: SheetMaker,
        profiles: ProfileStore,
        auth: Authenticator,
        clock: Callable[[], dt.datetime],
        upn: str = "",
        new_pin: Callable[[], Secret] = pk.generate_pin,
        problems: Callable[[BreakGlassAccount], Awaitable[list[str]]] | None = None,
    ) -> None:
        """Register keys on accounts of ``profile``.

        Args:
            profile: the profile (the key is recorded on its account, then saved).
            passkeys: the Graph side of the registration.
            keys: lists the keys plugged in (USB HID; tests give a software key).
            sheets: prints the PIN sheet.
            profiles: saves the profile.
            auth: the administrator's sign-in (whose roles the pre-check reads).
            clock: the current time (the PIN sheet's and the record's date).
            upn: the account to preselect (the wizard passes the one it is on).
            new_pin: makes the PIN for a key that has none.
            problems: the policy pre-checks of an account with its groups counted (the
                wizard's ``passkey_problems``); None: the policy alone, groups unknown.
        """
        super().__init__()
        self._profile = profile
        self._passkeys, self._keys, self._sheets = passkeys, keys, sheets
        self._profiles, self._auth, self._clock = profiles, auth, clock
        self._upn = upn
        self._new_pin_source = new_pin
        self._problems = problems
        self._device: KeyDevice | None = None
        self._info: KeyInfo | None = None
        self._new_pin: Secret | None = None
        self.stage = "choose"
        """choose → ready → working → done (or back to choose after a failure)."""
        self.result: SecurityKeyRecord | None = None

    def compose(self) -> ComposeResult:
        """Account and label, pre-checks, PIN, register, progress."""
        created = [(a.upn, a.upn) for a in self._profile.accounts if a.object_id]
        chosen = self._upn if any(u == self._upn for u, _ in created) else None
        yield Header()
        with VerticalScroll(id="passkey-body"):
            yield Static("Register a security key (passkey)", classes="title")
            yield Static(WHY, classes="hint")
            with Horizontal(classes="row"):
                yield Select(
                    created,
                    id="account",
                    allow_blank=not created,
                    value=chosen or (created[0][1] if created else Select.NULL),
                )
                yield Input(placeholder="Label, e.g. BG key 1 (safe A)", id="label")
                yield Button("Check", id="check", variant="primary")
            yield Static("" if created else "No created account in this profile.", id="checks")
            with Vertical(id="pin-box"):
                yield Static("", id="pin-text")
                with Horizontal(classes="row"):
                    yield Input(password=True, id="pin", placeholder="PIN")
                    yield Button("Print the PIN sheet", id="print-pin")
            with Horizontal(classes="row"):
                yield Button("Register the key", id="register", variant="success", disabled=True)
            yield Static("", id="progress")
            yield Static("", id="passkey-status")
        yield Footer()

    def on_mount(self) -> None:
        """The PIN box appears once the checks pass."""
        self.query_one("#pin-box").display = False

    # -- helpers ----------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#passkey-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def _account(self) -> BreakGlassAccount | None:
        value = self.query_one("#account", Select).value
        return next((a for a in self._profile.accounts if a.upn == value), None)

    # -- pre-checks -------------------------------------------------------------------------

    @on(Button.Pressed, "#check")
    def check(self) -> None:
        """Run the pre-checks."""
        account = self._account()
        if account is None:
            self._say("Choose an account.", error=True)
            return
        if not self.query_one("#label", Input).value.strip():
            self.query_one("#label", Input).value = f"BG key {len(account.security_keys) + 1}"
        self._say("")
        self._run_checks(account)

    @work(exclusive=True, group="passkey")
    async def _run_checks(self, account: BreakGlassAccount) -> None:
        self.query_one("#register", Button).disabled = True
        self.query_one("#checks", Static).update("Checking…")
        lines: list[str] = []
        problems = 0
        for ok, text in await self._checks(account):
            # None: information to read, not a check that passed (never shown as ✓).
            lines.append(("ℹ " if ok is None else "✓ " if ok else "✗ ") + text)
            problems += ok is False
        self.query_one("#checks", Static).update("\n".join(lines))
        if problems:
            self._say("Fix what is marked ✗, then press Check again.", error=True)
            return
        self._show_pin_box()
        self.stage = "ready"
        self.query_one("#register", Button).disabled = False

    async def _checks(self, account: BreakGlassAccount) -> list[tuple[bool | None, str]]:
        found: list[tuple[bool | None, str]] = []
        denied = permission_problem(self._auth.identity)
        found.append((denied is None, denied or "The signed-in admin may register keys."))
        policy: Fido2Policy | None = None
        try:
            policy = await self._passkeys.fido2_policy()
        except BgWizardError as error:
            found.append((False, str(error)))
        if policy is not None:
            issues = await self._problems(account) if self._problems else policy.problems()
            found.extend((False, p) for p in issues)
            if not issues:
                found.append((True, "The Passkey (FIDO2) policy allows security keys."))
        found.append(await self._key_check(policy))
        found.append((None, WINDOW_TEXT))
        return found

    async def _key_check(self, policy: Fido2Policy | None) -> tuple[bool, str]:
        self._device = self._info = None
        try:
            devices = list(await asyncio.to_thread(self._keys.list_keys))
            if len(devices) != 1:
                return False, (
                    "No security key found: plug one into this workstation, then press Check."
                    if not devices
                    else "More than one security key is plugged in: leave only the one to register."
                )
            info = await asyncio.to_thread(devices[0].info)
        except BgWizardError as error:
            return False, str(error)
        problem = policy.key_problem(info.aaguid) if policy else None
        if problem:
            return False, problem
        self._device, self._info = devices[0], info
        state = "has a PIN" if info.pin_set else "has no PIN yet"
        return True, f"Security key found: {info.product} (AAGUID {info.aaguid}); it {state}."

    def _show_pin_box(self) -> None:
        assert self._info is not None
        text = self.query_one("#pin-text", Static)
        pin_input = self.query_one("#pin", Input)
        pin_input.value = ""
        self.query_one("#print-pin", Button).display = not self._info.pin_set
        if self._info.pin_set:
            self._new_pin = None
            text.update("Type the key's PIN (from its PIN sheet).")
        else:
            # The same PIN across repeated checks: it may already be on paper.
            self._new_pin = self._new_pin or self._new_pin_source()
            shown = " ".join(blocks(self._new_pin.reveal()))
            text.update(
                f"This key has no PIN. bgwizard will set this PIN:  {shown}\n"
                "Print the PIN sheet (or write the PIN on paper), store it apart from the key, "
                "then type the PIN below from the paper."
            )
        self.query_one("#pin-box").display = True

    @on(Button.Pressed, "#print-pin")
    def print_pin(self) -> None:
        """Print the PIN sheet of the new PIN."""
        account, info, pin = self._account(), self._info, self._new_pin
        if account is None or info is None or pin is None:
            return
        sheet = PinSheet(
            upn=account.upn,
            key_label=self.query_one("#label", Input).value.strip(),
            model=info.product,
            aaguid=info.aaguid,
            pin=pin,
            generated=self._clock().date(),
            tenant_name=self._profile.tenant_name,
        )
        self._print(sheet)

    @work(exclusive=True, group="pin-sheet")
    async def _print(self, sheet: PinSheet) -> None:
        try:
            rendered = await asyncio.to_thread(
                self._sheets.render_pin, sheet, self._profile.sheet_paper
            )
            job = await asyncio.to_thread(self._sheets.print_sheet, rendered)
            self._say(f"PIN sheet {sheet.serial}: job {job.name} sent; waiting for the printer…")
            status = await asyncio.to_thread(self._sheets.wait_for_job, job)
            # printed or not, the job and its document leave the print system now: a PIN sheet
            # waiting in a held or stopped queue is a secret at rest (print again when ready)
            spool = (await asyncio.to_thread(self._sheets.purge_job, job)).sentence()
        except BgWizardError as error:
            self._say(str(error), error=True)
            return
        if status.state != "printed":
            self._say(f"{status.sentence()} {spool} Print the PIN sheet again.", error=True)
            return
        self._say(f"PIN sheet {sheet.serial} printed. {spool} Type the PIN from it.")

    # -- registration -----------------------------------------------------------------------

    @on(Button.Pressed, "#register")
    def register(self) -> None:
        """Register the key with the PIN typed."""
        account, device = self._account(), self._device
        if account is None or device is None or self.stage != "ready":
            self._say("Press Check first.", error=True)
            return
        pin_input = self.query_one("#pin", Input)
        typed = "".join(pin_input.value.split())
        pin_input.value = ""
        if self._new_pin is not None and not self._new_pin.matches(typed):
            self._say("That is not the PIN shown; check what is on the paper.", error=True)
            return
        pin = self._new_pin or Secret(typed)
        if problem := pk.pin_problem(pin.reveal()):
            self._say(problem, error=True)
            return
        label = self.query_one("#label", Input).value.strip()
        self._enrol(device, account, label, pin)

    @work(exclusive=True, group="passkey")
    async def _enrol(
        self,
        device: KeyDevice,
        account: BreakGlassAccount,
        label: str,
        pin: Secret,
    ) -> None:
        self.stage = "working"
        self.query_one("#register", Button).disabled = True
        loop = asyncio.get_running_loop()

        def step(name: str) -> None:
            loop.call_soon_threadsafe(self._progress, name)

        try:
            done = await self._passkeys.enrol(
                device, user_id=account.object_id, label=label, pin=pin, on_step=step
            )
        except BgWizardError as error:
            self.stage = "choose"
            self._progress("")
            self._say(f"{error} Press Check to try again.", error=True)
            return
        finally:
            del pin
        self._finish(account, done.record(label, self._clock().date()))

    def _progress(self, name: str) -> None:
        self.query_one("#progress", Static).update(STEP_TEXT.get(name, ""))

    def _finish(self, account: BreakGlassAccount, record: SecurityKeyRecord) -> None:
        account.security_keys.append(record)
        self.result = record
        self._new_pin = None
        self.query_one("#pin-box").display = False
        self.stage = "done"
        try:
            self._profiles.save(self._profile)
        except BgWizardError as error:
            self._say(f"The key is registered but the profile was not saved: {error}", error=True)
            return
        self._say(
            f"{record.label} ({record.model}, AAGUID {record.aaguid}) is registered on "
            f"{account.upn}. Print a new credential sheet so it carries the security key line."
        )
        self.notify(f"Security key registered on {account.upn}.", title="Passkey")

    def action_leave(self) -> None:
        """Back, with the registered key's record (None when none was registered)."""
        self.dismiss(self.result)
