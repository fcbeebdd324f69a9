"""What the set-up wizard's steps found or did, as frozen data (pure): the screens show it,
``SetupService``, ``CaStep`` and ``SignInVerifier`` return it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bgwizard.auth.identity import SignedInIdentity
from bgwizard.graph.model import AdminUnit, AuthMethod, CaPolicy, DirectoryGroup, DirectoryUser
from bgwizard.setup.checks import RoleStatus


@dataclass(frozen=True)
class CreateResult:
    """What the create step found or did for one account."""

    user: DirectoryUser
    created: bool
    """False when the account existed (created by an earlier, interrupted run)."""
    fixed: tuple[str, ...] = ()
    """Properties that were wrong on re-read and were corrected."""


@dataclass(frozen=True)
class RoleResult:
    """Global Administrator before and after the role step."""

    before: RoleStatus
    after: RoleStatus
    route: str = "unchanged"
    """``pim`` (a PIM ``adminAssign`` request), ``direct`` (a ``roleAssignments`` POST) or
    ``unchanged`` (it was permanent already)."""
    note: str = ""
    """One sentence for the operator, e.g. why the direct route was taken."""


@dataclass(frozen=True)
class MethodsReview:
    """One account's registered methods and the warnings about them."""

    upn: str
    methods: tuple[AuthMethod, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class CaResult:
    """What applying the plan did."""

    backup: Path | None
    """The backup written before the first PATCH; None when nothing needed a change."""
    patched: tuple[str, ...]
    """Display names of the policies changed now."""
    total: int
    """Policies that now exclude every account directly (all of them)."""


@dataclass(frozen=True)
class VerifiedSignIn:
    """What a verification sign-in proved."""

    identity: SignedInIdentity
    policies_read: int
    """How many CA policies the account's own token could read."""


@dataclass(frozen=True)
class ExclusionResult:
    """What the protected-group set-up found or did (after the re-read)."""

    group: DirectoryGroup
    created_group: bool
    added: tuple[str, ...]
    """Object ids of the accounts this run added to the group."""
    unit: AdminUnit | None = None
    created_unit: bool = False
    unit_added: bool = False
    """Whether this run put the group into the unit."""

    @property
    def changed(self) -> bool:
        """Whether this run changed anything in the tenant."""
        return self.created_group or bool(self.added) or self.created_unit or self.unit_added


ENABLED: Final = "enabled"
"""The state of a Conditional Access policy that is switched on."""


@dataclass(frozen=True)
class PolicyResult:
    """What the policy step found or did."""

    policy: CaPolicy
    created: bool
    """False when it existed (found by its id in the profile, or by its display name)."""


@dataclass(frozen=True)
class EnforceResult:
    """What the enforce step did."""

    policy: CaPolicy | None
    """The policy as re-read (None: the set-up created none)."""
    blockers: tuple[str, ...] = ()
    """One sentence per account that keeps it report-only (empty when it was switched on)."""
    backup: str = ""
    """The backup written before the PATCH ("" when nothing was patched)."""

    @property
    def enabled(self) -> bool:
        """Whether the policy is on now."""
        return self.policy is not None and self.policy.state == ENABLED


SECURITY_DEFAULTS_NOTE: Final = (
    "Security defaults are on in this tenant: Conditional Access exclusions and policies do"
    " not apply under them, so turn security defaults off and protect the tenant with"
    " Conditional Access (Entra ID P1), excluding the break glass accounts."
)
"""What the set-up says when security defaults are on (one sentence)."""
DECLINED_AUDIT: Final = (
    "The audit will say: No policy demands phishing-resistant MFA of the break glass"
    " accounts (info), with the fix to create one."
)
