"""What ``AuditBatch.audit_reads`` found, served through the audit's gateway methods.

``AuditReads`` answers the same calls as ``GraphDirectory`` (``AuditService`` reads through
it unchanged): a read the batch made returns its value or raises its error, exactly as the
single call would have; any other read (the user without ``signInActivity`` after a 403,
the organisation) is passed on to the directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bgwizard.auth.identity import TenantInfo
from bgwizard.errors import BgWizardError
from bgwizard.graph.gateway import AuditGateway
from bgwizard.graph.model import (
    AdminUnit,
    AuthMethod,
    CaPolicy,
    DirectoryUser,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
)

T = TypeVar("T")


def _given(value: T | BgWizardError) -> T:
    if isinstance(value, BgWizardError):
        raise value
    return value


@dataclass(frozen=True)
class AuditReads:
    """The batched reads, and the directory for everything else."""

    fallback: AuditGateway
    """Answers any read the batch did not make."""
    policies: list[CaPolicy] | BgWizardError
    found: Mapping[str, Mapping[str, Any]]
    """Kind (``user``, ``groups``...) → user id → value or the error a single call raises."""

    def _take(self, kind: str, user_id: str) -> Any:
        return _given(self.found[kind][user_id])

    def _has(self, kind: str, user_id: str | None) -> bool:
        return user_id is not None and user_id in self.found.get(kind, {})

    async def tenant_info(self) -> TenantInfo:
        """The tenant, read by the directory (not part of the batch)."""
        return await self.fallback.tenant_info()

    async def list_ca_policies(self) -> list[CaPolicy]:
        """Every Conditional Access policy (read with ``$top`` beside the batch)."""
        return list(_given(self.policies))

    async def security_defaults_enabled(self) -> bool:
        """Security defaults, read by the directory (a tenant-wide read, not in the batch)."""
        return await self.fallback.security_defaults_enabled()

    async def get_admin_unit(self, unit_id: str) -> AdminUnit:
        """An administrative unit, read by the directory (not part of the batch)."""
        return await self.fallback.get_admin_unit(unit_id)

    async def admin_unit_members(self, unit_id: str) -> list[str]:
        """A unit's members, read by the directory (not part of the batch)."""
        return await self.fallback.admin_unit_members(unit_id)

    async def get_user(self, user_id: str, *, sign_in_activity: bool = True) -> DirectoryUser:
        """The user with ``signInActivity`` from the batch; without it, from the directory."""
        if sign_in_activity and self._has("user", user_id):
            found: DirectoryUser = self._take("user", user_id)
            return found
        return await self.fallback.get_user(user_id, sign_in_activity=sign_in_activity)

    async def transitive_member_of(self, user_id: str) -> list[GroupRef]:
        """Groups and roles the user belongs to, nesting resolved."""
        if self._has("groups", user_id):
            return list(self._take("groups", user_id))
        return await self.fallback.transitive_member_of(user_id)

    async def list_role_assignments(
        self, principal_id: str | None = None, role_definition_id: str | None = None
    ) -> list[RoleAssignment]:
        """The principal's active role assignments."""
        if role_definition_id is None and self._has("assignments", principal_id):
            return list(self._take("assignments", str(principal_id)))
        return await self.fallback.list_role_assignments(principal_id, role_definition_id)

    async def list_role_eligibility_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """The principal's PIM eligibility schedules."""
        if self._has("eligibilities", principal_id):
            return list(self._take("eligibilities", str(principal_id)))
        return await self.fallback.list_role_eligibility_schedules(principal_id)

    async def list_role_assignment_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """The principal's PIM active assignment schedules."""
        if self._has("schedules", principal_id):
            return list(self._take("schedules", str(principal_id)))
        return await self.fallback.list_role_assignment_schedules(principal_id)

    async def list_auth_methods(self, user_id: str) -> list[AuthMethod]:
        """The user's registered authentication methods."""
        if self._has("methods", user_id):
            return list(self._take("methods", user_id))
        return await self.fallback.list_auth_methods(user_id)
