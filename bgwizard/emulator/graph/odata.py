"""OData query options and paging for Graph collections: $filter $select $orderby $top $count."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bgwizard.emulator.errors import FilterError
from bgwizard.emulator.graph.odata_filter import parse_filter
from bgwizard.emulator.http.core import HttpError, Request, graph_error
from bgwizard.emulator.tenant.state import JsonDict


@dataclass
class Collection:
    """How one Graph collection may be queried."""

    resource: str
    """Graph type name for error messages (``User``, ``signIn``...)."""
    context: str
    """``@odata.context`` fragment after ``$metadata#``."""
    filterable: set[str] = field(default_factory=set)
    properties: set[str] = field(default_factory=set)
    """Properties ``$select`` may name (empty: any)."""
    default_select: list[str] | None = None
    """Properties returned without ``$select`` (None: all but ``hidden``)."""
    hidden: set[str] = field(default_factory=set)
    """Properties returned only when selected (``signInActivity``)."""
    bad_request_code: str = "Request_UnsupportedQuery"
    directory_objects: bool = False
    """Users and groups: ``$count`` and ``endswith`` need ``ConsistencyLevel: eventual``."""


def _fail(code: str, message: str) -> HttpError:
    return HttpError(graph_error(400, code, message))


def select_fields(request: Request, spec: Collection) -> list[str] | None:
    """The ``$select`` list, checked against the collection's properties."""
    raw = request.query.get("$select")
    if not raw:
        return None
    names = [s.strip() for s in raw.split(",") if s.strip()]
    for name in names:
        if spec.properties and name not in spec.properties:
            raise _fail(
                "BadRequest",
                f"Could not find a property named '{name}' on type "
                f"'microsoft.graph.{spec.resource[0].lower()}{spec.resource[1:]}'.",
            )
    return names


def shape(item: JsonDict, spec: Collection, selected: list[str] | None) -> JsonDict:
    """Project ``item`` onto the selected (or default) properties."""
    if selected is not None:
        keys = ["id", *[s for s in selected if s != "id"]]
        return {k: item.get(k) for k in keys}
    if spec.default_select is not None:
        return {k: item.get(k) for k in spec.default_select}
    return {k: v for k, v in item.items() if k not in spec.hidden}


def _check_advanced(request: Request, spec: Collection) -> None:
    if not spec.directory_objects:
        return
    if request.headers.get("ConsistencyLevel", "").lower() == "eventual":
        return
    if request.query.get("$count", "").lower() == "true":
        raise _fail(
            "Request_BadRequest",
            "$count needs the 'ConsistencyLevel: eventual' header on directory objects. Refer "
            "to https://aka.ms/graph-docs/advanced-queries for more information.",
        )
    if "endswith(" in request.query.get("$filter", "").lower():
        raise _fail(
            "Request_UnsupportedQuery",
            "Operator 'endsWith' is not supported because the 'ConsistencyLevel:eventual' "
            "header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more "
            "information.",
        )


def apply_query(request: Request, items: list[JsonDict], spec: Collection) -> list[JsonDict]:
    """Filter and order ``items`` as ``$filter`` and ``$orderby`` ask."""
    _check_advanced(request, spec)
    text = request.query.get("$filter")
    if text:
        try:
            predicate = parse_filter(text, spec.filterable, spec.resource)
        except FilterError as exc:
            raise _fail(spec.bad_request_code, str(exc)) from None
        items = [i for i in items if predicate(i)]
    order = request.query.get("$orderby")
    if order:
        for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
            name, _, direction = clause.partition(" ")
            if spec.properties and name not in spec.properties:
                raise _fail(spec.bad_request_code, f"Unsupported $orderby property '{name}'.")
            desc = direction.strip().lower() == "desc"
            present = [i for i in items if i.get(name) is not None]
            missing = [i for i in items if i.get(name) is None]
            present.sort(key=lambda i: _sort_key(i.get(name)), reverse=desc)
            items = present + missing
    return items


def _sort_key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def page(
    request: Request,
    items: list[JsonDict],
    spec: Collection,
    graph_url: str,
    page_size: int,
    max_page_size: int | None = None,
) -> JsonDict:
    """One page of ``items`` with ``@odata.context``, ``@odata.nextLink`` and ``@odata.count``."""
    top = _int(request.query.get("$top"), "$top")
    size = min(top, max_page_size or page_size) if top else page_size
    start = _offset(request.query.get("$skiptoken"))
    selected = select_fields(request, spec)
    chunk = items[start : start + size]
    context = f"{graph_url}/$metadata#{spec.context}"
    if selected:
        context += f"({','.join(selected)})"
    body: JsonDict = {"@odata.context": context}
    if request.query.get("$count", "").lower() == "true":
        body["@odata.count"] = len(items)
    if start + size < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = base64.urlsafe_b64encode(f"o:{start + size}".encode()).decode()
        path = request.path[len("/v1.0") :] if request.path.startswith("/v1.0") else request.path
        body["@odata.nextLink"] = f"{graph_url}{path}?{urlencode(query)}"
    body["value"] = [shape(i, spec, selected) for i in chunk]
    return body


def _int(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _fail("BadRequest", f"Invalid value '{raw}' for {name}.") from None
    if value < 1 or value > 999:
        raise _fail("BadRequest", f"Invalid value '{raw}' for {name}: use 1 to 999.")
    return value


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith("o:"):
            raise ValueError(text)
        return int(text[2:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _fail("BadRequest", "The $skiptoken is not valid.") from None
