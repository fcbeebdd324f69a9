"""Graph JSON batching: ``POST /v1.0/$batch`` with up to 20 requests, answered one by one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bgwizard.emulator.http.core import HttpError, Request, Response, graph_error, json_response

MAX_REQUESTS = 20
Handle = Callable[[Request], Response | None]


def _bad(message: str) -> HttpError:
    return HttpError(graph_error(400, "BadRequest", message))


def _inner_request(outer: Request, item: Any) -> tuple[str, Request]:
    if not isinstance(item, dict) or not item.get("id") or not item.get("url"):
        raise _bad("Each batch request needs an id, a method and a url.")
    url = str(item["url"])
    for prefix in ("https://graph.microsoft.com/v1.0", "/v1.0"):
        url = url.removeprefix(prefix)
    parts = urlsplit("/" + url.lstrip("/"))
    headers = Message()
    auth = outer.headers.get("Authorization")
    if auth:
        headers["Authorization"] = auth
    for name, value in (item.get("headers") or {}).items():
        headers[name] = str(value)
    body = item.get("body")
    path = re.sub(r"/{2,}", "/", "/v1.0" + unquote(parts.path)).rstrip("/")
    return str(item["id"]), Request(
        method=str(item.get("method", "GET")).upper(),
        path=path,
        raw_query=parts.query,
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers=headers,
        body=b"" if body is None else json.dumps(body).encode(),
    )


def run_batch(request: Request, handle: Handle) -> Response | None:
    """Answer a JSON batch by passing each request to ``handle`` (faults included).

    Returns:
        The batch response, or None when a fault dropped the connection.
    """
    try:
        body = request.json()
        items = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise _bad("The batch body needs a non-empty 'requests' list.")
        if len(items) > MAX_REQUESTS:
            raise _bad(f"A batch may hold at most {MAX_REQUESTS} requests.")
        inner = [_inner_request(request, item) for item in items]
    except HttpError as exc:
        return exc.response
    if len({rid for rid, _ in inner}) != len(inner):
        return graph_error(400, "BadRequest", "Batch request ids must be unique.")
    responses = []
    for rid, sub in inner:
        answer = handle(sub)
        if answer is None:
            return None
        try:
            payload = json.loads(answer.body) if answer.body else None
        except ValueError:
            payload = answer.body.decode("utf-8", "replace")
        headers = {"Content-Type": answer.content_type, **answer.headers}
        responses.append({"id": rid, "status": answer.status, "headers": headers, "body": payload})
    return json_response(200, {"responses": responses})
