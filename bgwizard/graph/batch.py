"""The audit's Graph reads in one JSON batch (``POST /$batch``) instead of six calls per account.

``AuditBatch.audit_reads`` sends, per account, the user (with ``signInActivity``), its role
assignments, PIM eligibility and assignment schedules, ``transitiveMemberOf`` and
authentication methods as inner requests of one batch (20 per batch, Graph's limit), and
reads the Conditional Access policies beside it in one request with ``$top``. The batch goes
through the same kiota request adapter as every other call (auth, TLS, retry middleware).

Each inner answer is judged exactly like the single call it replaces: a 2xx body is parsed
by msgraph-sdk into the same model and converted by ``graph_convert``; an error status goes
through ``graph_errors.api_error`` (403 names the permission). Inner 429/503/504 answers
are sent again in a new batch after ``Retry-After`` (Graph's guidance for batches), up to
the retry policy's count, then reported as ``Throttled``. ``@odata.nextLink`` pages are
followed with ordinary requests. Only a refused sign-in (``AuthError``) is raised.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from bgwizard.errors import AuthError, BgWizardError
from bgwizard.graph import convert
from bgwizard.graph.batch_reads import AuditReads
from bgwizard.graph.connection import DEFAULT_LIMIT, GraphConnection, odata_quote, request_config
from bgwizard.graph.convert import USER_FIELDS
from bgwizard.graph.gateway import AuditGateway
from bgwizard.graph.model import CaPolicy
from bgwizard.graph.translate import OPERATIONS, api_error, translate_exception

T = TypeVar("T")

BATCH_LIMIT: Final = 20
"""Most inner requests Graph accepts in one ``$batch``."""
POLICY_PAGE: Final = 999
"""``$top`` for the policies and ``transitiveMemberOf``: Graph's largest page (one request)."""
_RETRYABLE: Final = frozenset({429, 503, 504})
MAX_TOTAL_WAIT: Final = 60.0
"""The longest the batch waits in all before sending again, whatever ``Retry-After`` says."""


@dataclass(frozen=True)
class _Kind(Generic[T]):
    """One kind of per-account read: its operation, URL and converter (model: ``batch_models``)."""

    operation: str
    """A key of ``graph_errors.OPERATIONS`` (the same as the single call's)."""
    builder: Callable[[Any, str], Any]
    query: Callable[[str], dict[str, Any]]
    convert: Callable[[Any], T]
    paged: bool = True


def _user_fields() -> list[str]:
    return [*USER_FIELDS, "signInActivity"]


def _principal(oid: str) -> dict[str, Any]:
    return {"filter": f"principalId eq {odata_quote(oid)}"}


def _role_dir(client: Any) -> Any:
    return client.role_management.directory


KINDS: Final[Mapping[str, _Kind[Any]]] = {
    "user": _Kind(
        "get_user_activity",
        lambda c, oid: c.users.by_user_id(oid),
        lambda oid: {"select": _user_fields()},
        convert.user,
        paged=False,
    ),
    "assignments": _Kind(
        "list_role_assignments",
        lambda c, oid: _role_dir(c).role_assignments,
        _principal,
        convert.role_assignment,
    ),
    "eligibilities": _Kind(
        "role_eligibility",
        lambda c, oid: _role_dir(c).role_eligibility_schedules,
        _principal,
        lambda m: convert.role_schedule(m, "eligible"),
    ),
    "schedules": _Kind(
        "role_assignment_schedules",
        lambda c, oid: _role_dir(c).role_assignment_schedules,
        _principal,
        lambda m: convert.role_schedule(m, "active"),
    ),
    "groups": _Kind(
        "member_of",
        lambda c, oid: c.users.by_user_id(oid).transitive_member_of,
        lambda oid: {"top": POLICY_PAGE},
        convert.group_ref,
    ),
    "methods": _Kind(
        "auth_methods",
        lambda c, oid: c.users.by_user_id(oid).authentication.methods,
        lambda oid: {},
        convert.auth_method,
    ),
}
"""The per-account reads of the audit, in the order they go into the batch."""


@dataclass(frozen=True)
class _Read:
    """One inner request: which read of which account, and its relative URL."""

    id: str
    kind: str
    user_id: str
    builder: Any
    url: str


@dataclass(frozen=True)
class _Answer:
    """One inner response as Graph sent it."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def header(self, name: str) -> str:
        """A response header, looked up without regard to case ('' when absent)."""
        wanted = name.lower()
        return next((str(v) for k, v in self.headers.items() if k.lower() == wanted), "")


@dataclass(frozen=True)
class _MainError:
    code: str
    message: str


class _InnerError(Exception):
    """An inner error answer shaped like kiota's ``APIError``, for ``api_error``."""

    def __init__(self, status: int, headers: Mapping[str, str], error: _MainError) -> None:
        super().__init__(f"HTTP {status}")
        self.response_status_code = status
        self.response_headers = headers
        self.error = error


def _inner_error(answer: _Answer) -> _InnerError:
    body = answer.body if isinstance(answer.body, Mapping) else {}
    error = body.get("error")
    main: Mapping[str, Any] = error if isinstance(error, Mapping) else {}
    return _InnerError(
        answer.status,
        {k.lower(): str(v) for k, v in answer.headers.items()},
        _MainError(str(main.get("code") or ""), str(main.get("message") or "")),
    )


def _parse(kind: str, body: Any) -> Any:
    """Parse a JSON body into an msgraph model, as the request adapter does."""
    # msgraph's generated models are heavy: loaded on the first answer, not at start-up.
    from bgwizard.graph.batch_models import parse

    return parse(kind, json.dumps(body).encode())


class AuditBatch:
    """The audit's batched read path (``GraphDirectory.audit_reads`` passes it on)."""

    def __init__(self, connection: GraphConnection) -> None:
        """Send the batches through ``connection`` (shared with the other roles).

        Args:
            connection: the signed-in identity's Graph connection.
        """
        self._graph = connection

    async def audit_reads(self, user_ids: Sequence[str], fallback: AuditGateway) -> AuditReads:
        """Read the policies and every account's audit data in as few requests as Graph allows.

        Args:
            user_ids: the break glass accounts' object ids.
            fallback: answers the reads the batch does not make (the directory).

        Returns:
            The reads; each failed one holds its bgwizard error (as a single call raises it),
            and reads it does not hold are passed on to ``fallback``.

        Raises:
            AuthError: Graph refused the sign-in.
        """
        client = self._graph.client()
        reads = [
            self._inner(client, kind, oid, n)
            for n, oid in enumerate(dict.fromkeys(user_ids))
            for kind in KINDS
        ]
        policies, answers = await asyncio.gather(self._policies(), self._batched(reads))
        values = await asyncio.gather(*(self._finish(r, answers[r.id]) for r in reads))
        found: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        for r, value in zip(reads, values, strict=True):
            found[r.kind][r.user_id] = value
        return AuditReads(fallback=fallback, policies=policies, found=found)

    def _inner(self, client: Any, kind: str, oid: str, n: int) -> _Read:
        spec = KINDS[kind]
        builder = spec.builder(client, oid)
        info = builder.to_get_request_information(request_config(builder, **spec.query(oid)))
        info.path_parameters["baseurl"] = ""
        return _Read(f"{n}-{kind}", kind, oid, builder, str(info.url))

    async def _policies(self) -> list[CaPolicy] | BgWizardError:
        builder = self._graph.client().identity.conditional_access.policies
        try:
            with self._graph.translate("list_ca_policies"):
                raw = await self._graph.raw_collect(builder, top=POLICY_PAGE)
        except AuthError:
            raise
        except BgWizardError as exc:
            return exc
        return [CaPolicy.from_graph(item) for item in raw]

    async def _batched(self, reads: Sequence[_Read]) -> dict[str, _Answer | Exception]:
        """Every read's answer; throttled ones sent again after ``Retry-After``."""
        answers: dict[str, _Answer | Exception] = {}
        pending = list(reads)
        budget = MAX_TOTAL_WAIT
        for attempt in range(self._graph.retry.max_retries + 1):
            chunks = [pending[i : i + BATCH_LIMIT] for i in range(0, len(pending), BATCH_LIMIT)]
            for got in await asyncio.gather(*(self._send(chunk) for chunk in chunks)):
                answers.update(got)
            again = [r for r in pending if _retryable(answers[r.id])]
            if not again or attempt == self._graph.retry.max_retries or budget <= 0:
                break
            wait = min(max(self._wait(answers[r.id]) for r in again), budget)
            budget -= wait
            await asyncio.sleep(wait)
            pending = again
        return answers

    def _wait(self, answer: _Answer | Exception) -> float:
        """``Retry-After`` when Graph sent one (a dropped batch sent none), else the delay."""
        said = answer.header("Retry-After") if isinstance(answer, _Answer) else ""
        return float(said) if said.isdigit() else self._graph.retry.delay

    async def _send(self, chunk: Sequence[_Read]) -> dict[str, _Answer | Exception]:
        """POST one batch; a failure of the batch itself becomes every read's failure."""
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation

        request = RequestInformation(Method.POST, "{+baseurl}/$batch")
        request.headers.try_add("Accept", "application/json")
        body = {"requests": [{"id": r.id, "method": "GET", "url": r.url} for r in chunk]}
        request.set_stream_content(json.dumps(body).encode(), "application/json")
        try:
            document = await self._graph.raw(request)
        except Exception as exc:  # translated per read, with that read's operation
            return {r.id: exc for r in chunk}
        replies = {
            str(item.get("id")): item
            for item in document.get("responses") or []
            if isinstance(item, Mapping)
        }
        return {r.id: _answer(replies.get(r.id)) for r in chunk}

    async def _finish(self, read: _Read, answer: _Answer | Exception) -> Any:
        """The read's value, or the bgwizard error a single call would have raised."""
        spec = KINDS[read.kind]
        op = OPERATIONS[spec.operation]
        try:
            if isinstance(answer, Exception):
                raise translate_exception(op, self._graph.host, answer)
            if not 200 <= answer.status < 300:
                raise api_error(op, _inner_error(answer))
            with self._graph.translate(spec.operation):
                return await self._value(spec, read, answer.body)
        except AuthError:
            raise
        except BgWizardError as exc:
            return exc

    async def _value(self, spec: _Kind[Any], read: _Read, body: Any) -> Any:
        page = _parse(read.kind, body)
        if not spec.paged:
            return spec.convert(page)
        items: list[Any] = list(getattr(page, "value", None) or [])
        while page is not None and page.odata_next_link and len(items) < DEFAULT_LIMIT:
            page = await read.builder.with_url(page.odata_next_link).get()
            items.extend(getattr(page, "value", None) or [])
        return [spec.convert(item) for item in items[:DEFAULT_LIMIT]]


def _retryable(answer: _Answer | Exception) -> bool:
    """Throttled, unavailable, or the batch's connection dropped before its answer."""
    if isinstance(answer, _Answer):
        return answer.status in _RETRYABLE
    import httpx

    return isinstance(answer, httpx.TransportError)


def _answer(item: Mapping[str, Any] | None) -> _Answer | Exception:
    if item is None:
        return ValueError("the batch answer left this request out")
    headers = item.get("headers")
    return _Answer(
        status=int(item.get("status") or 0),
        headers=dict(headers) if isinstance(headers, Mapping) else {},
        body=item.get("body"),
    )
