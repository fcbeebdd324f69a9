"""One connection to Microsoft Graph: a lazily built client, paging, raw JSON.

``GraphConnection`` is shared, not inherited: ``GraphDirectory`` (users, tenant),
``DirectoryPolicies`` (roles, Conditional Access, methods, logs), ``AuditBatch`` and
``PasskeyGraph`` each hold the same one. They call Graph only through its helpers, inside
``connection.translate(operation)``, so every failure becomes a bgwizard error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from bgwizard.auth.http import host_of
from bgwizard.graph.client import (
    DEFAULT_RETRY,
    GraphHandle,
    RetryPolicy,
    build_graph_client,
    warm_up_sdk,
)
from bgwizard.graph.translate import Operation, sensitive_call, translate
from bgwizard.profile.model import Profile

T = TypeVar("T")

DEFAULT_LIMIT: Final = 5000
"""Most items any list call gathers (logs can be long; policies and roles never are)."""


def odata_quote(value: str) -> str:
    """``value`` as an OData string literal (single quotes doubled).

    Args:
        value: the raw string.

    Returns:
        The literal, quotes included.
    """
    return "'" + value.replace("'", "''") + "'"


def _query_class(builder: Any) -> Any:
    for name, value in vars(type(builder)).items():
        if name.endswith("GetQueryParameters"):
            return value
    raise TypeError(f"{type(builder).__name__} takes no query parameters")


def request_config(builder: Any, **query: Any) -> Any:
    """A kiota ``RequestConfiguration`` with the builder's GET query parameters set.

    Args:
        builder: an msgraph request builder.
        **query: ``filter``, ``select``, ``top``, ``orderby``... (None values are left out).

    Returns:
        The configuration, or None when no query parameter is set.
    """
    given = {k: v for k, v in query.items() if v is not None}
    if not given:
        return None
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    return RequestConfiguration(query_parameters=_query_class(builder)(**given))


class GraphConnection:
    """Owns the ``GraphServiceClient`` and the calling conventions."""

    def __init__(
        self, profile: Profile, credential: Any, *, retry: RetryPolicy = DEFAULT_RETRY
    ) -> None:
        """Remember how to reach Graph; nothing is imported or contacted yet.

        Args:
            profile: Graph base URL and CA bundle come from here.
            credential: an async azure-core ``TokenCredential`` (``MsalTokenCredential``).
            retry: kiota's retry handler settings (tests shorten the delay).
        """
        self._profile = profile
        self._credential = credential
        self._graph: GraphHandle | None = None
        self.retry: Final = retry
        """kiota's retry settings; the audit batch follows them for throttled inner requests."""
        self.host: Final = host_of(profile.graph_url)
        """Graph's host name, for error messages."""

    def client(self) -> Any:
        """The ``GraphServiceClient``, built (msgraph imported) on the first call.

        Returns:
            The client (``Any``: msgraph's types are not useful to mypy here).
        """
        if self._graph is None:
            self._graph = build_graph_client(self._profile, self._credential, self.retry)
        return self._graph.client

    def translate(self, operation: str) -> contextlib.AbstractContextManager[Operation]:
        """A context in which any failure becomes the bgwizard error for ``operation``.

        Args:
            operation: a key of ``bgwizard.graph.translate.OPERATIONS``.

        Returns:
            The context manager (``translate``).
        """
        return translate(operation, self.host)

    async def sensitive(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Await a call whose request carries a password (see ``sensitive_call``)."""
        return await sensitive_call(operation, self.host, call)

    async def warm_up(self) -> None:
        """Import msgraph and parse sample models once, in a thread."""
        await asyncio.to_thread(warm_up_sdk)

    async def close(self) -> None:
        """Close the HTTP connections (the client is rebuilt on the next call)."""
        graph, self._graph = self._graph, None
        if graph is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail
                await graph.http.aclose()

    async def collect(self, builder: Any, *, limit: int = DEFAULT_LIMIT, **query: Any) -> list[Any]:
        """Every item of a collection, following ``@odata.nextLink`` up to ``limit``."""
        page = await builder.get(request_configuration=request_config(builder, **query))
        items: list[Any] = list(getattr(page, "value", None) or [])
        while page is not None and page.odata_next_link and len(items) < limit:
            page = await builder.with_url(page.odata_next_link).get()
            items.extend(getattr(page, "value", None) or [])
        return items[:limit]

    def _errors(self) -> dict[str, Any]:
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        return {"XXX": ODataError}

    async def raw(self, request: Any) -> Mapping[str, Any]:
        """Send a kiota ``RequestInformation`` and return the JSON object Graph answered.

        Args:
            request: the request (any method).

        Returns:
            The answer's JSON object (empty for an empty body).

        Raises:
            ValueError: the answer is JSON but not an object.
        """
        adapter = self.client().request_adapter
        body = await adapter.send_primitive_async(request, "bytes", self._errors())
        document = json.loads(body) if body else {}
        if not isinstance(document, dict):
            raise ValueError("a JSON object was expected")
        return document

    async def raw_get(self, builder: Any, **query: Any) -> Mapping[str, Any]:
        """One object (or page) as the JSON Graph sent, unparsed by the SDK."""
        config = request_config(builder, **query)
        return await self.raw(builder.to_get_request_information(config))

    async def raw_collect(
        self, builder: Any, *, limit: int = DEFAULT_LIMIT, **query: Any
    ) -> list[Mapping[str, Any]]:
        """Every item of a collection as raw JSON objects, following ``@odata.nextLink``."""
        page = await self.raw_get(builder, **query)
        items: list[Mapping[str, Any]] = [i for i in page.get("value") or [] if isinstance(i, dict)]
        while page.get("@odata.nextLink") and len(items) < limit:
            page = await self.raw_get(builder.with_url(str(page["@odata.nextLink"])))
            items.extend(i for i in page.get("value") or [] if isinstance(i, dict))
        return items[:limit]

    async def raw_post(self, builder: Any, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """POST ``body`` (plain JSON) to the builder's URL; the created object as Graph sent it."""
        from kiota_abstractions.method import Method

        request = builder.to_get_request_information()
        request.http_method = Method.POST
        request.set_stream_content(json.dumps(body).encode(), "application/json")
        return await self.raw(request)

    async def raw_patch(self, builder: Any, body: Mapping[str, Any]) -> None:
        """PATCH ``body`` (plain JSON) to the builder's URL."""
        from kiota_abstractions.method import Method

        request = builder.to_get_request_information()
        request.http_method = Method.PATCH
        request.set_stream_content(json.dumps(body).encode(), "application/json")
        await self.client().request_adapter.send_no_response_content_async(request, self._errors())
