"""Build msgraph-sdk's ``GraphServiceClient`` for a profile, lazily.

``import msgraph`` costs ~0.16 s and the first parse of a model ~0.9 s, so nothing here
imports it at module level; ``warm_up_sdk`` pays the cost in a thread.

The client trusts the profile's CA (the emulator's) through an explicit SSL context,
keeps kiota's default middleware (retry handler included; FIELD-NOTES) with msgraph's own
default options (the ``/me`` URL rewrite), asks for Graph's ``.default`` scope, and talks
to the profile's Graph base URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from bgwizard.auth.http import ssl_context
from bgwizard.auth.tokens import GRAPH_SCOPES
from bgwizard.profile.model import Profile

if TYPE_CHECKING:
    import httpx

_CONNECT_TIMEOUT: Final = 15.0


@dataclass(frozen=True)
class RetryPolicy:
    """How patient Graph calls are: kiota's retries (429/503/504, any method), the timeout."""

    max_retries: int = 3
    """Retries after the first attempt (kiota allows up to 10)."""
    delay: float = 3.0
    """Base delay in seconds added to kiota's backoff when no ``Retry-After`` is sent."""
    timeout: float = 60.0
    """Seconds to wait for an answer (connecting has its own 15 s limit)."""


DEFAULT_RETRY: Final = RetryPolicy()


def _middleware_options(retry: RetryPolicy) -> dict[str, Any]:
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph.graph_request_adapter import options as graph_default_options

    options: dict[str, Any] = dict(graph_default_options)
    options[RetryHandlerOption.get_key()] = RetryHandlerOption(
        delay=retry.delay, max_retries=retry.max_retries
    )
    return options


@dataclass(frozen=True)
class GraphHandle:
    """A ``GraphServiceClient`` and the HTTP client under it (to close)."""

    client: Any
    """The ``GraphServiceClient`` (``Any``: msgraph's types are not useful to mypy here)."""
    http: httpx.AsyncClient


def build_graph_client(
    profile: Profile, credential: Any, retry: RetryPolicy = DEFAULT_RETRY
) -> GraphHandle:
    """A ``GraphServiceClient`` for the profile's Graph endpoint.

    Args:
        profile: Graph base URL and CA bundle come from here.
        credential: an async azure-core ``TokenCredential`` (e.g. ``MsalTokenCredential``).
        retry: the retry handler's settings and the timeout.

    Returns:
        The client and its HTTP client.
    """
    import httpx
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory

    http_client = httpx.AsyncClient(
        verify=ssl_context(profile),
        timeout=httpx.Timeout(retry.timeout, connect=min(_CONNECT_TIMEOUT, retry.timeout)),
        # Loopback (emulator) must not go through a proxy named in the environment.
        trust_env=not profile.ca_bundle,
    )
    http_client = GraphClientFactory.create_with_default_middleware(
        client=http_client, options=_middleware_options(retry)
    )
    auth = AzureIdentityAuthenticationProvider(credential, scopes=list(GRAPH_SCOPES))
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = profile.graph_url.rstrip("/")
    return GraphHandle(GraphServiceClient(request_adapter=adapter), http_client)


_SAMPLE_USER: Final = b"""{"id": "00000000-0000-0000-0000-000000000001",
 "userPrincipalName": "warm@up.invalid", "accountEnabled": true,
 "signInActivity": {"lastSuccessfulSignInDateTime": "2026-01-01T00:00:00Z"}}"""
_SAMPLE_SIGN_IN: Final = b"""{"id": "1", "createdDateTime": "2026-01-01T00:00:00Z",
 "status": {"errorCode": 0}}"""
_SAMPLE_ROLE: Final = b"""{"id": "1", "principalId": "2", "roleDefinitionId": "3",
 "directoryScopeId": "/"}"""


def warm_up_sdk() -> None:
    """Import msgraph and parse a user, a sign-in and a role assignment once (blocking).

    Run it in a thread soon after start-up so the first real Graph answer parses fast.
    """
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.sign_in import SignIn
    from msgraph.generated.models.unified_role_assignment import UnifiedRoleAssignment
    from msgraph.generated.models.user import User

    factory = JsonParseNodeFactory()
    samples: tuple[tuple[bytes, Any], ...] = (
        (_SAMPLE_USER, User),
        (_SAMPLE_SIGN_IN, SignIn),
        (_SAMPLE_ROLE, UnifiedRoleAssignment),
    )
    for sample, model in samples:
        node = factory.get_root_parse_node("application/json", sample)
        node.get_object_value(model)
