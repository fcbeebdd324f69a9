"""Fault injection: make chosen routes answer 429, 503, 403, slowly, or not at all."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from bgwizard.emulator.http.core import Request, Response, graph_error

FAULT_KINDS = ("429", "503", "403", "delay", "drop", "drop_after")
"""``drop`` closes the connection unanswered; ``drop_after`` carries the request out first
(a POST that created something, whose answer was lost on the way back)."""


@dataclass
class Fault:
    """N answers of one kind for requests whose method and path match.

    ``path`` is a regex searched in the path after ``/v1.0`` (for Graph) and in the full path,
    so ``"/users$"`` and ``"/v1.0/users$"`` both work. ``method`` ``"*"`` matches any method.
    """

    method: str = "*"
    path: str = ".*"
    kind: str = "429"
    count: int = 1
    retry_after: int = 1
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"Fault kind must be one of {', '.join(FAULT_KINDS)}.")
        if self.count < 1:
            raise ValueError("Fault count must be at least 1.")
        re.compile(self.path)

    @classmethod
    def from_json(cls, raw: Any) -> Fault:
        """Build a fault from the control API's JSON body.

        Raises:
            ValueError: A field is missing or wrong.
        """
        if not isinstance(raw, dict):
            raise ValueError("The fault must be a JSON object.")
        known = {"method", "path", "kind", "count", "retry_after", "delay"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"Unknown fault field {sorted(unknown)[0]!r}.")
        try:
            return cls(
                method=str(raw.get("method", "*")).upper(),
                path=str(raw.get("path", ".*")),
                kind=str(raw.get("kind", "429")),
                count=int(raw.get("count", 1)),
                retry_after=int(raw.get("retry_after", 1)),
                delay=float(raw.get("delay", 0.0)),
            )
        except re.error:
            raise ValueError("The fault path is not a valid regular expression.") from None

    def matches(self, request: Request) -> bool:
        """Whether this fault applies to ``request``."""
        if self.method not in ("*", request.method):
            return False
        short = request.path[len("/v1.0") :] if request.path.startswith("/v1.0") else None
        return any(
            re.search(self.path, p) is not None for p in (request.path, short) if p is not None
        )


@dataclass
class FaultOutcome:
    """What to do with a request a fault caught."""

    response: Response | None
    """The answer; None with ``drop`` true means close the connection."""
    delay: float = 0.0
    drop: bool = False
    after: bool = False
    """With ``drop``: handle the request first, then close the connection unanswered."""


class FaultTable:
    """The faults in force; thread-safe; each fault is used up after ``count`` answers."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Add a fault (checked in the order added)."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, request: Request) -> FaultOutcome | None:
        """The outcome of the first fault matching ``request``, using one of its answers."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return _outcome(fault)
        return None


def _outcome(fault: Fault) -> FaultOutcome:
    if fault.kind == "429":
        return FaultOutcome(
            graph_error(
                429,
                "TooManyRequests",
                "Too many requests. Please retry after the interval in Retry-After.",
                {"Retry-After": str(fault.retry_after)},
            )
        )
    if fault.kind == "503":
        return FaultOutcome(
            graph_error(
                503,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
                {"Retry-After": str(fault.retry_after)},
            )
        )
    if fault.kind == "403":
        return FaultOutcome(
            graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation (injected fault).",
            )
        )
    if fault.kind == "delay":
        return FaultOutcome(None, delay=fault.delay)
    return FaultOutcome(None, drop=True, after=fault.kind == "drop_after")
