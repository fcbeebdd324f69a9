"""Device-code approval: the page a person uses, and the JSON API tests and the demo use."""

from __future__ import annotations

import html
import re
from typing import Any

from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.identity import ca_signin, consent
from bgwizard.emulator.identity.login import Login
from bgwizard.emulator.tenant.records import FAILURE_REASONS
from bgwizard.emulator.tenant.state import ALL_PRINCIPALS, DeviceCode, JsonDict, iso, utcnow

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in — bgwizard emulator</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}
label{{display:block;margin:.8em 0}}
input{{font-size:1.1em;width:100%}}.msg{{padding:.6em;border:1px solid #888}}</style></head>
<body><h1>{tenant}</h1><p>Emulated Microsoft Entra ID sign-in (loopback only).</p>
{message}
<form method="post" action="/device">
<label>Code <input name="user_code" value="{code}" autocomplete="off" required></label>
<label>Username <input name="username" value="{username}" autocomplete="off" required></label>
<label>Password <input name="password" type="password" autocomplete="off" required></label>
<label>If the application asks for permissions not granted yet
<select name="consent"><option value="">do not consent</option>
<option value="user">accept for me</option>
<option value="tenant">accept for the organization (administrators)</option></select></label>
<button type="submit">Sign in</button></form></body></html>
"""


class DeviceApprovals:
    """Approve or deny pending device codes."""

    def __init__(self, login: Login) -> None:
        self.login = login
        self.state = login.state

    def register(self, router: Router) -> None:
        """Add ``/device`` and ``/_emulator/device/approve`` to ``router``."""
        router.add("GET", r"/device", self._page)
        router.add("POST", r"/device", self._page_post)
        router.add("POST", r"/_emulator/device/approve", self._api_approve)
        router.add("POST", r"/_emulator/device/deny", self._api_deny)
        router.add("GET", r"/_emulator/device/pending", self._api_pending)

    def _find(self, user_code: str) -> DeviceCode | None:
        wanted = re.sub(r"[\s-]", "", user_code).upper()
        now = utcnow()
        return next(
            (
                f
                for f in self.state.device_codes.values()
                if f.user_code == wanted and f.status == "pending" and f.expires > now
            ),
            None,
        )

    def approve(
        self,
        user_code: str,
        username: str,
        password: str,
        *,
        second_factor: bool = True,
        consent_to: str = "",
    ) -> str | None:
        """Sign ``username`` in for the pending code.

        Args:
            user_code: the code the client shows.
            username: the account.
            password: its password.
            second_factor: approve the (emulated) Authenticator push when Conditional Access
                asks for MFA and the account has a second factor registered.
            consent_to: ``"user"`` or ``"tenant"`` to consent to scopes not yet granted (as on
                Entra's consent page); empty leaves such a sign-in pending with the reason.

        Returns:
            None on success, otherwise why not, as one sentence. A wrong password writes a
            failed sign-in record (error 50126) and leaves the code pending. A refusal by
            Conditional Access or for consent ends the code: the client gets the AADSTS error.
        """
        with self.state.lock:
            flow = self._find(user_code)
            if flow is None:
                return "That code is not valid or has expired."
            if flow.login_hint and flow.login_hint.lower() != username.strip().lower():
                return f"This sign-in is for {flow.login_hint}; sign in with that account."
            app = self.state.apps[flow.client_id]
            user, code = self.login.authenticate(
                username.strip(), password, app, "device", flow.correlation_id
            )
            if user is None:
                return f"Sign-in failed: {FAILURE_REASONS.get(code, 'error')} (AADSTS{code})"
            return self.after_authentication(flow, user, ("pwd",), second_factor, consent_to)

    def after_authentication(
        self,
        flow: DeviceCode,
        user: JsonDict,
        amr: tuple[str, ...],
        second_factor: bool = True,
        consent_to: str = "",
    ) -> str | None:
        """Second factor, consent and Conditional Access once ``user`` proved who they are."""
        state = self.state
        if (
            "mfa" not in amr
            and second_factor
            and ca_signin.needs_second_factor(state, user, flow.client_id, ca_signin.DEVICE_CODE)
        ):
            amr = ("pwd", "mfa")
        verdict = ca_signin.evaluate(state, user, flow.client_id, ca_signin.DEVICE_CODE, amr)
        if not verdict.allowed:
            flow.status, flow.refusal = "approved", (verdict.code, verdict.description())
            flow.user_id = str(user["id"])
            return f"Sign-in refused: {verdict.description()}"
        refusal = self._consent(flow, user, consent_to)
        if refusal:
            return refusal
        flow.status, flow.user_id, flow.amr = "approved", str(user["id"]), amr
        return None

    def _consent(self, flow: DeviceCode, user: JsonDict, consent_to: str) -> str | None:
        uid = str(user["id"])
        gaps = consent.missing(self.state, flow.client_id, uid, flow.scope)
        if not gaps:
            return None
        if not consent_to:
            return "The application asks for permissions not granted yet: " + ", ".join(gaps) + "."
        admin = consent.can_consent_for_tenant(self.state, uid)
        if consent.admin_only(gaps) and not admin:
            text = (
                "AADSTS90094: The application needs permission to access resources in your "
                "organization that only an admin can grant."
            )
            flow.status, flow.refusal, flow.user_id = "approved", (90094, text), uid
            return f"Sign-in refused: {text}"
        principal = ALL_PRINCIPALS if consent_to == "tenant" and admin else uid
        consent.grant(self.state, flow.client_id, principal, gaps)
        return None

    def deny(self, user_code: str) -> bool:
        """Decline the pending code; the polling client gets ``authorization_declined``."""
        with self.state.lock:
            flow = self._find(user_code)
            if flow is None:
                return False
            flow.status = "declined"
            return True

    def pending(self) -> list[dict[str, Any]]:
        """The codes waiting for approval."""
        now = utcnow()
        with self.state.lock:
            return [
                {"user_code": f.user_code, "login_hint": f.login_hint, "expires": iso(f.expires)}
                for f in self.state.device_codes.values()
                if f.status == "pending" and f.expires > now
            ]

    def _render(self, message: str = "", code: str = "", username: str = "") -> Response:
        body = _PAGE.format(
            tenant=html.escape(self.state.display_name),
            message=f'<p class="msg">{html.escape(message)}</p>' if message else "",
            code=html.escape(code),
            username=html.escape(username),
        )
        return Response(200, body.encode("utf-8"), "text/html; charset=utf-8")

    def _page(self, request: Request, match: re.Match[str]) -> Response:
        return self._render(code=request.query.get("code", ""))

    def _page_post(self, request: Request, match: re.Match[str]) -> Response:
        form = request.form()
        code, username = form.get("user_code", ""), form.get("username", "")
        error = self.approve(
            code, username, form.get("password", ""), consent_to=form.get("consent", "")
        )
        if error:
            return self._render(error, code, username)
        return self._render("Signed in. You can close this page and go back to bgwizard.")

    def _api_approve(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return json_response(400, {"error": "The body must be a JSON object."})
        error = self.approve(
            str(body.get("user_code", "")),
            str(body.get("username", "")),
            str(body.get("password", "")),
            second_factor=bool(body.get("second_factor", True)),
            consent_to=str(body.get("consent", "")),
        )
        if error:
            return json_response(400, {"error": error})
        return json_response(200, {"status": "approved"})

    def _api_deny(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        code = str(body.get("user_code", "")) if isinstance(body, dict) else ""
        if not self.deny(code):
            return json_response(400, {"error": "That code is not valid or has expired."})
        return json_response(200, {"status": "declined"})

    def _api_pending(self, request: Request, match: re.Match[str]) -> Response:
        return json_response(200, {"value": self.pending()})
