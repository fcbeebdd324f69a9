"""The pure passkey pieces: policy judgement, permissions, PINs, options, the profile and sheet."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from soft_authenticator import SOFT_AAGUID, SoftKey

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.errors import PasskeyError
from bgwizard.passkeys import webauthn as pk
from bgwizard.passkeys.policy import Fido2Policy, permission_problem
from bgwizard.passkeys.usb_device import _ctap_message, list_keys
from bgwizard.profile.model import BreakGlassAccount, Profile, SecurityKeyRecord
from bgwizard.profile.store import TomlProfileStore
from bgwizard.secret import Secret
from bgwizard.sheets.model import PinSheet, security_key_line
from bgwizard.sheets.pdf import render_sheet
from bgwizard.sheets.pin_sheet import render_pin_sheet
from bgwizard.sheets.service import SheetService

AAGUID = "ee882879-721c-4913-9775-3dfcce97072a"
KEY = SecurityKeyRecord(
    label="BG key 1 (safe A)",
    aaguid=AAGUID,
    model="YubiKey 5 Series with NFC",
    method_id="m-1",
    registered=dt.date(2026, 11, 27),
)


def test_policy_parsing_and_key_restrictions() -> None:
    doc = {
        "state": "enabled",
        "isAttestationEnforced": True,
        "keyRestrictions": {"isEnforced": True, "enforcementType": "allow", "aaGuids": [AAGUID]},
        "includeTargets": [{"targetType": "group", "id": "g-bg"}],
    }
    policy = Fido2Policy.from_graph(doc)
    assert policy.attestation_enforced and policy.include_targets == ("g-bg",)
    assert policy.allows_key(AAGUID.upper()) and not policy.allows_key(SoftKey().aaguid)
    assert policy.key_problem(AAGUID) is None
    assert "do not allow this key model" in str(policy.key_problem(SoftKey().aaguid))
    assert policy.problems(("g-bg",)) == [] and policy.problems(None) == []
    assert policy.problems(("g-other",))[0].startswith(
        "The Passkey (FIDO2) policy does not target this account"
    )
    blocked = Fido2Policy(True, restrictions_enforced=True, enforcement="block", aaguids=(AAGUID,))
    assert not blocked.allows_key(AAGUID) and blocked.allows_key(SoftKey().aaguid)
    empty_allow = Fido2Policy(True, restrictions_enforced=True, enforcement="allow")
    assert "allow no key model" in empty_allow.problems()[0]


def test_permission_problem() -> None:
    def who(scopes: tuple[str, ...], roles: tuple[str, ...]) -> SignedInIdentity:
        return SignedInIdentity("o", "t", "a@b", scopes=scopes, role_ids=roles)

    assert permission_problem(None) is not None
    good = who(("UserAuthenticationMethod.ReadWrite.All",), (GLOBAL_ADMIN_ROLE_ID,))
    assert permission_problem(good) is None
    assert "UserAuthenticationMethod.ReadWrite.All" in str(
        permission_problem(who(("User.Read",), (GLOBAL_ADMIN_ROLE_ID,)))
    )
    assert "Privileged Authentication Administrator" in str(
        permission_problem(who(("UserAuthMethod-Passkey.ReadWrite.All",), ("other-role",)))
    )


def test_pins() -> None:
    pin = pk.generate_pin()
    assert len(pin) == 8 and pin.reveal().isdigit()
    assert "PIN" not in repr(pin) and pin.reveal() not in repr(pin)
    assert pk.pin_problem("123") == "A security key PIN needs at least 4 characters."
    assert pk.pin_problem("1" * 64) is not None and pk.pin_problem("1234") is None


def test_creation_options_round_trip_and_malformed() -> None:
    options = pk.CreationOptions(
        challenge=b"c" * 32,
        rp_id=pk.RP_ID,
        rp_name="Microsoft",
        user_id=b"u" * 32,
        user_name="bg@x",
        user_display_name="BG",
        exclude_ids=(b"x" * 16,),
        expires=dt.datetime(2026, 11, 27, 10, 5, tzinfo=dt.UTC),
    )
    assert pk.CreationOptions.from_graph(options.to_graph()) == options
    with pytest.raises(PasskeyError, match="no publicKey"):
        pk.CreationOptions.from_graph({})
    with pytest.raises(PasskeyError, match="malformed"):
        pk.CreationOptions.from_graph({"publicKey": {"challenge": "AAAA"}})


def test_verify_registration_directly() -> None:
    options = pk.CreationOptions(b"c" * 32, pk.RP_ID, "Microsoft", b"u", "bg@x", "BG")
    key = SoftKey(pin="1234")
    client_data = pk.client_data_json(options.challenge)
    made = key.make_credential(
        hashlib.sha256(client_data).digest(), options, Secret("1234"), lambda: None
    )
    attestation = pk.attestation_object(made.fmt, made.auth_data, made.att_stmt)
    expected = pk.Expectation(challenge=options.challenge)
    verified = pk.verify_registration(
        pk.b64url(made.credential_id), client_data, attestation, expected
    )
    assert verified.aaguid == key.aaguid and verified.algorithm == pk.ES256
    assert verified.user_verified and not verified.attested
    with pytest.raises(PasskeyError, match="credential id does not match"):
        pk.verify_registration(pk.b64url(b"other"), client_data, attestation, expected)
    with pytest.raises(PasskeyError, match="ES256, which was not offered"):
        pk.verify_registration(
            pk.b64url(made.credential_id),
            client_data,
            attestation,
            pk.Expectation(challenge=options.challenge, algorithms=(pk.RS256,)),
        )
    with pytest.raises(PasskeyError, match="not valid CBOR"):
        pk.verify_registration(pk.b64url(made.credential_id), client_data, b"\xff", expected)


def test_profile_keeps_security_keys(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "p.toml")
    profile = Profile(accounts=[BreakGlassAccount(upn="bg@x", security_keys=[KEY])])
    store.save(profile)
    assert store.load().accounts[0].security_keys == [KEY]
    plain = Profile(accounts=[BreakGlassAccount(upn="bg2@x")])
    store.save(plain)
    assert "security_keys" not in store.path.read_text()


def test_sheet_prints_the_security_key_line() -> None:
    line = security_key_line(KEY)
    assert line == (
        f"BG key 1 (safe A) — YubiKey 5 Series with NFC (AAGUID {AAGUID});"
        " its PIN is on its own PIN sheet, stored apart from the key"
    )
    profile = Profile(tenant_name="Contoso")
    retired = SecurityKeyRecord("old", AAGUID, "m", retired=dt.date(2026, 1, 1))
    account = BreakGlassAccount(upn="bg@x", object_id="o", security_keys=[KEY, retired])
    content = SheetService(today=lambda: dt.date(2026, 11, 27)).build(
        profile, account, Secret("A" * 64)
    )
    assert content.security_keys == (line,)
    rendered = render_sheet(content)
    text = pdfium.PdfDocument(rendered.data)[0].get_textpage().get_text_range()
    assert "Security key" in text and AAGUID in text and "its PIN is on its own PIN sheet" in text


def test_key_errors_are_sentences() -> None:
    from fido2.ctap import CtapError

    assert _ctap_message(CtapError(CtapError.ERR.CREDENTIAL_EXCLUDED), None) == (
        "This key is already registered on the account."
    )
    assert _ctap_message(CtapError(CtapError.ERR.PIN_INVALID), None) == "The PIN is wrong."
    assert "not touched in time" in _ctap_message(
        CtapError(CtapError.ERR.USER_ACTION_TIMEOUT), None
    )
    assert isinstance(list_keys(), list)  # no key on a build machine: an empty list, no error


def test_pin_sheet_pdf() -> None:
    sheet = PinSheet(
        upn="bg@x",
        key_label=KEY.label,
        model=KEY.model,
        aaguid=AAGUID,
        pin=Secret("48151623"),
        generated=dt.date(2026, 11, 27),
    )
    assert "48151623" not in repr(sheet)
    rendered = render_pin_sheet(sheet, "letter")
    assert rendered.pages == 1 and "4815" not in repr(rendered)
    text = pdfium.PdfDocument(rendered.data)[0].get_textpage().get_text_range()
    assert "4815 1623" in text and AAGUID in text and "bg@x" in text
    assert "locks after 8 wrong PINs" in text
    with pytest.raises(ValueError, match="Unknown paper size"):
        render_pin_sheet(sheet, "a5")


def test_self_service_off_and_a_profile_without_device_bound_are_each_one_sentence() -> None:
    doc = {
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": False,
        "includeTargets": [{"id": "all_users", "allowedPasskeyProfiles": ["p-synced"]}],
        "defaultPasskeyProfile": "p-default",
        "passkeyProfiles": [
            {"id": "p-default", "name": "Default", "passkeyTypes": "deviceBound,synced"},
            {
                "id": "p-synced",
                "name": "Synced only",
                "passkeyTypes": "synced",
                "keyRestrictions": {"isEnforced": True, "enforcementType": "allow", "aaGuids": []},
            },
        ],
        # Deprecated fields: ignored while a passkey profile applies.
        "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
    }
    policy = Fido2Policy.from_graph(doc)
    assert policy.profile is not None and policy.profile.name == "Synced only"
    problems = policy.problems()
    assert len(problems) == 3
    assert problems[0].startswith("Allow self-service setup is off")
    assert "does not allow device-bound passkeys" in problems[1]
    assert "allow no key model" in problems[2]
    assert not policy.allows_key(SOFT_AAGUID)  # the profile's restrictions, not the old ones
    assert all(p.count(". ") == 0 for p in problems)


def test_without_profiles_the_deprecated_fields_still_apply() -> None:
    doc = {
        "state": "enabled",
        "keyRestrictions": {
            "isEnforced": True,
            "enforcementType": "block",
            "aaGuids": [SOFT_AAGUID],
        },
    }
    policy = Fido2Policy.from_graph(doc)
    assert policy.profile is None and policy.self_service
    assert not policy.allows_key(SOFT_AAGUID) and policy.allows_key(str(uuid.uuid4()))
    default = Fido2Policy.from_graph({"state": "enabled", "passkeyProfiles": [{"id": "d"}]})
    assert default.profile is not None and default.profile.id == "d" and default.problems() == []
