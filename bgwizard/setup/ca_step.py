"""The Conditional Access step: plan, back up (0600 JSON, before any PATCH), patch, re-read,
and restore from a backup. Part of ``SetupService``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import platformdirs

from bgwizard.errors import BackupError, CaStepError
from bgwizard.graph.model import CaPolicy
from bgwizard.profile.model import Profile
from bgwizard.setup.ca_plan import CaPlan, backup_document, plan_exclusions, restore_patches
from bgwizard.setup.directory_port import SetupDirectory
from bgwizard.setup.journal import SetupJournal
from bgwizard.setup.results import CaResult


def backup_dir_for(profiles: object) -> Path:
    """Where CA backups go: beside the profile file, else in the user's data dir.

    Args:
        profiles: the profile store (``TomlProfileStore`` has a ``path``).
    """
    path = getattr(profiles, "path", None)
    if isinstance(path, Path):
        return path.parent / "ca-backups"
    return Path(platformdirs.user_data_dir("bgwizard")) / "ca-backups"


def write_backup(directory: Path, document: Mapping[str, Any], when: dt.datetime) -> Path:
    """Write a backup file that only its owner can read, fsynced, never overwriting one.

    Args:
        directory: where backups go (created 0700 when missing).
        document: the backup JSON.
        when: its time (part of the file name).

    Returns:
        The new file.

    Raises:
        CaStepError: it could not be written.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        stem = f"ca-backup-{when.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        for n in range(100):
            path = directory / (f"{stem}.json" if n == 0 else f"{stem}-{n}.json")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            return path
    except OSError as exc:
        raise CaStepError(
            f"The Conditional Access backup could not be written in {directory}: {exc.strerror};"
            " nothing was changed."
        ) from None
    raise CaStepError(f"Too many backups named {stem} in {directory}; nothing was changed.")


def read_backup(path: Path) -> Mapping[str, Any]:
    """Read a backup file.

    Raises:
        CaStepError: missing or not JSON.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CaStepError(f"Cannot read the backup {path}: {exc.strerror}.") from None
    except ValueError:
        raise CaStepError(f"The backup {path} is not valid JSON.") from None
    if not isinstance(document, dict):
        raise CaStepError(f"The backup {path} is not a bgwizard backup.")
    return document


class CaStep:
    """Conditional Access exclusions for the profile's break glass accounts."""

    def __init__(
        self,
        directory: SetupDirectory,
        profile: Profile,
        *,
        backup_dir: Path,
        clock: Callable[[], dt.datetime],
    ) -> None:
        """See ``SetupService``."""
        self._directory = directory
        self._profile = profile
        self._backup_dir = backup_dir
        self._clock = clock

    @property
    def account_ids(self) -> tuple[str, ...]:
        """Object ids of the profile's accounts that exist."""
        return tuple(a.object_id for a in self._profile.accounts if a.object_id)

    @property
    def backups(self) -> list[str]:
        """Backup files written by this profile's set-ups, oldest first."""
        return list(self._profile.setup_ca_backups)

    @property
    def protected_group(self) -> str:
        """The protected group excluded instead of the accounts ("" for direct exclusion)."""
        return self._profile.exclusion_group_id

    async def plan_ca(self) -> CaPlan:
        """Read every policy and each account's groups; plan the exclusions (of each account
        directly, or of the protected group when the exclusion step chose it).

        Raises:
            CaStepError: an account has not been created yet.
            BgWizardError: a Graph call failed.
        """
        ids = self.account_ids
        if len(ids) != len(self._profile.accounts) or not ids:
            raise CaStepError("Create the accounts before changing Conditional Access.")
        policies = await self._directory.list_ca_policies()
        groups = {}
        for user_id in ids:
            refs = await self._directory.transitive_member_of(user_id)
            groups[user_id] = frozenset(r.id for r in refs if r.kind == "group")
        return plan_exclusions(policies, ids, groups, protected_group=self.protected_group)

    async def apply_ca(self, plan: CaPlan) -> CaResult:
        """Back up, PATCH and re-read every policy of ``plan``, then journal the step.

        Each policy is read fresh before the backup, and the change is computed from that
        read (a policy someone edited since the plan keeps their edit). A rerun after a
        failure patches only the policies still missing an exclusion.

        Raises:
            CaStepError: the backup could not be written (nothing changed), or a policy does
                not show the exclusion on re-read.
            BgWizardError: a Graph call failed (policies patched before it stay patched and
                are in the backup).
        """
        ids = self.account_ids
        fresh = [await self._directory.get_ca_policy(c.policy_id) for c in plan.changes]
        todo = plan_exclusions(fresh, ids, protected_group=self.protected_group)
        backup = None
        if todo.changes:
            document = backup_document(
                [p for p in fresh if any(c.policy_id == p.id for c in todo.changes)],
                tenant_id=self._profile.tenant_id,
                when=self._clock(),
            )
            backup = await asyncio.to_thread(
                write_backup, self._backup_dir, document, self._clock()
            )
            self._profile.setup_ca_backups = [*self.backups, str(backup)]
        patched = []
        for change in todo.changes:
            after = await self._directory.patch_ca_policy(change.policy_id, change.patch)
            self._confirm(after, ids, self.protected_group)
            patched.append(change.display_name)
        final = await self.plan_ca()
        if not final.complete:
            names = ", ".join(c.display_name for c in final.changes)
            raise CaStepError(f"These policies still miss an exclusion after the change: {names}.")
        SetupJournal(self._profile).mark("ca")
        await self.save()
        return CaResult(backup, tuple(patched), final.total)

    @staticmethod
    def _confirm(policy: CaPolicy, ids: Sequence[str], group_id: str = "") -> None:
        missing = [i for i in ids if i not in policy.exclude_users]
        if missing and not (group_id and group_id in policy.exclude_groups):
            raise CaStepError(
                f"{policy.display_name} does not show the exclusion after the change;"
                " check it in the portal."
            )

    async def restore_ca(self, path: Path) -> list[str]:
        """Put the users of every policy in a backup back as they were, and re-read them.

        The Conditional Access step is taken off the journal, so the wizard offers it again.

        Returns:
            Display names of the restored policies.

        Raises:
            CaStepError: the file is not a backup of this tenant, or a re-read differs.
            BgWizardError: a Graph call failed.
        """
        document = await asyncio.to_thread(read_backup, path)
        try:
            patches = restore_patches(document, self._profile.tenant_id)
        except BackupError as exc:
            raise CaStepError(str(exc)) from None
        restored = []
        for policy_id, body in patches:
            after = await self._directory.patch_ca_policy(policy_id, body)
            users = body["conditions"]["users"]
            if list(after.exclude_users) != list(users["excludeUsers"]) or list(
                after.exclude_groups
            ) != list(users["excludeGroups"]):
                raise CaStepError(f"{after.display_name} did not come back as in the backup.")
            restored.append(after.display_name)
        SetupJournal(self._profile).unmark("ca")
        await self.save()
        return restored

    async def save(self) -> None:
        """Save the profile (``SetupService`` does it; the base keeps the profile in memory)."""
