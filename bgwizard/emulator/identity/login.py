"""Login endpoints: OIDC discovery, device code, token grants, and device-code approval."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from bgwizard.emulator.errors import ScopeError, TokenError
from bgwizard.emulator.http.core import HttpError, Request, Response, Router, json_response
from bgwizard.emulator.identity import ca_signin, consent, tokens
from bgwizard.emulator.identity.jwt import verify_client_assertion
from bgwizard.emulator.tenant.passwords import verify_secret
from bgwizard.emulator.tenant.records import FAILURE_REASONS, record_sign_in
from bgwizard.emulator.tenant.state import App, DeviceCode, JsonDict, TenantState, utcnow

_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_LOCKOUT_THRESHOLD = 10
_LOCKOUT_SECONDS = 60.0
_T = r"/(?P<tenant>[^/]+)"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def oauth_error(error: str, description: str, code: int, status: int = 400) -> Response:
    """An OAuth2 error body as Entra sends it."""
    return json_response(
        status,
        {"error": error, "error_description": description, "error_codes": [code]},
    )


class Login:
    """The Entra ID side of the emulator."""

    def __init__(self, state: TenantState, base_url: Callable[[], str]) -> None:
        self.state = state
        self.base_url = base_url
        self.federation: Callable[[App, str], Response | bool] | None = None
        """Workload identity federation (``identity.federation.FederationCheck``): False
        for an assertion the app signed itself, True when a federated one is valid, else
        the error response."""
        self.more_grants: dict[str, Callable[[dict[str, str], re.Match[str]], Response]] = {}
        """Grant types other modules add (``authorization_code`` from ``authorize``)."""

    def register(self, router: Router) -> None:
        """Add the login routes to ``router``."""
        router.add("GET", _T + r"(?:/v2\.0)?/\.well-known/openid-configuration", self._discovery)
        router.add(
            "GET", _T + r"/discovery/v2\.0/keys", lambda r, m: json_response(200, {"keys": []})
        )
        router.add("POST", _T + r"/oauth2/v2\.0/devicecode", self._devicecode)
        router.add("POST", _T + r"/oauth2/v2\.0/token", self._token)

    # -- helpers ---------------------------------------------------------------------------

    def _tenant(self, match: re.Match[str]) -> str:
        name = match["tenant"].lower()
        known = {self.state.tenant_id.lower(), "organizations", "common"}
        known |= {str(d["id"]).lower() for d in self.state.domains}
        if name not in known:
            raise HttpError(
                oauth_error(
                    "invalid_tenant",
                    f"AADSTS90002: Tenant '{match['tenant']}' not found.",
                    90002,
                )
            )
        return self.state.tenant_id

    def _app(self, client_id: str) -> App:
        app = self.state.apps.get(client_id)
        if app is None:
            raise HttpError(
                oauth_error(
                    "unauthorized_client",
                    f"AADSTS700016: Application with identifier '{client_id}' was not found "
                    f"in the directory '{self.state.display_name}'.",
                    700016,
                )
            )
        return app

    # -- endpoints -------------------------------------------------------------------------

    def _discovery(self, request: Request, match: re.Match[str]) -> Response:
        tid = self._tenant(match)
        base = f"{self.base_url()}/{match['tenant']}"
        return json_response(
            200,
            {
                "issuer": f"{self.base_url()}/{tid}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "emulator.local",
            },
        )

    def _devicecode(self, request: Request, match: re.Match[str]) -> Response:
        self._tenant(match)
        form = request.form()
        app = self._app(form.get("client_id", ""))
        if not app.public_client:
            return oauth_error(
                "invalid_client",
                "AADSTS7000218: The device code flow needs a public client application.",
                7000218,
            )
        scope = form.get("scope", "")
        try:  # consent itself is asked for on the approval page, as Entra does
            consent.check_syntax(scope)
        except ScopeError as exc:
            return oauth_error("invalid_scope", str(exc), 70011)
        life = self.state.settings.device_code_lifetime
        user_code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))
        flow = DeviceCode(
            device_code=secrets.token_urlsafe(32),
            user_code=user_code,
            client_id=app.app_id,
            scope=scope,
            expires=utcnow() + timedelta(seconds=life),
            login_hint=form.get("login_hint") or None,
        )
        with self.state.lock:
            self.state.device_codes[flow.device_code] = flow
        uri = f"{self.base_url()}/device"
        return json_response(
            200,
            {
                "user_code": user_code,
                "device_code": flow.device_code,
                "verification_uri": uri,
                "expires_in": life,
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page {uri} "
                f"and enter the code {user_code} to authenticate.",
            },
        )

    def _token(self, request: Request, match: re.Match[str]) -> Response:
        self._tenant(match)
        form = request.form()
        grant = form.get("grant_type", "")
        handlers: dict[str, Callable[[dict[str, str], re.Match[str]], Response]] = {
            DEVICE_CODE_GRANT: self._device_code_grant,
            "refresh_token": self._refresh_grant,
            "client_credentials": self._client_credentials_grant,
            "password": self._password_grant,
            **self.more_grants,
        }
        handler = handlers.get(grant)
        if handler is None:
            return oauth_error(
                "unsupported_grant_type",
                f"AADSTS70003: The grant type '{grant}' is not supported.",
                70003,
            )
        with self.state.lock:
            return handler(form, match)

    def issue(
        self,
        user: JsonDict,
        app: App,
        scope: str,
        amr: tuple[str, ...],
        flow: str,
        *,
        nonce: str | None = None,
    ) -> Response:
        """Tokens for a delegated grant, once Conditional Access and consent allow them."""
        verdict = ca_signin.evaluate(self.state, user, app.app_id, flow, amr)
        if not verdict.allowed:
            record_sign_in(
                self.state,
                upn=str(user["userPrincipalName"]),
                user=user,
                app=app,
                error_code=verdict.code,
            )
            return oauth_error(verdict.error(), verdict.description(), verdict.code)
        try:
            body = tokens.user_tokens(self.state, self.base_url(), user, app, scope, amr, nonce)
        except ScopeError as exc:
            response = oauth_error("invalid_grant", str(exc), 65001)
            if "AADSTS65001" in str(exc):
                response = consent_required(str(exc))
            return response
        return json_response(200, body)

    def _device_code_grant(self, form: dict[str, str], match: re.Match[str]) -> Response:
        flow = self.state.device_codes.get(form.get("device_code", ""))
        if flow is None or flow.client_id != form.get("client_id"):
            return oauth_error("invalid_grant", "AADSTS70000: The device code is not valid.", 70000)
        if flow.status == "declined":
            del self.state.device_codes[flow.device_code]
            return oauth_error(
                "authorization_declined", "AADSTS70019: The user declined the sign-in.", 70019
            )
        if flow.refusal is not None:
            del self.state.device_codes[flow.device_code]
            code, text = flow.refusal
            error = "interaction_required" if code == ca_signin.MFA_REQUIRED else "invalid_grant"
            return oauth_error(error, text, code)
        if flow.expires < utcnow():
            del self.state.device_codes[flow.device_code]
            return oauth_error("expired_token", "AADSTS70020: The device code expired.", 70020)
        if flow.status != "approved" or flow.user_id is None:
            return oauth_error(
                "authorization_pending",
                "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.",
                70016,
            )
        del self.state.device_codes[flow.device_code]
        user = self.state.users[flow.user_id]
        app = self.state.apps[flow.client_id]
        return self.issue(user, app, flow.scope, flow.amr, ca_signin.DEVICE_CODE)

    def _refresh_grant(self, form: dict[str, str], match: re.Match[str]) -> Response:
        grant = self.state.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.client_id != form.get("client_id"):
            return oauth_error(
                "invalid_grant", "AADSTS9002313: The refresh token is not valid.", 9002313
            )
        user = self.state.users.get(grant.user_id)
        if user is None or not user.get("accountEnabled", True):
            return oauth_error("invalid_grant", "AADSTS50057: The user account is disabled.", 50057)
        app = self.state.apps[grant.client_id]
        return self.issue(user, app, form.get("scope", ""), grant.amr, ca_signin.REFRESH)

    def _client_credentials_grant(self, form: dict[str, str], match: re.Match[str]) -> Response:
        app = self._app(form.get("client_id", ""))
        if app.public_client:
            return oauth_error(
                "invalid_client",
                "AADSTS7000218: A public client cannot use client credentials.",
                7000218,
            )
        scope = form.get("scope", "")
        if len(scope.split()) != 1 or not scope.endswith("/.default"):
            return oauth_error(
                "invalid_scope",
                "AADSTS1002012: Client credential flows must have a scope value with /.default.",
                1002012,
            )
        error = self._client_authentication(app, form, match)
        return error or json_response(200, tokens.app_tokens(self.state, app, scope))

    def _client_authentication(
        self, app: App, form: dict[str, str], match: re.Match[str]
    ) -> Response | None:
        if "client_assertion" in form:
            federated = self.federation(app, form["client_assertion"]) if self.federation else False
            if federated is not False:
                return None if federated is True else federated
            audience = f"{self.base_url()}/{match['tenant']}/oauth2/v2.0/token"
            try:
                verify_client_assertion(
                    form["client_assertion"], app.app_id, audience, app.certificates
                )
            except TokenError as exc:
                return oauth_error(
                    "invalid_client", f"AADSTS700027: Client assertion failed: {exc}.", 700027
                )
            return None
        if not verify_secret(form.get("client_secret", ""), app.secret):
            return oauth_error(
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided.",
                7000215,
                status=401,
            )
        return None

    def _password_grant(self, form: dict[str, str], match: re.Match[str]) -> Response:
        if not self.state.settings.ropc_enabled:
            return oauth_error(
                "unauthorized_client",
                "AADSTS7000218: The password grant is disabled in this tenant "
                "(the tenant file must set settings.ropcEnabled).",
                7000218,
            )
        app = self._app(form.get("client_id", ""))
        user, code = self.authenticate(
            form.get("username", ""), form.get("password", ""), app, "ROPC"
        )
        if user is None:
            reason = tokens_reason(code)
            return oauth_error("invalid_grant", f"AADSTS{code}: {reason}", code)
        return self.issue(user, app, form.get("scope", ""), ("pwd",), ca_signin.PASSWORD)

    def _count_failure(self, user_id: str) -> None:
        count = self.state.failed_sign_ins.get(user_id, 0) + 1
        self.state.failed_sign_ins[user_id] = count
        if count >= _LOCKOUT_THRESHOLD:
            self.state.locked_until[user_id] = time.monotonic() + _LOCKOUT_SECONDS
            self.state.failed_sign_ins[user_id] = 0

    # -- shared with the device approval page ----------------------------------------------

    def authenticate(
        self, username: str, password: str, app: App, client: str, correlation: str | None = None
    ) -> tuple[JsonDict | None, int]:
        """Check a username and password and write the sign-in record (success or failure).

        Returns:
            The user and 0 on success, else None and the AADSTS error code.
        """
        state = self.state
        user = state.find_user(username)
        code = 0
        if user is None:
            code = 50034
        elif state.locked_until.get(user["id"], 0.0) > time.monotonic():
            code = 50053
        elif not user.get("accountEnabled", True):
            code = 50057
        elif not verify_secret(password, state.passwords.get(user["id"])):
            code = 50126
            self._count_failure(str(user["id"]))
        elif user["id"] in state.must_change_password:
            code = 50055
        used = "Mobile Apps and Desktop clients" if client != "ROPC" else "Other clients"
        record_sign_in(
            state,
            upn=username,
            user=user,
            app=app,
            error_code=code,
            correlation_id=correlation,
            client_app_used=used,
        )
        if code:
            return None, code
        assert user is not None
        state.failed_sign_ins.pop(user["id"], None)
        return user, 0


def consent_required(description: str) -> Response:
    """Entra's answer when a grant that shows no page needs consent (AADSTS65001)."""
    return json_response(
        400,
        {
            "error": "invalid_grant",
            "suberror": "consent_required",
            "error_description": description,
            "error_codes": [65001],
        },
    )


def tokens_reason(code: int) -> str:
    """The failure reason text for an AADSTS code."""
    return FAILURE_REASONS.get(code, "Sign-in failed.")
