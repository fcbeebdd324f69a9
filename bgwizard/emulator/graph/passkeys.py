"""Graph passkeys: ``fido2Methods/creationOptions``, registering a FIDO2 key, the FIDO2 policy.

Registration is verified as Entra ID does it: the challenge must be one this tenant issued
for that user and still valid (5 minutes by default), the client data must be a
``webauthn.create`` for ``https://login.microsoft.com``, the authenticator data must be for
RP id ``login.microsoft.com`` with user presence and verification, and a ``packed`` or
``none`` attestation statement must verify. The authentication methods policy's FIDO2
configuration (state, attestation enforcement, key restrictions) is applied.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
from typing import Any, Final

from bgwizard.emulator.graph import authz
from bgwizard.emulator.graph import users as graph_users
from bgwizard.emulator.graph.context import ID, V1, GraphContext
from bgwizard.emulator.http.core import (
    HttpError,
    Request,
    Response,
    Router,
    graph_error,
    json_response,
)
from bgwizard.emulator.tenant import catalog
from bgwizard.emulator.tenant.records import Caller, record_audit, target
from bgwizard.emulator.tenant.state import JsonDict, TenantState, iso, new_id, utcnow
from bgwizard.errors import PasskeyError
from bgwizard.passkeys import webauthn as pk

_METHODS = V1 + r"/users/" + ID + r"/authentication/fido2Methods"
_POLICY = V1 + r"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2"
#: An administrator's methods: only these roles manage them (Microsoft's "who can perform
#: sensitive actions"; the table's passkey rows list roles without this rule).
ADMIN_METHOD_ROLES: Final = frozenset({catalog.GLOBAL_ADMIN, catalog.PRIVILEGED_AUTH_ADMIN})
_FIDO2_TYPE: Final = "#microsoft.graph.fido2AuthenticationMethod"
#: A stand-in for the FIDO Metadata Service: AAGUID → model name Entra ID shows.
KNOWN_MODELS: Final[dict[str, str]] = {
    "ee882879-721c-4913-9775-3dfcce97072a": "YubiKey 5 Series with NFC",
    "fa2b99dc-9e39-4257-8f92-4a30d23c4118": "YubiKey 5 Series with NFC",
    "cb69481e-8ff7-4039-93ec-0a2729a154a8": "YubiKey 5 Series",
}


def default_fido2_config() -> JsonDict:
    """The FIDO2 method configuration of a tenant that enabled passkeys for all users."""
    return {
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "id": "Fido2",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": True,
        "isAttestationEnforced": False,
        "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
        "includeTargets": [
            {"targetType": "group", "id": "all_users", "isRegistrationRequired": False}
        ],
        "excludeTargets": [],
    }


def register(router: Router, ctx: GraphContext) -> None:
    """Add the passkey routes (the fido2Methods GET list lives in ``graph_directory``)."""
    ctx.state.auth_method_configs.setdefault("fido2", default_fido2_config())
    h = _Passkeys(ctx)
    ctx.route(
        router,
        "GET",
        _METHODS + r"/creationOptions(?:\((?P<args>[^)]*)\))?",
        h.creation_options,
        "fido2-creationOptions-v1",
    )
    ctx.route(router, "POST", _METHODS, h.create, "fido2-create")
    ctx.route(router, "GET", _POLICY, h.policy, "fido2-config-get")


def _refused(message: str, code: str = "invalidRequest") -> HttpError:
    return HttpError(graph_error(400, code, message))


class _Passkeys:
    def __init__(self, ctx: GraphContext) -> None:
        self.ctx = ctx
        self.state: TenantState = ctx.state

    # -- routes -------------------------------------------------------------------------

    def policy(self, request: Request, match: re.Match[str]) -> Response:
        self.ctx.caller(request)
        with self.state.lock:
            config = dict(self.state.auth_method_configs["fido2"])
        context = (
            f"{self.ctx.graph_url}/$metadata#policies/authenticationMethodsPolicy/"
            "authenticationMethodConfigurations/$entity"
        )
        return json_response(200, {"@odata.context": context, **config})

    def creation_options(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request, match["id"])
        if (match["args"] or "").strip():
            raise _refused(
                "creationOptions takes no parameters in v1.0: the challenge lasts 5 minutes "
                "(challengeTimeoutInMinutes exists only in the beta endpoint).",
                "badRequest",
            )
        with self.state.lock:
            user = graph_users.require_user(self.ctx, match["id"])
            self._may_manage(caller, user)
            self._enabled()
            seconds = self.state.settings.passkey_challenge_seconds
            expires = utcnow() + dt.timedelta(seconds=seconds)
            options = pk.CreationOptions(
                challenge=secrets.token_bytes(32),
                rp_id=pk.RP_ID,
                rp_name="Microsoft",
                user_id=hashlib.sha256(str(user["id"]).encode()).digest(),
                user_name=str(user["userPrincipalName"]),
                user_display_name=str(user.get("displayName") or user["userPrincipalName"]),
                exclude_ids=tuple(self._credential_ids(str(user["id"]))),
                timeout_ms=max(seconds, 0) * 1000,
                expires=expires,
            )
            self.state.passkey_challenges[pk.b64url(options.challenge)] = {
                "userId": user["id"],
                "expires": expires,
                "algorithms": list(options.algorithms),
            }
        body = {
            "@odata.context": f"{self.ctx.graph_url}/$metadata#"
            "microsoft.graph.webauthnCredentialCreationOptions",
            **options.to_graph(),
        }
        return json_response(200, body)

    def create(self, request: Request, match: re.Match[str]) -> Response:
        caller = self.ctx.caller(request, match["id"])
        body = self.ctx.json_object(request)
        display_name, cred_id, client_data, attestation = self._parse_body(body)
        with self.state.lock:
            user = graph_users.require_user(self.ctx, match["id"])
            self._may_manage(caller, user)
            config = self._enabled()
            expected = self._take_challenge(client_data, str(user["id"]))
            try:
                verified = pk.verify_registration(cred_id, client_data, attestation, expected)
            except PasskeyError as exc:
                raise _refused(
                    f"The passkey registration was refused: {_lower(str(exc))}"
                ) from None
            self._apply_policy(config, verified)
            if pk.b64url(verified.credential_id) in self._credential_ids_b64(str(user["id"])):
                raise _refused("This security key is already registered for the user.")
            method = self._store(user, display_name, verified)
            record_audit(
                self.state,
                caller,
                "Admin registered security info",
                "UserManagement",
                [target("User", user, {"StrongAuthenticationMethod": (None, "Fido2")})],
                "Add",
                "Authentication Methods",
            )
        context = (
            f"{self.ctx.graph_url}/$metadata#users('{user['id']}')/authentication/"
            "fido2Methods/$entity"
        )
        shown = {k: v for k, v in method.items() if k != "@odata.type"}
        return json_response(201, {"@odata.context": context, **shown})

    # -- checks -------------------------------------------------------------------------

    def _may_manage(self, caller: Caller, user: JsonDict) -> None:
        """An administrator's methods are managed only by a Global or Privileged Auth Admin."""
        if caller.kind != "user":
            return
        held = set(self.state.active_role_ids(str(user["id"])))
        if held & catalog.PRIVILEGED_ROLES and not caller.role_ids & ADMIN_METHOD_ROLES:
            raise authz.denied(
                "Insufficient privileges to complete the operation: managing an "
                "administrator's authentication methods needs one of these roles: Global "
                "Administrator, Privileged Authentication Administrator."
            )

    def _enabled(self) -> JsonDict:
        config = self.state.auth_method_configs["fido2"]
        if config.get("state") != "enabled":
            raise _refused(
                "The Passkey (FIDO2) authentication method is disabled in the tenant's "
                "authentication methods policy.",
                "badRequest",
            )
        return config

    def _parse_body(self, body: dict[str, Any]) -> tuple[str, str, bytes, bytes]:
        display_name = body.get("displayName")
        if not isinstance(display_name, str) or not display_name.strip():
            raise self.ctx.bad_request("The property 'displayName' is required.", "badRequest")
        credential = body.get("publicKeyCredential")
        response = credential.get("response") if isinstance(credential, dict) else None
        if not isinstance(credential, dict) or not isinstance(response, dict):
            raise self.ctx.bad_request(
                "The property 'publicKeyCredential' with its 'response' is required.",
                "badRequest",
            )
        parts = [credential.get("id"), response.get("clientDataJSON")]
        parts.append(response.get("attestationObject"))
        if not all(isinstance(p, str) and p for p in parts):
            raise self.ctx.bad_request(
                "publicKeyCredential needs id, response.clientDataJSON and "
                "response.attestationObject.",
                "badRequest",
            )
        try:
            client_data = pk.unb64url(str(parts[1]), "clientDataJSON")
            attestation = pk.unb64url(str(parts[2]), "attestationObject")
        except PasskeyError as exc:
            raise self.ctx.bad_request(str(exc), "badRequest") from None
        return display_name.strip(), str(parts[0]), client_data, attestation

    def _take_challenge(self, client_data: bytes, user_id: str) -> pk.Expectation:
        """The pending challenge the client data names; it is used up by this attempt."""
        try:
            challenge = str(json.loads(client_data).get("challenge", ""))
        except (ValueError, AttributeError, UnicodeDecodeError):
            raise _refused(
                "The passkey registration was refused: clientDataJSON is not JSON."
            ) from None
        pending = self.state.passkey_challenges.pop(_canonical(challenge), None)
        if pending is None or pending["userId"] != user_id:
            raise _refused(
                "The passkey registration was refused: the challenge was not issued for this "
                "user or was already used; request new creation options."
            )
        expires: dt.datetime = pending["expires"]
        if utcnow() >= expires:
            raise _refused(
                f"The passkey registration was refused: the challenge expired at "
                f"{iso(expires)}; request new creation options and register within "
                f"{pk.CHALLENGE_MINUTES} minutes.",
            )
        return pk.Expectation(
            challenge=pk.unb64url(_canonical(challenge)),
            algorithms=tuple(pending["algorithms"]),
        )

    def _apply_policy(self, config: JsonDict, verified: pk.VerifiedCredential) -> None:
        if config.get("isAttestationEnforced") and not verified.attested:
            raise _refused(
                "The passkey registration was refused: the FIDO2 policy enforces attestation "
                "and this key gave none."
            )
        rules = config.get("keyRestrictions") or {}
        if not rules.get("isEnforced"):
            return
        listed = verified.aaguid.lower() in {str(a).lower() for a in rules.get("aaGuids") or []}
        allowed = listed if rules.get("enforcementType") == "allow" else not listed
        if not allowed:
            raise _refused(
                f"The passkey registration was refused: the FIDO2 policy's key restrictions "
                f"do not allow AAGUID {verified.aaguid}."
            )

    # -- storage ------------------------------------------------------------------------

    def _credential_ids_b64(self, user_id: str) -> set[str]:
        return {
            str(c["credentialId"])
            for c in self.state.passkey_credentials.values()
            if c["userId"] == user_id
        }

    def _credential_ids(self, user_id: str) -> list[bytes]:
        return [pk.unb64url(c) for c in sorted(self._credential_ids_b64(user_id))]

    def _store(self, user: JsonDict, name: str, verified: pk.VerifiedCredential) -> JsonDict:
        method: JsonDict = {
            "@odata.type": _FIDO2_TYPE,
            "id": new_id(),
            "displayName": name,
            "createdDateTime": iso(utcnow()),
            "aaGuid": verified.aaguid,
            "model": KNOWN_MODELS.get(verified.aaguid),
            "attestationCertificates": [_thumbprint(c) for c in verified.certificates],
            "attestationLevel": "attested" if verified.attested else "notAttested",
            "passkeyType": "deviceBound",
            "publicKeyCredential": None,
        }
        self.state.auth_methods.setdefault(str(user["id"]), []).append(method)
        self.state.passkey_credentials[str(method["id"])] = {
            "userId": user["id"],
            "credentialId": pk.b64url(verified.credential_id),
            "algorithm": verified.algorithm,
            "signCount": verified.sign_count,
            "publicKey": pk.encode_public_key(verified.public_key),
        }
        return method


def _thumbprint(der: bytes) -> str:
    """A certificate's SHA-1 thumbprint, as Graph lists attestation certificates."""
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


def _canonical(challenge: str) -> str:
    """A base64url challenge without padding, so ``abc=`` and ``abc`` are the same key."""
    try:
        return pk.b64url(base64.urlsafe_b64decode(challenge + "=" * (-len(challenge) % 4)))
    except ValueError:
        return challenge


def _lower(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]
