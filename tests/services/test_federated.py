"""Workload identity federation end to end: real msal, real RS256 tokens, real JWKS checks.

The emulator plays both sides: a pipeline's OIDC issuer on loopback (``emu.pipeline``: its
discovery document and JWKS served over HTTPS) and Entra, which fetches that JWKS to verify
the assertion's signature, then checks ``exp``, audience and subject against the app's
federated identity credential.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from audit_support import AUDIT_CLIENT_ID, audit_profile, bg_tenant, write_tenant
from cryptography.hazmat.primitives.asymmetric import rsa

from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.auth.federated import (
    ActionsTokenRequest,
    FederatedAssertion,
    TokenFile,
    check_token,
    from_environment,
)
from bgwizard.emulator import Emulator
from bgwizard.emulator.tenant.federation import FederatedCredential, parse_credentials
from bgwizard.errors import AuthError

SUBJECT = "repo:contoso/break-glass-audit:ref:refs/heads/main"
AUDIENCE = "api://AzureADTokenExchange"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant; its audit app trusts the ``gh`` issuer for SUBJECT."""
    with Emulator(
        tenant_file=write_tenant(tmp_path, bg_tenant()), state_dir=tmp_path / "e"
    ) as emulator:
        emulator.state.apps[AUDIT_CLIENT_ID].federated_credentials = [
            FederatedCredential("github-main", emulator.pipeline.issuer("gh"), SUBJECT, (AUDIENCE,))
        ]
        yield emulator


def _sign_in(emu: Emulator, token: str) -> AppOnlyAuthenticator:
    app = AppOnlyAuthenticator(audit_profile(emu), AUDIT_CLIENT_ID, assertion=lambda: token)
    app.token()
    return app


def test_a_token_file_signs_the_app_in_without_a_secret(emu: Emulator, tmp_path: Path) -> None:
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(emu.pipeline.mint("gh", SUBJECT), encoding="ascii")
    assertion = from_environment({"AZURE_FEDERATED_TOKEN_FILE": str(token_file)})
    app = AppOnlyAuthenticator(audit_profile(emu), AUDIT_CLIENT_ID, assertion=assertion)
    token, expiry = app.token()
    assert token and expiry > time.time()
    assert app.identity is not None and app.identity.app_only
    assert "Policy.Read.All" in app.identity.scopes


def test_msal_asks_for_a_fresh_assertion_when_the_access_token_expires(emu: Emulator) -> None:
    emu.state.settings.token_lifetime = 1  # msal treats a token this short as already expired
    calls: list[str] = []

    def assertion() -> str:
        calls.append("x")
        return emu.pipeline.mint("gh", SUBJECT)

    app = AppOnlyAuthenticator(audit_profile(emu), AUDIT_CLIENT_ID, assertion=assertion)
    app.token()
    app.token()
    assert len(calls) == 2


def test_github_actions_token_request_signs_in(emu: Emulator) -> None:
    url, request_token = emu.pipeline.actions_request("gh", SUBJECT)
    session = requests.Session()
    session.trust_env = False
    session.verify = str(emu.ca_pem_path)

    def get(u: str, headers: dict[str, str]) -> object:
        answer = session.get(u, headers=headers, timeout=10)
        answer.raise_for_status()
        return answer.json()

    source = ActionsTokenRequest(url, request_token, get=get)
    app = AppOnlyAuthenticator(
        audit_profile(emu), AUDIT_CLIENT_ID, assertion=FederatedAssertion(source)
    )
    assert app.token()[0]
    refused = session.get(url + "&audience=x", headers={"Authorization": "bearer nope"})
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("make", "sentence", "code"),
    [
        (lambda e: e.pipeline.mint("gh", "repo:evil/fork:ref:refs/heads/main"), "subject", 700213),
        (lambda e: e.pipeline.mint("other", SUBJECT), "issuer", 700211),
        (lambda e: e.pipeline.mint("gh", SUBJECT, "api://SomethingElse"), "audience", 700212),
        (
            lambda e: e.pipeline.mint(
                "gh", SUBJECT, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
            ),
            "signature",
            700027,
        ),
        (lambda e: e.pipeline.mint("gh", SUBJECT, lifetime=-900), "expired", 700024),
    ],
)
def test_entra_refuses_a_mismatched_assertion_with_the_aadsts_code(
    emu: Emulator, make: object, sentence: str, code: int
) -> None:
    token = make(emu)  # type: ignore[operator]
    answer = requests.post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": AUDIT_CLIENT_ID,
            "scope": "https://graph.microsoft.com/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": token,
        },
        verify=str(emu.ca_pem_path),
        timeout=10,
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    if code != 700024:  # msal never sends what check_token refuses; the rest reach Entra
        with pytest.raises(AuthError) as caught:
            _sign_in(emu, token)
        assert sentence in str(caught.value) or "time range" in str(caught.value)
        assert str(caught.value).startswith("Federated sign-in failed")


def test_a_certificate_assertion_still_works_beside_federation(emu: Emulator) -> None:
    pem = Path(__file__).resolve().parents[2] / "bgwizard" / "data" / "sample_audit_app.pem"
    app = AppOnlyAuthenticator(audit_profile(emu), AUDIT_CLIENT_ID, certificate_pem=pem)
    assert app.token()[0]


def test_token_problems_are_one_sentence_before_anything_is_sent(
    emu: Emulator, tmp_path: Path
) -> None:
    missing = FederatedAssertion(TokenFile(tmp_path / "absent"))
    with pytest.raises(AuthError, match=r"token file .*absent does not exist\.$"):
        missing()
    expired = emu.pipeline.mint("gh", SUBJECT, lifetime=-60)
    with pytest.raises(AuthError, match=r"expired at \d{4}-\d\d-\d\d"):
        check_token(expired, "the token file t")
    other = emu.pipeline.mint("gh", SUBJECT, "api://other")
    with pytest.raises(
        AuthError, match="for audience 'api://other', not 'api://AzureADTokenExchange'"
    ):
        check_token(other, "the token file t")
    with pytest.raises(AuthError, match="is not a JWT"):
        check_token("not-a-token", "the token file t")
    with pytest.raises(AuthError, match="AZURE_FEDERATED_TOKEN_FILE"):
        from_environment({})


def test_the_tenant_file_lists_federated_credentials() -> None:
    creds = parse_credentials(
        [{"name": "gh", "issuer": "https://i", "subject": "s", "audiences": [AUDIENCE]}], "apps[1]"
    )
    assert creds == [FederatedCredential("gh", "https://i", "s", (AUDIENCE,))]
    with pytest.raises(ValueError, match=r"apps\[1\]\[0\] has no 'subject'"):
        parse_credentials([{"name": "gh", "issuer": "https://i"}], "apps[1]")
    with pytest.raises(ValueError, match="exactly one"):
        parse_credentials(
            [{"name": "g", "issuer": "i", "subject": "s", "audiences": []}], "apps[1]"
        )
    with pytest.raises(ValueError, match="Entra allows 20"):
        parse_credentials([{"name": "g", "issuer": "i", "subject": "s"}] * 21, "apps[1]")
