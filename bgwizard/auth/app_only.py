"""App-only sign-in (client credentials) for unattended audits.

An msal ``ConfidentialClientApplication`` proves the app's identity with a certificate
(a PEM holding the private key and the certificate) or, for the emulator, a client secret.
Tokens stay in msal's in-memory cache.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bgwizard.auth.federated import federation_sentence
from bgwizard.auth.http import msal_options
from bgwizard.auth.identity import SignedInIdentity
from bgwizard.auth.msal_errors import aadsts_codes, auth_error, call_msal
from bgwizard.auth.tokens import (
    GRAPH_SCOPES,
    MsalTokenCredential,
    expires_on,
    identity_from_claims,
    token_claims,
)
from bgwizard.errors import AuthError
from bgwizard.inputs import MiB, read_input
from bgwizard.profile.model import Profile
from bgwizard.secret import Secret

if TYPE_CHECKING:
    import msal


@dataclass(frozen=True)
class CertificateCredential:
    """A client certificate read from a PEM file: private key, certificate, thumbprints."""

    private_key_pem: Secret
    certificate_pem: str
    sha1_thumbprint: str
    """Upper-case hex, as the Entra portal shows it."""
    sha256_thumbprint: str

    @classmethod
    def from_pem_file(cls, path: Path) -> CertificateCredential:
        """Read a PEM file holding an unencrypted private key and its certificate.

        Args:
            path: the PEM file.

        Returns:
            The credential.

        Raises:
            AuthError: the file is missing, or lacks the key or the certificate.
        """
        data = read_input(path, what="certificate file", limit=1 * MiB, error=AuthError)
        return cls.from_pem(data, source=str(path))

    @classmethod
    def from_pem(cls, data: bytes, *, source: str = "the certificate") -> CertificateCredential:
        """Read PEM bytes holding an unencrypted private key and its certificate.

        Args:
            data: the PEM text.
            source: names the origin in error messages.

        Returns:
            The credential.

        Raises:
            AuthError: the key or the certificate is missing or unreadable.
        """
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            key = serialization.load_pem_private_key(data, password=None)
            cert = x509.load_pem_x509_certificate(data)
        except (ValueError, TypeError) as exc:
            raise AuthError(
                f"{source} must hold an unencrypted private key and its certificate (PEM)."
            ) from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthError(f"{source} must hold an RSA private key; Entra ID accepts no other.")
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return cls(
            private_key_pem=Secret(key_pem),
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            sha1_thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),
            sha256_thumbprint=cert.fingerprint(hashes.SHA256()).hex().upper(),
        )

    def msal_credential(self) -> dict[str, str]:
        """The ``client_credential`` dictionary msal takes (PS256 with the SHA-256 thumbprint)."""
        return {
            "private_key": self.private_key_pem.reveal(),
            "public_certificate": self.certificate_pem,
        }


class AppOnlyAuthenticator:
    """Client-credentials sign-in for an app registration (unattended ``bgwizard audit``)."""

    def __init__(
        self,
        profile: Profile,
        client_id: str,
        certificate_pem: Path | None = None,
        secret: Secret | str | None = None,
        assertion: Callable[[], str] | None = None,
    ) -> None:
        """Prepare the sign-in; nothing is contacted yet.

        Args:
            profile: tenant, authority host and CA bundle come from here.
            client_id: the app registration's application (client) id.
            certificate_pem: a PEM with the private key and the certificate.
            secret: a client secret instead of a certificate (emulator, tests).
            assertion: instead of either, a callable returning a client assertion (workload
                identity federation: ``bgwizard.auth.federated``); msal calls it per request.

        Raises:
            AuthError: not exactly one of certificate, secret and assertion, or no tenant id.
        """
        if [certificate_pem, secret, assertion].count(None) != 2:
            raise AuthError(
                "App-only sign-in needs one of a certificate, a client secret or a federated token."
            )
        if not profile.tenant_id:
            raise AuthError("App-only sign-in needs the tenant id in the profile.")
        self._profile = profile
        self._client_id = client_id
        self._certificate = (
            CertificateCredential.from_pem_file(certificate_pem) if certificate_pem else None
        )
        self._secret = secret if isinstance(secret, Secret) or secret is None else Secret(secret)
        self._assertion = assertion
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()
        self._identity: SignedInIdentity | None = None

    @property
    def identity(self) -> SignedInIdentity | None:
        """The application signed in, once ``sign_in`` succeeded."""
        return self._identity

    @property
    def certificate(self) -> CertificateCredential | None:
        """The client certificate in use, if any."""
        return self._certificate

    def _client_credential(self) -> Any:
        if self._certificate is not None:
            return self._certificate.msal_credential()
        if self._assertion is not None:
            return {"client_assertion": self._assertion}
        assert self._secret is not None
        return self._secret.reveal()

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                import msal

                profile = self._profile
                self._app = call_msal(
                    profile.authority,
                    lambda: msal.ConfidentialClientApplication(
                        self._client_id,
                        client_credential=self._client_credential(),
                        token_cache=msal.TokenCache(),
                        **msal_options(profile),
                    ),
                )
            return self._app

    def token(self, scopes: tuple[str, ...] = GRAPH_SCOPES) -> tuple[str, int]:
        """An app-only access token (from the cache while valid). Blocking.

        Args:
            scopes: the scopes (``.default`` of the resource).

        Returns:
            The token and its expiry as a Unix time.

        Raises:
            AuthError: the secret or certificate was refused.
            NetworkDown: the sign-in service could not be reached.
        """
        app = self._application()
        result = call_msal(
            self._profile.authority, lambda: app.acquire_token_for_client(list(scopes))
        )
        if "access_token" not in result:
            federated = federation_sentence(aadsts_codes(result)) if self._assertion else None
            raise AuthError(federated) if federated else auth_error(result)
        token = str(result["access_token"])
        if self._identity is None:
            self._identity = identity_from_claims(token_claims(token), app_only=True)
        return token, expires_on(result)

    async def sign_in(self) -> SignedInIdentity:
        """Get a first token and return the application's identity.

        Returns:
            The identity (``app_only`` set, application roles in ``scopes``).

        Raises:
            AuthError: the secret or certificate was refused.
            NetworkDown: the sign-in service could not be reached.
        """
        token, _ = await asyncio.to_thread(self.token)
        self._identity = identity_from_claims(token_claims(token), app_only=True)
        return self._identity

    def credential(self) -> MsalTokenCredential:
        """An async credential for msgraph-sdk backed by this app.

        Returns:
            The credential.
        """
        return MsalTokenCredential(self)
