"""Pure parts of the sign-in services: msal error sentences, token claims."""

from __future__ import annotations

import base64
import json

import pytest

from bgwizard.auth.msal_errors import aadsts_codes, describe_failure
from bgwizard.auth.tokens import identity_from_claims, token_claims
from bgwizard.errors import AuthError


@pytest.mark.parametrize(
    ("result", "sentence"),
    [
        (
            {"error": "invalid_grant", "error_codes": [50126]},
            "Sign-in failed: the password was wrong.",
        ),
        (
            {"error": "invalid_grant", "error_description": "AADSTS50053: locked. Trace ID: 1"},
            "Sign-in failed: the account is locked after too many wrong passwords.",
        ),
        ({"error": "authorization_declined"}, "Sign-in was declined in the browser."),
        (
            {"error": "expired_token", "error_codes": [70020]},
            "The sign-in code expired before it was used; start again.",
        ),
        (
            {
                "error": "invalid_request",
                "error_description": "AADSTS99999: Something odd happened.\r\nTrace ID: abc",
            },
            "Sign-in failed: Something odd happened.",
        ),
        ({"error": "weird"}, "Sign-in failed: weird."),
    ],
)
def test_msal_failures_become_one_sentence(result: dict[str, object], sentence: str) -> None:
    assert describe_failure(result) == sentence


def test_aadsts_codes_come_from_the_list_and_the_description() -> None:
    result = {"error_codes": [50126], "error_description": "AADSTS50126: x AADSTS50053"}
    assert aadsts_codes(result) == [50126, 50053]


def _jwt(claims: dict[str, object]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{body}."


def test_identity_reads_the_claims_of_a_delegated_token() -> None:
    token = _jwt(
        {
            "oid": "o",
            "tid": "t",
            "preferred_username": "a@b.c",
            "name": "A",
            "wids": ["62e90394-69f5-4237-9190-012177145e10"],
            "scp": "User.Read Policy.Read.All",
        }
    )
    identity = identity_from_claims(token_claims(token))
    assert (identity.object_id, identity.tenant_id, identity.upn) == ("o", "t", "a@b.c")
    assert identity.is_global_admin
    assert identity.scopes == ("User.Read", "Policy.Read.All")
    assert not identity.app_only


def test_identity_of_an_app_only_token_uses_roles_and_app_name() -> None:
    claims = {"oid": "sp", "tid": "t", "roles": ["AuditLog.Read.All"], "app_displayname": "X"}
    identity = identity_from_claims(claims, app_only=True)
    assert identity.app_only and identity.upn == "X"
    assert identity.scopes == ("AuditLog.Read.All",)


def test_a_token_that_is_not_a_jwt_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="cannot read"):
        token_claims("opaque-token")
