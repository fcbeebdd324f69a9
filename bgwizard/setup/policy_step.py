"""The dedicated phishing-resistant policy: created report-only (step ``policy``), switched on
once every account signed in with its security key (step ``enforce``). Part of ``SetupService``.

Microsoft's 2026 guidance: one Conditional Access policy that targets only the break glass
accounts (or their protected group), all cloud apps, grant = the built-in phishing-resistant
authentication strength. It is created report-only, because switched on it refuses every sign-in
of an account without a phishing-resistant credential; the enforce step switches it on only
when each account proved, in the verify step, that its security key signs in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

from bgwizard.errors import AuthError, BgWizardError, CaStepError, NotFound, PermissionMissing
from bgwizard.graph.ca_scope import PHISHING_RESISTANT_STRENGTH, requires_phishing_resistant
from bgwizard.graph.model import CaPolicy
from bgwizard.profile.model import BreakGlassAccount
from bgwizard.setup.ca_plan import backup_document
from bgwizard.setup.ca_step import CaStep, write_backup
from bgwizard.setup.journal import SetupJournal
from bgwizard.setup.results import ENABLED, EnforceResult, PolicyResult

DEDICATED_POLICY_NAME: Final = "Break glass accounts: require phishing-resistant MFA"
"""The display name the set-up gives the policy (and finds it by on a rerun)."""
REPORT_ONLY: Final = "enabledForReportingButNotEnforced"


def dedicated_policy_body(account_ids: tuple[str, ...], group_id: str) -> dict[str, Any]:
    """The JSON of the dedicated policy, report-only.

    Args:
        account_ids: the break glass accounts' object ids.
        group_id: the protected group excluded instead of the accounts ("" for direct).

    Returns:
        The POST body.
    """
    users: dict[str, Any] = (
        {"includeGroups": [group_id]} if group_id else {"includeUsers": list(account_ids)}
    )
    return {
        "displayName": DEDICATED_POLICY_NAME,
        "state": REPORT_ONLY,
        "conditions": {
            "users": users,
            "applications": {"includeApplications": ["All"]},
            "clientAppTypes": ["all"],
        },
        "grantControls": {
            "operator": "OR",
            "builtInControls": [],
            "authenticationStrength": {"id": PHISHING_RESISTANT_STRENGTH},
        },
    }


def blocker(item: BreakGlassAccount, verified: bool) -> str:
    """Why ``item`` keeps the policy report-only ("" when it does not).

    The verify step refuses a password-only sign-in of an account whose credential is a
    passkey, so a verified passkey account signed in with its security key.
    """
    method = item.strong_method
    if method == "passkey":
        return "" if verified else f"{item.upn} has not verified its security key sign-in yet."
    if method == "skipped":
        return (
            f"{item.upn} skipped its phishing-resistant credential, so the policy would lock"
            " it out."
        )
    if method == "cba":
        return (
            f"{item.upn} uses certificate-based authentication, which this set-up cannot sign in"
            " with to prove it; switch the policy on in the portal after a certificate sign-in."
        )
    return (
        f"{item.upn} has no phishing-resistant credential (passkey) registered, so the policy"
        " would lock it out."
    )


class PolicyStep(CaStep):
    """The dedicated policy: find or create it, decline it, switch it on."""

    security_defaults: bool | None = None
    """Whether the tenant's security defaults are on (read by the connect step; None unread)."""

    async def find_dedicated_policy(self) -> CaPolicy | None:
        """The set-up's dedicated policy: by the id in the profile, else by its display name.

        Raises:
            BgWizardError: a Graph call failed.
        """
        known = self._profile.dedicated_policy_id
        if known:
            try:
                return await self._directory.get_ca_policy(known)
            except NotFound:
                pass  # deleted in the portal: look for it by name, else make it again
        for policy in await self._directory.list_ca_policies():
            if policy.display_name == DEDICATED_POLICY_NAME:
                return policy
        return None

    async def ensure_dedicated_policy(self) -> PolicyResult:
        """Create the dedicated policy report-only unless it exists; re-read; journal.

        Raises:
            CaStepError: the accounts do not exist yet, or the policy read back is not the one
                asked for.
            BgWizardError: a Graph call failed.
        """
        ids = self.account_ids
        if len(ids) != len(self._profile.accounts) or not ids:
            raise CaStepError("Create the accounts before the dedicated policy.")
        found = await self.find_dedicated_policy()
        created = found is None
        if found is None:
            body = dedicated_policy_body(ids, self._profile.exclusion_group_id)
            try:
                found = await self._directory.create_ca_policy(body)
            except (PermissionMissing, AuthError):
                raise
            except BgWizardError:
                # The POST may have been carried out before the answer was lost.
                found = await self.find_dedicated_policy()
                if found is None:
                    raise
        self._profile.dedicated_policy_id = found.id
        await self.save()
        policy = await self._directory.get_ca_policy(found.id)
        if not requires_phishing_resistant(policy):
            raise CaStepError(
                f"{policy.display_name} does not demand the phishing-resistant authentication"
                " strength on re-read; check it in the portal."
            )
        SetupJournal(self._profile).mark("policy")
        await self.save()
        return PolicyResult(policy, created)

    async def decline_dedicated_policy(self) -> None:
        """Journal the step without a policy (the operator declined it)."""
        self._profile.dedicated_policy_id = ""
        SetupJournal(self._profile).mark("policy")
        await self.save()

    def enforce_blockers(self) -> tuple[str, ...]:
        """One sentence per account that keeps the policy report-only."""
        journal = SetupJournal(self._profile)
        found = (blocker(a, journal.is_done("verify", a.upn)) for a in self._profile.accounts)
        return tuple(b for b in found if b)

    async def enforce_dedicated_policy(self) -> EnforceResult:
        """Switch the dedicated policy on when no account blocks it; back up, PATCH, re-read.

        Journals the step either way (a blocked switch leaves the policy report-only and the
        audit says so); nothing to do when the set-up created no policy.

        Raises:
            CaStepError: the backup could not be written, or the re-read is not ``enabled``.
            BgWizardError: a Graph call failed.
        """
        journal = SetupJournal(self._profile)
        if not self._profile.dedicated_policy_id:
            journal.mark("enforce")
            await self.save()
            return EnforceResult(None)
        policy = await self._directory.get_ca_policy(self._profile.dedicated_policy_id)
        blockers = self.enforce_blockers()
        backup = ""
        if not blockers and policy.state != ENABLED:
            document = backup_document(
                [policy], tenant_id=self._profile.tenant_id, when=self._clock()
            )
            path = await asyncio.to_thread(write_backup, self._backup_dir, document, self._clock())
            backup = str(path)
            self._profile.setup_ca_backups = [*self.backups, backup]
            await self.save()
            patch: Mapping[str, Any] = {"state": ENABLED}
            policy = await self._directory.patch_ca_policy(policy.id, patch)
            if policy.state != ENABLED:
                raise CaStepError(
                    f"{policy.display_name} is still {policy.state} after switching it on;"
                    " check it in the portal."
                )
        journal.mark("enforce")
        await self.save()
        return EnforceResult(policy, blockers, backup)
