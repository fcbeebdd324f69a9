"""``SetupService``: every Graph-changing step of the set-up wizard, idempotent and resumable.

Each step reads first, changes only what is missing, reads again to confirm, and then
journals itself in the profile (saved atomically) — so a rerun after a crash, a quit or a
failed call changes nothing twice and skips nothing. Passwords arrive as ``Secret`` from the
sheet step and go to Graph only; nothing here stores one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.drill.checks import amr_of
from bgwizard.errors import BgWizardError, LicenceMissing, SetupError
from bgwizard.graph.model import NEVER_EXPIRE_POLICY, DirectoryUser
from bgwizard.passkeys.service import PasskeyGraph
from bgwizard.profile.model import Profile, ProfileStore
from bgwizard.secret import Secret
from bgwizard.setup.checks import (
    RoleStatus,
    method_warnings,
    missing_for_setup,
    role_status,
    sign_in_problems,
)
from bgwizard.setup.credential_step import CredentialStep
from bgwizard.setup.directory_port import SetupDirectory
from bgwizard.setup.exclusion_step import ExclusionStep
from bgwizard.setup.journal import SetupJournal, StepId, account, set_accounts
from bgwizard.setup.names import (
    NameIssue,
    blocking,
    check_names,
    check_upn,
    display_name,
)
from bgwizard.setup.policy_step import PolicyStep
from bgwizard.setup.results import CreateResult, MethodsReview, RoleResult


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


class SetupService(ExclusionStep, PolicyStep, CredentialStep):
    """The set-up wizard's changes to the tenant and to the profile's journal."""

    def __init__(
        self,
        directory: SetupDirectory,
        profile: Profile,
        profiles: ProfileStore,
        *,
        backup_dir: Path,
        clock: Callable[[], dt.datetime] = utc_now,
        passkeys: PasskeyGraph | None = None,
    ) -> None:
        """Work on ``profile``'s tenant through ``directory``.

        Args:
            directory: Microsoft Graph (``GraphDirectory``), signed in as the administrator.
            profile: the profile; its accounts and journal are changed in place.
            profiles: saves the profile after each step.
            backup_dir: where Conditional Access backups are written (mode 0600).
            clock: the current time.
            passkeys: the passkey calls of the passkey step (``PasskeyGraph``).
        """
        super().__init__(directory, profile, backup_dir=backup_dir, clock=clock)
        self._profiles = profiles
        self._passkeys = passkeys

    @property
    def journal(self) -> SetupJournal:
        """The profile's set-up journal."""
        return SetupJournal(self._profile)

    async def save(self) -> None:
        """Save the profile (in a thread: the write is fsynced)."""
        await asyncio.to_thread(self._profiles.save, self._profile)

    async def record(self, step: StepId, upn: str | None = None) -> None:
        """Journal ``step`` (for ``upn``) and save the profile."""
        self.journal.mark(step, upn)
        await self.save()

    # -- connect and names -------------------------------------------------------------

    async def connect(self, identity: SignedInIdentity) -> list[str]:
        """Check the administrator and learn the tenant (step 1). Changes nothing in Entra.

        Also reads whether security defaults are on (``security_defaults``; None when the
        read failed: the Conditional Access steps then go on as without them).

        Returns:
            What the administrator lacks (empty when the set-up can go on).

        Raises:
            BgWizardError: the tenant could not be read.
        """
        missing = missing_for_setup(identity)
        tenant = await self._directory.tenant_info()
        profile = self._profile
        if profile.tenant_id and profile.tenant_id != tenant.tenant_id:
            raise SetupError(
                f"You signed in to tenant {tenant.tenant_id}, but this profile is for"
                f" {profile.tenant_id}; sign in to the right tenant."
            )
        profile.tenant_id = tenant.tenant_id
        profile.tenant_name = tenant.display_name
        profile.initial_domain = tenant.initial_domain
        try:
            self.security_defaults = await self._directory.security_defaults_enabled()
        except BgWizardError:
            self.security_defaults = None
        if not missing:
            await self.record("connect")
        return missing

    async def check_names(self, upns: Sequence[str]) -> list[NameIssue]:
        """The naming rules, and a lookup of each UPN: one taken by someone else is an error.

        A UPN held by an account this set-up created earlier (same object id in the profile,
        or journaled as created) is not "taken".
        """
        issues = check_names(upns, self._profile.initial_domain)
        for upn in upns:
            if blocking(check_upn(upn, self._profile.initial_domain)):
                continue
            found = await self._directory.find_user_by_upn(upn)
            if found is not None and not self._ours(upn, found):
                issues.append(NameIssue("error", f"{upn} is already taken by another account."))
        return issues

    def _ours(self, upn: str, user: DirectoryUser) -> bool:
        try:
            known = account(self._profile, upn)
        except KeyError:
            return False
        return known.object_id == user.id or self.journal.is_done("create", upn)

    async def choose_names(self, upns: Sequence[str], custodians: Sequence[str] = ()) -> None:
        """Put the chosen accounts in the profile and journal the names step."""
        set_accounts(self._profile, upns, custodians)
        await self.record("names")

    async def forget_unused_sheet(self, upn: str) -> None:
        """Retire the sheet of an account that was never created with it (the password is lost).

        Used when a restarted wizard finds ``sheets`` done but ``create`` not: the password
        only ever lived in the crashed process, so a new sheet must be made.
        """
        item = account(self._profile, upn)
        today = self._clock().date()
        for sheet in item.sheets:
            if sheet.retired is None:
                sheet.retired = today
        self.journal.unmark("sheets", upn)
        await self.save()

    async def lost_passwords(self, in_memory: Sequence[str]) -> list[str]:
        """Accounts whose sheet is journaled but whose password is gone and which do not exist.

        After a restart the passwords of sheets made before it are lost. An account already
        created with one is fine (the password is on paper); one that was not must get a new
        sheet: its old sheet is retired and its ``sheets`` entry taken off the journal.

        Args:
            in_memory: UPNs whose password this session still holds.

        Returns:
            UPNs sent back to the sheet step.
        """
        held = {u.casefold() for u in in_memory}
        journal = self.journal
        lost = []
        for upn in journal.pending_accounts("create"):
            if upn.casefold() in held or not journal.is_done("sheets", upn):
                continue
            if await self._directory.find_user_by_upn(upn) is None:
                await self.forget_unused_sheet(upn)
                lost.append(upn)
        return lost

    # -- create --------------------------------------------------------------------------

    async def create_account(self, upn: str, password: Secret | None) -> CreateResult:
        """Create the account (step 4) unless it exists; re-read it and correct its properties.

        Args:
            upn: the account.
            password: the password from its sheet; None after a restart (then the account
                must exist already, created by the interrupted run).

        Raises:
            SetupError: the account does not exist and its password is gone.
            BgWizardError: a Graph call failed.
        """
        item = account(self._profile, upn)
        created = False
        if password is not None:
            outcome = await self._directory.create_user(upn, display_name(upn), password)
            user, created = outcome.user, outcome.created
        else:
            found = await self._directory.find_user_by_upn(upn)
            if found is None:
                raise SetupError(
                    f"{upn} was not created and its password is no longer in memory;"
                    " make a new sheet for it."
                )
            user = found
        item.object_id = user.id
        item.created = item.created or self._clock().date()
        fixed = await self._correct(user)
        await self.record("create", upn)
        return CreateResult(await self._reread(user.id), created, fixed)

    async def _reread(self, user_id: str) -> DirectoryUser:
        return await self._directory.get_user(user_id, sign_in_activity=False)

    async def _correct(self, user: DirectoryUser) -> tuple[str, ...]:
        fresh = await self._reread(user.id)
        if not fresh.is_cloud_only:
            raise SetupError(
                f"{fresh.upn} is synced from on-premises; a break glass account must be"
                " cloud-only. Choose another name."
            )
        fixed = []
        if fresh.account_enabled is False:
            fixed.append("enabled")
        if not fresh.password_never_expires:
            fixed.append("password never expires")
        if fixed:
            await self._directory.update_user(
                user.id, account_enabled=True, password_policies=NEVER_EXPIRE_POLICY
            )
        return tuple(fixed)

    # -- Global Administrator ----------------------------------------------------------

    async def role_status(self, user_id: str) -> RoleStatus:
        """Read an account's Global Administrator standing (active, schedules, eligibility).

        A tenant without PIM (no Entra ID P2) refuses the schedule reads with its licence
        error: it has no schedules, so none can end or be only eligible.
        """
        assignments = await self._directory.list_role_assignments(user_id, GLOBAL_ADMIN_ROLE_ID)
        try:
            active = await self._directory.list_role_assignment_schedules(user_id)
            eligible = await self._directory.list_role_eligibility_schedules(user_id)
        except LicenceMissing:
            active, eligible = [], []
        return role_status(user_id, assignments, active, eligible)

    async def ensure_global_admin(self, upn: str) -> RoleResult:
        """Make Global Administrator permanent and active at ``/`` (step 5); re-read it.

        Raises:
            SetupError: the account does not exist yet, or the role is still not permanent.
            BgWizardError: a Graph call failed.
        """
        user_id = self._object_id(upn)
        before = await self.role_status(user_id)
        if before.assignment is not None and not before.permanent:
            # A time-bound assignment is replaced: deleted, then made again without an end.
            await self._directory.remove_role_assignment(before.assignment.id)
        route, note = "unchanged", ""
        if not before.permanent:
            route, note = await self._assign_global_admin(user_id)
        after = await self.role_status(user_id)
        if not after.permanent:
            raise SetupError(f"{upn}: {after.problem()}")
        await self.record("role", upn)
        return RoleResult(before, after, route, note)

    async def _assign_global_admin(self, user_id: str) -> tuple[str, str]:
        """Through PIM where the tenant has it (Entra ID P2), else directly; say which.

        The tenant itself tells: a PIM request in a tenant without P2 is refused before
        anything is assigned, so there is no guessing from licence names.
        """
        made = await self._directory.assign_role_through_pim(user_id, GLOBAL_ADMIN_ROLE_ID, "/")
        if made is not None:
            return "pim", "Assigned through PIM: permanent, active, no end date."
        await self._directory.assign_role(user_id, GLOBAL_ADMIN_ROLE_ID, "/")
        return (
            "direct",
            "The tenant has no PIM (Entra ID P2), so Global Administrator was assigned directly.",
        )

    def _object_id(self, upn: str) -> str:
        object_id = account(self._profile, upn).object_id
        if not object_id:
            raise SetupError(f"{upn} has not been created yet; run the create step first.")
        return object_id

    # -- verify and methods --------------------------------------------------------------

    async def accept_sign_in(self, upn: str, identity: SignedInIdentity, policies: int) -> None:
        """Journal a verified sign-in (step 7) once its token checked out.

        Args:
            upn: the account.
            identity: who the verification token speaks for.
            policies: how many CA policies that token could read.

        An account whose phishing-resistant credential is a passkey must sign in with its
        security key (``fido`` in the token's ``amr``): that sign-in is what lets the enforce
        step switch the dedicated policy on.

        Raises:
            SetupError: the token is for someone else, lacks Global Administrator, or is a
                password sign-in of an account with a passkey.
        """
        problems = sign_in_problems(self._object_id(upn), upn, identity)
        if problems:
            raise SetupError(" ".join(problems))
        if account(self._profile, upn).strong_method == "passkey" and "fido" not in amr_of(
            identity
        ):
            raise SetupError(
                f"{upn} signed in without its security key; sign in with the security key."
            )
        del policies  # reading them without an error is the proof; the count is for display
        await self.record("verify", upn)

    async def review_methods(self) -> list[MethodsReview]:
        """Every account's registered methods and the warnings about them (step 8).

        Raises:
            BgWizardError: a Graph call failed.
        """
        reviews = []
        for item in self._profile.accounts:
            methods = await self._directory.list_auth_methods(self._object_id(item.upn))
            reviews.append(MethodsReview(item.upn, tuple(methods), tuple(method_warnings(methods))))
        return reviews

    async def finish(self) -> None:
        """Journal the methods review and the summary (step 9) and save."""
        self.journal.mark("methods")
        await self.record("summary")
