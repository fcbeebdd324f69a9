"""Microsoft Graph as bgwizard needs it, over msgraph-sdk's ``GraphServiceClient``.

``GraphDirectory`` makes the user and tenant calls itself and holds the other roles, each
over the same ``GraphConnection``: ``policies`` (roles, Conditional Access, memberships,
methods, logs) and ``batch`` (the audit's ``$batch``). It passes on, one line each, the calls
of the ports it serves (``DirectoryGateway``, ``SetupDirectory``, ``AuditGateway``, the drill's
gateway), so each service takes one object. It returns domain dataclasses
(``bgwizard.graph.model``) and raises only bgwizard's errors. msgraph is imported on the first
call (or by ``warm_up``), never at import time.

Passwords arrive as ``Secret`` and are revealed only into the request body; the error
for a failed request that carried one has no link to the SDK's exception or its frames.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, TenantInfo
from bgwizard.errors import AuthError, BgWizardError, GraphError, PermissionMissing
from bgwizard.graph import convert
from bgwizard.graph.batch import AuditBatch
from bgwizard.graph.batch_reads import AuditReads
from bgwizard.graph.client import DEFAULT_RETRY, RetryPolicy
from bgwizard.graph.connection import DEFAULT_LIMIT, GraphConnection, odata_quote, request_config
from bgwizard.graph.convert import USER_FIELDS
from bgwizard.graph.groups import DirectoryGroups
from bgwizard.graph.model import (
    NEVER_EXPIRE_POLICY,
    AdminUnit,
    AuditRecord,
    AuthMethod,
    CaPolicy,
    CreateOutcome,
    DirectoryGroup,
    DirectoryUser,
    DomainInfo,
    GroupRef,
    RoleAssignment,
    RoleSchedule,
    SignInRecord,
)
from bgwizard.graph.policies import DirectoryPolicies
from bgwizard.profile.model import Profile
from bgwizard.secret import Secret


def mail_nickname(upn: str) -> str:
    """A ``mailNickname`` from a UPN's local part (letters, digits, ``.-_`` only).

    Args:
        upn: the user principal name.

    Returns:
        The nickname (``user`` if nothing usable is left).
    """
    local = upn.split("@", 1)[0]
    return re.sub(r"[^A-Za-z0-9._-]", "", local) or "user"


def _password_profile(password: Secret, force_change: bool) -> Any:
    from msgraph.generated.models.password_profile import PasswordProfile

    return PasswordProfile(
        password=password.reveal(), force_change_password_next_sign_in=force_change
    )


def _new_user(upn: str, display_name: str, password: Secret, never_expire: bool) -> Any:
    from msgraph.generated.models.user import User

    return User(
        account_enabled=True,
        user_principal_name=upn,
        display_name=display_name,
        mail_nickname=mail_nickname(upn),
        password_profile=_password_profile(password, force_change=False),
        password_policies=NEVER_EXPIRE_POLICY if never_expire else None,
    )


class GraphDirectory:
    """Microsoft Graph for one profile and one signed-in identity: users, tenant, and the rest."""

    def __init__(
        self, profile: Profile, credential: Any, *, retry: RetryPolicy = DEFAULT_RETRY
    ) -> None:
        """Remember how to reach Graph; nothing is imported or contacted yet.

        Args:
            profile: the ``Profile`` (Graph base URL, CA bundle).
            credential: an async azure-core ``TokenCredential``, e.g.
                ``MsalAuthenticator.credential()``.
            retry: kiota's retry handler settings and the timeout (tests shorten them).
        """
        self.connection: Final = GraphConnection(profile, credential, retry=retry)
        """The client, shared by every role (``PasskeyGraph`` takes it too)."""
        self.policies: Final = DirectoryPolicies(self.connection)
        """Roles, PIM, Conditional Access, memberships, methods and logs."""
        self.batch: Final = AuditBatch(self.connection)
        """The audit's reads in one ``$batch``."""
        self.groups: Final = DirectoryGroups(self.connection)
        """The protected exclusion group and its administrative unit."""

    # -- tenant ------------------------------------------------------------------------

    async def list_domains(self) -> list[DomainInfo]:
        """The tenant's domains.

        Raises:
            BgWizardError: any failure, translated (403 names ``Domain.Read.All``).
        """
        with self.connection.translate("domains"):
            items = await self.connection.collect(self.connection.client().domains)
        return [convert.domain(i) for i in items]

    async def tenant_info(self) -> TenantInfo:
        """The organisation's id and name, and its initial ``*.onmicrosoft.com`` domain.

        Raises:
            GraphError: the tenant has no initial domain (never the case in Entra ID).
            BgWizardError: any failure, translated.
        """
        with self.connection.translate("organization"):
            orgs = await self.connection.collect(self.connection.client().organization)
        if not orgs:
            raise GraphError("Microsoft Graph returned no organization for this tenant.")
        org = orgs[0]
        initial = next(
            (d.name for d in org.verified_domains or [] if getattr(d, "is_initial", False)), None
        )
        if not initial:
            initial = next((d.id for d in await self.list_domains() if d.is_initial), None)
        if not initial:
            raise GraphError("The tenant has no initial *.onmicrosoft.com domain.")
        return TenantInfo(
            tenant_id=str(org.id), display_name=str(org.display_name or ""), initial_domain=initial
        )

    async def me(self) -> DirectoryUser:
        """The signed-in user.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self.connection.client().me
        with self.connection.translate("me"):
            model = await builder.get(
                request_configuration=_select(builder, USER_FIELDS),
            )
        return convert.user(model)

    # -- users ---------------------------------------------------------------------

    async def find_user_by_upn(self, upn: str) -> DirectoryUser | None:
        """The user with that UPN, or None.

        Raises:
            BgWizardError: any failure, translated.
        """
        builder = self.connection.client().users
        query = f"userPrincipalName eq {odata_quote(upn)}"
        with self.connection.translate("find_user"):
            items = await self.connection.collect(builder, filter=query, select=list(USER_FIELDS))
        return convert.user(items[0]) if items else None

    async def get_user(self, user_id: str, *, sign_in_activity: bool = True) -> DirectoryUser:
        """A user by object id or UPN, with ``signInActivity`` unless told otherwise.

        Raises:
            NotFound: no such user.
            PermissionMissing: reading sign-in activity needs ``AuditLog.Read.All``.
            BgWizardError: any other failure, translated.
        """
        fields = (*USER_FIELDS, "signInActivity") if sign_in_activity else USER_FIELDS
        builder = self.connection.client().users.by_user_id(user_id)
        with self.connection.translate("get_user_activity" if sign_in_activity else "get_user"):
            model = await builder.get(request_configuration=_select(builder, fields))
        return convert.user(model)

    async def create_user(
        self, upn: str, display_name: str, password: Secret, *, never_expire: bool = True
    ) -> CreateOutcome:
        """Create a cloud-only, enabled user, unless the UPN exists already.

        The UPN is looked up first, and again after a failure: kiota retries a POST on
        429/503, and an answer lost on the way back may hide a user that was created.

        Args:
            upn: the user principal name.
            display_name: the display name.
            password: the password, revealed only into the request body.
            never_expire: set ``passwordPolicies`` to ``DisablePasswordExpiration``.

        Returns:
            The user, and whether this call created it.

        Raises:
            BgWizardError: any failure, translated.
        """
        existing = await self.find_user_by_upn(upn)
        if existing is not None:
            return CreateOutcome(existing, created=False)
        users = self.connection.client().users
        try:
            model = await self.connection.sensitive(
                "create_user",
                lambda: users.post(_new_user(upn, display_name, password, never_expire)),
            )
        except (PermissionMissing, AuthError):
            raise
        except BgWizardError:
            found = await self.find_user_by_upn(upn)
            if found is None:
                raise
            return CreateOutcome(found, created=True)
        return CreateOutcome(convert.user(model), created=True)

    async def update_user(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        account_enabled: bool | None = None,
        password_policies: str | None = None,
    ) -> None:
        """Change some of a user's properties (those given; the rest stay as they are).

        Raises:
            BgWizardError: any failure, translated.
        """
        from msgraph.generated.models.user import User

        body = User(
            display_name=display_name,
            account_enabled=account_enabled,
            password_policies=password_policies,
        )
        builder = self.connection.client().users.by_user_id(user_id)
        with self.connection.translate("update_user"):
            await builder.patch(body)

    async def reset_password(
        self, user_id: str, password: Secret, *, force_change: bool = False
    ) -> None:
        """Set a new password through ``passwordProfile`` (rotation).

        Args:
            user_id: the user's object id.
            password: the new password, revealed only into the request body.
            force_change: make the user change it at the next sign-in (never for break glass).

        Raises:
            BgWizardError: any failure, translated.
        """
        from msgraph.generated.models.user import User

        builder = self.connection.client().users.by_user_id(user_id)
        await self.connection.sensitive(
            "reset_password",
            lambda: builder.patch(User(password_profile=_password_profile(password, force_change))),
        )

    # -- passed on to the connection and the other roles (the ports' calls) --------------

    async def warm_up(self) -> None:
        """``GraphConnection.warm_up``: import msgraph and parse sample models, in a thread."""
        await self.connection.warm_up()

    async def close(self) -> None:
        """``GraphConnection.close``: close the HTTP connections."""
        await self.connection.close()

    async def audit_reads(self, user_ids: Sequence[str]) -> AuditReads:
        """``AuditBatch.audit_reads``; reads the batch does not make come back here."""
        return await self.batch.audit_reads(user_ids, fallback=self)

    async def list_role_assignments(
        self, principal_id: str | None = None, role_definition_id: str | None = None
    ) -> list[RoleAssignment]:
        """``DirectoryPolicies.list_role_assignments``."""
        return await self.policies.list_role_assignments(principal_id, role_definition_id)

    async def assign_role(
        self,
        principal_id: str,
        role_definition_id: str = GLOBAL_ADMIN_ROLE_ID,
        directory_scope_id: str = "/",
    ) -> RoleAssignment:
        """``DirectoryPolicies.assign_role``."""
        return await self.policies.assign_role(principal_id, role_definition_id, directory_scope_id)

    async def assign_role_through_pim(
        self,
        principal_id: str,
        role_definition_id: str = GLOBAL_ADMIN_ROLE_ID,
        directory_scope_id: str = "/",
    ) -> RoleAssignment | None:
        """``DirectoryPolicies.assign_role_through_pim``."""
        return await self.policies.assign_role_through_pim(
            principal_id, role_definition_id, directory_scope_id
        )

    async def remove_role_assignment(self, assignment_id: str) -> None:
        """``DirectoryPolicies.remove_role_assignment``."""
        await self.policies.remove_role_assignment(assignment_id)

    async def list_role_eligibility_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """``DirectoryPolicies.list_role_eligibility_schedules``."""
        return await self.policies.list_role_eligibility_schedules(principal_id)

    async def list_role_assignment_schedules(
        self, principal_id: str | None = None
    ) -> list[RoleSchedule]:
        """``DirectoryPolicies.list_role_assignment_schedules``."""
        return await self.policies.list_role_assignment_schedules(principal_id)

    async def list_ca_policies(self) -> list[CaPolicy]:
        """``DirectoryPolicies.list_ca_policies``."""
        return await self.policies.list_ca_policies()

    async def get_ca_policy(self, policy_id: str) -> CaPolicy:
        """``DirectoryPolicies.get_ca_policy``."""
        return await self.policies.get_ca_policy(policy_id)

    async def patch_ca_policy(self, policy_id: str, patch: Mapping[str, Any]) -> CaPolicy:
        """``DirectoryPolicies.patch_ca_policy``."""
        return await self.policies.patch_ca_policy(policy_id, patch)

    async def create_ca_policy(self, body: Mapping[str, Any]) -> CaPolicy:
        """``DirectoryPolicies.create_ca_policy``."""
        return await self.policies.create_ca_policy(body)

    async def security_defaults_enabled(self) -> bool:
        """``DirectoryPolicies.security_defaults_enabled``."""
        return await self.policies.security_defaults_enabled()

    async def transitive_member_of(self, user_id: str) -> list[GroupRef]:
        """``DirectoryPolicies.transitive_member_of``."""
        return await self.policies.transitive_member_of(user_id)

    async def find_group(self, name: str) -> list[DirectoryGroup]:
        """``DirectoryGroups.find_group``."""
        return await self.groups.find_group(name)

    async def get_group(self, group_id: str) -> DirectoryGroup:
        """``DirectoryGroups.get_group``."""
        return await self.groups.get_group(group_id)

    async def create_role_assignable_group(self, name: str, description: str) -> DirectoryGroup:
        """``DirectoryGroups.create_role_assignable_group``."""
        return await self.groups.create_role_assignable_group(name, description)

    async def group_members(self, group_id: str) -> list[str]:
        """``DirectoryGroups.group_members``."""
        return await self.groups.group_members(group_id)

    async def add_group_member(self, group_id: str, object_id: str) -> None:
        """``DirectoryGroups.add_group_member``."""
        await self.groups.add_group_member(group_id, object_id)

    async def find_admin_unit(self, name: str) -> list[AdminUnit]:
        """``DirectoryGroups.find_admin_unit``."""
        return await self.groups.find_admin_unit(name)

    async def get_admin_unit(self, unit_id: str) -> AdminUnit:
        """``DirectoryGroups.get_admin_unit``."""
        return await self.groups.get_admin_unit(unit_id)

    async def create_admin_unit(self, name: str, description: str) -> AdminUnit:
        """``DirectoryGroups.create_admin_unit``."""
        return await self.groups.create_admin_unit(name, description)

    async def admin_unit_members(self, unit_id: str) -> list[str]:
        """``DirectoryGroups.admin_unit_members``."""
        return await self.groups.admin_unit_members(unit_id)

    async def add_admin_unit_member(self, unit_id: str, object_id: str) -> None:
        """``DirectoryGroups.add_admin_unit_member``."""
        await self.groups.add_admin_unit_member(unit_id, object_id)

    async def list_auth_methods(self, user_id: str) -> list[AuthMethod]:
        """``DirectoryPolicies.list_auth_methods``."""
        return await self.policies.list_auth_methods(user_id)

    async def list_sign_ins(
        self, user_id: str, since: dt.datetime, *, limit: int = DEFAULT_LIMIT
    ) -> list[SignInRecord]:
        """``DirectoryPolicies.list_sign_ins``."""
        return await self.policies.list_sign_ins(user_id, since, limit=limit)

    async def list_directory_audits(
        self, since: dt.datetime, target_id: str | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> list[AuditRecord]:
        """``DirectoryPolicies.list_directory_audits``."""
        return await self.policies.list_directory_audits(since, target_id, limit=limit)


def _select(builder: Any, fields: tuple[str, ...]) -> Any:
    return request_config(builder, select=list(fields))
