"""A small HTTPS server (stdlib) with request/response objects and a regex router."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from bgwizard.emulator.tenant.state import iso, new_id, utcnow


@dataclass
class Request:
    """One HTTP request as the handlers see it."""

    method: str
    path: str
    """The path with ``//`` collapsed and no query string."""
    raw_query: str
    query: dict[str, str]
    headers: Message
    body: bytes
    route: str = ""
    """The pattern of the route that matched (set by ``Router.dispatch``)."""

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            HttpError: 400 in Graph's error form when the body is not JSON.
        """
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise HttpError(
                graph_error(400, "BadRequest", "The request body is not valid JSON.")
            ) from None

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded``."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    """What a handler answers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """Raised by handlers to answer with ``response`` at once."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    body = json.dumps(obj).encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8", dict(headers or {}))


def graph_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An error body in Graph's form, with ``innerError`` request id and date."""
    request_id = new_id()
    inner = {"request-id": request_id, "client-request-id": request_id, "date": iso(utcnow())}
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return json_response(status, body, {"request-id": request_id, **(headers or {})})


Handler = Callable[[Request, "re.Match[str]"], Response | None]
"""A route handler: a Response, or None to drop the connection (fault injection)."""


class Router:
    """Routes ``(method, path regex)`` to handlers; the first full match wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` and a path regex (matched in full)."""
        self._routes.append((method, re.compile(pattern, re.IGNORECASE), handler))

    def routes(self) -> list[tuple[str, str]]:
        """Every registered ``(method, path pattern)``, in order."""
        return [(method, pattern.pattern) for method, pattern, _ in self._routes]

    def dispatch(self, request: Request) -> Response | None:
        """Call the matching handler, or answer 404/405 in Graph's form."""
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed = True
                continue
            request.route = pattern.pattern
            try:
                return handler(request, match)
            except HttpError as exc:
                return exc.response
        if allowed:
            return graph_error(405, "Request_BadRequest", "The HTTP method is not allowed here.")
        return graph_error(
            404,
            "Request_ResourceNotFound",
            f"Resource not found for the segment in {request.path}.",
        )


#: The application the server calls: a Response, or None to drop the connection.
App = Callable[[Request], Response | None]


class HttpsServer(ThreadingHTTPServer):
    """A threading HTTP server whose connections are wrapped in TLS inside their thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, context: ssl.SSLContext, app: App) -> None:
        self.context = context
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def close_connections(self) -> None:
        """Cut every open client connection (keep-alive ones too), as a stopped server would."""
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: broken client connections are normal in fault tests."""

    def start(self) -> threading.Thread:
        """Serve forever in a daemon thread."""
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HttpsServer

    def setup(self) -> None:
        self.request.settimeout(30)
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = self.server.context.wrap_socket(self.request, server_side=True)
        with self.server.connections_lock:
            self.server.connections.add(self.request)
        super().setup()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.request)

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: requests may carry passwords in their bodies."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path = re.sub(r"/{2,}", "/", unquote(parts.path)) or "/"
        if len(path) > 1:
            path = path.rstrip("/")
        request = Request(
            method=self.command,
            path=path,
            raw_query=parts.query,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=self.headers,
            body=self._body(),
        )
        response = self.server.app(request)
        if response is None:
            self._drop()
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)
        self.request.close()
