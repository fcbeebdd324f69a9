"""Microsoft Graph v1.0 on the emulator: the context every route module shares.

Routes are registered by ``bgwizard.emulator.graph.routes``, which imports the route modules;
they import this module, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bgwizard.emulator.graph import authz, requirements
from bgwizard.emulator.graph.odata import Collection, apply_query, page, select_fields, shape
from bgwizard.emulator.http.core import (
    Handler,
    HttpError,
    Request,
    Response,
    Router,
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
        self.operations: dict[tuple[str, str], str] = {}
        """``(method, path pattern)`` → the ground-truth operation id the route answers."""

    @property
    def graph_url(self) -> str:
        """``https://127.0.0.1:PORT/v1.0``."""
        return self._graph_url()

    def route(self, router: Router, method: str, pattern: str, handler: Handler, op: str) -> None:
        """Register a route that answers the table's operation ``op``.

        Raises:
            KeyError: ``op`` is neither in the ground-truth table nor borrowed.
        """
        requirements.table_requirement(op)
        self.operations[(method, pattern)] = op
        router.add(method, pattern, handler)

    def caller(self, request: Request, target: str | None = None) -> Caller:
        """Authenticate the request and check its route's documented requirement.

        Args:
            request: the request (its ``route`` names the operation).
            target: the id or UPN of the user the operation acts on, if any.

        Raises:
            HttpError: 401, 403 (permission, role or licence) or 400 (query option).
        """
        caller = self.authenticate(request)
        self.require(caller, self.operation(request), target)
        return caller

    def operation(self, request: Request) -> str:
        """The ground-truth operation id of the request's route."""
        return self.operations[(request.method, request.route)]

    def authenticate(self, request: Request) -> Caller:
        """The caller, and the route's query options checked; the handler checks the rest.

        Raises:
            HttpError: 401, or 400 for an unsupported query option.
        """
        caller = authz.caller_of(self.state, request)
        requirements.check_query(request, requirements.table_requirement(self.operation(request)))
        return caller

    def require(self, caller: Caller, op: str, target: str | None = None) -> None:
        """Check one more documented requirement (``signInActivity``, ``passwordProfile``).

        Raises:
            HttpError: 403 or the licence error.
        """
        need = requirements.table_requirement(op)
        user = self.state.find_user(target) if target else None
        requirements.check(self.state, caller, need, str(user["id"]) if user else target)
        requirements.check_licence(self.state, need)

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
