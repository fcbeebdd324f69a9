"""Microsoft Graph v1.0 on the emulator: the context every route module shares.

Routes are registered by ``bgwizard.emulator.graph.routes``, which imports the route modules;
they import this module, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgwizard.emulator.graph import authz
from bgwizard.emulator.graph.odata import Collection, apply_query, page, select_fields, shape
from bgwizard.emulator.http.core import (
    HttpError,
    Request,
    Response,
    graph_error,
    json_response,
)
from bgwizard.emulator.tenant.records import Caller
from bgwizard.emulator.tenant.state import JsonDict, TenantState

V1 = r"/v1\.0"
ID = r"(?P<id>[^/]+)"


class GraphContext:
    """What every Graph handler needs: state, URLs, the caller, paging and errors."""

    def __init__(self, state: TenantState, graph_url: Callable[[], str]) -> None:
        self.state = state
        self._graph_url = graph_url

    @property
    def graph_url(self) -> str:
        """``https://127.0.0.1:PORT/v1.0``."""
        return self._graph_url()

    def caller(self, request: Request, need: authz.Need) -> Caller:
        """Authenticate the request and check ``need``.

        Raises:
            HttpError: 401 or 403 in Graph's form.
        """
        caller = authz.caller_of(self.state, request)
        authz.require(caller, need)
        return caller

    def collection(self, request: Request, items: list[JsonDict], spec: Collection) -> Response:
        """A filtered, ordered, paged collection response."""
        items = apply_query(request, items, spec)
        return json_response(
            200,
            page(
                request,
                items,
                spec,
                self.graph_url,
                self.state.settings.page_size,
                self.state.settings.max_page_size,
            ),
        )

    def entity(self, request: Request, item: JsonDict, spec: Collection) -> Response:
        """A single entity with ``@odata.context`` and ``$select`` applied."""
        selected = select_fields(request, spec)
        context = f"{self.graph_url}/$metadata#{spec.context}/$entity"
        return json_response(200, {"@odata.context": context, **shape(item, spec, selected)})

    @staticmethod
    def not_found(kind: str, object_id: str) -> HttpError:
        """404 ``Request_ResourceNotFound`` as Graph words it."""
        return HttpError(
            graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{object_id}' does not exist or one of its queried reference-property "
                f"objects are not present ({kind}).",
            )
        )

    @staticmethod
    def bad_request(message: str, code: str = "Request_BadRequest") -> HttpError:
        """400 with Graph's error body."""
        return HttpError(graph_error(400, code, message))

    def json_object(self, request: Request) -> dict[str, Any]:
        """The request body, which must be a JSON object."""
        body = request.json()
        if not isinstance(body, dict):
            raise self.bad_request("The request body must be a JSON object.", "BadRequest")
        return body
