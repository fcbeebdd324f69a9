"""Approving a device code with a FIDO2 security key instead of a password (WebAuthn get).

Entra ID's sign-in page asks the key to sign a fresh challenge for RP id
``login.microsoft.com``, limited to the keys registered on the account
(``allowCredentials``), then checks the assertion against the stored public key. The
emulator does the same over a JSON API the demo (and the tests) use:

* ``POST /_emulator/device/assertion-options`` ``{user_code, username}`` → request options;
* ``POST /_emulator/device/approve-key`` ``{user_code, username, credentialId,
  clientDataJSON, authenticatorData, signature, userHandle}`` → approved, or a reason.

A success writes a sign-in record whose ``authenticationDetails`` name "FIDO2 security key",
and the tokens the device code then redeems carry ``amr`` ``["fido", "mfa"]``. A failure
writes a failed sign-in record with the reason and leaves the code pending.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from bgwizard.emulator.errors import KeySignInRefused
from bgwizard.emulator.http.core import Request, Response, Router, json_response
from bgwizard.emulator.identity.device import DeviceApprovals
from bgwizard.emulator.tenant.records import record_sign_in
from bgwizard.emulator.tenant.state import DeviceCode, JsonDict, iso, utcnow
from bgwizard.errors import PasskeyError
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk

KEY_AMR: Final = ("fido", "mfa")
"""The ``amr`` of a token from a security key sign-in."""
KEY_FAILURE_CODE: Final = 500121
"""AADSTS500121: authentication failed during the strong authentication request."""


@dataclass(frozen=True)
class _Pending:
    user_code: str
    user_id: str
    expires: dt.datetime


class DeviceKeys:
    """Security key approval of pending device codes."""

    def __init__(
        self,
        devices: DeviceApprovals,
        find: Callable[[str], Any] | None = None,
        finish: Callable[[Any, JsonDict, tuple[str, ...]], str | None] | None = None,
        prefix: str = "/_emulator/device",
    ) -> None:
        """Share the device approvals' state and sign-in records.

        Args:
            devices: the device code approvals.
            find: finds a pending sign-in by its code (default: a device code); the interactive
                sign-in passes its own (``authorize``), whose requests have the same fields.
            finish: what to do once the key verified (default: the device approval's second
                factor, consent and Conditional Access).
            prefix: where the two JSON routes live.
        """
        self.devices = devices
        self.state = devices.state
        self._find = find or devices._find
        self._finish = finish or (
            lambda flow, user, amr: devices.after_authentication(flow, user, amr)
        )
        self._prefix = prefix
        self._pending: dict[str, _Pending] = {}

    def register(self, router: Router) -> None:
        """Add the two JSON routes to ``router``."""
        router.add("POST", self._prefix + "/assertion-options", self._api_options)
        router.add("POST", self._prefix + "/approve-key", self._api_approve)

    # -- python API --------------------------------------------------------------------------

    def options(self, user_code: str, username: str) -> dict[str, Any]:
        """Request options for signing ``username`` in on ``user_code`` with a security key.

        Raises:
            KeySignInRefused: the code is unknown, the account is another one or has no key,
                or the FIDO2 method is disabled.
        """
        with self.state.lock:
            flow = self._flow(user_code, username)
            user = self.state.find_user(username.strip())
            if user is None:
                raise KeySignInRefused(f"The account {username.strip()} does not exist.")
            if (self.state.auth_method_configs.get("fido2") or {}).get("state") != "enabled":
                raise KeySignInRefused(
                    "The Passkey (FIDO2) method is disabled in the tenant's authentication "
                    "methods policy, so no security key can sign in."
                )
            ids = [pk.unb64url(str(c["credentialId"])) for c in self._credentials(user)]
            if not ids:
                raise KeySignInRefused(
                    f"{user['userPrincipalName']} has no security key registered; register "
                    "one first (Passkeys)."
                )
            seconds = self.state.settings.passkey_challenge_seconds
            expires = utcnow() + dt.timedelta(seconds=seconds)
            options = pka.AssertionOptions(
                challenge=secrets.token_bytes(32),
                allow_ids=tuple(sorted(ids)),
                timeout_ms=max(seconds, 0) * 1000,
            )
            key = pk.b64url(options.challenge)
            self._pending[key] = _Pending(flow.user_code, str(user["id"]), expires)
        return {"challengeTimeoutDateTime": iso(expires), **options.to_json()}

    def approve(self, user_code: str, username: str, assertion: dict[str, Any]) -> str | None:
        """Approve ``user_code`` as ``username`` if ``assertion`` verifies.

        Returns:
            None on success, otherwise why not, as one sentence. A refused key writes a failed
            sign-in record (the reason in ``status.failureReason``); the code stays pending.
        """
        with self.state.lock:
            try:
                flow = self._flow(user_code, username)
            except KeySignInRefused as exc:
                return str(exc)
            user = self.state.find_user(username.strip())
            try:
                stored, count = self._check(flow, user, username.strip(), assertion)
            except (KeySignInRefused, PasskeyError) as exc:  # refused, or not an assertion
                reason = _lower(str(exc))
                self._record(flow, user, username.strip(), reason)
                return f"Sign-in failed: {reason}"
            assert user is not None
            stored["signCount"] = count
            self._record(flow, user, username.strip(), None)
            result = self._finish(flow, user, KEY_AMR)
            return result if isinstance(result, str) else None

    # -- checks ------------------------------------------------------------------------------

    def _flow(self, user_code: str, username: str) -> DeviceCode:
        flow: DeviceCode | None = self._find(user_code)
        if flow is None:
            raise KeySignInRefused("That code is not valid or has expired.")
        if flow.login_hint and flow.login_hint.lower() != username.strip().lower():
            raise KeySignInRefused(
                f"This sign-in is for {flow.login_hint}; sign in with that account."
            )
        return flow

    def _credentials(self, user: JsonDict) -> list[JsonDict]:
        return [c for c in self.state.passkey_credentials.values() if c["userId"] == user["id"]]

    def _check(
        self, flow: DeviceCode, user: JsonDict | None, username: str, body: dict[str, Any]
    ) -> tuple[JsonDict, int]:
        if user is None:
            raise KeySignInRefused(f"the account {username} does not exist.")
        self._account_usable(user)
        assertion = pka.Assertion.from_json(body)
        pending = self._take_challenge(assertion.client_data)
        if pending is None or pending.user_id != user["id"] or pending.user_code != flow.user_code:
            raise KeySignInRefused(
                "the challenge was not issued for this sign-in or was already used; ask for "
                "new options."
            )
        if utcnow() >= pending.expires:
            raise KeySignInRefused(
                f"the challenge expired at {iso(pending.expires)}; ask for new options and "
                f"touch the key within {pk.CHALLENGE_MINUTES} minutes."
            )
        wanted = pk.b64url(assertion.credential_id)
        stored = next((c for c in self._credentials(user) if c["credentialId"] == wanted), None)
        if stored is None or "publicKey" not in stored:
            raise KeySignInRefused("this security key is not registered on the account.")
        expected = pka.AssertionExpectation(
            challenge=pk.unb64url(_challenge_of(assertion.client_data)),
            public_key=pk.decode_public_key(str(stored["publicKey"])),
            sign_count=int(stored.get("signCount") or 0),
            user_handle=hashlib.sha256(str(user["id"]).encode()).digest(),
        )
        try:
            verified = pka.verify_assertion(assertion, expected)
        except PasskeyError as exc:
            raise KeySignInRefused(_lower(str(exc))) from None
        return stored, verified.sign_count

    def _account_usable(self, user: JsonDict) -> None:
        if self.state.locked_until.get(str(user["id"]), 0.0) > time.monotonic():
            raise KeySignInRefused("the account is locked after too many failed sign-ins.")
        if not user.get("accountEnabled", True):
            raise KeySignInRefused("the account is disabled.")

    def _take_challenge(self, client_data: bytes) -> _Pending | None:
        try:
            challenge = _challenge_of(client_data)
        except KeySignInRefused:
            return None
        return self._pending.pop(challenge, None)

    def _record(
        self, flow: DeviceCode, user: JsonDict | None, upn: str, failure: str | None
    ) -> None:
        app = self.state.apps[flow.client_id]
        code = KEY_FAILURE_CODE if failure else 0
        record = record_sign_in(
            self.state,
            upn=upn,
            user=user,
            app=app,
            error_code=code,
            correlation_id=flow.correlation_id,
        )
        step: JsonDict = {
            "authenticationStepDateTime": record["createdDateTime"],
            "authenticationMethod": pka.FIDO_METHOD,
            "authenticationMethodDetail": None,
            "succeeded": failure is None,
            "authenticationStepResultDetail": failure or "MFA successfully completed",
            "authenticationStepRequirement": "Primary authentication",
        }
        record["authenticationDetails"] = [step]
        record["authenticationMethodsUsed"] = [pka.FIDO_METHOD]
        record["authenticationRequirement"] = "multiFactorAuthentication"
        if failure:
            record["status"]["failureReason"] = _upper(failure)
            record["status"]["additionalDetails"] = "The security key sign-in was refused."

    # -- HTTP --------------------------------------------------------------------------------

    def _api_options(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return json_response(400, {"error": "The body must be a JSON object."})
        try:
            options = self.options(str(body.get("user_code", "")), str(body.get("username", "")))
        except KeySignInRefused as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, options)

    def _api_approve(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return json_response(400, {"error": "The body must be a JSON object."})
        error = self.approve(str(body.get("user_code", "")), str(body.get("username", "")), body)
        if error:
            return json_response(400, {"error": error})
        return json_response(200, {"status": "approved", "method": pka.FIDO_METHOD})


def _challenge_of(client_data: bytes) -> str:
    """The client data's challenge, canonical (unpadded base64url)."""
    try:
        data = json.loads(client_data)
        return pk.b64url(pk.unb64url(str(data["challenge"]), "challenge"))
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, PasskeyError):
        raise KeySignInRefused("the clientDataJSON carries no challenge.") from None


def _lower(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def _upper(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]
