"""The Emulator: loopback Entra ID + Microsoft Graph over HTTPS with a throw-away CA."""

from __future__ import annotations

import re
import shutil
import ssl
import tempfile
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme

from bgwizard.emulator.arm import Arm
from bgwizard.emulator.errors import EmulatorError
from bgwizard.emulator.graph.batch import run_batch
from bgwizard.emulator.graph.routes import register_graph
from bgwizard.emulator.http.core import (
    HttpsServer,
    Request,
    Response,
    Router,
    graph_error,
    json_response,
)
from bgwizard.emulator.http.faults import Fault, FaultTable
from bgwizard.emulator.identity import consent
from bgwizard.emulator.identity.authorize import Authorize
from bgwizard.emulator.identity.device import DeviceApprovals
from bgwizard.emulator.identity.device_keys import DeviceKeys
from bgwizard.emulator.identity.federation import FederationCheck, PipelineIssuer
from bgwizard.emulator.identity.login import Login
from bgwizard.emulator.tenant.file import load_tenant
from bgwizard.emulator.tenant.passwords import hash_secret
from bgwizard.emulator.tenant.state import ALL_PRINCIPALS, TenantState
from bgwizard.profile.model import DEFAULT_CLIENT_ID

#: The public client bgwizard signs in with (Microsoft Graph Command Line Tools).
PUBLIC_CLIENT_ID = DEFAULT_CLIENT_ID


class Emulator:
    """A loopback Entra ID and Microsoft Graph for the demo and the tests.

    Example::

        with Emulator() as emu:
            print(emu.base_url, emu.tenant_id, emu.ca_pem_path)
    """

    def __init__(
        self,
        tenant_file: Path | str | None = None,
        port: int = 0,
        state_dir: Path | str | None = None,
    ) -> None:
        """Load the tenant (bundled sample when None); nothing listens until ``start``.

        Raises:
            TenantFileError: The tenant file is missing or not valid.
        """
        self.state: TenantState = load_tenant(Path(tenant_file) if tenant_file else None)
        self._port = port
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="bgw-emu-"))
        self.faults = FaultTable()
        self.errors: list[str] = []
        """Tracebacks of handler crashes (answered with 500), for tests to inspect."""
        self._server: HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self.router = Router()
        self.login = Login(self.state, lambda: self.base_url)
        self.devices = DeviceApprovals(self.login)
        self.device_keys = DeviceKeys(self.devices)
        self.pipeline = PipelineIssuer(lambda: self.base_url)
        """CI pipelines' OIDC issuers on loopback (workload identity federation)."""
        self.login.federation = FederationCheck(lambda: self.ca_pem_path)
        self.authorize = Authorize(self.login)
        self.authorize_keys = DeviceKeys(
            self.devices,
            find=self.authorize.find,
            finish=self.authorize.key_verified,
            prefix="/_emulator/authorize",
        )
        self.login.more_grants["authorization_code"] = self.authorize.redeem
        self._register_routes()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Make the CA and server certificate, write the CA pem, and start serving.

        Raises:
            EmulatorError: the state folder cannot be used or the port is taken (one sentence).
        """
        ca = trustme.CA(organization_name="bgwizard emulator CA")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            ca.cert_pem.write_to_path(str(self.ca_pem_path))
        except OSError as exc:
            raise EmulatorError(
                f"Cannot use {self.state_dir} as the emulator's state folder: "
                f"{'it is not a folder' if self.state_dir.exists() else exc.strerror or exc}."
            ) from None
        try:
            self._server = HttpsServer(self._port, context, self._handle)
        except OSError as exc:
            raise EmulatorError(
                f"Cannot listen on 127.0.0.1:{self._port}: {exc.strerror or exc}."
            ) from None
        self._thread = self._server.start()

    def stop(self) -> None:
        """Stop serving and remove a private state dir."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on (after ``start``)."""
        if self._server is None:
            raise RuntimeError("The emulator is not running; call start() first.")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def authority_host(self) -> str:
        """The authority host (the base URL); msal's authority is ``{this}/{tenant_id}``."""
        return self.base_url

    @property
    def graph_url(self) -> str:
        """Graph's base URL: ``{base_url}/v1.0``."""
        return f"{self.base_url}/v1.0"

    @property
    def arm_url(self) -> str:
        """The Azure Resource Manager stub's base URL: ``{base_url}/arm``."""
        return f"{self.base_url}/arm"

    @property
    def tenant_id(self) -> str:
        """The tenant id."""
        return self.state.tenant_id

    @property
    def ca_pem_path(self) -> Path:
        """The throw-away CA certificate (``<state_dir>/emulator-ca.pem``)."""
        return self.state_dir / "emulator-ca.pem"

    @property
    def public_client_id(self) -> str:
        """The public client bgwizard signs in with."""
        return PUBLIC_CLIENT_ID

    # -- control -----------------------------------------------------------------------------

    def approve_device_code(
        self, user_code: str, username: str, password: str, *, consent_to: str = ""
    ) -> bool:
        """Approve a pending device code as ``username``; False if refused (wrong password…).

        ``consent_to`` (``"user"`` or ``"tenant"``) accepts the consent page, if one is shown.
        """
        return self.devices.approve(user_code, username, password, consent_to=consent_to) is None

    def grant_consent(self, client_id: str, scopes: list[str], user: str | None = None) -> None:
        """Grant delegated scopes to ``client_id`` as an administrator would in the portal:
        for the whole tenant, or for one user (id or UPN).

        Raises:
            KeyError: No such user.
        """
        with self.state.lock:
            principal = ALL_PRINCIPALS
            if user is not None:
                found = self.state.find_user(user)
                if found is None:
                    raise KeyError(f"No user {user!r} in the tenant.")
                principal = str(found["id"])
            consent.grant(self.state, client_id, principal, scopes)

    def granted_scopes(self, client_id: str, user: str | None = None) -> set[str]:
        """The scopes granted to ``client_id``: tenant-wide, plus ``user``'s own if named."""
        with self.state.lock:
            found = self.state.find_user(user) if user else None
            return consent.granted(self.state, client_id, str(found["id"]) if found else "")

    def key_assertion_options(self, user_code: str, username: str) -> dict[str, Any]:
        """WebAuthn request options to approve ``user_code`` as ``username`` with a key.

        Raises:
            KeySignInRefused: unknown code, another account, no key registered, FIDO2 off.
        """
        return self.device_keys.options(user_code, username)

    def approve_device_code_with_key(
        self, user_code: str, username: str, assertion: dict[str, Any]
    ) -> bool:
        """Approve with a security key assertion (``Assertion.to_json()``); False if refused."""
        return self.device_keys.approve(user_code, username, assertion) is None

    def deny_device_code(self, user_code: str) -> None:
        """Decline a pending device code."""
        self.devices.deny(user_code)

    def pending_device_codes(self) -> list[dict[str, Any]]:
        """Pending device codes: ``user_code``, ``login_hint``, ``expires``."""
        return self.devices.pending()

    def wait_for_device_code(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until a device code is pending and return it (helper for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = self.pending_device_codes()
            if pending:
                return pending[-1]
            time.sleep(0.02)
        raise TimeoutError("No device code became pending in time.")

    def add_fault(self, fault: Fault) -> None:
        """Inject a fault (see ``Fault``)."""
        self.faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()

    def set_user_password(self, upn_or_id: str, password: str) -> None:
        """Set a user's password (stored as a salted hash only).

        Raises:
            KeyError: No such user.
        """
        with self.state.lock:
            user = self.state.find_user(upn_or_id)
            if user is None:
                raise KeyError(f"No user {upn_or_id!r} in the tenant.")
            self.state.passwords[user["id"]] = hash_secret(password)
            self.state.must_change_password.discard(user["id"])

    # -- request handling --------------------------------------------------------------------

    def _register_routes(self) -> None:
        self.login.register(self.router)
        self.devices.register(self.router)
        self.device_keys.register(self.router)
        self.pipeline.register(self.router)
        self.authorize.register(self.router)
        self.authorize_keys.register(self.router)
        self.router.add("POST", r"/_emulator/faults", self._fault_add)
        self.router.add("DELETE", r"/_emulator/faults", self._fault_clear)
        Arm(self.state).register(self.router)
        self.graph = register_graph(self.router, self.state, lambda: self.graph_url)
        # Each inner request of a batch is checked on its own route (the table's "batch" row).
        self.graph.route(self.router, "POST", r"/v1\.0/\$batch", self._batch, "batch")

    def _handle(self, request: Request) -> Response | None:
        if not request.path.startswith("/_emulator/"):
            outcome = self.faults.take(request)
            if outcome is not None:
                if outcome.drop and outcome.after:
                    self._dispatch(request)
                    return None
                if outcome.drop:
                    return None
                if outcome.response is not None:
                    return outcome.response
                time.sleep(outcome.delay)
        return self._dispatch(request)

    def _dispatch(self, request: Request) -> Response | None:
        try:
            return self.router.dispatch(request)
        except Exception:  # a handler bug must answer 500, not kill the connection thread
            self.errors.append(traceback.format_exc())
            return graph_error(500, "InternalServerError", "The emulator failed on this request.")

    def _batch(self, request: Request, match: re.Match[str]) -> Response | None:
        return run_batch(request, self._handle)

    def _fault_add(self, request: Request, match: re.Match[str]) -> Response:
        try:
            fault = Fault.from_json(request.json())
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        self.add_fault(fault)
        return json_response(201, {"status": "added"})

    def _fault_clear(self, request: Request, match: re.Match[str]) -> Response:
        self.clear_faults()
        return Response(204)
