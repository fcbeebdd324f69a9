"""In-memory services with the shapes of ``bgwizard.ports``, for Pilot tests.

They are controllable from a test: the authenticator waits until the test (or the fake demo
approver) approves, fails or cancels the sign-in.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from textual.pilot import Pilot

from bgwizard.auth.identity import (
    GLOBAL_ADMIN_ROLE_ID,
    DeviceCodePrompt,
    PageAnswers,
    SignedInIdentity,
    TenantInfo,
)
from bgwizard.demo.info import DemoInfo
from bgwizard.errors import AuthError, BgWizardError, SignInCancelled
from bgwizard.ports import Services
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.secret import Secret

if TYPE_CHECKING:
    from bgwizard.ports import Authenticator, DemoApprover, DirectoryGateway, ProfileStore
    from bgwizard.tui.app import BgWizardApp

AppFactory = Callable[..., "BgWizardApp"]
"""The ``make_app`` fixture: ``make_app(fakes, profile=None, *, demo=None, **app_kwargs)``."""

FROZEN_NOW: Final = dt.datetime(2026, 11, 27, 10, 0, 0, tzinfo=dt.UTC)
TENANT_ID: Final = "5f1c6f0e-7d3b-4a55-9c2e-1a2b3c4d5e6f"
ADMIN_UPN: Final = "admin@contosologistics.onmicrosoft.com"
VERIFICATION_URI: Final = "https://127.0.0.1:8443/devicelogin"
SIZE: Final = (100, 32)
"""Terminal size of every Pilot and snapshot test."""
DEMO: Final = DemoInfo("https://127.0.0.1:8443")
"""The demo facts the demo-mode tests use."""
TENANT: Final = TenantInfo(TENANT_ID, "Contoso Logistics", "contosologistics.onmicrosoft.com")


def frozen_clock() -> dt.datetime:
    """Always ``FROZEN_NOW``."""
    return FROZEN_NOW


def admin_identity(upn: str = ADMIN_UPN) -> SignedInIdentity:
    """A Global Administrator of the fake tenant."""
    return SignedInIdentity(
        object_id="9a1b2c3d-0000-4000-8000-00000000a001",
        tenant_id=TENANT_ID,
        upn=upn,
        display_name="Contoso Admin",
        role_ids=(GLOBAL_ADMIN_ROLE_ID,),
    )


class FakeAuthenticator:
    """A device code sign-in the test finishes with ``approve``, ``fail`` or ``cancel``."""

    def __init__(self, clock: Callable[[], dt.datetime] = frozen_clock) -> None:
        self._clock = clock
        self._outcome: SignedInIdentity | BgWizardError | None = None
        self._decided = asyncio.Event()
        self._identity: SignedInIdentity | None = None
        self.start_error: BgWizardError | None = None
        """Raised by the next ``start_device_code`` (then cleared)."""
        self.prompts: list[DeviceCodePrompt] = []
        self.cancelled: list[DeviceCodePrompt] = []
        self.browser = False
        """What ``browser_available`` answers (the device code screen by default)."""
        self.in_app: list[PageAnswers] = []
        """What the demo's in-app sign-in was given."""
        self.scopes: list[tuple[str, ...]] = []
        """Every ``use_scopes`` call, in order."""

    async def start_device_code(self, login_hint: str | None = None) -> DeviceCodePrompt:
        if self.start_error is not None:
            error, self.start_error = self.start_error, None
            raise error
        prompt = DeviceCodePrompt(
            user_code=f"FAKE-{len(self.prompts) + 1:04d}",
            verification_uri=VERIFICATION_URI,
            message="Open the page and enter the code.",
            expires_at=self._clock() + dt.timedelta(minutes=15),
            login_hint=login_hint,
        )
        self.prompts.append(prompt)
        return prompt

    async def finish_device_code(self, prompt: DeviceCodePrompt) -> SignedInIdentity:
        await self._decided.wait()
        self._decided.clear()
        outcome, self._outcome = self._outcome, None
        if isinstance(outcome, BgWizardError):
            raise outcome
        assert outcome is not None
        self._identity = outcome
        return outcome

    def cancel(self, prompt: DeviceCodePrompt) -> None:
        self.cancelled.append(prompt)
        self._decide(SignInCancelled("The sign-in was cancelled."))

    def browser_available(self) -> bool:
        return self.browser

    async def sign_in_browser(self, login_hint: str | None = None) -> SignedInIdentity:
        return await self._interactive()

    async def sign_in_in_app(
        self, answers: PageAnswers, login_hint: str | None = None
    ) -> SignedInIdentity:
        self.in_app.append(answers)
        return await self._interactive()

    async def _interactive(self) -> SignedInIdentity:
        await self._decided.wait()
        self._decided.clear()
        outcome, self._outcome = self._outcome, None
        if isinstance(outcome, BgWizardError):
            raise outcome
        assert outcome is not None
        self._identity = outcome
        return outcome

    def use_scopes(self, scopes: tuple[str, ...]) -> None:
        self.scopes.append(tuple(scopes))

    @property
    def identity(self) -> SignedInIdentity | None:
        return self._identity

    def approve(self, identity: SignedInIdentity | None = None) -> None:
        """Let the waiting sign-in succeed as ``identity`` (the admin by default)."""
        self._decide(identity or admin_identity())

    def fail(self, error: BgWizardError | None = None) -> None:
        """Let the waiting sign-in fail with ``error``."""
        self._decide(error or AuthError("The sign-in was declined in the browser."))

    def _decide(self, outcome: SignedInIdentity | BgWizardError) -> None:
        self._outcome = outcome
        self._decided.set()


class FakeDirectory:
    """Graph as a dict: a tenant, a warm-up that can be held back or fail."""

    def __init__(self, tenant: TenantInfo = TENANT) -> None:
        self.tenant = tenant
        self.tenant_error: BgWizardError | None = None
        self.warm_up_error: BgWizardError | None = None
        self.warm_ups = 0
        self.tenant_calls = 0

    async def warm_up(self) -> None:
        self.warm_ups += 1
        if self.warm_up_error is not None:
            raise self.warm_up_error

    async def tenant_info(self) -> TenantInfo:
        self.tenant_calls += 1
        if self.tenant_error is not None:
            raise self.tenant_error
        return self.tenant


@dataclass
class FakeProfileStore:
    """Keeps the profile in memory; ``saved`` holds a copy of each save."""

    profile: Profile = field(default_factory=Profile)
    saved: list[Profile] = field(default_factory=list)

    def load(self) -> Profile:
        return copy.deepcopy(self.profile)

    def save(self, profile: Profile) -> None:
        self.profile = copy.deepcopy(profile)
        self.saved.append(copy.deepcopy(profile))


class FakeDemoApprover:
    """The emulator's approval page: checks the password, then approves the fake sign-in."""

    def __init__(
        self,
        auth: FakeAuthenticator,
        passwords: dict[str, str],
        identities: dict[str, SignedInIdentity] | None = None,
    ) -> None:
        self._auth = auth
        self._passwords = passwords
        self._identities = identities or {}
        """Who each username signs in as (default: an admin with that UPN)."""
        self.attempts: list[tuple[str, str, bool]] = []
        """(user code, username, accepted) per attempt; never the password."""

    async def approve(self, user_code: str, username: str, password: Secret) -> None:
        ok = self._passwords.get(username.lower()) == password.reveal()
        self.attempts.append((user_code, username, ok))
        if not ok:
            raise AuthError(f"Wrong username or password for {username}; try again.")
        self._auth.approve(self._identities.get(username.lower()) or admin_identity(username))


class NoKeys:
    """``KeyFinder`` with nothing plugged in."""

    def list_keys(self) -> list[Any]:
        return []


@dataclass
class FakeServices:
    """A ``Services`` bundle of fakes, with typed access to each fake."""

    auth: FakeAuthenticator
    directory: FakeDirectory
    profiles: FakeProfileStore
    demo: FakeDemoApprover | None = None
    # Fakes of the other ports, filled in per screen (None: the screen under test needs none).
    # audit, drill, recorder and monitoring: see tests/fakes_drill.py (FakeAuditRunner,
    # FakeDrillChecksFactory, FakeLogRecorder, FakeMonitoring, real_recorder).
    sheets: Any = None
    setup: Any = None
    rotation: Any = None
    verifier: Any = None
    passkeys: Any = None
    keys: Any = field(default_factory=NoKeys)
    """No security key plugged in, unless a test gives one (``fakes_setup.FakeKeys``)."""
    audit: Any = None
    drill: Any = None
    recorder: Any = None
    runbook: Any = None
    monitoring: Any = None

    def bundle(self) -> Services:
        """The bundle the app takes."""
        return self


DEMO_PASSWORD: Final = "Demo-Pass-2026!"


def fake_services(*, demo: bool = False) -> FakeServices:
    """Fresh fakes; with ``demo`` a demo approver that knows the admin's password."""
    auth = FakeAuthenticator()
    approver = FakeDemoApprover(auth, {ADMIN_UPN: DEMO_PASSWORD}) if demo else None
    return FakeServices(auth, FakeDirectory(), FakeProfileStore(), approver)


def sample_profile() -> Profile:
    """A tenant with two break glass accounts, drilled on 1 October 2026."""
    return Profile(
        tenant_id="5f1c6f0e-7d3b-4a55-9c2e-1a2b3c4d5e6f",
        tenant_name="Contoso Logistics",
        initial_domain="contosologistics.onmicrosoft.com",
        accounts=[
            BreakGlassAccount(
                "bg-alpha@contosologistics.onmicrosoft.com",
                object_id="0b1e2c3d-1111-4000-8000-0000000000a1",
            ),
            BreakGlassAccount("bg-bravo@contosologistics.onmicrosoft.com"),
        ],
        last_drill=dt.date(2026, 10, 1),
    )


SETTLE_SECONDS = 20.0
"""How long ``settle`` waits on wall time once its quick rounds are spent (loaded machines)."""


async def settle(pilot: Pilot[Any], until: Callable[[], bool], *, rounds: int = 50) -> None:
    """Let the app process messages until ``until()`` holds (no sleeping on wall time).

    Raises:
        AssertionError: the condition did not hold after ``rounds`` pauses.
    """
    for _ in range(rounds):
        if until():
            return
        await pilot.pause()
    # a worker thread may still be running on a loaded machine: give it wall time, bounded
    deadline = time.monotonic() + SETTLE_SECONDS
    while not until() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert until(), "the app never reached the expected state"


def _check_ports() -> None:  # pragma: no cover - read by mypy (make typecheck), never run
    auth: Authenticator = FakeAuthenticator()
    directory: DirectoryGateway = FakeDirectory()
    profiles: ProfileStore = FakeProfileStore()
    demo: DemoApprover = FakeDemoApprover(FakeAuthenticator(), {})
    services: Services = FakeServices(FakeAuthenticator(), FakeDirectory(), FakeProfileStore())
    del auth, directory, profiles, demo, services
