"""``bgwizard audit --tenants FILE``: audit many tenants at once, app-only, with a bound.

Each tenant signs in with its own confidential client (certificate, secret from the
environment, or the pipeline's federated token), reads through its own Graph client, and
yields the contract's JSON document. At most ``concurrency`` tenants run at the same time. A
tenant that cannot be reached or refuses the sign-in gets an ``incomplete`` document with the
reason (exit 2 for that tenant) and never stops the others; the command exits with the worst.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import requests

from bgwizard.audit.model import EXIT_CODES
from bgwizard.audit.outcomes import TenantResult
from bgwizard.audit.render import to_json_data
from bgwizard.audit.service import AuditService
from bgwizard.audit.tenants import TenantsFile, parse_tenants
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.auth.federated import from_environment
from bgwizard.auth.http import requests_session
from bgwizard.cli.audit_output import failure_document
from bgwizard.drill.service import drill_source_for
from bgwizard.errors import AuthError, BgWizardError, ProfileError, TenantsFileError
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.profile.store import TomlProfileStore

if TYPE_CHECKING:
    from bgwizard.audit.tenants import TenantSpec

T = TypeVar("T")
R = TypeVar("R")


def load_tenants(path: Path) -> TenantsFile:
    """Read and check a tenants file.

    Args:
        path: the TOML file.

    Returns:
        The tenants.

    Raises:
        TenantsFileError: unreadable, not TOML, or a key missing or wrong (line and key named).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TenantsFileError(f"Cannot read the tenants file {path}.") from exc
    return parse_tenants(text, path)


async def bounded(
    items: Sequence[T], work: Callable[[T], Awaitable[R]], concurrency: int
) -> list[R]:
    """``work`` on every item, at most ``concurrency`` at a time, results in item order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: T) -> R:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def spec_profile(spec: TenantSpec) -> Profile:
    """The profile a tenant is audited with: its profile file, or one made from the spec.

    Raises:
        ProfileError: the profile file is missing or not valid.
    """
    if spec.profile is not None:
        store = TomlProfileStore(spec.profile)
        if not store.exists():
            raise ProfileError(f"No profile at {spec.profile}.")
        profile = store.load()
        if spec.tenant_id and profile.tenant_id and spec.tenant_id != profile.tenant_id:
            raise ProfileError(f"The profile {spec.profile} is for another tenant.")
    else:
        profile = Profile(
            tenant_id=spec.tenant_id,
            tenant_name=spec.name,
            accounts=[BreakGlassAccount(upn="", object_id=oid) for oid in spec.accounts],
        )
    overrides: dict[str, Any] = {
        "authority_host": spec.authority,
        "graph_url": spec.graph_url,
        "ca_bundle": spec.ca_bundle,
        "tenant_id": spec.tenant_id,
    }
    for key, value in overrides.items():
        if value:
            setattr(profile, key, value)
    return profile


def _secret(var: str) -> str:
    value = os.environ.get(var, "")
    if not value:
        raise AuthError(f"The environment variable {var} holds no client secret.")
    return value


def app_for(spec: TenantSpec, profile: Profile) -> AppOnlyAuthenticator:
    """The app-only authenticator of one tenant.

    Raises:
        AuthError: the credential cannot be had (no secret, no federated token source).
    """
    if spec.credential == "certificate":
        return AppOnlyAuthenticator(profile, spec.client_id, certificate_pem=spec.certificate)
    if spec.credential == "secret":
        return AppOnlyAuthenticator(profile, spec.client_id, secret=_secret(spec.secret_env))
    assertion = from_environment(token_file=spec.token_file, get=actions_get(profile))
    return AppOnlyAuthenticator(profile, spec.client_id, assertion=assertion)


def actions_get(profile: Profile) -> Callable[[str, dict[str, str]], Any] | None:
    """GitHub's token request through the profile's CA bundle (an emulator), else the default."""
    if not profile.ca_bundle:
        return None
    session = requests_session(profile)

    def get(url: str, headers: dict[str, str]) -> Any:
        try:
            response = session.get(url, headers=headers, timeout=30)
        except requests.RequestException:
            raise AuthError("GitHub Actions' token request could not be reached.") from None
        if response.status_code != 200:
            raise AuthError(
                f"GitHub Actions' token request was refused (HTTP {response.status_code})."
            )
        return response.json()

    return get


async def audit_tenant(spec: TenantSpec) -> dict[str, Any]:
    """Audit one tenant and return its contract document (``incomplete`` if it could not run)."""
    try:
        profile = spec_profile(spec)
        app = app_for(spec, profile)
        await app.sign_in()
        graph = GraphDirectory(profile, app.credential())
        try:
            # Only a profile names a drill log; a tenant given by accounts alone must not be
            # judged on the default log, which belongs to whichever tenant this machine drills.
            drills = drill_source_for(profile) if spec.profile is not None else None
            service = AuditService(graph, profile, drills=drills)
            return to_json_data(await service.run())
        finally:
            await graph.close()
    except BgWizardError as exc:
        return failure_document(str(exc))
    except Exception as exc:  # one tenant's surprise must not stop the others
        return failure_document(f"The audit failed unexpectedly ({type(exc).__name__}).")


async def audit_tenants(
    specs: Sequence[TenantSpec], concurrency: int
) -> tuple[list[TenantResult], list[int]]:
    """Audit every tenant, ``concurrency`` at a time.

    Returns:
        One result per tenant, in file order, and each tenant's exit code.
    """
    documents = await bounded(specs, audit_tenant, concurrency)
    results = [TenantResult(spec.label, doc) for spec, doc in zip(specs, documents, strict=True)]
    codes = [EXIT_CODES.get(r.result, 2) for r in results]  # type: ignore[call-overload]
    return results, codes
