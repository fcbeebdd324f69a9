"""In-memory fakes of the set-up side's ports (``SetupActions``, ``RotationActions``,
``SignInVerifying``, ``PasskeyRegistrar``, ``KeyFinder``), for Pilot tests of screen logic.

Each journals into the real (pure) ``SetupJournal`` of the profile it is given, and can be
told to fail its next call with ``fail_next`` — the screen must then say why in one sentence
and offer Retry, as on the real stack.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cups_server import real_printer as real_printer
from fakes import FROZEN_NOW, FakeProfileStore, admin_identity, settle
from textual.pilot import Pilot
from textual.widgets import Button, Input

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity
from bgwizard.drill.events import credential_skip_data
from bgwizard.errors import BgWizardError, RotationError, SignInCancelled
from bgwizard.graph.model import AdminUnit, CaPolicy, DirectoryGroup, DirectoryUser
from bgwizard.ledger.chain import JsonValue
from bgwizard.passkeys.device import Enrolment, KeyDevice, KeyInfo, RegisteredKey
from bgwizard.passkeys.policy import Fido2Policy
from bgwizard.ports import (
    KeyFinder,
    PasskeyRegistrar,
    ProfileStore,
    RotationActions,
    SetupActions,
    SignInVerifying,
)
from bgwizard.profile.model import BreakGlassAccount, Profile, SecurityKeyRecord, SheetRecord
from bgwizard.rotation.journal import Rotated, begin_rotation, finish_rotation
from bgwizard.secret import Secret
from bgwizard.setup.ca_plan import CaPlan, PolicyChange
from bgwizard.setup.checks import RoleStatus, sign_in_problems
from bgwizard.setup.journal import SetupJournal, StepId, account, set_accounts
from bgwizard.setup.names import NameIssue
from bgwizard.setup.policy_step import DEDICATED_POLICY_NAME, REPORT_ONLY, blocker
from bgwizard.setup.results import (
    ENABLED,
    CaResult,
    CreateResult,
    EnforceResult,
    ExclusionResult,
    MethodsReview,
    PolicyResult,
    RoleResult,
    VerifiedSignIn,
)
from bgwizard.sheets.model import blocks

if TYPE_CHECKING:
    from bgwizard.ports import (
        KeyFinder,
        PasskeyRegistrar,
        RotationActions,
        SetupActions,
        SignInVerifying,
    )
    from bgwizard.screens.sheets.screen import SheetsScreen


class FakeSetup:
    """``SetupActions`` on a profile: journals each step, changes no tenant."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.failures: list[BgWizardError] = []
        """Raised, first in first out, by the next Graph-calling methods."""
        self.calls: list[str] = []
        self.backups: list[str] = []
        self.policies = 4
        """How many Conditional Access policies the fake tenant has."""
        self.missing: list[str] = []
        """Display names of the policies that do not exclude the accounts directly yet."""
        self._backed_up: dict[str, list[str]] = {}

    def fail_next(self, error: BgWizardError) -> None:
        """Let the next Graph-calling method raise ``error``."""
        self.failures.append(error)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.failures:
            raise self.failures.pop(0)

    @property
    def journal(self) -> SetupJournal:
        return SetupJournal(self.profile)

    async def record(self, step: StepId, upn: str | None = None) -> None:
        self.journal.mark(step, upn)

    async def connect(self, identity: SignedInIdentity) -> list[str]:
        self._call("connect")
        await self.record("connect")
        return []

    async def check_names(self, upns: Sequence[str]) -> list[NameIssue]:
        self._call("check_names")
        return []

    async def choose_names(self, upns: Sequence[str], custodians: Sequence[str] = ()) -> None:
        set_accounts(self.profile, upns, custodians)
        await self.record("names")

    async def lost_passwords(self, in_memory: Sequence[str]) -> list[str]:
        return []

    async def create_account(self, upn: str, password: Secret | None) -> CreateResult:
        self._call("create_account")
        item = account(self.profile, upn)
        item.object_id = item.object_id or f"oid-{upn.split('@')[0]}"
        await self.record("create", upn)
        return CreateResult(DirectoryUser(id=item.object_id, upn=upn), created=True)

    async def ensure_global_admin(self, upn: str) -> RoleResult:
        self._call("ensure_global_admin")
        status = RoleStatus(None)
        await self.record("role", upn)
        return RoleResult(status, status)

    async def choose_direct_exclusion(self) -> None:
        self._call("choose_direct_exclusion")
        self.profile.exclusion_group_id = ""
        await self.record("exclusion")

    async def set_up_protected_group(
        self, name: str, *, restricted_unit: bool = False, unit_name: str = "Continuity unit"
    ) -> ExclusionResult:
        """Journals the step and stores a made-up group (and unit) id in the profile."""
        self._call("set_up_protected_group")
        group = DirectoryGroup("gid-1", name, True, True, False, False)
        unit = AdminUnit("au-1", unit_name, True) if restricted_unit else None
        self.profile.exclusion_group_id, self.profile.exclusion_group_name = group.id, name
        self.profile.exclusion_rmau_id = unit.id if unit else ""
        await self.record("exclusion")
        ids = tuple(a.object_id for a in self.profile.accounts)
        return ExclusionResult(group, True, ids, unit, unit is not None, unit is not None)

    async def plan_ca(self) -> CaPlan:
        self._call("plan_ca")
        ids = tuple(a.object_id for a in self.profile.accounts)
        changes = tuple(
            PolicyChange(f"policy-{n}", name, "enabled", ids, (), {})
            for n, name in enumerate(self.missing, start=1)
        )
        return CaPlan(changes, total=self.policies)

    async def apply_ca(self, plan: CaPlan) -> CaResult:
        """Fixes every policy of ``plan``; a plan with changes is "backed up" first."""
        self._call("apply_ca")
        backup = None
        if plan.changes:
            backup = Path(f"/fake/ca-backups/ca-backup-{len(self.backups) + 1}.json")
            self.backups.append(str(backup))
            self._backed_up[str(backup)] = [c.display_name for c in plan.changes]
        fixed = {c.display_name for c in plan.changes}
        self.missing = [name for name in self.missing if name not in fixed]
        await self.record("ca")
        return CaResult(backup, tuple(sorted(fixed)), plan.total)

    async def restore_ca(self, path: Path) -> list[str]:
        """Puts back the policies a backup of ``apply_ca`` holds (they miss the accounts again)."""
        self._call("restore_ca")
        restored = self._backed_up[str(path)]
        self.missing = [*self.missing, *(n for n in restored if n not in self.missing)]
        self.journal.unmark("ca")
        return list(restored)

    security_defaults: bool | None = False
    """What the connect step read (tests set it)."""

    async def ensure_dedicated_policy(self) -> PolicyResult:
        self._call("ensure_dedicated_policy")
        created = not self.profile.dedicated_policy_id
        self.profile.dedicated_policy_id = "policy-dedicated"
        await self.record("policy")
        policy = CaPolicy("policy-dedicated", DEDICATED_POLICY_NAME, REPORT_ONLY)
        return PolicyResult(policy, created)

    async def decline_dedicated_policy(self) -> None:
        self.profile.dedicated_policy_id = ""
        await self.record("policy")

    def enforce_blockers(self) -> tuple[str, ...]:
        journal = self.journal
        found = (blocker(a, journal.is_done("verify", a.upn)) for a in self.profile.accounts)
        return tuple(b for b in found if b)

    async def enforce_dedicated_policy(self) -> EnforceResult:
        self._call("enforce_dedicated_policy")
        if not self.profile.dedicated_policy_id:
            await self.record("enforce")
            return EnforceResult(None)
        blockers = self.enforce_blockers()
        state = REPORT_ONLY if blockers else ENABLED
        await self.record("enforce")
        policy = CaPolicy(self.profile.dedicated_policy_id, DEDICATED_POLICY_NAME, state)
        return EnforceResult(policy, blockers, "" if blockers else "/fake/ca-backups/enforce.json")

    async def accept_sign_in(self, upn: str, identity: SignedInIdentity, policies: int) -> None:
        self._call("accept_sign_in")
        await self.record("verify", upn)

    async def passkey_problems(self, upn: str, aaguid: str | None = None) -> list[str]:
        self._call("passkey_problems")
        return []

    async def registered_key(self, upn: str) -> SecurityKeyRecord | None:
        kept = account(self.profile, upn).security_keys
        return kept[0] if kept else None

    async def record_passkey(self, upn: str, record: SecurityKeyRecord) -> None:
        item = account(self.profile, upn)
        if record not in item.security_keys:
            item.security_keys.append(record)
        item.strong_method = "passkey"
        await self.record("passkey", upn)

    async def record_cba(self, upn: str) -> tuple[str, ...]:
        self._call("record_cba")
        return ()

    def skip_entry(self, upn: str, reason: str) -> dict[str, JsonValue]:
        item = account(self.profile, upn)
        return credential_skip_data(upn, item.object_id, reason=reason, when=FROZEN_NOW)

    async def record_skip(self, upn: str, reason: str) -> None:
        item = account(self.profile, upn)
        item.strong_method, item.skip_reason = "skipped", reason
        await self.record("passkey", upn)

    async def review_methods(self) -> list[MethodsReview]:
        self._call("review_methods")
        return [MethodsReview(a.upn, (), ()) for a in self.profile.accounts]

    async def finish(self) -> None:
        self.journal.mark("methods")
        await self.record("summary")


class FakeVerifier:
    """``SignInVerifying``: the test decides each sign-in with ``approve`` or ``fail``."""

    def __init__(self) -> None:
        self._outcome: asyncio.Queue[SignedInIdentity | BgWizardError] = asyncio.Queue()
        self.started: list[str] = []
        self.closed = 0

    async def start(self, upn: str) -> DeviceCodePrompt:
        self.started.append(upn)
        return DeviceCodePrompt(
            f"VRFY-{len(self.started):04d}",
            "https://127.0.0.1:8443/devicelogin",
            "Open the page and enter the code.",
            FROZEN_NOW + dt.timedelta(minutes=15),
            upn,
        )

    async def finish(self, prompt: DeviceCodePrompt) -> VerifiedSignIn:
        outcome = await self._outcome.get()
        if isinstance(outcome, BgWizardError):
            raise outcome
        return VerifiedSignIn(outcome, 3)

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        self._outcome.put_nowait(SignInCancelled("The sign-in was cancelled."))

    def close(self) -> None:
        self.closed += 1

    def approve(self, identity: SignedInIdentity | None = None) -> None:
        """Let the waiting sign-in succeed as ``identity``."""
        self._outcome.put_nowait(identity or admin_identity())

    def fail(self, error: BgWizardError) -> None:
        """Let the waiting sign-in fail with ``error``."""
        self._outcome.put_nowait(error)


class FakeKeys:
    """``KeyFinder`` that lists the keys it was given (software keys in tests)."""

    def __init__(self, keys: Sequence[KeyDevice] = ()) -> None:
        self.keys = list(keys)

    def list_keys(self) -> Sequence[KeyDevice]:
        return self.keys


class FakePasskeys:
    """``PasskeyRegistrar`` with a policy the test sets; ``enrol`` reads the key's info."""

    def __init__(self, policy: Fido2Policy | BgWizardError) -> None:
        self.policy = policy
        self.enrolled: list[tuple[str, str]] = []
        self.failures: list[BgWizardError] = []
        """Raised, first in first out, by the next ``enrol`` (after the key was asked)."""
        self.attempts = 0

    def fail_next(self, error: BgWizardError) -> None:
        """Let the next registration be refused by Entra ID with ``error``."""
        self.failures.append(error)

    async def fido2_policy(self) -> Fido2Policy:
        if isinstance(self.policy, BgWizardError):
            raise self.policy
        return self.policy

    async def enrol(
        self,
        device: KeyDevice,
        *,
        user_id: str,
        label: str,
        pin: Secret,
        on_step: Callable[[str], None],
    ) -> Enrolment:
        info: KeyInfo = await asyncio.to_thread(device.info)
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.enrolled.append((user_id, label))
        key = RegisteredKey(f"m-{len(self.enrolled)}", label, info.aaguid, info.product, "", None)
        return Enrolment(key=key, info=info, pin_was_set=not info.pin_set)


class FakeRotation:
    """``RotationActions`` on a profile: the real, pure rotation journal
    (``bgwizard.rotation.journal``) and sign-in check, no Graph. ``fail_next`` makes the next
    reset fail after the journal was saved (as Graph refusing it), or the next ``complete``
    fail (as a tenant that still has the old password)."""

    def __init__(self, profile: Profile, profiles: ProfileStore) -> None:
        self.profile, self.profiles = profile, profiles
        self.failures: list[BgWizardError] = []
        self.calls: list[tuple[str, str]] = []
        """(method, UPN) per call; never the password."""
        self.unit_note: str | None = None
        """What ``who_can_reset`` answers (an account in an RMAU)."""

    def fail_next(self, error: BgWizardError) -> None:
        """Let the next ``reset`` or ``complete`` raise ``error``."""
        self.failures.append(error)

    def _created(self, upn: str) -> BreakGlassAccount:
        try:
            item = account(self.profile, upn)
        except KeyError:
            raise RotationError(f"{upn} is not a break glass account of this profile.") from None
        if not item.object_id:
            raise RotationError(f"{upn} has not been created yet; finish the set-up first.")
        return item

    async def reset(
        self, upn: str, password: Secret, record: SheetRecord, locations: Sequence[str]
    ) -> Rotated:
        self.calls.append(("reset", upn))
        item = self._created(upn)
        today = FROZEN_NOW.date()
        abandoned = begin_rotation(item, record, locations, today, now=FROZEN_NOW)
        self.profiles.save(self.profile)
        if self.failures:
            raise self.failures.pop(0)
        retired = finish_rotation(item, today)
        self.profiles.save(self.profile)
        return Rotated(upn, record.serial, (*abandoned, *retired))

    async def who_can_reset(self, upn: str) -> str | None:
        """``unit_note`` (None unless a test sets it), as the service says it."""
        return self.unit_note

    async def complete(self, upn: str) -> Rotated:
        self.calls.append(("complete", upn))
        item = self._created(upn)
        if item.pending_rotation is None:
            raise RotationError(f"No rotation of {upn} is waiting to be finished.")
        if self.failures:
            raise self.failures.pop(0)
        serial = item.pending_rotation.serial
        retired = finish_rotation(item, FROZEN_NOW.date())
        self.profiles.save(self.profile)
        return Rotated(upn, serial, tuple(retired))

    def check_sign_in(self, upn: str, identity: SignedInIdentity) -> list[str]:
        return sign_in_problems(account(self.profile, upn).object_id, upn, identity)


async def press_when_ready(pilot: Pilot[Any], selector: str) -> None:
    """Press a button of the current screen once it is shown and enabled."""
    button = pilot.app.screen.query_one(selector, Button)
    await pilot.app.workers.wait_for_complete()
    await settle(pilot, lambda: bool(button.display) and not button.disabled)
    button.press()
    await pilot.pause()


async def read_back_sheet(pilot: Pilot[Any]) -> tuple[str, str]:
    """On the (real) sheet screen: generate, print, read back, continue.

    Returns:
        The UPN and the password as printed (what a person reads off the paper).
    """
    from bgwizard.screens.sheets.screen import SheetsScreen

    app = pilot.app
    await settle(pilot, lambda: isinstance(app.screen, SheetsScreen) and app.screen.is_mounted)
    sheet = app.screen
    assert isinstance(sheet, SheetsScreen)
    for button, stage in (("#generate", "drawn"), ("#print", "out")):
        await press_when_ready(pilot, button)
        await app.workers.wait_for_complete()
        await settle(pilot, partial(_at_stage, sheet, stage))
    assert sheet._content is not None
    lines = [line.reveal() for line in sheet._content.lines()]
    for number, text in enumerate(lines, start=1):
        sheet.query_one(f"#line-{number}", Input).value = " ".join(blocks(text))
    await press_when_ready(pilot, "#check")
    await settle(pilot, lambda: sheet.stage == "verified")
    upn = sheet._content.upn
    await press_when_ready(pilot, "#done")
    return upn, "".join(lines)


def _typed(
    setup: FakeSetup,
    verifier: FakeVerifier,
    keys: FakeKeys,
    passkeys: FakePasskeys,
    rotation: FakeRotation,
) -> tuple[SetupActions, SignInVerifying, KeyFinder, PasskeyRegistrar, RotationActions]:
    """Never called: mypy checks here that each fake satisfies its port."""
    return setup, verifier, keys, passkeys, rotation


def _at_stage(sheet: SheetsScreen, stage: str) -> bool:
    return sheet.stage == stage


def _check_ports() -> None:  # pragma: no cover - read by mypy (make typecheck), never run
    profile = Profile()
    setup: SetupActions = FakeSetup(profile)
    verifier: SignInVerifying = FakeVerifier()
    keys: KeyFinder = FakeKeys()
    passkeys: PasskeyRegistrar = FakePasskeys(BgWizardError("x"))
    rotation: RotationActions = FakeRotation(profile, FakeProfileStore(profile))
    del setup, verifier, keys, passkeys, rotation
