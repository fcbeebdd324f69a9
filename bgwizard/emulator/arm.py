"""A small Azure Resource Manager stub: Entra diagnostic settings, an empty subscription list."""

from __future__ import annotations

import re
import time

from bgwizard.emulator.errors import TokenError
from bgwizard.emulator.http.core import HttpError, Request, Response, Router, json_response
from bgwizard.emulator.identity.jwt import decode
from bgwizard.emulator.tenant import catalog as c
from bgwizard.emulator.tenant.state import TenantState

_READERS = (c.GLOBAL_ADMIN, c.GLOBAL_READER, c.SECURITY_ADMIN, c.SECURITY_READER)


def arm_error(status: int, code: str, message: str) -> Response:
    """An error body in ARM's form: ``{"error": {"code", "message"}}``."""
    return json_response(status, {"error": {"code": code, "message": message}})


class Arm:
    """ARM routes under ``/arm``."""

    def __init__(self, state: TenantState) -> None:
        self.state = state

    def register(self, router: Router) -> None:
        """Add the ARM routes."""
        router.add("GET", r"/arm/subscriptions", self._subscriptions)
        router.add("GET", r"/arm/providers/microsoft\.aadiam/diagnosticSettings", self._diagnostics)

    def _authorize(self, request: Request, roles: tuple[str, ...]) -> None:
        if "api-version" not in request.query:
            raise HttpError(
                arm_error(
                    400,
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required.",
                )
            )
        header = request.headers.get("Authorization", "")
        try:
            _, claims, _, _ = decode(header[7:].strip())
        except TokenError:
            raise HttpError(
                arm_error(401, "AuthenticationFailed", "Authentication failed: no valid token.")
            ) from None
        if (
            claims.get("aud") != c.ARM_AUDIENCE
            or claims.get("tid") != self.state.tenant_id
            or float(claims.get("exp", 0)) < time.time()
        ):
            raise HttpError(
                arm_error(
                    401,
                    "InvalidAuthenticationToken",
                    "The access token is not valid for Azure Resource Manager.",
                )
            )
        if claims.get("idtyp") == "app":
            return
        held = set(self.state.active_role_ids(str(claims.get("oid", ""))))
        if not held & set(roles):
            names = ", ".join(c.BUILTIN_ROLES[r] for r in roles)
            raise HttpError(
                arm_error(
                    403,
                    "AuthorizationFailed",
                    f"The client does not have authorization to perform action "
                    f"'microsoft.aadiam/diagnosticSettings/read': needs one of {names}.",
                )
            )

    def _subscriptions(self, request: Request, match: re.Match[str]) -> Response:
        self._authorize(request, tuple(c.BUILTIN_ROLES))
        return json_response(200, {"value": [], "count": {"type": "Total", "value": 0}})

    def _diagnostics(self, request: Request, match: re.Match[str]) -> Response:
        self._authorize(request, _READERS)
        with self.state.lock:
            return json_response(200, {"value": list(self.state.diagnostic_settings)})
