"""Read what the audit needs from Microsoft Graph, then judge it with the domain rules.

Every read runs concurrently and is wrapped: a missing permission, throttling or a network
failure becomes an ``Unread`` with the one-sentence reason, which the rules report as
"not checked" — never as a pass; a feature the tenant's licence lacks (sign-in activity
without Entra ID P1, PIM without P2) is "not applicable" instead. Only a refused sign-in
(``AuthError``) stops the audit.
The accounts come from the profile, never from a guess.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bgwizard.audit.engine import run_audit
from bgwizard.audit.model import (
    AccountSnapshot,
    AuditReport,
    AuditSnapshot,
    DrillRecord,
    Finding,
    ProtectedUnit,
    Unread,
    sort_findings,
)
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, TenantInfo
from bgwizard.errors import (
    AuthError,
    BgWizardError,
    GraphError,
    LicenceMissing,
    NotFound,
    PermissionMissing,
)
from bgwizard.graph.gateway import AuditGateway
from bgwizard.graph.model import CaPolicy, DirectoryUser, RoleAssignment
from bgwizard.profile.model import BreakGlassAccount, Profile

T = TypeVar("T")


class DrillSource(Protocol):
    """Where drill records come from (the signed drill log)."""

    def drill_records(self) -> tuple[DrillRecord, ...] | None:
        """Every drill in the log (none when there is no log yet); None: drills not tracked.

        Raises:
            BgWizardError: the log cannot be trusted; the drill rules become "not checked".
        """
        ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def read(call: Callable[[], Awaitable[T]]) -> T | Unread:
    """Run one Graph read; a failure other than a refused sign-in becomes ``Unread``.

    Args:
        call: makes the awaitable (called once).

    Returns:
        The value, or ``Unread`` with the error's sentence.

    Raises:
        AuthError: the sign-in itself was refused; no check can run.
    """
    try:
        return await call()
    except AuthError:
        raise
    except LicenceMissing as exc:
        return Unread(str(exc), licence=exc.licence, code=exc.code or "")
    except GraphError as exc:
        return Unread(str(exc), code=exc.code or "")
    except BgWizardError as exc:
        return Unread(str(exc))


class AuditService:
    """Runs the audit of the profile's accounts against the tenant."""

    def __init__(
        self,
        gateway: AuditGateway,
        profile: Profile,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        drills: DrillSource | None = None,
        batch: bool = True,
    ) -> None:
        """Remember what to audit; nothing is read yet.

        Args:
            gateway: Graph (``GraphDirectory``) or a fake with the same reads.
            profile: names the accounts (never guessed from the tenant).
            clock: the current time (tests freeze it).
            drills: the drill log; None until the drill feature provides one.
            batch: read through the gateway's ``audit_reads`` (one ``$batch``) when it has
                one; False makes every read a single call.
        """
        self._gateway = gateway
        self._profile = profile
        self._clock = clock
        self._drills = drills
        self._batch = batch
        self._failed: list[FailedRead] = []
        """Every Graph read of the last snapshot that failed (listed under not_checked)."""

    async def run(self) -> AuditReport:
        """Read the tenant and apply every rule.

        Returns:
            The report.

        Raises:
            AuthError: the sign-in was refused, so nothing could be read.
        """
        report = run_audit(await self.snapshot())
        return with_failed_reads(report, self._failed)

    async def snapshot(self) -> AuditSnapshot:
        """Read everything the rules need, concurrently (batched when the gateway can).

        Returns:
            The snapshot (failed reads as ``Unread``).

        Raises:
            AuthError: the sign-in was refused.
        """
        self._failed = []
        tenant, (policies, accounts), admins, defaults, unit = await asyncio.gather(
            self._read("the tenant's organization (/organization)", self._gateway.tenant_info),
            self._reads(),
            self._read(
                "the tenant's Global Administrators (roleAssignments)",
                lambda: self._gateway.list_role_assignments(
                    role_definition_id=GLOBAL_ADMIN_ROLE_ID
                ),
            ),
            self._read(
                "the security defaults setting (identitySecurityDefaultsEnforcementPolicy)",
                self._gateway.security_defaults_enabled,
            ),
            self._unit(),
        )
        info = tenant if isinstance(tenant, TenantInfo) else None
        snaps = tuple(accounts)
        return AuditSnapshot(
            now=self._clock(),
            accounts=snaps,
            policies=_tuple(policies),
            initial_domain=info.initial_domain if info else self._profile.initial_domain,
            tenant_id=info.tenant_id if info else self._profile.tenant_id,
            tenant_name=info.display_name if info else self._profile.tenant_name,
            drills=self._drill_records(),
            last_drill=self._profile.last_drill,
            group_names=_group_names(snaps),
            global_admins=_tuple(admins),
            security_defaults=defaults,
            unit=unit,
        )

    async def _unit(self) -> ProtectedUnit | Unread | None:
        """The restricted management unit the profile names for its exclusion group."""
        unit_id = self._profile.exclusion_rmau_id
        if not unit_id:
            return None
        gateway = self._gateway

        async def both() -> ProtectedUnit:
            unit, members = await asyncio.gather(
                gateway.get_admin_unit(unit_id), gateway.admin_unit_members(unit_id)
            )
            return ProtectedUnit(unit.id, unit.display_name, unit.restricted, frozenset(members))

        return await self._read(f"the administrative unit {unit_id} and its members", both)

    def _drill_records(self) -> tuple[DrillRecord, ...] | Unread | None:
        """The drills in the signed log; why not, when the log cannot be trusted."""
        if self._drills is None:
            return None
        try:
            return self._drills.drill_records()
        except BgWizardError as exc:
            return Unread(str(exc))

    async def _reads(
        self,
    ) -> tuple[list[CaPolicy] | Unread, list[AccountSnapshot]]:
        """The policies and the accounts, through one batch when the gateway offers it."""
        gateway = self._gateway
        batched = getattr(gateway, "audit_reads", None) if self._batch else None
        if batched is not None:
            oids = [a.object_id for a in self._profile.accounts if a.object_id]
            gateway = await batched(oids)
        policies, accounts = await asyncio.gather(
            self._read("the Conditional Access policies", gateway.list_ca_policies),
            asyncio.gather(*(self._account(gateway, a) for a in self._profile.accounts)),
        )
        return policies, list(accounts)

    async def _account(self, g: AuditGateway, account: BreakGlassAccount) -> AccountSnapshot:
        oid = account.object_id
        if not oid:
            return AccountSnapshot(account=account, user=None)

        def one(what: str, call: Callable[[], Awaitable[T]]) -> Awaitable[T | Unread]:
            return self._read(what, call, account)

        user_read, groups, assignments, eligibilities, schedules, methods = await asyncio.gather(
            self._user(g, oid),
            one("group memberships (transitiveMemberOf)", lambda: g.transitive_member_of(oid)),
            one("role assignments", lambda: g.list_role_assignments(principal_id=oid)),
            one(
                "role eligibility schedules (roleEligibilitySchedules)",
                lambda: g.list_role_eligibility_schedules(principal_id=oid),
            ),
            one(
                "role assignment schedules (roleAssignmentSchedules)",
                lambda: g.list_role_assignment_schedules(principal_id=oid),
            ),
            one("authentication methods", lambda: g.list_auth_methods(oid)),
        )
        user, last_success = user_read
        if user is None:  # the account does not exist (account.exists says so): nothing to read
            self._failed = [f for f in self._failed if f.account is not account]
        for what, value in (("the user", user), ("the last sign-in", last_success)):
            if isinstance(value, Unread) and not value.licence:
                self._failed.append(FailedRead(what, account, value.reason))
        return AccountSnapshot(
            account=account,
            user=user,
            last_success=last_success,
            groups=_tuple(groups),
            assignments=_tuple(assignments),
            eligibilities=_tuple(eligibilities),
            schedules=_tuple(schedules),
            methods=_tuple(methods),
        )

    async def _admins(self) -> list[RoleAssignment]:
        """Every Global Administrator assignment in the tenant (for the 2-8 count rule)."""
        return await self._gateway.list_role_assignments(role_definition_id=GLOBAL_ADMIN_ROLE_ID)

    async def _read(
        self,
        what: str,
        call: Callable[[], Awaitable[T]],
        account: BreakGlassAccount | None = None,
    ) -> T | Unread:
        """``read``, remembering a failure for the report's not_checked list (a read the
        tenant's licence rules out is graded "not applicable" by the rules instead)."""
        value = await read(call)
        if isinstance(value, Unread) and not value.licence:
            self._failed.append(FailedRead(what, account, value.reason))
        return value

    async def _user(
        self, g: AuditGateway, oid: str
    ) -> tuple[DirectoryUser | Unread | None, dt.datetime | Unread | None]:
        """The user and its last successful sign-in, each possibly unread."""
        try:
            user = await g.get_user(oid, sign_in_activity=True)
        except NotFound:
            return None, None
        except (PermissionMissing, LicenceMissing) as exc:
            # signInActivity needs AuditLog.Read.All and Entra ID P1; the rest of the user may
            # still be readable.
            plain = await self._plain_user(g, oid)
            licence = exc.licence if isinstance(exc, LicenceMissing) else ""
            return plain, Unread(str(exc), licence=licence)
        except AuthError:
            raise
        except BgWizardError as exc:
            return Unread(str(exc)), Unread(str(exc))
        return user, user.last_successful_sign_in

    async def _plain_user(self, g: AuditGateway, oid: str) -> DirectoryUser | Unread | None:
        try:
            return await g.get_user(oid, sign_in_activity=False)
        except NotFound:
            return None
        except AuthError:
            raise
        except BgWizardError as exc:
            return Unread(str(exc))


@dataclass(frozen=True)
class FailedRead:
    """One Graph read the audit could not make."""

    what: str
    """What was to be read, for people (``role eligibility schedules (...)``)."""
    account: BreakGlassAccount | None
    """The account it was read for; None for tenant-wide reads."""
    reason: str
    """The error's one sentence."""


def with_failed_reads(report: AuditReport, failed: Sequence[FailedRead]) -> AuditReport:
    """``report`` with one ``graph.read`` not_checked finding per failed read.

    A failed read is listed even when no rule's verdict needed it (``/organization``,
    ``roleEligibilitySchedules``, ``transitiveMemberOf``), so a reader of the report knows
    everything that was not seen, and the result is never ``pass``.

    Args:
        report: what the rules found.
        failed: the reads that failed.

    Returns:
        The report with the extra findings (the same report when nothing failed).
    """
    if not failed:
        return report
    extra = [
        Finding(
            rule="graph.read",
            severity="not_checked",
            message=f"Could not read {f.what}: {f.reason.rstrip('.')}.",
            account=f.account.object_id if f.account else None,
            upn=f.account.upn if f.account else "",
        )
        for f in sorted(failed, key=lambda f: f.what)
    ]
    return dataclasses.replace(report, findings=sort_findings([*report.findings, *extra]))


def _tuple(value: list[T] | Unread) -> tuple[T, ...] | Unread:
    return value if isinstance(value, Unread) else tuple(value)


def _group_names(accounts: tuple[AccountSnapshot, ...]) -> dict[str, str]:
    names: dict[str, str] = {}
    for snap in accounts:
        if not isinstance(snap.groups, Unread):
            names.update((g.id, g.display_name) for g in snap.groups if g.display_name)
    return names
