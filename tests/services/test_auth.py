"""msal sign-in against the emulator over HTTPS: device code, cancel, app-only, errors."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from consented import ALL_SCOPES, consented
from service_support import (
    ADMIN,
    AUDIT_APP,
    AUDIT_PEM,
    NOBODY,
    device_sign_in,
    profile_for,
)

from bgwizard.auth.app_only import AppOnlyAuthenticator, CertificateCredential
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.auth.msal_errors import auth_error
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.errors import AuthError, NetworkDown, SignInCancelled


async def test_device_code_sign_in_approved_while_msal_polls(emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    prompt = await auth.start_device_code()
    assert prompt.user_code and prompt.verification_uri.startswith(emu.base_url)
    assert prompt.user_code in prompt.message

    def approve_once_pending() -> None:
        pending = emu.wait_for_device_code()
        emu.approve_device_code(pending["user_code"], ADMIN.upn, ADMIN.password)

    approver = threading.Thread(target=approve_once_pending)
    approver.start()
    identity = await auth.finish_device_code(prompt)
    approver.join()

    assert identity.upn == ADMIN.upn
    assert identity.object_id == ADMIN.id
    assert identity.tenant_id == emu.tenant_id
    assert identity.is_global_admin and GLOBAL_ADMIN_ROLE_ID in identity.role_ids
    assert set(identity.scopes) == set(ALL_SCOPES)  # exactly what was asked, no more
    assert auth.identity == identity


async def test_token_comes_from_the_in_memory_cache(emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, emu, ADMIN)
    first, expires = await asyncio.to_thread(auth.token)
    second, _ = await asyncio.to_thread(auth.token)
    assert first == second
    assert expires > time.time() + 60


async def test_credential_hands_kiota_an_access_token(emu: Emulator) -> None:
    from azure.core.credentials import AccessToken

    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, emu, ADMIN)
    token = await auth.credential().get_token(
        "https://graph.microsoft.com/.default", claims=None, enable_cae=True
    )
    assert isinstance(token, AccessToken)
    assert token.token == (await asyncio.to_thread(auth.token))[0]


async def test_wrong_password_keeps_the_code_pending_then_the_right_one_works(
    emu: Emulator,
) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    prompt = await auth.start_device_code()
    results: list[bool] = []

    def approve() -> None:
        results.append(emu.approve_device_code(prompt.user_code, ADMIN.upn, "wrong-password"))
        results.append(emu.approve_device_code(prompt.user_code, ADMIN.upn, ADMIN.password))

    approver = threading.Thread(target=approve)
    approver.start()
    identity = await auth.finish_device_code(prompt)
    approver.join()
    assert results == [False, True]
    assert identity.upn == ADMIN.upn


def test_wrong_password_answer_becomes_one_clear_sentence(emu: Emulator) -> None:
    """The emulator's real answer to a wrong password (test-only password grant)."""
    answer = requests.post(
        f"{emu.base_url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": emu.public_client_id,
            "username": NOBODY.upn,
            "password": "not-the-password",
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=str(emu.ca_pem_path),
        timeout=10,
    ).json()
    assert str(auth_error(answer)) == "Sign-in failed: the password was wrong."


async def test_declined_sign_in_is_an_auth_error(emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    prompt = await auth.start_device_code()
    denier = threading.Thread(target=emu.deny_device_code, args=(prompt.user_code,))
    denier.start()
    with pytest.raises(AuthError, match="declined"):
        await auth.finish_device_code(prompt)
    denier.join()
    assert auth.identity is None


async def test_cancel_stops_the_wait_quickly(emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    prompt = await auth.start_device_code()
    started = time.monotonic()
    waiting = asyncio.ensure_future(auth.finish_device_code(prompt))
    await asyncio.sleep(0.2)  # let msal start polling (no UI here to wait on)
    auth.cancel(prompt)
    with pytest.raises(SignInCancelled):
        await waiting
    assert time.monotonic() - started < 3
    assert auth.identity is None


async def test_login_hint_refuses_another_account(emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    with pytest.raises(AuthError, match=f"Signed in as {ADMIN.upn}, not {NOBODY.upn}"):
        await device_sign_in(auth, emu, ADMIN, hint=NOBODY.upn)
    assert auth.identity is None


async def test_separate_sign_in_leaves_the_admin_signed_in(emu: Emulator) -> None:
    admin = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    await device_sign_in(admin, emu, ADMIN)
    other = admin.separate()
    await device_sign_in(other, emu, NOBODY, hint=NOBODY.upn)

    assert admin.identity is not None and admin.identity.upn == ADMIN.upn
    assert other.identity is not None and other.identity.upn == NOBODY.upn
    other.sign_out()
    assert other.identity is None
    with pytest.raises(AuthError, match="Nobody is signed in"):
        other.token()
    token, _ = await asyncio.to_thread(admin.token)
    assert token


async def test_unreachable_authority_is_network_down(tmp_path: Path) -> None:
    with consented(Emulator(state_dir=tmp_path)) as stopped:
        profile = profile_for(stopped)
    auth = MsalAuthenticator(
        profile, scopes=ALL_SCOPES
    )  # the CA file is still there; nobody listens
    with pytest.raises(NetworkDown, match=r"Could not reach the sign-in service at 127\.0\.0\.1"):
        await auth.start_device_code()


async def test_untrusted_certificate_is_named(emu: Emulator) -> None:
    untrusting = replace(profile_for(emu), ca_bundle="")
    with pytest.raises(NetworkDown, match="TLS certificate is not trusted"):
        await MsalAuthenticator(untrusting).start_device_code()


async def test_app_only_with_client_secret(emu: Emulator) -> None:
    app = AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], secret=AUDIT_APP["secret"])
    identity = await app.sign_in()
    assert identity.app_only
    assert "Policy.Read.All" in identity.scopes
    assert "Policy.ReadWrite.ConditionalAccess" not in identity.scopes


async def test_app_only_with_certificate(emu: Emulator) -> None:
    app = AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], certificate_pem=AUDIT_PEM)
    identity = await app.sign_in()
    assert identity.app_only and identity.tenant_id == emu.tenant_id
    assert app.certificate is not None and len(app.certificate.sha1_thumbprint) == 40
    token = await app.credential().get_token("https://graph.microsoft.com/.default")
    assert token.token.count(".") == 2


async def test_app_only_wrong_secret_is_one_sentence(emu: Emulator) -> None:
    app = AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], secret="nope")
    with pytest.raises(AuthError) as caught:
        await app.sign_in()
    assert str(caught.value) == "App-only sign-in failed: the client secret was wrong."


async def test_app_only_unregistered_certificate_is_refused(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "other.pem"
    path.write_bytes(rsa_key_and_certificate())
    app = AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], certificate_pem=path)
    with pytest.raises(AuthError, match="certificate is not registered"):
        await app.sign_in()


def rsa_key_and_certificate() -> bytes:
    """A self-signed RSA certificate and its key, as one PEM, that no app registered."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not registered")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def test_app_only_needs_exactly_one_credential(emu: Emulator) -> None:
    one_of = "one of a certificate, a client secret or a federated token"
    with pytest.raises(AuthError, match=one_of):
        AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"])
    with pytest.raises(AuthError, match=one_of):
        AppOnlyAuthenticator(
            profile_for(emu), AUDIT_APP["appId"], certificate_pem=AUDIT_PEM, secret="x"
        )
    with pytest.raises(AuthError, match=one_of):
        AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], secret="x", assertion=str)


def test_certificate_with_an_ec_key_is_refused(tmp_path: Path) -> None:
    import trustme

    other = trustme.CA().issue_cert("bgwizard-test")  # trustme's default key is EC
    path = tmp_path / "ec.pem"
    path.write_bytes(other.private_key_pem.bytes() + other.cert_chain_pems[0].bytes())
    with pytest.raises(AuthError, match="must hold an RSA private key"):
        CertificateCredential.from_pem_file(path)


def test_certificate_file_without_a_key_is_refused(tmp_path: Path, emu: Emulator) -> None:
    path = tmp_path / "only-cert.pem"
    path.write_bytes(emu.ca_pem_path.read_bytes())
    with pytest.raises(AuthError, match="unencrypted private key and its certificate"):
        CertificateCredential.from_pem_file(path)


async def test_a_wrong_account_sign_in_leaves_the_signed_in_admin_alone(emu: Emulator) -> None:
    auth = MsalAuthenticator(profile_for(emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, emu, ADMIN)
    with pytest.raises(AuthError, match=f"Signed in as {NOBODY.upn}, not {ADMIN.upn}"):
        await device_sign_in(auth, emu, NOBODY, hint=ADMIN.upn)
    assert auth.identity is not None and auth.identity.upn == ADMIN.upn
    token, _ = await asyncio.to_thread(auth.token)
    assert token


async def test_unknown_client_id_is_one_sentence(emu: Emulator) -> None:
    profile = replace(profile_for(emu), client_id="11111111-2222-3333-4444-555555555555")
    with pytest.raises(AuthError) as caught:
        await MsalAuthenticator(profile, scopes=ALL_SCOPES).start_device_code()
    assert (
        str(caught.value) == "Sign-in failed: the application id is not registered in this tenant."
    )


async def test_unknown_tenant_is_one_sentence(emu: Emulator) -> None:
    profile = replace(profile_for(emu), tenant_id="99999999-2222-3333-4444-555555555555")
    with pytest.raises(AuthError, match="does not know this tenant; check the tenant id"):
        await MsalAuthenticator(profile, scopes=ALL_SCOPES).start_device_code()


async def test_sign_in_before_the_tenant_is_known_uses_organizations(emu: Emulator) -> None:
    auth = MsalAuthenticator(replace(profile_for(emu), tenant_id=""))
    await device_sign_in(auth, emu, ADMIN)
    assert auth.identity is not None and auth.identity.tenant_id == emu.tenant_id
