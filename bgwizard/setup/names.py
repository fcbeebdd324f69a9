"""Names for break glass accounts: neutral suggestions and the rules a UPN must follow. Pure.

A name that advertises its purpose (``breakglass``, ``emergency``, ``admin``…) tells an
attacker which account to spray; neutral, service-like names do not. The UPN must be on
the tenant's initial ``*.onmicrosoft.com`` domain, so the account keeps working when a
custom domain or its federation breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

SUGGESTED_STEM: Final = "svc-iam-recovery"
"""Suggestions are ``svc-iam-recovery01``, ``svc-iam-recovery02``…"""
DEFAULT_COUNT: Final = 2
"""Microsoft asks for two or more accounts; two is the usual number."""
MAX_LOCAL: Final = 64
"""Most characters before the ``@`` (Entra ID's limit)."""
MAX_UPN: Final = 113
"""Most characters of a whole UPN (64 + ``@`` + 48 of domain)."""
REVEALING_WORDS: Final = (
    "breakglass",
    "break-glass",
    "break_glass",
    "emergency",
    "emerg",
    "admin",
    "backdoor",
    "superuser",
    "godmode",
    "glass",
    "firecall",
)
"""Words that give the purpose away anywhere in the name."""
REVEALING_TOKENS: Final = frozenset({"bg", "bga", "ea", "eaa", "root", "god", "break", "su"})
"""Short words that give the purpose away as a whole part (``bg-01``, ``ea.account``)."""
_LOCAL_CHARS: Final = re.compile(r"^[A-Za-z0-9'._!#^~-]+$")

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class NameIssue:
    """Something wrong (error) or unwise (warning) about a name."""

    level: Level
    message: str
    """One sentence."""


def suggest_names(domain: str, count: int = DEFAULT_COUNT, taken: Iterable[str] = ()) -> list[str]:
    """Neutral UPNs on ``domain`` that are not in ``taken``.

    Args:
        domain: the initial ``*.onmicrosoft.com`` domain.
        count: how many names.
        taken: UPNs that exist already (compared case-insensitively).

    Returns:
        ``count`` UPNs such as ``svc-iam-recovery01@contoso.onmicrosoft.com``.
    """
    used = {t.casefold() for t in taken}
    names: list[str] = []
    number = 1
    while len(names) < count:
        upn = f"{SUGGESTED_STEM}{number:02d}@{domain}"
        if upn.casefold() not in used:
            names.append(upn)
        number += 1
    return names


def _revealing(local: str) -> str | None:
    lowered = local.casefold()
    for word in REVEALING_WORDS:
        if word in lowered:
            return word
    for token in re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", lowered):
        if token in REVEALING_TOKENS:
            return token
    return None


def check_local_part(local: str) -> list[NameIssue]:
    """Problems with the part of a UPN before the ``@``.

    Args:
        local: e.g. ``svc-iam-recovery01``.

    Returns:
        Errors (not allowed by Entra ID) and warnings (advertises the purpose).
    """
    issues: list[NameIssue] = []
    if not local:
        return [NameIssue("error", "The name before the @ is empty.")]
    if len(local) > MAX_LOCAL:
        issues.append(NameIssue("error", f"The name before the @ is longer than {MAX_LOCAL}."))
    if not _LOCAL_CHARS.match(local):
        issues.append(
            NameIssue("error", f"{local!r} may use only letters, digits and ' . - _ ! # ^ ~.")
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        issues.append(
            NameIssue("error", f"{local!r} may not start or end with a dot or hold '..'.")
        )
    word = _revealing(local)
    if word:
        issues.append(
            NameIssue(
                "warning",
                f"{local!r} contains {word!r}, which tells an attacker what the account is for;"
                f" prefer a neutral name such as {SUGGESTED_STEM}01.",
            )
        )
    return issues


def check_domain(domain: str, initial_domain: str) -> list[NameIssue]:
    """Problems with the domain of a UPN.

    Args:
        domain: the part after the ``@``.
        initial_domain: the tenant's initial ``*.onmicrosoft.com`` domain.

    Returns:
        An error unless ``domain`` is the initial domain.
    """
    if domain.casefold() == initial_domain.casefold():
        return []
    if domain.casefold().endswith(".onmicrosoft.com"):
        return [
            NameIssue("error", f"{domain} is not this tenant's initial domain {initial_domain}.")
        ]
    return [
        NameIssue(
            "error",
            f"{domain or 'An empty domain'} is a custom domain: break glass accounts must use the"
            f" initial domain {initial_domain}, which keeps working when a custom domain or its"
            " federation breaks.",
        )
    ]


def check_upn(upn: str, initial_domain: str) -> list[NameIssue]:
    """Every problem with one UPN.

    Args:
        upn: the user principal name.
        initial_domain: the tenant's initial domain.

    Returns:
        Errors and warnings, in order.
    """
    if upn.count("@") != 1:
        return [NameIssue("error", f"{upn or 'The name'!s} must have exactly one @.")]
    local, domain = upn.split("@")
    issues = check_local_part(local) + check_domain(domain, initial_domain)
    if len(upn) > MAX_UPN:
        issues.append(NameIssue("error", f"{upn} is longer than {MAX_UPN} characters."))
    return issues


def count_warning(count: int) -> NameIssue | None:
    """A warning when the number of accounts is not the usual two.

    Args:
        count: how many accounts the set-up makes.

    Returns:
        None for two; an error for none; a warning otherwise.
    """
    if count == DEFAULT_COUNT:
        return None
    if count < 1:
        return NameIssue("error", "Choose at least one account.")
    if count == 1:
        return NameIssue(
            "warning",
            "One account is a single point of failure: Microsoft asks for two or more.",
        )
    return NameIssue(
        "warning",
        f"{count} accounts: each is another Global Administrator to guard, drill and monitor;"
        " two is the usual number.",
    )


def check_names(upns: Sequence[str], initial_domain: str) -> list[NameIssue]:
    """Every problem with a set of UPNs: each one, duplicates, and the count.

    Args:
        upns: the chosen UPNs.
        initial_domain: the tenant's initial domain.

    Returns:
        Errors and warnings (errors block the step, warnings do not).
    """
    issues: list[NameIssue] = []
    seen: set[str] = set()
    for upn in upns:
        issues += check_upn(upn, initial_domain)
        if upn.casefold() in seen:
            issues.append(NameIssue("error", f"{upn} is chosen twice."))
        seen.add(upn.casefold())
    counted = count_warning(len(upns))
    if counted is not None:
        issues.append(counted)
    return issues


def blocking(issues: Iterable[NameIssue]) -> bool:
    """Whether any issue is an error."""
    return any(i.level == "error" for i in issues)


def display_name(upn: str) -> str:
    """The display name a new account gets: its neutral local part, never a role."""
    return upn.split("@", 1)[0]


DEFAULT_GROUP_NAME: Final = "Tenant continuity T0"
"""The default group name: not obvious ("break glass" or "CA exclusion" would tell anyone who
can read the directory what it is and whom to aim at)."""
DEFAULT_UNIT_NAME: Final = "Tenant continuity T0 unit"
"""The default name of the restricted management administrative unit."""
