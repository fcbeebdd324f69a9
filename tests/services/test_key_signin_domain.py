"""Pure parts of the security key sign-in: assertion checks, the portal-ready drill item."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from soft_authenticator import SoftKey

from bgwizard.auth.identity import SignedInIdentity
from bgwizard.drill.checks import check_portal_sign_in, sign_in_method
from bgwizard.drill.model import CHECKLIST, Drill, passed, warned
from bgwizard.errors import PasskeyError
from bgwizard.passkeys import assertion as pka
from bgwizard.passkeys import webauthn as pk
from bgwizard.secret import Secret

PIN = "48151623"
CHALLENGE = bytes(range(32))


def _registered() -> tuple[SoftKey, pk.CreationOptions, dict[int, object]]:
    key = SoftKey(pin=PIN)
    options = pk.CreationOptions(CHALLENGE, pk.RP_ID, "Microsoft", b"user-1", "bg@x", "BG")
    client_data = pk.client_data_json(CHALLENGE)
    made = key.make_credential(
        hashlib.sha256(client_data).digest(), options, Secret(PIN), lambda: None
    )
    attestation = pk.attestation_object(made.fmt, made.auth_data, made.att_stmt)
    verified = pk.verify_registration(
        pk.b64url(made.credential_id), client_data, attestation, pk.Expectation(CHALLENGE)
    )
    public = pk.decode_public_key(pk.encode_public_key(verified.public_key))
    return key, options, public


def _assertion(key: SoftKey, challenge: bytes = CHALLENGE) -> pka.Assertion:
    options = pka.AssertionOptions(challenge, allow_ids=tuple(key.credentials))
    client_data = pka.client_data_get(challenge)
    got = key.get_assertion(hashlib.sha256(client_data).digest(), options, Secret(PIN), print)
    return pka.Assertion(
        got.credential_id, client_data, got.auth_data, got.signature, got.user_handle
    )


def test_a_good_assertion_verifies_and_round_trips_as_json() -> None:
    key, _, public = _registered()
    assertion = pka.Assertion.from_json(_assertion(key).to_json())
    assert assertion.user_handle == b"user-1"
    expected = pka.AssertionExpectation(CHALLENGE, public, user_handle=b"user-1")
    verified = pka.verify_assertion(assertion, expected)
    assert verified.sign_count == 1 and verified.user_verified
    options = pka.AssertionOptions(CHALLENGE, allow_ids=(b"k1",))
    assert pka.AssertionOptions.from_json(options.to_json()) == options


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("challenge", "challenge"),
        ("counter", "counter"),
        ("signature", "signature"),
        ("handle", "user_handle"),
    ],
)
def test_each_tampering_is_named(change: str, reason: str) -> None:
    key, _, public = _registered()
    assertion = _assertion(key)
    expected = pka.AssertionExpectation(
        challenge=bytes(32) if change == "challenge" else CHALLENGE,
        public_key=public,
        sign_count=5 if change == "counter" else 0,
        user_handle=b"user-2" if change == "handle" else b"user-1",
    )
    if change == "signature":
        other, _, _ = _registered()
        assertion = pka.Assertion(
            assertion.credential_id,
            assertion.client_data,
            assertion.auth_data,
            _assertion(other).signature,
        )
    with pytest.raises(PasskeyError) as caught:
        pka.verify_assertion(assertion, expected)
    assert caught.value.reason == reason
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)


def test_a_missing_member_is_one_sentence() -> None:
    with pytest.raises(PasskeyError, match=r"^The assertion has no signature\.$"):
        pka.Assertion.from_json({"credentialId": "AA", "clientDataJSON": "AA",
                                "authenticatorData": "AA"})  # fmt: skip


def _identity(amr: object) -> SignedInIdentity:
    extra = {} if amr is None else {"amr": amr}
    return SignedInIdentity("oid", "tid", "bg@x", extra=extra)


def test_the_portal_item_reads_amr() -> None:
    key = check_portal_sign_in(_identity(["fido", "mfa"]))
    assert key.status == "pass" and key.evidence["method"] == "FIDO2 security key"
    otp = check_portal_sign_in(_identity(["pwd", "mfa"]))
    assert otp.status == "pass" and "not with a security key" in otp.detail
    pwd = check_portal_sign_in(_identity(["pwd"]))
    assert pwd.status == "warn" and pwd.detail == "Password only: the admin portals will refuse it."
    assert check_portal_sign_in(_identity(None)).status == "warn"
    assert sign_in_method(_identity(["pwd"])) == "password"


def test_a_warning_neither_fails_nor_leaves_the_drill_incomplete() -> None:
    t0 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    drill = Drill("bg@x", "oid", t0)
    for spec in CHECKLIST:
        drill = drill.record(passed(spec.id, "ok"), t0)
    drill = drill.record(warned("portal_signin", "Password only."), t0)
    assert drill.outcome == "pass" and drill.failures() == []
    assert [w.id for w in drill.warnings()] == ["portal_signin"]
    assert "Register a FIDO2 security key" in drill.warnings()[0].fix
    items = {i["id"]: i for i in drill.to_log_data()["items"]}  # type: ignore[index,union-attr]
    assert items["portal_signin"]["status"] == "warn"
