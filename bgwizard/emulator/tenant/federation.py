"""Federated identity credentials on an app registration (workload identity federation).

An app trusts tokens from an external OpenID Connect issuer (a GitHub Actions run, an Azure
DevOps service connection, a Kubernetes service account) when one of its federated identity
credentials names that issuer, the token's subject and an audience the token carries — the
``federatedIdentityCredential`` resource of Microsoft Graph (``issuer``, ``subject``,
``audiences``; at most 20 per app). The tenant file lists them per app under
``federatedIdentityCredentials``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

MAX_PER_APP: Final = 20
"""Entra allows at most 20 federated identity credentials on one application."""
TOKEN_EXCHANGE_AUDIENCE: Final = "api://AzureADTokenExchange"
"""The audience Microsoft recommends for Entra ID (the Graph resource's documented value)."""


@dataclass(frozen=True)
class FederatedCredential:
    """One trusted issuer and subject on an app."""

    name: str
    issuer: str
    """The issuer URL, compared exactly (case-sensitive) with the token's ``iss``."""
    subject: str
    """Compared exactly with the token's ``sub``."""
    audiences: tuple[str, ...]
    """One audience; the token's ``aud`` must contain it."""


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where} has no {key!r} (a non-empty string)")
    return value


def parse_credentials(items: Any, where: str) -> list[FederatedCredential]:
    """Read an app's ``federatedIdentityCredentials`` from the tenant file.

    Args:
        items: the JSON value (a list of objects with name, issuer, subject, audiences).
        where: names the list in error messages.

    Returns:
        The credentials.

    Raises:
        ValueError: not a list, more than 20, or an entry lacks a field.
    """
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValueError(f"{where} must be a list")
    if len(items) > MAX_PER_APP:
        raise ValueError(f"{where} holds {len(items)} credentials; Entra allows {MAX_PER_APP}")
    credentials = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{at} must be an object")
        audiences = item.get("audiences", [TOKEN_EXCHANGE_AUDIENCE])
        if (
            not isinstance(audiences, list)
            or len(audiences) != 1
            or not all(isinstance(a, str) and a for a in audiences)
        ):
            raise ValueError(f"{at}.audiences must be a list of exactly one string")
        credentials.append(
            FederatedCredential(
                name=_text(item, "name", at),
                issuer=_text(item, "issuer", at),
                subject=_text(item, "subject", at),
                audiences=tuple(audiences),
            )
        )
    return credentials
