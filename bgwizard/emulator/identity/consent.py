"""Delegated consent, as Entra ID keeps it: granted scopes per (client, user or whole tenant).

An ``oauth2PermissionGrant`` is either ``AllPrincipals`` (an administrator consented for the
tenant) or ``Principal`` (one user consented for themselves). A token's ``scp`` holds only
granted scopes:

* explicit scopes that are all granted → exactly those;
* explicit scopes not yet granted → consent is needed (the sign-in page asks; a grant that
  cannot show a page refuses with AADSTS65001);
* ``.default`` → every scope already granted, never more; with nothing granted it needs consent
  too. ``.default`` mixed with explicit scopes is refused (AADSTS70011).

Which Graph permissions a non-administrator may consent to is set per permission by Microsoft and
is not in ``graph-ground-truth.json``; the emulator lets users consent only to the sign-in and
basic-profile scopes below and treats every other permission as admin-restricted (AADSTS90094),
as it is for every permission bgwizard asks for.
"""

from __future__ import annotations

from typing import Final

from bgwizard.emulator.errors import ScopeError
from bgwizard.emulator.tenant.catalog import GRAPH_AUDIENCE
from bgwizard.emulator.tenant.state import ALL_PRINCIPALS, TenantState

RESERVED: Final = frozenset({"openid", "profile", "offline_access", "email"})
USER_CONSENTABLE: Final = frozenset({"User.Read", "User.ReadBasic.All"})
"""Graph permissions a user may consent to alone (everything else needs an administrator)."""
CONSENT_ADMIN_ROLES: Final = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
        "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
    }
)
"""Roles that may grant tenant-wide consent to Microsoft Graph permissions (simplified: Cloud
Application and Application Administrators cannot grant Graph app roles in Entra, but delegated
ones they can)."""


def requested(scope: str) -> list[str]:
    """The Graph permission names in a scope string: prefixes and OIDC scopes dropped."""
    names: list[str] = []
    for item in scope.split():
        if item in RESERVED:
            continue
        for prefix in (GRAPH_AUDIENCE + "/", "https://graph.microsoft.com//"):
            if item.startswith(prefix):
                item = item[len(prefix) :]
        if item not in names:
            names.append(item)
    return names


def granted(state: TenantState, client_id: str, user_id: str) -> set[str]:
    """Scopes granted to ``client_id`` for ``user_id``: the tenant-wide grant and their own."""
    return state.grants.get((client_id, ALL_PRINCIPALS), set()) | state.grants.get(
        (client_id, user_id), set()
    )


def check_syntax(scope: str) -> None:
    """Refuse ``.default`` mixed with explicit scopes.

    Raises:
        ScopeError: AADSTS70011.
    """
    asked = requested(scope)
    if ".default" in asked and len(asked) > 1:
        raise ScopeError(
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid: "
            ".default cannot be combined with other scopes."
        )


def missing(state: TenantState, client_id: str, user_id: str, scope: str) -> list[str]:
    """Explicit scopes of ``scope`` not yet granted (``.default`` with no grant: ``[".default"]``).

    Raises:
        ScopeError: ``.default`` is mixed with explicit scopes (AADSTS70011).
    """
    check_syntax(scope)
    asked = requested(scope)
    have = granted(state, client_id, user_id)
    if ".default" in asked:
        return [] if have else [".default"]
    return [s for s in asked if s not in have]


def token_scopes(state: TenantState, client_id: str, user_id: str, scope: str) -> list[str]:
    """The ``scp`` of a token for ``scope``.

    Raises:
        ScopeError: consent is missing (AADSTS65001) or the scope string is invalid (70011).
    """
    gaps = missing(state, client_id, user_id, scope)
    if gaps:
        app = state.apps.get(client_id)
        name = app.display_name if app else client_id
        raise ScopeError(
            "AADSTS65001: The user or administrator has not consented to use the application "
            f"'{name}' for the scope {gaps[0]}. Send an interactive authorization request for "
            "this user and resource."
        )
    asked = requested(scope)
    if ".default" in asked:
        return sorted(granted(state, client_id, user_id))
    return asked


def admin_only(scopes: list[str]) -> list[str]:
    """The scopes of ``scopes`` a user cannot consent to alone."""
    return [s for s in scopes if s not in USER_CONSENTABLE]


def can_consent_for_tenant(state: TenantState, user_id: str) -> bool:
    """Whether ``user_id`` holds a role that may consent on behalf of the organisation."""
    return bool(CONSENT_ADMIN_ROLES & set(state.active_role_ids(user_id)))


def grant(state: TenantState, client_id: str, principal: str, scopes: list[str]) -> None:
    """Record consent: ``principal`` is a user id or ``ALL_PRINCIPALS``."""
    state.grants.setdefault((client_id, principal), set()).update(
        s for s in scopes if s != ".default"
    )
