"""The set-up wizard's steps and its journal: which step comes next, and what is done. Pure.

The journal is ``Profile.setup_steps_done``: a list of keys, never a secret. Steps done once
for the whole set-up are journaled by their id (``names``, ``ca``); steps done per account
carry the UPN (``create:svc-iam-recovery01@contoso.onmicrosoft.com``). A restarted wizard
asks ``next_step`` where to go on, so a crash or a quit never repeats a change and never
skips one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

from bgwizard.profile.model import BreakGlassAccount, Profile

StepId = Literal[
    "connect",
    "names",
    "sheets",
    "create",
    "passkey",
    "role",
    "exclusion",
    "ca",
    "policy",
    "verify",
    "enforce",
    "methods",
    "summary",
]
StepState = Literal["done", "current", "todo"]

STEP_IDS: Final[tuple[StepId, ...]] = get_args(StepId)
"""The wizard's steps, in order."""

STEP_TITLES: Final[dict[StepId, str]] = {
    "connect": "Connect",
    "names": "Names",
    "sheets": "Password and sheets",
    "create": "Create accounts",
    "passkey": "Passkeys",
    "role": "Global Administrator",
    "exclusion": "Exclusion: direct or group",
    "ca": "Conditional Access",
    "policy": "Dedicated policy",
    "verify": "Verify sign-in",
    "enforce": "Dedicated policy on",
    "methods": "Authentication methods",
    "summary": "Summary",
}
"""What the progress rail calls each step."""

PER_ACCOUNT: Final[frozenset[StepId]] = frozenset({"sheets", "create", "passkey", "role", "verify"})
"""Steps journaled once per account; the others once for the whole set-up."""

ALWAYS_AGAIN: Final[frozenset[StepId]] = frozenset({"connect"})
"""Steps a restarted wizard always runs again (a sign-in does not survive a restart)."""


def journal_key(step: StepId, upn: str | None = None) -> str:
    """The journal entry for ``step`` (for one account when ``upn`` is given).

    Args:
        step: the step id.
        upn: the account, for per-account steps.

    Returns:
        ``step`` or ``step:upn`` (UPN lower-cased).
    """
    return f"{step}:{upn.casefold()}" if upn else step


@dataclass(frozen=True)
class RailItem:
    """One step as the progress rail shows it."""

    step: StepId
    title: str
    state: StepState


class SetupJournal:
    """A view of a profile's set-up journal and break glass accounts."""

    def __init__(self, profile: Profile) -> None:
        """Read and write ``profile.setup_steps_done``.

        Args:
            profile: the profile (its list is changed in place by ``mark``).
        """
        self._profile = profile

    @property
    def entries(self) -> list[str]:
        """The raw journal entries."""
        return self._profile.setup_steps_done

    @property
    def upns(self) -> list[str]:
        """UPNs of the accounts the set-up is for, in the profile's order."""
        return [a.upn for a in self._profile.accounts]

    def is_done(self, step: StepId, upn: str | None = None) -> bool:
        """Whether ``step`` is journaled (for ``upn``, or for every account when None).

        Args:
            step: the step id.
            upn: one account; None means the whole step.

        Returns:
            True when done. A per-account step with no account is not done.
        """
        if step in PER_ACCOUNT and upn is None:
            upns = self.upns
            return bool(upns) and all(journal_key(step, u) in self.entries for u in upns)
        return journal_key(step, upn) in self.entries

    def mark(self, step: StepId, upn: str | None = None) -> bool:
        """Journal ``step`` as done (idempotent).

        Returns:
            True when the entry is new.
        """
        key = journal_key(step, upn)
        if key in self.entries:
            return False
        self.entries.append(key)
        return True

    def unmark(self, step: StepId, upn: str | None = None) -> None:
        """Remove a journal entry (a step that must run again, e.g. a sheet to redo)."""
        key = journal_key(step, upn)
        while key in self.entries:
            self.entries.remove(key)

    def next_step(self, *, connected: bool = False) -> StepId:
        """The first step not done yet.

        Args:
            connected: whether an administrator is signed in now (``connect`` is never
                remembered across runs).

        Returns:
            The step to show; ``summary`` when everything is done.
        """
        for step in STEP_IDS:
            if step in ALWAYS_AGAIN:
                if not connected:
                    return step
                continue
            if not self.is_done(step):
                return step
        return "summary"

    def pending_accounts(self, step: StepId) -> list[str]:
        """UPNs for which the per-account ``step`` is not journaled yet."""
        return [u for u in self.upns if not self.is_done(step, u)]

    def rail(self, current: StepId) -> list[RailItem]:
        """The progress rail: every step with done / current / to do.

        Args:
            current: the step on screen.

        Returns:
            One item per step, in order.
        """
        items = []
        for step in STEP_IDS:
            if step == current:
                state: StepState = "current"
            elif step in ALWAYS_AGAIN:
                state = "done" if STEP_IDS.index(step) < STEP_IDS.index(current) else "todo"
            else:
                state = "done" if self.is_done(step) else "todo"
            items.append(RailItem(step, STEP_TITLES[step], state))
        return items

    @property
    def finished(self) -> bool:
        """Whether every step but the summary's is done."""
        return all(self.is_done(s) for s in STEP_IDS if s not in ALWAYS_AGAIN and s != "summary")


def set_accounts(profile: Profile, upns: Sequence[str], custodians: Sequence[str] = ()) -> None:
    """Make ``profile.accounts`` the accounts named ``upns`` (kept ones keep their records).

    Args:
        profile: the profile to change.
        upns: the chosen UPNs, in order.
        custodians: the people who hold the sheets (set on every account when given).
    """
    known = {a.upn.casefold(): a for a in profile.accounts}
    accounts = [known.get(u.casefold()) or BreakGlassAccount(u) for u in upns]
    if custodians:
        for account in accounts:
            account.custodians = list(custodians)
    profile.accounts = accounts


def account(profile: Profile, upn: str) -> BreakGlassAccount:
    """The profile's account named ``upn``.

    Raises:
        KeyError: no such account in the profile.
    """
    for item in profile.accounts:
        if item.upn.casefold() == upn.casefold():
            return item
    raise KeyError(upn)
