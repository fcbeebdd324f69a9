"""Graph reads and writes about roles, Conditional Access, memberships, methods and logs.

One role over the shared ``GraphConnection``; ``GraphDirectory`` (``directory.py``) holds it
and passes its ports' calls on. Conditional Access policies travel as the raw JSON Graph sent,
unparsed by the SDK, so backups and PATCH bodies are exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.errors import AuthError, BgWizardError, GraphError, PermissionMissing
from bgwizard.graph import convert
from bgwizard.graph.connection import DEFAULT_LIMIT, GraphConnection, odata_quote
from bgwizard.graph.model import (
    AuditRecord,
    AuthMethod,
    CaPolicy,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
    SignInRecord,
)

PIM_LICENCE_ERROR: Final = "AadPremiumLicenseRequired"
"""The error code a tenant without Entra ID P2 answers PIM requests with (observed by third
parties; Microsoft documents none, see the ground-truth table)."""


def _and(*clauses: str | None) -> str | None:
    kept = [c for c in clauses if c]
    return " and ".join(kept) if kept else None


def _eq(prop: str, value: str | None) -> str | None:
    return f"{prop} eq {odata_quote(value)}" if value else None


def odata_time(when: dt.datetime) -> str:
    """A datetime as an OData ``DateTimeOffset`` literal in UTC (``2026-01-02T03:04:05Z``).

    Args:
        when: an aware datetime (naive ones are taken as UTC).

    Returns:
        The literal.
    """
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DirectoryPolicies:
    """Roles, PIM schedules, Conditional Access, memberships, methods and logs."""

    def __init__(self, connection: GraphConnection) -> None:
        """Call Graph through ``connection`` (shared with the other roles).

        Args:
            connection: the signed-in identity's Graph connection.
        """
        self._graph = connection

    # -- directory roles -------------------------------------------------------------

    async def list_role_assignments(
        self, principal_id: str | None = None, role_definition_id: str | None = None
    ) -> list[RoleAssignment]:
        """Active role assignments, optionally of one principal and/or one role.

        Raises:
            BgWizardError: any failure, translated (403 names the permission).
        """
        builder = self._graph.client().role_management.directory.role_assignments
        query = _and(_eq("principalId", principal_id), _eq("roleDefinitionId", role_definition_id))
        with self._graph.translate("list_role_assignments"):
            items = await self._graph.collect(builder, filter=query)
        return [convert.role_assignment(i) for i in items]

    async def assign_role(
        self,
        principal_id: str,
        role_definition_id: str = GLOBAL_ADMIN_ROLE_ID,
        directory_scope_id: str = "/",
    ) -> RoleAssignment:
        """Assign a directory role permanently, unless that exact assignment exists already.

        Checked before and, after a failure, again: a POST retried after a lost answer
        may have been carried out.

        Args:
            principal_id: the user's object id.
            role_definition_id: the role (Global Administrator by default).
            directory_scope_id: ``/`` for the whole tenant.

        Returns:
            The assignment (new or existing).

        Raises:
            BgWizardError: any failure, translated.
        """
        existing = await self._find_assignment(principal_id, role_definition_id, directory_scope_id)
        if existing is not None:
            return existing
        from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment

        builder = self._graph.client().role_management.directory.role_assignments
        try:
            with self._graph.translate("assign_role"):
                created = await builder.post(
                    UnifiedRoleAssignment(
                        principal_id=principal_id,
                        role_definition_id=role_definition_id,
                        directory_scope_id=directory_scope_id,
                    )
                )
        except (PermissionMissing, AuthError):
            raise
        except BgWizardError:
            found = await self._find_assignment(
                principal_id, role_definition_id, directory_scope_id
            )
            if found is None:
                raise
            return found
        return convert.role_assignment(created)

    async def assign_role_through_pim(
        self,
        principal_id: str,
        role_definition_id: str = GLOBAL_ADMIN_ROLE_ID,
        directory_scope_id: str = "/",
        justification: str = "Break glass account: permanent active assignment (bgwizard).",
    ) -> RoleAssignment | None:
        """Assign a role permanently and actively through PIM (``adminAssign``, no expiry).

        Checked before and, after a failure, again, as ``assign_role``. A tenant without
        Entra ID P2 answers 400 ``AadPremiumLicenseRequired`` (observed; Microsoft documents
        no code): then nothing was assigned and None is returned, so the caller can fall back
        to a direct assignment and say so.

        Args:
            principal_id: the user's object id.
            role_definition_id: the role (Global Administrator by default).
            directory_scope_id: ``/`` for the whole tenant.
            justification: the reason PIM records with the request.

        Returns:
            The assignment (new or existing), or None when the tenant has no PIM.

        Raises:
            BgWizardError: any other failure, translated.
        """
        existing = await self._find_assignment(principal_id, role_definition_id, directory_scope_id)
        if existing is not None:
            return existing
        from msgraph.generated.models.expiration_pattern import ExpirationPattern
        from msgraph.generated.models.expiration_pattern_type import ExpirationPatternType
        from msgraph.generated.models.request_schedule import RequestSchedule
        from msgraph.generated.models.unified_role_assignment_schedule_request import (
            UnifiedRoleAssignmentScheduleRequest,
        )
        from msgraph.generated.models.unified_role_schedule_request_actions import (
            UnifiedRoleScheduleRequestActions,
        )

        request = UnifiedRoleAssignmentScheduleRequest(
            action=UnifiedRoleScheduleRequestActions.AdminAssign,
            principal_id=principal_id,
            role_definition_id=role_definition_id,
            directory_scope_id=directory_scope_id,
            justification=justification,
            schedule_info=RequestSchedule(
                start_date_time=dt.datetime.now(dt.UTC),
                expiration=ExpirationPattern(type=ExpirationPatternType.NoExpiration),
            ),
        )
        builder = self._graph.client().role_management.directory.role_assignment_schedule_requests
        try:
            with self._graph.translate("pim_assign"):
                await builder.post(request)
        except (PermissionMissing, AuthError):
            raise
        except BgWizardError as exc:
            if isinstance(exc, GraphError) and exc.code == PIM_LICENCE_ERROR:
                return None
            found = await self._find_assignment(
                principal_id, role_definition_id, directory_scope_id
            )
            if found is None:
                raise
            return found
        found = await self._find_assignment(principal_id, role_definition_id, directory_scope_id)
        if found is None:
            raise GraphError("PIM accepted the role request, but no assignment shows on re-read.")
        return found

    async def remove_role_assignment(self, assignment_id: str) -> None:
        """Delete an active role assignment (e.g. a time-bound one about to be made permanent).

        Raises:
            NotFound: no assignment has that id.
            BgWizardError: any other failure, translated.
        """
        builder = self._graph.client().role_management.directory.role_assignments
        with self._graph.translate("assign_role"):
            await builder.by_unified_role_assignment_id(assignment_id).delete()

    async def _find_assignment(
        self, principal_id: str, role_definition_id: str, scope: str
    ) -> RoleAssignment | None:
        for item in await self.list_role_assignments(principal_id, role_definition_id):
            if item.directory_scope_id == scope:
                return item
        return None

    async def list_role_eligibility_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """PIM eligibility schedules (``kind="eligible"``), optionally of one principal.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().role_management.directory.role_eligibility_schedules
        with self._graph.translate("role_eligibility"):
            items = await self._graph.collect(builder, filter=_eq("principalId", principal_id))
        return [convert.role_schedule(i, "eligible") for i in items]

    async def list_role_assignment_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """PIM active assignment schedules (``kind="active"``), optionally of one principal.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().role_management.directory.role_assignment_schedules
        with self._graph.translate("role_assignment_schedules"):
            items = await self._graph.collect(builder, filter=_eq("principalId", principal_id))
        return [convert.role_schedule(i, "active") for i in items]

    # -- Conditional Access ------------------------------------------------------------

    async def list_ca_policies(self) -> list[CaPolicy]:
        """Every Conditional Access policy (all pages), with Graph's raw JSON kept.

        Raises:
            BgWizardError: any failure, translated (403 names ``Policy.Read.All``).
        """
        builder = self._graph.client().identity.conditional_access.policies
        with self._graph.translate("list_ca_policies"):
            raw = await self._graph.raw_collect(builder)
        return [CaPolicy.from_graph(item) for item in raw]

    async def get_ca_policy(self, policy_id: str) -> CaPolicy:
        """One Conditional Access policy, read fresh.

        Raises:
            NotFound: no policy has that id.
            BgWizardError: any other failure, translated.
        """
        builder = self._graph.client().identity.conditional_access.policies
        with self._graph.translate("list_ca_policies"):
            raw = await self._graph.raw_get(builder.by_conditional_access_policy_id(policy_id))
        return CaPolicy.from_graph(raw)

    async def patch_ca_policy(self, policy_id: str, patch: Mapping[str, Any]) -> CaPolicy:
        """PATCH a Conditional Access policy with plain JSON, then read it back.

        Back the policy up (``CaPolicy.raw``) before calling this.

        Args:
            policy_id: the policy's id.
            patch: the JSON body, e.g. ``{"conditions": {"users": {...}}}``.

        Returns:
            The policy as Graph has it after the change.

        Raises:
            PermissionMissing: ``Policy.ReadWrite.ConditionalAccess`` is missing.
            BgWizardError: any other failure, translated.
        """
        builder = self._graph.client().identity.conditional_access.policies
        with self._graph.translate("patch_ca_policy"):
            await self._graph.raw_patch(builder.by_conditional_access_policy_id(policy_id), patch)
        return await self.get_ca_policy(policy_id)

    async def create_ca_policy(self, body: Mapping[str, Any]) -> CaPolicy:
        """POST a new Conditional Access policy (plain JSON) and return it as Graph made it.

        Not idempotent by itself: the caller looks for the policy (id, then display name)
        first, and again after a failure.

        Raises:
            PermissionMissing: ``Policy.ReadWrite.ConditionalAccess`` is missing.
            BgWizardError: any other failure, translated (a refused body names Graph's reason).
        """
        builder = self._graph.client().identity.conditional_access.policies
        with self._graph.translate("create_ca_policy"):
            raw = await self._graph.raw_post(builder, body)
        return CaPolicy.from_graph(raw)

    async def security_defaults_enabled(self) -> bool:
        """Whether the tenant's security defaults are on
        (``identitySecurityDefaultsEnforcementPolicy.isEnabled``).

        Raises:
            BgWizardError: any failure, translated (403 names ``Policy.Read.All``).
        """
        builder = self._graph.client().policies.identity_security_defaults_enforcement_policy
        with self._graph.translate("security_defaults"):
            raw = await self._graph.raw_get(builder)
        return raw.get("isEnabled") is True

    # -- memberships and methods ----------------------------------------------------------

    async def transitive_member_of(self, user_id: str) -> list[GroupRef]:
        """Groups, directory roles and units the user belongs to, nesting resolved.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().users.by_user_id(user_id).transitive_member_of
        with self._graph.translate("member_of"):
            items = await self._graph.collect(builder)
        return [convert.group_ref(i) for i in items]

    async def list_auth_methods(self, user_id: str) -> list[AuthMethod]:
        """Every registered authentication method (the password is always listed).

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().users.by_user_id(user_id).authentication.methods
        with self._graph.translate("auth_methods"):
            items = await self._graph.collect(builder)
        return [convert.auth_method(i) for i in items]

    async def list_fido2_methods(self, user_id: str) -> list[AuthMethod]:
        """The user's passkeys (FIDO2 security keys).

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self._graph.client().users.by_user_id(user_id).authentication.fido2_methods
        with self._graph.translate("auth_methods"):
            items = await self._graph.collect(builder)
        return [convert.auth_method(i) for i in items]

    # -- logs ------------------------------------------------------------------------

    async def list_sign_ins(
        self, user_id: str, since: dt.datetime, *, limit: int = DEFAULT_LIMIT
    ) -> list[SignInRecord]:
        """The user's sign-ins since ``since``, newest first (Graph's documented order: the
        sign-in log supports only ``$top``, ``$skiptoken`` and ``$filter``, no ``$orderby``).

        Raises:
            BgWizardError: any failure, translated (403 names ``AuditLog.Read.All``; a tenant
                without Entra ID P1 gives ``LicenceMissing``).
        """
        builder = self._graph.client().audit_logs.sign_ins
        query = _and(_eq("userId", user_id), f"createdDateTime ge {odata_time(since)}")
        with self._graph.translate("sign_ins"):
            items = await self._graph.collect(builder, limit=limit, filter=query)
        return [convert.sign_in(i) for i in items]

    async def list_directory_audits(
        self, since: dt.datetime, target_id: str | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> list[AuditRecord]:
        """Directory audit records since ``since``, optionally about one object, newest first.

        The log supports only ``$filter``, ``$top`` and ``$skiptoken`` and its default order is
        not documented, so every record since ``since`` is read and sorted here.

        Raises:
            BgWizardError: any failure, translated (403 names ``AuditLog.Read.All``).
        """
        builder = self._graph.client().audit_logs.directory_audits
        target = f"targetResources/any(t:t/id eq {odata_quote(target_id)})" if target_id else None
        query = _and(f"activityDateTime ge {odata_time(since)}", target)
        with self._graph.translate("directory_audits"):
            items = await self._graph.collect(builder, limit=_AUDIT_READ_LIMIT, filter=query)
        records = [convert.audit(i) for i in items]
        records.sort(key=_audit_time, reverse=True)
        return records[:limit]


_AUDIT_READ_LIMIT: Final = 5000
"""The most audit records read to sort them (the ``since`` filter keeps the set small)."""


def _audit_time(record: AuditRecord) -> dt.datetime:
    return record.when or dt.datetime.min.replace(tzinfo=dt.UTC)
