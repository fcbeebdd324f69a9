"""In-memory fakes of A2's ports (``bgwizard.ports``): audit, drill, recorder, monitoring.

Kept apart from ``tests/fakes.py`` so the screen rewrites do not collide there. Each fake
satisfies its Protocol (``_check_ports`` below is read by mypy) and is controllable from a test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fakes import TENANT_ID, FakeAuthenticator, FakeServices, frozen_clock

from bgwizard.audit.model import AuditReport
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, DeviceCodePrompt, SignedInIdentity
from bgwizard.drill.checks import (
    check_global_admin,
    check_portal_sign_in,
    check_token,
    sign_in_method,
)
from bgwizard.drill.model import Drill, ItemResult, RecordedDrill, failed, not_run, passed
from bgwizard.errors import BgWizardError, LogRefused, SignInCancelled
from bgwizard.ledger.chain import GENESIS, Entry, JsonValue, Verification
from bgwizard.monitoring.arm import ExportFile
from bgwizard.monitoring.diagnostics import DiagnosticSettingsReport, not_checked
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.secret import Secret

if TYPE_CHECKING:
    from bgwizard.ports import (
        AuditRunner,
        DrillChecker,
        DrillChecksFactory,
        LogRecorder,
        MonitoringActions,
    )

WHY_NOT_SIGNED_IN = "the sign-in failed, so the token could not be checked"


class FakeAuditRunner:
    """Returns the reports it is given, one per run (the last one again), or raises an error."""

    def __init__(self, *outcomes: AuditReport | BgWizardError) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0

    async def run(self) -> AuditReport:
        await asyncio.sleep(0)
        self.runs += 1
        outcome = self.outcomes[min(self.runs, len(self.outcomes)) - 1]
        if isinstance(outcome, BgWizardError):
            raise outcome
        return outcome


class FakeDrillChecker:
    """One drill's checks: the sign-in waits on a ``FakeAuthenticator`` the test approves (with
    ``bg_identity``) or fails; the token is judged by the real, pure checks
    (``bgwizard.drill.checks``) as ``DrillChecks`` does; the checks that read the tenant return
    what the test put in ``during`` and ``after`` (all passing by default)."""

    def __init__(self, account: BreakGlassAccount, auth: FakeAuthenticator) -> None:
        self.account, self.auth = account, auth
        self.identity: SignedInIdentity | None = None
        self.during: list[ItemResult] = [
            passed("ca_readable", "4 Conditional Access policies read."),
            passed("audit_rules", "12 audit checks pass for the account."),
        ]
        """What the tenant-reading checks after the sign-in return (``portal_signin`` comes
        from the token)."""
        self.after: list[ItemResult] = [
            passed("no_changes", "No changes by the account in the window."),
            passed("signin_evidence", "The sign-in is in the sign-in log."),
        ]
        self.windows: list[tuple[dt.datetime, dt.datetime]] = []
        self.closed = False

    async def start_sign_in(self) -> DeviceCodePrompt:
        return await self.auth.start_device_code(login_hint=self.account.upn)

    def cancel_sign_in(self, prompt: DeviceCodePrompt) -> None:
        self.auth.cancel(prompt)

    async def finish_sign_in(self, prompt: DeviceCodePrompt) -> list[ItemResult]:
        try:
            identity = await self.auth.finish_device_code(prompt)
        except SignInCancelled:
            raise
        except BgWizardError as error:
            return self.sign_in_failed(str(error))
        self.identity = identity
        method = sign_in_method(identity)
        return [
            passed("signin", f"Signed in as {identity.upn} ({method}).", method=method),
            check_token(identity, self.account),
            check_global_admin(identity),
        ]

    def sign_in_failed(self, reason: str) -> list[ItemResult]:
        why = WHY_NOT_SIGNED_IN
        items = ("portal_signin", "token_account", "global_admin", "ca_readable", "audit_rules")
        return [failed("signin", reason.rstrip(".") + "."), *(not_run(i, why) for i in items)]

    async def during_checks(self) -> list[ItemResult]:
        if self.identity is None:
            why = "the account is not signed in"
            return [not_run(i, why) for i in ("portal_signin", "ca_readable", "audit_rules")]
        return [check_portal_sign_in(self.identity), *self.during]

    async def after_checks(self, start: dt.datetime, end: dt.datetime) -> list[ItemResult]:
        self.windows.append((start, end))
        return list(self.after)

    async def close(self) -> None:
        self.closed = True


def bg_identity(
    account: BreakGlassAccount, *, method: str = "pwd", global_admin: bool = True
) -> SignedInIdentity:
    """The token of ``account``'s own sign-in: its object id, Global Administrator in ``wids``
    (unless ``global_admin`` is False) and ``method`` in ``amr`` (``pwd`` or ``fido``)."""
    return SignedInIdentity(
        object_id=account.object_id,
        tenant_id=TENANT_ID,
        upn=account.upn,
        display_name=account.upn.split("@")[0],
        role_ids=(GLOBAL_ADMIN_ROLE_ID,) if global_admin else (),
        extra={"amr": [method]},
    )


class FakeDrillChecksFactory:
    """Hands out one ``FakeDrillChecker`` per drill, all signing in through ``auth``."""

    def __init__(self, auth: FakeAuthenticator | None = None) -> None:
        self.auth = auth or FakeAuthenticator()
        self.made: list[FakeDrillChecker] = []

    def checks_for(self, account: BreakGlassAccount) -> FakeDrillChecker:
        self.made.append(FakeDrillChecker(account, self.auth))
        return self.made[-1]


class FakeLogRecorder:
    """The signed log as a list: every ``sign_*`` call appends an unsigned ``Entry``.

    ``refuse`` makes the next plain signing fail as a log that does not verify, until the
    caller asks for a linked log (``relink``), as the real recorder does.
    """

    def __init__(self, log_path: Path = Path("/fake/drill-log.jsonl"), signer: str = "") -> None:
        self._log_path, self.last_signer = log_path, signer
        self.key_path = Path("/fake/drill-key")
        self.entries: list[Entry] = []
        self.passphrases: list[Secret | None] = []
        self.refuse = ""
        self.next_due: dt.date | None = None

    @property
    def log_path(self) -> Path:
        return self._log_path

    def key_exists(self, path: Path | None = None) -> bool:
        return False

    def log_state(self) -> Verification | None:
        return None

    def sign_drill(
        self, drill: Drill, signer: str, key_path: Path, passphrase: Secret | None, *,
        relink: bool = False,
    ) -> RecordedDrill:  # fmt: skip
        return self.sign_event("drill", drill.to_log_data(), signer, key_path, passphrase,
                               relink=relink)  # fmt: skip

    def sign_event(
        self, kind: str, data: dict[str, JsonValue], signer: str, key_path: Path,
        passphrase: Secret | None, *, relink: bool = False,
    ) -> RecordedDrill:  # fmt: skip
        self.passphrases.append(passphrase)
        if self.refuse and not relink:
            raise LogRefused(self._log_path, Verification(1, 1, self.refuse, (), GENESIS))
        if relink:
            self._log_path = self._log_path.with_name(f"{self._log_path.stem}-2.jsonl")
            self.refuse = ""
        entry = Entry(len(self.entries) + 1, GENESIS, "2026-11-27T10:00:00Z", kind, signer,
                      "ssh-ed25519 AAAAfake", data)  # fmt: skip
        self.entries.append(entry)
        self.last_signer = signer
        return RecordedDrill(entry, f"{len(self.entries):064x}", self._log_path, self.next_due)


class FakeMonitoring:
    """The real export and writer (pure and tmp files); a canned diagnostic-settings answer."""

    def __init__(self, report: DiagnosticSettingsReport | None = None) -> None:
        from bgwizard.monitoring.service import MonitoringService

        self._real = MonitoringService(None)
        self.report = report or not_checked("nobody is signed in.")
        self.checks = 0

    def export_files(
        self,
        accounts: Iterable[BreakGlassAccount],
        *,
        exclusion_group_id: str = "",
        rmau_id: str = "",
    ) -> list[ExportFile]:
        return self._real.export_files(
            accounts, exclusion_group_id=exclusion_group_id, rmau_id=rmau_id
        )

    def save(
        self, files: Sequence[ExportFile], out_dir: Path, *, force: bool = False
    ) -> list[Path]:
        return self._real.save(files, out_dir, force=force)

    async def check_diagnostic_settings(self) -> DiagnosticSettingsReport:
        self.checks += 1
        return self.report


def real_recorder(
    fakes: FakeServices, profile: Profile, clock: Callable[[], dt.datetime] = frozen_clock
) -> LogRecorder:
    """Give ``fakes`` the real ``DrillRecorder`` on ``profile`` (its log and key in tmp_path),
    for the tests that verify the signed file itself with ``ssh-keygen``."""
    from bgwizard.drill.record import DrillRecorder

    recorder = DrillRecorder(profile, fakes.profiles, clock=clock)
    fakes.recorder = recorder
    return recorder


def _check_ports() -> None:  # pragma: no cover - read by mypy, never run
    audit: AuditRunner = FakeAuditRunner()
    drill: DrillChecksFactory = FakeDrillChecksFactory()
    checker: DrillChecker = FakeDrillChecker(BreakGlassAccount("x"), FakeAuthenticator())
    recorder: LogRecorder = FakeLogRecorder()
    monitoring: MonitoringActions = FakeMonitoring()
    del audit, drill, checker, recorder, monitoring
