"""A small IPP client (RFC 8010/8011) for asking the CUPS scheduler about queues and jobs.

Only what following a job needs: encode a request of simple attributes, send it over the
scheduler's local socket or TCP (``CUPS_SERVER``, ``client.conf``, then CUPS's defaults, the
same order the CUPS tools use), decode the answer into groups of attributes. Collections are
skipped. Documents are never sent this way: jobs go in through ``lp`` on standard input.
"""

from __future__ import annotations

import getpass
import http.client
import os
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bgwizard.errors import PrintError

CUPS_GET_DEFAULT: Final = 0x4001
CUPS_GET_PRINTERS: Final = 0x4002
CANCEL_JOB: Final = 0x0008
GET_JOB_ATTRIBUTES: Final = 0x0009
GET_PRINTER_ATTRIBUTES: Final = 0x000B

TIMEOUT_SECONDS: Final = 10.0
MAX_RESPONSE: Final = 4 * 1024 * 1024
"""The most an answer may hold (a scheduler with thousands of queues stays far below)."""

_OPERATION: Final = 0x01
_END: Final = 0x03
_INTEGER_TAGS: Final = frozenset({0x21, 0x23})
_BOOLEAN: Final = 0x22
_WITH_LANGUAGE: Final = frozenset({0x35, 0x36})
_BEGIN_COLLECTION: Final = 0x34
_END_COLLECTION: Final = 0x37
_STRING_TAGS: Final = frozenset(range(0x41, 0x4A))

Value = int | bool | str | bytes


@dataclass
class Group:
    """One attribute group of an IPP answer (``printer-attributes``, ``job-attributes``...)."""

    tag: int
    attributes: dict[str, list[Value]] = field(default_factory=dict)

    def first(self, name: str, default: Value = "") -> Value:
        """The first value of ``name``, or ``default``."""
        values = self.attributes.get(name)
        return values[0] if values else default

    def texts(self, name: str) -> list[str]:
        """Every value of ``name`` as text."""
        return [str(v) for v in self.attributes.get(name, [])]


@dataclass
class Answer:
    """A decoded IPP answer."""

    status: int
    groups: list[Group]

    @property
    def ok(self) -> bool:
        """True for the successful-ok range (0x0000-0x00FF)."""
        return self.status < 0x0100

    def of(self, tag: int) -> list[Group]:
        """The groups with delimiter ``tag`` (0x04 printer, 0x02 job)."""
        return [g for g in self.groups if g.tag == tag]


def encode(operation: int, request_id: int, attributes: Sequence[tuple[int, str, Value]]) -> bytes:
    """An IPP/2.0 request: the operation attributes given, after charset and language."""
    out = bytearray(struct.pack(">BBHI", 2, 0, operation, request_id))
    out.append(_OPERATION)
    fixed: list[tuple[int, str, Value]] = [
        (0x47, "attributes-charset", "utf-8"),
        (0x48, "attributes-natural-language", "en"),
    ]
    previous = ""
    for tag, name, value in [*fixed, *attributes]:
        data = _value_bytes(tag, value)
        key = b"" if name == previous else name.encode()
        out += struct.pack(">BH", tag, len(key)) + key + struct.pack(">H", len(data)) + data
        previous = name
    out.append(_END)
    return bytes(out)


def _value_bytes(tag: int, value: Value) -> bytes:
    if tag in _INTEGER_TAGS:
        return struct.pack(">i", int(value))
    if tag == _BOOLEAN:
        return b"\x01" if value else b"\x00"
    return value if isinstance(value, bytes) else str(value).encode()


def decode(data: bytes) -> Answer:
    """Decode an IPP answer.

    Raises:
        PrintError: the answer is not IPP.
    """
    try:
        return _decode(data)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError):
        raise PrintError("The print system sent an answer that is not IPP.") from None


def _decode(data: bytes) -> Answer:
    _major, _minor, status, _request = struct.unpack_from(">BBHI", data, 0)
    at = 8
    groups: list[Group] = []
    current: Group | None = None
    name = ""
    depth = 0
    while at < len(data):
        tag = data[at]
        at += 1
        if tag == _END:
            break
        if tag < 0x10:
            current = Group(tag)
            groups.append(current)
            continue
        (length,) = struct.unpack_from(">H", data, at)
        at += 2
        raw_name = data[at : at + length].decode()
        at += length
        (length,) = struct.unpack_from(">H", data, at)
        at += 2
        raw = data[at : at + length]
        if len(raw) != length:
            raise ValueError("truncated")
        at += length
        if tag == _BEGIN_COLLECTION:
            depth += 1
            continue
        if tag == _END_COLLECTION:
            depth -= 1
            continue
        if depth or current is None:
            continue
        name = raw_name or name
        current.attributes.setdefault(name, []).append(_value(tag, raw))
    return Answer(status, groups)


def _value(tag: int, raw: bytes) -> Value:
    if tag in _INTEGER_TAGS and len(raw) == 4:
        return int(struct.unpack(">i", raw)[0])
    if tag == _BOOLEAN and len(raw) == 1:
        return raw != b"\x00"
    if tag in _WITH_LANGUAGE and len(raw) >= 4:
        (skip,) = struct.unpack_from(">H", raw, 0)
        (length,) = struct.unpack_from(">H", raw, 2 + skip)
        return raw[4 + skip : 4 + skip + length].decode(errors="replace")
    if tag in _STRING_TAGS:
        return raw.decode(errors="replace")
    return raw


def server() -> str:
    """Where the scheduler listens: a socket path or ``host[:port]``, found as CUPS finds it."""
    named = os.environ.get("CUPS_SERVER", "").strip()
    if named:
        return named
    root = Path(os.environ.get("CUPS_SERVERROOT", "/etc/cups"))
    for conf in (Path.home() / ".cups" / "client.conf", root / "client.conf"):
        found = _server_name(conf)
        if found:
            return found
    for sock in ("/run/cups/cups.sock", "/var/run/cups/cups.sock"):
        if Path(sock).exists():
            return sock
    return "localhost:631"


def _server_name(conf: Path) -> str:
    try:
        lines = conf.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        key, _, value = line.strip().partition(" ")
        if key.lower() == "servername" and value.strip():
            return value.strip()
    return ""


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the scheduler's local socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class IppClient:
    """Sends IPP requests to the CUPS scheduler."""

    def __init__(self, where: str | None = None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        """Args:
        where: a socket path or ``host[:port]``; found as the CUPS tools find it when None.
        timeout: seconds to wait for the scheduler.
        """
        self.where = where or server()
        self._timeout = timeout
        self._next_id = 1

    def request(
        self, operation: int, attributes: Sequence[tuple[int, str, Value]], resource: str = "/"
    ) -> Answer:
        """Send one request and decode the answer.

        Raises:
            PrintError: the scheduler could not be reached or did not answer in IPP.
        """
        self._next_id += 1
        user = (0x42, "requesting-user-name", getpass.getuser())
        body = encode(operation, self._next_id, [*attributes, user])
        connection = self._connection()
        failure = ""
        try:
            connection.request("POST", resource, body, {"Content-Type": "application/ipp"})
            response = connection.getresponse()
            data = response.read(MAX_RESPONSE + 1)
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            failure = getattr(exc, "strerror", None) or type(exc).__name__
        finally:
            connection.close()
        if failure:
            raise PrintError(
                f"The print system (CUPS at {self.where}) is not running or cannot be reached"
                f" ({failure})."
            )
        if status != 200:
            raise PrintError(f"The print system (CUPS at {self.where}) answered HTTP {status}.")
        if len(data) > MAX_RESPONSE:
            raise PrintError("The print system's answer is too large to read.")
        return decode(data)

    def _connection(self) -> http.client.HTTPConnection:
        if self.where.startswith("/"):
            return _UnixConnection(self.where, self._timeout)
        host, _, port = self.where.rpartition(":") if ":" in self.where else (self.where, "", "")
        try:
            number = int(port) if port else 631
        except ValueError:
            number, host = 631, self.where
        return http.client.HTTPConnection(host or "localhost", number, timeout=self._timeout)
