"""Registering a FIDO2 security key (passkey) on a break glass account through Graph.

The flow Entra ID documents for provisioning on a user's behalf: ``GET
…/fido2Methods/creationOptions`` → CTAP2 ``makeCredential`` on the key plugged into this
workstation → ``POST …/fido2Methods``. The key side is a ``KeyDevice``: the real one speaks
CTAP2 over USB HID (``bgwizard.passkeys.usb_device``), tests plug in a software key.

The PIN is a ``Secret``: it goes to the key and to paper, never to Graph, a log or a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any, Final

from bgwizard.errors import GraphError, PasskeyError
from bgwizard.graph.connection import GraphConnection
from bgwizard.graph.translate import Operation, translate_exception
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.device import (
    Enrolment,
    KeyDevice,
    MadeCredential,
    RegisteredKey,
)
from bgwizard.passkeys.policy import Fido2Policy
from bgwizard.secret import Secret

OP_POLICY: Final = Operation.of("reading the Passkey (FIDO2) method policy", "fido2-config-get")
#: A break glass account is an administrator: only a Privileged Authentication Administrator
#: (or Global Administrator) manages its methods, whatever roles the table's row lists.
_ADMIN_METHODS_ROLE: Final = "Privileged Authentication Administrator"
OP_OPTIONS: Final = replace(
    Operation.of("requesting passkey creation options", "fido2-creationOptions-v1"),
    role=_ADMIN_METHODS_ROLE,
)
OP_REGISTER: Final = replace(
    Operation.of("registering the security key", "fido2-create"), role=_ADMIN_METHODS_ROLE
)
STEPS: Final = ("key", "pin", "options", "touch", "register", "done")
"""Progress steps ``enrol_key`` reports, in order."""


@contextlib.contextmanager
def _translated(op: Operation, host: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        error = translate_exception(op, host, exc)
        if isinstance(error, GraphError) and error.status == 400 and op is OP_REGISTER:
            message = _server_message(exc)
            if message:
                error = PasskeyError(message, "refused")
        if error is exc:
            raise
        raise error from exc


def _server_message(exc: BaseException) -> str:
    main = getattr(exc, "error", None)
    return str(getattr(main, "message", "") or "").strip()


class PasskeyGraph:
    """The passkey calls of Microsoft Graph, over a shared ``GraphConnection``."""

    def __init__(self, graph: GraphConnection) -> None:
        """Share the connection: its client, credential and retry settings.

        Args:
            graph: the signed-in administrator's connection (``GraphDirectory.connection``).
        """
        self._graph = graph

    def _methods(self, user_id: str) -> Any:
        return self._graph.client().users.by_user_id(user_id).authentication.fido2_methods

    async def fido2_policy(self) -> Fido2Policy:
        """The FIDO2 configuration of the authentication methods policy.

        Raises:
            BgWizardError: any failure, translated (403 names ``Policy.Read.All``).
        """
        with _translated(OP_POLICY, self._graph.host):
            configs = self._graph.client().policies.authentication_methods_policy
            builder = configs.authentication_method_configurations
            doc = await self._graph.raw_get(
                builder.by_authentication_method_configuration_id("fido2")
            )
        return Fido2Policy.from_graph(doc)

    async def creation_options(self, user_id: str) -> pk.CreationOptions:
        """Fresh WebAuthn creation options for ``user_id``; the challenge lasts 5 minutes.

        Raises:
            BgWizardError: any failure, translated.
        """
        with _translated(OP_OPTIONS, self._graph.host):
            doc = await self._graph.raw_get(self._methods(user_id).creation_options)
        return pk.CreationOptions.from_graph(doc)

    async def register(
        self, user_id: str, display_name: str, made: MadeCredential, client_data: bytes
    ) -> RegisteredKey:
        """POST the new credential to ``…/fido2Methods``.

        Raises:
            PasskeyError: Entra ID refused the registration (its sentence).
            BgWizardError: any other failure, translated.
        """
        from kiota_abstractions.method import Method

        body = {
            "displayName": display_name,
            "publicKeyCredential": {
                "id": pk.b64url(made.credential_id),
                "response": {
                    "clientDataJSON": pk.b64url(client_data),
                    "attestationObject": pk.b64url(
                        pk.attestation_object(made.fmt, made.auth_data, made.att_stmt)
                    ),
                },
                "clientExtensionResults": {},
            },
        }
        with _translated(OP_REGISTER, self._graph.host):
            request = self._methods(user_id).to_get_request_information()
            request.http_method = Method.POST
            request.set_stream_content(json.dumps(body).encode(), "application/json")
            doc = await self._graph.raw(request)
        return _registered(doc)

    async def enrol(
        self,
        device: KeyDevice,
        *,
        user_id: str,
        label: str,
        pin: Secret,
        on_step: Callable[[str], None],
    ) -> Enrolment:
        """``enrol_key`` through this Graph (the ``PasskeyRegistrar`` port)."""
        return await enrol_key(self, device, user_id=user_id, label=label, pin=pin, on_step=on_step)


def _registered(doc: Mapping[str, Any]) -> RegisteredKey:
    created = doc.get("createdDateTime")
    when = dt.datetime.fromisoformat(str(created).replace("Z", "+00:00")) if created else None
    return RegisteredKey(
        method_id=str(doc.get("id") or ""),
        display_name=str(doc.get("displayName") or ""),
        aaguid=str(doc.get("aaGuid") or ""),
        model=str(doc.get("model") or ""),
        attestation_level=str(doc.get("attestationLevel") or ""),
        created=when,
    )


async def enrol_key(
    graph: PasskeyGraph,
    device: KeyDevice,
    *,
    user_id: str,
    label: str,
    pin: Secret,
    on_step: Callable[[str], None] = lambda step: None,
) -> Enrolment:
    """Register the key in ``device`` on ``user_id``, setting ``pin`` first if it has none.

    Args:
        graph: the passkey calls, as the signed-in administrator.
        device: the security key.
        user_id: the break glass account's object id.
        label: the name shown in Entra ID and printed on the sheet.
        pin: the key's PIN (the existing one, or the new one for a key without a PIN).
        on_step: called with each step of ``STEPS`` as it starts (from worker threads too).

    Returns:
        The registration.

    Raises:
        KeyDeviceError: the key refused (wrong PIN, timeout, already registered).
        PasskeyError: Entra ID refused the registration (expired challenge, wrong RP...).
        BgWizardError: Graph failed.
    """
    if problem := pk.pin_problem(pin.reveal()):
        raise PasskeyError(problem, "pin")
    on_step("key")
    info = await asyncio.to_thread(device.info)
    pin_was_set = False
    if not info.pin_set:
        on_step("pin")
        await asyncio.to_thread(device.set_pin, pin)
        pin_was_set = True
    on_step("options")
    options = await graph.creation_options(user_id)
    client_data = pk.client_data_json(options.challenge)
    client_hash = hashlib.sha256(client_data).digest()
    on_step("touch")
    made = await asyncio.to_thread(
        device.make_credential, client_hash, options, pin, lambda: on_step("touch")
    )
    on_step("register")
    key = await graph.register(user_id, label, made, client_data)
    on_step("done")
    return Enrolment(key=key, info=info, pin_was_set=pin_was_set)


async def sign_in_with_key(
    device: KeyDevice,
    options: pka.AssertionOptions,
    pin: Secret,
    on_touch: Callable[[], None] = lambda: None,
) -> pka.Assertion:
    """Have ``device`` sign a sign-in challenge, as a browser does for ``login.microsoft.com``.

    Args:
        device: the security key.
        options: the sign-in page's request options (challenge, allowed keys).
        pin: the key's PIN (user verification).
        on_touch: called when the key waits for a touch.

    Returns:
        The assertion, with the client data the key signed, ready to post.

    Raises:
        PasskeyError: the PIN is not a possible PIN.
        KeyDeviceError: the key refused (wrong PIN, not registered here, not touched).
    """
    if problem := pk.pin_problem(pin.reveal()):
        raise PasskeyError(problem, "pin")
    client_data = pka.client_data_get(options.challenge)
    client_hash = hashlib.sha256(client_data).digest()
    got = await asyncio.to_thread(device.get_assertion, client_hash, options, pin, on_touch)
    return pka.Assertion(
        credential_id=got.credential_id,
        client_data=client_data,
        auth_data=got.auth_data,
        signature=got.signature,
        user_handle=got.user_handle,
    )
