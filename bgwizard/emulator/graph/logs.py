"""Graph audit logs: sign-ins and directory audits (newest first, filtered, paged)."""

from __future__ import annotations

import re

from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.graph.odata import Collection
from bgwizard.emulator.http.core import Request, Response, Router
from bgwizard.emulator.tenant.state import JsonDict

SIGN_INS = Collection(
    "signIn",
    "auditLogs/signIns",
    {
        "id",
        "userId",
        "userPrincipalName",
        "userDisplayName",
        "createdDateTime",
        "appId",
        "appDisplayName",
        "ipAddress",
        "correlationId",
        "conditionalAccessStatus",
        "status/errorCode",
        "clientAppUsed",
        "isInteractive",
    },
    bad_request_code="BadRequest",
)
AUDITS = Collection(
    "directoryAudit",
    "auditLogs/directoryAudits",
    {
        "id",
        "activityDateTime",
        "activityDisplayName",
        "category",
        "loggedByService",
        "operationType",
        "result",
        "correlationId",
        "targetResources/id",
        "targetResources/displayName",
        "targetResources/userPrincipalName",
        "initiatedBy/user/id",
        "initiatedBy/user/userPrincipalName",
        "initiatedBy/user/displayName",
        "initiatedBy/app/appId",
        "initiatedBy/app/displayName",
    },
    bad_request_code="BadRequest",
)


def register(router: Router, ctx: GraphContext) -> None:
    """Add the audit log routes."""
    h = _Logs(ctx)
    logs = V1 + r"/auditLogs"
    ctx.route(router, "GET", logs + r"/signIns", h.sign_ins, "signIns-list")
    ctx.route(router, "GET", logs + r"/signIns/" + ID, h.sign_in, "signIn-get")
    ctx.route(router, "GET", logs + r"/directoryAudits", h.audits, "directoryAudits-list")
    ctx.route(router, "GET", logs + r"/directoryAudits/" + ID, h.audit, "directoryAudit-get")


def _newest_first(items: list[JsonDict], key: str) -> list[JsonDict]:
    return sorted(items, key=lambda i: str(i.get(key) or ""), reverse=True)


class _Logs:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def sign_ins(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = _newest_first(list(self.state.sign_ins), "createdDateTime")
        return self.ctx.collection(request, items, SIGN_INS)

    def sign_in(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            found = next((s for s in self.state.sign_ins if s["id"] == match["id"]), None)
        if found is None:
            raise self.ctx.not_found("signIn", match["id"])
        return self.ctx.entity(request, found, SIGN_INS)

    def audits(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            items = _newest_first(list(self.state.audits), "activityDateTime")
        return self.ctx.collection(request, items, AUDITS)

    def audit(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            found = next((a for a in self.state.audits if a["id"] == match["id"]), None)
        if found is None:
            raise self.ctx.not_found("directoryAudit", match["id"])
        return self.ctx.entity(request, found, AUDITS)
