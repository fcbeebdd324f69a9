"""The only composition root: ``Container`` builds every service the TUI uses, for a real
tenant or the embedded emulator, and ``run_app``/``run_demo`` start the app with it.

Kept apart from ``bgwizard.cli`` so the parser stays import-light (``--help`` and ``--version``
load no Textual, msal or emulator code); nothing else builds a service.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.demo.info import DemoInfo
from bgwizard.graph.client import DEFAULT_RETRY, RetryPolicy
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ports import (
    AuditRunner,
    Authenticator,
    DemoApprover,
    DirectoryGateway,
    DrillChecksFactory,
    KeyFinder,
    LogRecorder,
    MonitoringActions,
    PasskeyRegistrar,
    ProfileStore,
    RotationActions,
    RunbookMaker,
    SetupActions,
    SheetMaker,
    SignInVerifying,
)
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Container:
    """Every service of the TUI, built on first use from one profile (implements ``Services``).

    Each port is a ``cached_property`` whose service module is imported inside it: the home
    screen's first frame needs only ``auth``, ``directory`` and ``profiles``, so the other
    service modules (and the libraries behind them) load when their journey first opens.
    """

    def __init__(
        self,
        profile: Profile,
        profiles: ProfileStore,
        *,
        demo: DemoApprover | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        """Wire the services for ``profile``.

        Args:
            profile: the loaded profile (shared, mutated in place by the services).
            profiles: where the profile is saved.
            demo: the emulator approver, in demo mode.
            clock: the current time (tests freeze it).
            retry: how Graph retries throttled calls (tests make it fast).
        """
        self.profile, self._profiles, self._demo, self.clock = profile, profiles, demo, clock
        self._retry = retry

    @property
    def auth(self) -> Authenticator:
        """The administrator's msal sign-in."""
        return self._msal

    @cached_property
    def _msal(self) -> MsalAuthenticator:
        return MsalAuthenticator(self.profile)

    @cached_property
    def graph(self) -> GraphDirectory:
        """The admin's Graph facade, which several ports share (one client, one connection)."""
        return GraphDirectory(self.profile, self._msal.credential(), retry=self._retry)

    @property
    def directory(self) -> DirectoryGateway:
        """Microsoft Graph for the signed-in administrator."""
        return self.graph

    @property
    def profiles(self) -> ProfileStore:
        """Where the profile is saved."""
        return self._profiles

    @property
    def demo(self) -> DemoApprover | None:
        """The emulator's approver (demo mode only)."""
        return self._demo

    # -- sheets, setup, rotation, verifier, passkeys, keys ---------------------------------
    # Each imports its service module inside the property: deliberate lazy loading, so the
    # first frame loads neither reportlab, fido2 nor the set-up modules (start-up time).

    @cached_property
    def sheets(self) -> SheetMaker:
        """Credential and PIN sheets, dated by the app's clock (``SheetService``; lazy import)."""
        from bgwizard.sheets.service import SheetService

        return SheetService(today=lambda: self.clock().date())

    @cached_property
    def setup(self) -> SetupActions:
        """The set-up wizard's tenant changes (``SetupService``; lazy import).

        CA backups go beside the profile file (see ``backup_dir_for``).
        """
        from bgwizard.passkeys.service import PasskeyGraph
        from bgwizard.setup.ca_step import backup_dir_for
        from bgwizard.setup.service import SetupService

        backups = backup_dir_for(self._profiles)
        return SetupService(
            self.graph,
            self.profile,
            self._profiles,
            backup_dir=backups,
            clock=self.clock,
            passkeys=PasskeyGraph(self.graph.connection),
        )

    @cached_property
    def rotation(self) -> RotationActions:
        """Password rotation through Graph (``RotationService``; lazy import)."""
        from bgwizard.rotation.service import RotationService

        return RotationService(
            self.graph, self.profile, self._profiles, today=lambda: self.clock().date()
        )

    @cached_property
    def verifier(self) -> SignInVerifying:
        """Break glass sign-ins on sessions separate from the admin's (lazy import).

        One verifier, one sign-in at a time: ``start`` closes the previous one.
        """
        from bgwizard.setup.verify import SignInVerifier

        return SignInVerifier(self.profile, self._msal.separate)

    @cached_property
    def passkeys(self) -> PasskeyRegistrar:
        """Security key registration over the admin's Graph client (lazy import)."""
        from bgwizard.passkeys.service import PasskeyGraph

        return PasskeyGraph(self.graph.connection)

    @cached_property
    def keys(self) -> KeyFinder:
        """The USB security keys plugged in (lazy import: fido2's HID layer).

        In demo mode, one software key labelled as emulated instead, so the passkey step can be
        tried without hardware (a real key has nothing to do with an emulated tenant).
        """
        if self.profile.demo:
            from bgwizard.passkeys.soft_key import DemoKeys

            return DemoKeys()
        from bgwizard.passkeys.usb_device import UsbKeys

        return UsbKeys()

    # -- audit, drill, recorder, runbook, monitoring -------------------------------------
    # Each imports its service module inside the property on purpose (lazy loading): the
    # audit, drill, ledger, runbook and monitoring modules, and reportlab, jinja2, httpx and
    # cryptography behind them, load when their journey first opens, not before the first frame.

    @cached_property
    def audit(self) -> AuditRunner:
        """The audit on the admin's Graph, judging drills from the profile's signed log.

        Imports ``bgwizard.audit.service`` and ``bgwizard.drill.service`` lazily (start-up).
        """
        from bgwizard.audit.service import AuditService
        from bgwizard.drill.service import ProfileDrillSource

        drills = ProfileDrillSource(self.profile)
        return AuditService(self.graph, self.profile, clock=self.clock, drills=drills)

    @cached_property
    def drill(self) -> DrillChecksFactory:
        """The drill's checks; each account signs in apart from the admin, through
        ``MsalAuthenticator.separate()`` (same tenant and cache settings, its own session).

        Imports ``bgwizard.drill.service`` lazily (start-up).
        """
        from bgwizard.drill.service import DrillChecksMaker

        return DrillChecksMaker(self.profile, self._msal.separate, clock=self.clock)

    @cached_property
    def recorder(self) -> LogRecorder:
        """The signed log's writer for the profile's log and key (a training log in demo mode).

        Imports ``bgwizard.drill.record`` (and the ledger, cryptography) lazily (start-up).
        """
        from bgwizard.drill.record import DrillRecorder

        return DrillRecorder(self.profile, self._profiles, clock=self.clock)

    @cached_property
    def runbook(self) -> RunbookMaker:
        """The offline runbook of the profile, dated by the clock.

        Imports ``bgwizard.runbook.service`` (jinja2, reportlab behind it) lazily (start-up).
        """
        from bgwizard.runbook.service import RunbookService

        return RunbookService(self.profile, today=lambda: self.clock().date())

    @cached_property
    def monitoring(self) -> MonitoringActions:
        """The monitoring export, and the ARM check with the admin's token once signed in.

        Imports ``bgwizard.monitoring.service`` (httpx) lazily (start-up).
        """
        from bgwizard.monitoring.service import MonitoringService, arm_token_from

        msal, profile = self._msal, self.profile
        return MonitoringService(
            arm_token_from(msal),
            arm_url=profile.arm_url,
            ca_bundle=profile.ca_bundle,
            signed_in=lambda: msal.identity is not None,
        )


def run_app(profile_path: Path | None = None) -> int:
    """Run the TUI against the tenant of the profile at ``profile_path``.

    Raises:
        ProfileError: the profile cannot be read.
    """
    from bgwizard.tui.app import BgWizardApp

    store, profile, notices = open_profile(profile_path)
    BgWizardApp(Container(profile, store), profile, notices=notices).run()
    return 0


def open_profile(profile_path: Path | None) -> tuple[TomlProfileStore, Profile, list[str]]:
    """Load the profile for the TUI, keeping what loading fixed (a 0644 file made 0600) to say
    in the app: written to stderr, it would vanish under the first screen.

    Raises:
        ProfileError: the profile cannot be read.
    """
    notices: list[str] = []
    store = TomlProfileStore(profile_path, warn=notices.append)
    return store, store.load(), notices


def run_demo(tenant_file: Path | None = None, port: int = 0) -> int:
    """Start the emulator with the sample tenant (or ``tenant_file``) and run the TUI on it.

    The demo's profile and the emulator's CA live in a private temporary directory that is
    removed on exit; nothing of the user's real profile is read or written.

    Raises:
        BgWizardError: the tenant file is not valid or the port is taken.
    """
    from bgwizard.demo.approver import EmulatorApprover
    from bgwizard.demo.workspace import demo_folder, keep_training_log
    from bgwizard.emulator import Emulator
    from bgwizard.tui.app import BgWizardApp

    # Removed on exit, SIGHUP and SIGTERM; folders of dead demos are removed first.
    with demo_folder() as state:
        emulator = Emulator(tenant_file=tenant_file, port=port, state_dir=state)
        with emulator:
            profile = demo_profile(emulator.tenant_id, emulator.base_url, emulator.ca_pem_path)
            # Training drills sign a throw-away log with a throw-away key, like the tenant.
            log = state / "training-drill-log.jsonl"
            profile.drill_log = str(log)
            profile.signer_key = str(state / "training-drill-key")
            store = TomlProfileStore(state / "profile.toml")
            store.save(profile)
            services = Container(profile, store, demo=EmulatorApprover(emulator))
            demo = DemoInfo(
                base_url=emulator.base_url,
                keep_log=functools.partial(keep_training_log, log),
                training_log=log,
            )
            BgWizardApp(services, profile, demo=demo).run()
    return 0


def demo_profile(tenant_id: str, base_url: str, ca_pem: Path) -> Profile:
    """A profile pointing at an emulator.

    Args:
        tenant_id: the emulated tenant's id.
        base_url: the emulator's ``https://127.0.0.1:PORT``.
        ca_pem: the emulator's CA certificate.

    Returns:
        The profile (not yet saved).
    """
    return Profile(
        tenant_id=tenant_id,
        authority_host=base_url,
        graph_url=f"{base_url}/v1.0",
        arm_url=f"{base_url}/arm",
        ca_bundle=str(ca_pem),
        demo=True,
    )
