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
from pathlib import Path

from fakes import FROZEN_NOW, admin_identity

from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity
from bgwizard.errors import BgWizardError, SignInCancelled
from bgwizard.graph.model import DirectoryUser
from bgwizard.passkeys.device import Enrolment, KeyDevice, KeyInfo, RegisteredKey
from bgwizard.passkeys.policy import Fido2Policy
from bgwizard.ports import KeyFinder, PasskeyRegistrar, SetupActions, SignInVerifying
from bgwizard.profile.model import Profile
from bgwizard.secret import Secret
from bgwizard.setup.ca_plan import CaPlan
from bgwizard.setup.checks import RoleStatus
from bgwizard.setup.journal import SetupJournal, StepId, account, set_accounts
from bgwizard.setup.names import NameIssue
from bgwizard.setup.results import (
    CaResult,
    CreateResult,
    MethodsReview,
    RoleResult,
    VerifiedSignIn,
)


class FakeSetup:
    """``SetupActions`` on a profile: journals each step, changes no tenant."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.failures: list[BgWizardError] = []
        """Raised, first in first out, by the next Graph-calling methods."""
        self.calls: list[str] = []
        self.backups: list[str] = []
        self.policies = 4
        """How many Conditional Access policies the fake tenant has (all excluding already)."""

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

    async def plan_ca(self) -> CaPlan:
        self._call("plan_ca")
        return CaPlan((), total=self.policies)

    async def apply_ca(self, plan: CaPlan) -> CaResult:
        self._call("apply_ca")
        await self.record("ca")
        return CaResult(None, (), plan.total)

    async def restore_ca(self, path: Path) -> list[str]:
        self._call("restore_ca")
        self.journal.unmark("ca")
        return []

    async def accept_sign_in(self, upn: str, identity: SignedInIdentity, policies: int) -> None:
        self._call("accept_sign_in")
        await self.record("verify", upn)

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
        self.enrolled.append((user_id, label))
        key = RegisteredKey(f"m-{len(self.enrolled)}", label, info.aaguid, info.product, "", None)
        return Enrolment(key=key, info=info, pin_was_set=not info.pin_set)


def _typed(
    setup: FakeSetup, verifier: FakeVerifier, keys: FakeKeys, passkeys: FakePasskeys
) -> tuple[SetupActions, SignInVerifying, KeyFinder, PasskeyRegistrar]:
    """Never called: mypy checks here that each fake satisfies its port."""
    return setup, verifier, keys, passkeys
