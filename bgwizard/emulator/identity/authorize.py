"""Interactive sign-in: ``/authorize`` with PKCE, the sign-in, second-factor and consent pages,
and the token endpoint's ``authorization_code`` grant.

As Entra ID does for a public client:

* ``redirect_uri`` must match one registered on the app; for ``http://localhost`` (and
  ``http://127.0.0.1``) any port matches (the loopback rule). Until it is checked, errors show a
  page; afterwards they go back to the app as ``error`` and ``error_description``.
* ``code_challenge`` (S256 or plain) is required of public clients here (Entra recommends it for
  desktop apps; msal always sends it); the token request must carry the matching
  ``code_verifier`` (else AADSTS501481). Codes live 10 minutes and redeem once (AADSTS54005).
* ``state`` is echoed unchanged; ``nonce`` goes into the id token.
* ``response_mode=form_post`` (msal's loopback server takes POST only) answers with a page that
  posts ``code`` and ``state`` to the redirect URI; otherwise a 302 with a query string.
* After the password: a second factor when Conditional Access asks for MFA and the user has one
  registered (the emulated Authenticator push), consent for scopes not yet granted (an
  administrator may consent for the organisation; others get AADSTS90094 for admin-restricted
  scopes), then Conditional Access (``ca_signin``). A declined consent returns AADSTS65004.

The pages use plain forms with fixed field names (``ctx``, ``step``, ``username``,
``password``, ``for_tenant``) so a test or the demo can complete them over HTTP.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode, urlsplit

from bgwizard.emulator.errors import ScopeError
from bgwizard.emulator.http.core import Request, Response, Router
from bgwizard.emulator.identity import ca_signin, consent
from bgwizard.emulator.identity.login import Login, oauth_error, tokens_reason
from bgwizard.emulator.tenant.records import record_sign_in
from bgwizard.emulator.tenant.state import ALL_PRINCIPALS, App, JsonDict, new_id, utcnow

CODE_LIFETIME: Final = dt.timedelta(minutes=10)
REQUEST_LIFETIME: Final = dt.timedelta(minutes=15)
_T: Final = r"/(?P<tenant>[^/]+)"
_LOOPBACK: Final = ("localhost", "127.0.0.1")

_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — bgwizard emulator</title>
<style>body{{font-family:sans-serif;max-width:34em;margin:3em auto}}
label{{display:block;margin:.8em 0}}
input[type=text],input[type=password]{{font-size:1.1em;width:100%}}
.msg{{padding:.6em;border:1px solid #888}}</style></head>
<body><h1>{tenant}</h1><p>Emulated Microsoft Entra ID sign-in (loopback only).</p>
<h2>{title}</h2>{body}</body></html>
"""


@dataclass
class AuthRequest:
    """One interactive sign-in under way (field names match ``DeviceCode`` for key sign-in)."""

    user_code: str
    """The context id the pages carry (``ctx``)."""
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str
    challenge_method: str
    form_post: bool
    login_hint: str | None
    expires: dt.datetime
    status: str = "pending"
    user_id: str | None = None
    amr: tuple[str, ...] = ("pwd",)
    correlation_id: str = field(default_factory=new_id)


@dataclass
class AuthCode:
    """An issued authorization code."""

    request: AuthRequest
    user_id: str
    expires: dt.datetime
    redeemed: bool = False


class _Refused(Exception):
    """Internal: the request is refused before its redirect URI is trusted (shown as a page)."""


class Authorize:
    """The interactive half of the emulated Entra ID."""

    def __init__(self, login: Login) -> None:
        """Share the login endpoints' state and password checks."""
        self.login = login
        self.state = login.state

    def register(self, router: Router) -> None:
        """Add ``/authorize`` (GET: start; POST: each page's answer)."""
        router.add("GET", _T + r"/oauth2/v2\.0/authorize", self._start)
        router.add("POST", _T + r"/oauth2/v2\.0/authorize", self._step)

    # -- start ---------------------------------------------------------------------------------

    def _start(self, request: Request, match: re.Match[str]) -> Response:
        query = request.query
        try:
            self.login._tenant(match)
            app = self._public_app(query.get("client_id", ""))
            redirect = self._checked_redirect(app, query.get("redirect_uri", ""))
        except _Refused as exc:
            return self._page("Sign-in error", f'<p class="msg">{html.escape(str(exc))}</p>', 400)
        form_post = query.get("response_mode") == "form_post"
        auth = AuthRequest(
            user_code=secrets.token_urlsafe(16),
            client_id=app.app_id,
            redirect_uri=redirect,
            scope=query.get("scope", ""),
            state=query.get("state"),
            nonce=query.get("nonce"),
            code_challenge=query.get("code_challenge", ""),
            challenge_method=query.get("code_challenge_method", "plain"),
            form_post=form_post,
            login_hint=query.get("login_hint") or None,
            expires=utcnow() + REQUEST_LIFETIME,
        )
        problem = self._request_problem(query, auth)
        if problem:
            return self._back(auth, "invalid_request", problem)
        with self.state.lock:
            self.state.auth_requests[auth.user_code] = auth
        return self._login_page(auth)

    def _public_app(self, client_id: str) -> App:
        app = self.state.apps.get(client_id)
        if app is None:
            raise _Refused(
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                f"directory '{self.state.display_name}'."
            )
        if not app.public_client:
            raise _Refused("AADSTS7000218: This sign-in page is for public client applications.")
        return app

    def _checked_redirect(self, app: App, redirect: str) -> str:
        asked = urlsplit(redirect)
        for registered in app.redirect_uris:
            known = urlsplit(registered)
            same_path = (asked.path or "/") == (known.path or "/")
            if known.hostname in _LOOPBACK and known.scheme == "http":
                if asked.scheme == "http" and asked.hostname == known.hostname and same_path:
                    return redirect  # loopback: any port
            elif redirect == registered:
                return redirect
        raise _Refused(
            f"AADSTS50011: The redirect URI '{redirect}' specified in the request does not match "
            f"the redirect URIs configured for the application '{app.app_id}'."
        )

    @staticmethod
    def _request_problem(query: dict[str, str], auth: AuthRequest) -> str | None:
        if query.get("response_type") != "code":
            return "AADSTS900144: The request must contain response_type=code."
        if not auth.code_challenge:
            return "AADSTS900144: The request body must contain the parameter 'code_challenge'."
        if auth.challenge_method not in ("S256", "plain"):
            return "AADSTS5000811: code_challenge_method must be S256 or plain."
        try:
            consent.check_syntax(auth.scope)
        except ScopeError as exc:
            return str(exc)
        return None

    # -- the pages' answers ----------------------------------------------------------------------

    def _step(self, request: Request, match: re.Match[str]) -> Response:
        form = request.form()
        with self.state.lock:
            auth = self.state.auth_requests.get(form.get("ctx", ""))
            if auth is None or auth.expires < utcnow():
                return self._page(
                    "Sign-in error",
                    '<p class="msg">This sign-in has expired; start it again from bgwizard.</p>',
                    400,
                )
            step = form.get("step", "")
            if step == "login":
                return self._password(auth, form)
            if step == "mfa" and auth.status == "second-factor":
                return self._second_factor(auth, form)
            if step == "consent" and auth.status == "consent":
                return self._consent(auth, form)
            if step == "continue" and auth.status == "authenticated":
                return self.after_authentication(auth)
            if step == "cancel":
                return self._finish_error(
                    auth, "access_denied", "AADSTS50058: The user cancelled the sign-in."
                )
            return self._login_page(auth, "Start again: that step is not expected now.")

    def _password(self, auth: AuthRequest, form: dict[str, str]) -> Response:
        username = form.get("username", "").strip()
        if auth.login_hint and auth.login_hint.lower() != username.lower():
            return self._login_page(
                auth, f"This sign-in is for {auth.login_hint}; sign in with that account."
            )
        app = self.state.apps[auth.client_id]
        user, code = self.login.authenticate(
            username, form.get("password", ""), app, "browser", auth.correlation_id
        )
        if user is None:
            return self._login_page(
                auth, f"Sign-in failed: {tokens_reason(code)} (AADSTS{code})", username
            )
        auth.user_id, auth.amr = str(user["id"]), ("pwd",)
        return self.after_authentication(auth)

    def after_authentication(self, auth: AuthRequest) -> Response:
        """Continue once the person proved who they are: second factor, consent, then CA."""
        user = self.state.users[str(auth.user_id)]
        if "mfa" not in auth.amr and ca_signin.needs_second_factor(
            self.state, user, auth.client_id, ca_signin.AUTH_CODE
        ):
            auth.status = "second-factor"
            return self._page(
                "Approve the sign-in",
                "<p>Open Microsoft Authenticator (emulated) and approve the request.</p>"
                + _form(auth, "mfa", '<button type="submit">Approve</button>'),
            )
        return self._consent_or_code(auth)

    def _second_factor(self, auth: AuthRequest, form: dict[str, str]) -> Response:
        auth.amr = ("pwd", "mfa")
        return self._consent_or_code(auth)

    def _consent_or_code(self, auth: AuthRequest) -> Response:
        user_id = str(auth.user_id)
        try:
            gaps = consent.missing(self.state, auth.client_id, user_id, auth.scope)
        except ScopeError as exc:
            return self._finish_error(auth, "invalid_scope", str(exc))
        if not gaps:
            return self._issue_code(auth)
        if gaps == [".default"]:  # how Entra treats it for this app is not documented
            return self._finish_error(
                auth,
                "invalid_grant",
                "AADSTS65001: The user or administrator has not consented to use the "
                "application; nothing is granted for .default to return, so ask for explicit "
                "scopes.",
            )
        admin = consent.can_consent_for_tenant(self.state, user_id)
        if consent.admin_only(gaps) and not admin:
            app = self.state.apps[auth.client_id]
            return self._finish_error(
                auth,
                "access_denied",
                f"AADSTS90094: {app.display_name} needs permission to access resources in your "
                "organization that only an admin can grant. Ask an admin to grant permission.",
            )
        auth.status = "consent"
        items = "".join(f"<li>{html.escape(s)}</li>" for s in gaps)
        tenant_box = (
            '<label><input type="checkbox" name="for_tenant" value="yes"> Consent on behalf '
            "of your organization</label>"
            if admin
            else ""
        )
        buttons = (
            tenant_box + '<button type="submit" name="answer" value="accept">Accept</button> '
            '<button type="submit" name="answer" value="decline">Cancel</button>'
        )
        name = html.escape(self.state.apps[auth.client_id].display_name)
        return self._page(
            "Permissions requested",
            f"<p>{name} asks for:</p><ul>{items}</ul>" + _form(auth, "consent", buttons),
        )

    def _consent(self, auth: AuthRequest, form: dict[str, str]) -> Response:
        if form.get("answer") != "accept":
            return self._finish_error(
                auth, "access_denied", "AADSTS65004: User declined to consent to access the app."
            )
        user_id = str(auth.user_id)
        gaps = consent.missing(self.state, auth.client_id, user_id, auth.scope)
        for_tenant = form.get("for_tenant") == "yes"
        if for_tenant and not consent.can_consent_for_tenant(self.state, user_id):
            for_tenant = False
        principal = ALL_PRINCIPALS if for_tenant else user_id
        consent.grant(self.state, auth.client_id, principal, gaps)
        return self._issue_code(auth)

    def _issue_code(self, auth: AuthRequest) -> Response:
        user = self.state.users[str(auth.user_id)]
        verdict = ca_signin.evaluate(
            self.state, user, auth.client_id, ca_signin.AUTH_CODE, auth.amr
        )
        if not verdict.allowed:
            self._record_refusal(auth, user, verdict.code)
            return self._finish_error(auth, "access_denied", verdict.description())
        code = secrets.token_urlsafe(32)
        self.state.auth_codes[code] = AuthCode(auth, str(auth.user_id), utcnow() + CODE_LIFETIME)
        self.state.auth_requests.pop(auth.user_code, None)
        return self._back(auth, None, None, code)

    def _record_refusal(self, auth: AuthRequest, user: JsonDict, code: int) -> None:
        record_sign_in(
            self.state,
            upn=str(user["userPrincipalName"]),
            user=user,
            app=self.state.apps[auth.client_id],
            error_code=code,
            correlation_id=auth.correlation_id,
        )

    def _finish_error(self, auth: AuthRequest, error: str, description: str) -> Response:
        self.state.auth_requests.pop(auth.user_code, None)
        return self._back(auth, error, description)

    # -- answering the app -----------------------------------------------------------------------

    def _back(
        self, auth: AuthRequest, error: str | None, description: str | None, code: str = ""
    ) -> Response:
        params: dict[str, str] = {"code": code} if code else {}
        if error:
            params["error"] = error
            params["error_description"] = description or error
        if auth.state is not None:
            params["state"] = auth.state
        if auth.form_post:
            inputs = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in params.items()
            )
            body = (
                f'<form method="post" action="{html.escape(auth.redirect_uri)}" '
                f'id="reply">{inputs}<button type="submit">Continue</button></form>'
                "<script>document.getElementById('reply').submit()</script>"
            )
            return self._page("Returning to the application", body)
        joiner = "&" if "?" in auth.redirect_uri else "?"
        location = auth.redirect_uri + joiner + urlencode(params)
        return Response(302, b"", "text/plain", {"Location": location})

    def _login_page(self, auth: AuthRequest, message: str = "", username: str = "") -> Response:
        note = f'<p class="msg">{html.escape(message)}</p>' if message else ""
        name = html.escape(username or auth.login_hint or "")
        fields = (
            f'<label>Username <input type="text" name="username" value="{name}" '
            'autocomplete="off" required></label>'
            '<label>Password <input type="password" name="password" autocomplete="off">'
            '</label><button type="submit">Sign in</button>'
        )
        key = (
            "<p>Or sign in with a security key: POST the context id to "
            "<code>/_emulator/authorize/assertion-options</code> and the key's assertion to "
            "<code>/_emulator/authorize/approve-key</code> (the software authenticator does).</p>"
        )
        return self._page("Sign in", note + _form(auth, "login", fields) + key)

    def _page(self, title: str, body: str, status: int = 200) -> Response:
        text = _PAGE.format(
            title=html.escape(title), tenant=html.escape(self.state.display_name), body=body
        )
        return Response(status, text.encode("utf-8"), "text/html; charset=utf-8")

    # -- the token endpoint's authorization_code grant ------------------------------------------

    def redeem(self, form: dict[str, str], match: re.Match[str]) -> Response:
        """``grant_type=authorization_code``: check the code, client, redirect URI and PKCE."""
        with self.state.lock:
            issued = self.state.auth_codes.get(form.get("code", ""))
            if issued is None:
                return oauth_error(
                    "invalid_grant",
                    "AADSTS70000: The provided authorization code is invalid.",
                    70000,
                )
            if issued.redeemed:
                return oauth_error(
                    "invalid_grant",
                    "AADSTS54005: OAuth2 Authorization code was already redeemed.",
                    54005,
                )
            problem = _code_problem(issued, form)
            if problem:
                return oauth_error("invalid_grant", problem[1], problem[0])
            issued.redeemed = True
            auth = issued.request
            user = self.state.users.get(issued.user_id)
            if user is None or not user.get("accountEnabled", True):
                return oauth_error(
                    "invalid_grant", "AADSTS50057: The user account is disabled.", 50057
                )
            return self.login.issue(
                user,
                self.state.apps[auth.client_id],
                auth.scope,
                auth.amr,
                ca_signin.AUTH_CODE,
                nonce=auth.nonce,
            )

    def key_verified(self, auth: AuthRequest, user: JsonDict, amr: tuple[str, ...]) -> None:
        """A security key proved the user: the page continues with ``step=continue``."""
        auth.user_id, auth.amr, auth.status = str(user["id"]), amr, "authenticated"

    def find(self, ctx: str) -> AuthRequest | None:
        """A pending interactive sign-in by its context id (for security key sign-in)."""
        auth: AuthRequest | None = self.state.auth_requests.get(ctx)
        if auth is None or auth.expires < utcnow() or auth.status not in ("pending",):
            return None
        return auth


def _form(auth: AuthRequest, step: str, inner: str) -> str:
    return (
        f'<form method="post"><input type="hidden" name="ctx" value="{auth.user_code}">'
        f'<input type="hidden" name="step" value="{step}">{inner}</form>'
    )


def _code_problem(issued: AuthCode, form: dict[str, str]) -> tuple[int, str] | None:
    auth = issued.request
    if issued.expires < utcnow():
        return 70008, "AADSTS70008: The provided authorization code has expired."
    if form.get("client_id") != auth.client_id:
        return 70000, "AADSTS70000: The code was issued to another client."
    if form.get("redirect_uri") != auth.redirect_uri:
        return 50148, (
            "AADSTS50148: The redirect_uri does not match the one used in the authorization "
            "request."
        )
    verifier = form.get("code_verifier", "")
    if auth.challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        derived = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        derived = verifier
    if not verifier or not secrets.compare_digest(derived, auth.code_challenge):
        return 501481, (
            "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the "
            "authorization request."
        )
    return None
