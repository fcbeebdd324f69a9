"""The Graph reads the audit makes, as one Protocol.

``GraphDirectory`` serves them one call at a time, ``AuditReads`` from one ``$batch``; the audit
and the drill (``bgwizard.audit.service``, ``bgwizard.drill.service``) read through it. It lives
beside its implementations so that ``graph`` never imports ``audit``: imports run audit -> graph.
"""

from __future__ import annotations

from typing import Protocol

from bgwizard.auth.identity import TenantInfo
from bgwizard.graph.model import (
    AdminUnit,
    AuthMethod,
    CaPolicy,
    DirectoryUser,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
)


class AuditGateway(Protocol):
    """The Graph reads the audit makes (``GraphDirectory`` has them all)."""

    async def tenant_info(self) -> TenantInfo:
        """The tenant's id, name and initial domain."""
        ...

    async def get_user(self, user_id: str, *, sign_in_activity: bool = True) -> DirectoryUser:
        """A user by object id (``NotFound`` when there is none)."""
        ...

    async def list_ca_policies(self) -> list[CaPolicy]:
        """Every Conditional Access policy."""
        ...

    async def security_defaults_enabled(self) -> bool:
        """Whether the tenant's security defaults are on."""
        ...

    async def get_admin_unit(self, unit_id: str) -> AdminUnit:
        """An administrative unit (``NotFound`` when there is none)."""
        ...

    async def admin_unit_members(self, unit_id: str) -> list[str]:
        """Object ids of an administrative unit's members."""
        ...

    async def transitive_member_of(self, user_id: str) -> list[GroupRef]:
        """Groups and roles the user belongs to, nesting resolved."""
        ...

    async def list_role_assignments(
        self, principal_id: str | None = None, role_definition_id: str | None = None
    ) -> list[RoleAssignment]:
        """Active role assignments."""
        ...

    async def list_role_eligibility_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """PIM eligibility schedules."""
        ...

    async def list_role_assignment_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """PIM active assignment schedules."""
        ...

    async def list_auth_methods(self, user_id: str) -> list[AuthMethod]:
        """Registered authentication methods."""
        ...
