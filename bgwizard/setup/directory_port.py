"""The Graph calls the set-up wizard and rotation make, as a Protocol.

``GraphDirectory`` (``bgwizard.graph.directory``) implements it; naming the subset keeps the
wizard's services honest about what they touch and lets mypy check the screens' wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bgwizard.auth.identity import TenantInfo
from bgwizard.graph.model import (
    AdminUnit,
    AuthMethod,
    CaPolicy,
    CreateOutcome,
    DirectoryGroup,
    DirectoryUser,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
)
from bgwizard.secret import Secret


class SetupDirectory(Protocol):
    """What the wizard needs from Microsoft Graph."""

    async def tenant_info(self) -> TenantInfo:
        """The tenant and its initial domain."""
        ...

    async def find_user_by_upn(self, upn: str) -> DirectoryUser | None:
        """The user with that UPN, or None."""
        ...

    async def get_user(self, user_id: str, *, sign_in_activity: bool = True) -> DirectoryUser:
        """A user by id."""
        ...

    async def create_user(
        self, upn: str, display_name: str, password: Secret, *, never_expire: bool = True
    ) -> CreateOutcome:
        """Create a user unless the UPN exists."""
        ...

    async def update_user(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        account_enabled: bool | None = None,
        password_policies: str | None = None,
    ) -> None:
        """Change some of a user's properties."""
        ...

    async def reset_password(
        self, user_id: str, password: Secret, *, force_change: bool = False
    ) -> None:
        """Set a new password."""
        ...

    async def list_role_assignments(
        self, principal_id: str | None = None, role_definition_id: str | None = None
    ) -> list[RoleAssignment]:
        """Active role assignments."""
        ...

    async def assign_role(
        self, principal_id: str, role_definition_id: str = ..., directory_scope_id: str = "/"
    ) -> RoleAssignment:
        """Assign a role unless assigned."""
        ...

    async def assign_role_through_pim(
        self, principal_id: str, role_definition_id: str = ..., directory_scope_id: str = "/"
    ) -> RoleAssignment | None:
        """Assign a role permanently through PIM; None when the tenant has no PIM (no P2)."""
        ...

    async def remove_role_assignment(self, assignment_id: str) -> None:
        """Delete an active role assignment."""
        ...

    async def list_role_eligibility_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """PIM eligibilities."""
        ...

    async def list_role_assignment_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """PIM active schedules."""
        ...

    async def list_ca_policies(self) -> list[CaPolicy]:
        """Every Conditional Access policy."""
        ...

    async def get_ca_policy(self, policy_id: str) -> CaPolicy:
        """One policy, read fresh."""
        ...

    async def patch_ca_policy(self, policy_id: str, patch: Mapping[str, Any]) -> CaPolicy:
        """PATCH a policy and read it back."""
        ...

    async def create_ca_policy(self, body: Mapping[str, Any]) -> CaPolicy:
        """Create a Conditional Access policy (plain JSON body)."""
        ...

    async def security_defaults_enabled(self) -> bool:
        """Whether the tenant's security defaults are on."""
        ...

    async def transitive_member_of(self, user_id: str) -> list[GroupRef]:
        """The user's groups, nesting resolved."""
        ...

    async def list_auth_methods(self, user_id: str) -> list[AuthMethod]:
        """The user's registered authentication methods."""
        ...

    async def find_group(self, name: str) -> list[DirectoryGroup]:
        """Every group with that display name."""
        ...

    async def get_group(self, group_id: str) -> DirectoryGroup:
        """A group by id (``NotFound`` when gone)."""
        ...

    async def create_role_assignable_group(self, name: str, description: str) -> DirectoryGroup:
        """Create a role-assignable security group."""
        ...

    async def group_members(self, group_id: str) -> list[str]:
        """Object ids of the group's direct members."""
        ...

    async def add_group_member(self, group_id: str, object_id: str) -> None:
        """Add a member to a group."""
        ...

    async def find_admin_unit(self, name: str) -> list[AdminUnit]:
        """Every administrative unit with that display name."""
        ...

    async def get_admin_unit(self, unit_id: str) -> AdminUnit:
        """An administrative unit by id (``NotFound`` when gone)."""
        ...

    async def create_admin_unit(self, name: str, description: str) -> AdminUnit:
        """Create a restricted management administrative unit."""
        ...

    async def admin_unit_members(self, unit_id: str) -> list[str]:
        """Object ids of the unit's members."""
        ...

    async def add_admin_unit_member(self, unit_id: str, object_id: str) -> None:
        """Add a user or security group to a unit."""
        ...
