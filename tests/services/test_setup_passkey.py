"""The set-up's passkey step against the emulator with the real msal and msgraph-sdk: a device-bound
passkey from the software key (once, even when the step runs again), certificate-based auth only
when ``certificateUserIds`` are bound, a skip signed into the log with its reason, and each FIDO2
pre-check refusing before the key is touched."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from ledger_support import pinned_key
from service_support import SAMPLE
from setup_support import KEY_PIN, Rig, make_rig, names_and_sheets, passkeys

from bgwizard.cli.main import main
from bgwizard.drill.record import DrillRecorder
from bgwizard.emulator import Emulator, Fault
from bgwizard.errors import BgWizardError, LedgerError, SetupError
from bgwizard.ledger.store import DrillLog
from bgwizard.passkeys.soft_key import SOFT_AAGUID, SoftKey
from bgwizard.profile.model import BreakGlassAccount
from bgwizard.secret import Secret

SOFIA = next(u for u in SAMPLE["users"] if u["userPrincipalName"].startswith("sofia."))
"""A sample user in the Finance group (and, through it, nowhere else the policy names)."""
FINANCE = next(g["id"] for g in SAMPLE["groups"] if g["displayName"] == "Finance")
ALL_STAFF = next(g["id"] for g in SAMPLE["groups"] if g["displayName"] == "All Staff")
"""Holds Finance: a target naming it reaches Sofia through nesting."""
DRIVERS = next(g["id"] for g in SAMPLE["groups"] if g["displayName"] == "Drivers")
REASON = "The security keys for this account arrive next week"


@pytest.fixture
async def rig(fresh_emu: Emulator, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await make_rig(fresh_emu, tmp_path)
    yield made
    await made.close()


async def _created(rig: Rig) -> list[str]:
    upns = await names_and_sheets(rig)
    for upn in upns:
        await rig.service.create_account(upn, rig.passwords[upn])
    return upns


async def _fido2(rig: Rig, user_id: str) -> list[str]:
    return [m.display_name for m in await rig.graph.list_auth_methods(user_id) if m.kind == "fido2"]


async def test_each_account_gets_a_device_bound_passkey_once(rig: Rig) -> None:
    upns = await _created(rig)
    await passkeys(rig)
    saved = rig.store.load()
    for n, item in enumerate(saved.accounts, start=1):
        assert item.strong_method == "passkey" and item.skip_reason == ""
        assert [(k.label, k.aaguid) for k in item.security_keys] == [(f"BG key {n}", SOFT_AAGUID)]
        assert await _fido2(rig, item.object_id) == [f"BG key {n}"]
    assert all(f"passkey:{u}" in saved.setup_steps_done for u in upns)
    assert KEY_PIN not in rig.store.path.read_text()

    # A restarted app whose journal lost the step (a crash before it was saved) runs it again:
    # the key in the profile is listed in Graph, so no second key is registered.
    service = rig.reload()
    service.journal.unmark("passkey", upns[0])
    key = SoftKey(pin=KEY_PIN)
    again = await service.enrol_passkey(upns[0], key, label="BG key 9", pin=Secret(KEY_PIN))
    assert again.label == "BG key 1" and key.touches == 0 and key.log == []
    assert await _fido2(rig, rig.profile.accounts[0].object_id) == ["BG key 1"]
    assert service.journal.is_done("passkey", upns[0])
    assert len(rig.store.load().accounts[0].security_keys) == 1


async def test_certificate_based_auth_is_recorded_only_when_bound(rig: Rig) -> None:
    upns = await _created(rig)
    first = rig.profile.accounts[0]
    assert await rig.service.record_cba(upns[0]) == ()
    assert first.strong_method == "" and not rig.service.journal.is_done("passkey", upns[0])
    with rig.emu.state.lock:  # an administrator binds a certificate in the portal
        rig.emu.state.users[first.object_id]["authorizationInfo"] = {
            "certificateUserIds": [f"X509:<PN>{upns[0]}"]
        }
    assert await rig.service.record_cba(upns[0]) == (f"X509:<PN>{upns[0]}",)
    saved = rig.store.load().accounts[0]
    assert saved.strong_method == "cba" and rig.service.journal.is_done("passkey", upns[0])
    assert await _fido2(rig, first.object_id) == []


async def test_a_skip_is_signed_into_the_log_with_its_reason(rig: Rig, tmp_path: Path) -> None:
    upns = await _created(rig)
    service = rig.service
    for short in ("", "no keys", "too\x07short but long enough"):
        with pytest.raises(LedgerError):
            service.skip_entry(upns[0], short)
    rig.profile.drill_log = str(tmp_path / "drill-log.jsonl")
    rig.profile.signer_key = str(tmp_path / "signer")
    recorder = DrillRecorder(rig.profile, rig.store)
    entry = recorder.record_event(
        "credential-skipped", service.skip_entry(upns[0], f"  {REASON} "), pinned_key(1), "alex"
    )
    await service.record_skip(upns[0], REASON)

    log = DrillLog(Path(rig.profile.drill_log))
    assert log.verify().ok
    written = log.entries()[entry.seq - 1]
    assert written.kind == "credential-skipped"
    assert written.data["account"] == upns[0] and written.data["reason"] == REASON
    assert written.data["account_id"] == rig.profile.accounts[0].object_id
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["log", "show", "--profile", str(rig.store.path)]) == 0
    assert f"{upns[0]}: no passkey or CBA ({REASON})" in out.getvalue()
    rows = out.getvalue().splitlines()  # the columns line up, the long kind included
    assert len({row.index("alex") for row in rows[1:]}) == 1
    assert rows[0].index("OPERATOR") == rows[1].index("alex")

    again = rig.reload()  # not lost across a restart
    assert again.journal.pending_accounts("passkey") == [upns[1]]
    saved = rig.profile.accounts[0]
    assert (saved.strong_method, saved.skip_reason) == ("skipped", REASON)


def _set(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config.update(changes)


def _profile(types: str, allowed: list[str] | None) -> dict[str, Any]:
    """The policy with one passkey profile (the default): ``types``, and an allow list."""
    restrictions = {"isEnforced": allowed is not None, "enforcementType": "allow"}
    return {
        "passkeyProfiles": [
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "name": "Default passkey profile",
                "passkeyTypes": types,
                "keyRestrictions": {**restrictions, "aaGuids": allowed or []},
            }
        ],
        "defaultPasskeyProfile": "00000000-0000-0000-0000-000000000001",
        # The deprecated settings allow every key: the profile is read first, and it counts.
        "keyRestrictions": {"isEnforced": False, "enforcementType": "block", "aaGuids": []},
    }


YUBIKEY_5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8"


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (_set(state="disabled"), "Passkeys (FIDO2) are disabled: enable them in Entra admin"),
        (
            _set(includeTargets=[{"targetType": "group", "id": DRIVERS}]),
            "The Passkey (FIDO2) policy does not target this account: add the account",
        ),
        (
            _set(isSelfServiceRegistrationAllowed=False),
            "Allow self-service setup is off: Entra ID refuses passkeys provisioned",
        ),
        (
            _set(**_profile("deviceBound,synced", [YUBIKEY_5])),
            f"do not allow this key model (AAGUID {SOFT_AAGUID}): add it in Entra admin",
        ),
        (
            _set(**_profile("synced", None)),
            "does not allow device-bound passkeys: add deviceBound to its passkey types",
        ),
        # The account is not named, but a group holding its group is: it passes.
        (_set(includeTargets=[{"targetType": "group", "id": ALL_STAFF}]), None),
    ],
    ids=[
        "disabled",
        "not-targeted",
        "self-service-off",
        "aaguid",
        "synced-only",
        "via-group",
    ],
)
async def test_a_failed_pre_check_says_its_fix_and_registers_nothing(
    rig: Rig, change: Callable[[dict[str, Any]], None], sentence: str | None
) -> None:
    rig.profile.accounts = [BreakGlassAccount(SOFIA["userPrincipalName"], object_id=SOFIA["id"])]
    with rig.emu.state.lock:
        change(rig.emu.state.auth_method_configs["fido2"])
    key = SoftKey()
    problems = await rig.service.passkey_problems(SOFIA["userPrincipalName"], SOFT_AAGUID)
    if sentence is None:
        assert problems == []
        await rig.service.enrol_passkey(
            SOFIA["userPrincipalName"], key, label="BG key 1", pin=Secret(KEY_PIN)
        )
        assert key.touches == 1 and await _fido2(rig, SOFIA["id"]) == ["BG key 1"]
        return
    assert len(problems) == 1 and sentence in problems[0]
    with pytest.raises(SetupError, match="^" + problems[0].replace("(", r"\(").replace(")", r"\)")):
        await rig.service.enrol_passkey(
            SOFIA["userPrincipalName"], key, label="BG key 1", pin=Secret(KEY_PIN)
        )
    assert key.touches == 0 and "set_pin" not in key.log
    assert await _fido2(rig, SOFIA["id"]) == []
    assert rig.profile.accounts[0].strong_method == ""


async def test_a_registration_whose_answer_was_lost_is_adopted_not_repeated(rig: Rig) -> None:
    """Entra ID registered the key but the answer never came (connection dropped after the
    POST was carried out): the rerun finds the passkey under its label and records it."""
    upns = await _created(rig)
    rig.emu.add_fault(Fault("POST", r"/authentication/fido2Methods$", kind="drop_after", count=1))
    with pytest.raises(BgWizardError):
        await rig.service.enrol_passkey(upns[0], SoftKey(), label="BG key 1", pin=Secret(KEY_PIN))
    user_id = rig.profile.accounts[0].object_id
    assert await _fido2(rig, user_id) == ["BG key 1"]  # registered, but not recorded
    assert rig.store.load().accounts[0].security_keys == []

    service = rig.reload()
    key = SoftKey()
    record = await service.enrol_passkey(upns[0], key, label="BG key 1", pin=Secret(KEY_PIN))
    assert key.touches == 0 and await _fido2(rig, user_id) == ["BG key 1"]
    saved = rig.store.load().accounts[0]
    assert saved.security_keys == [record] and saved.strong_method == "passkey"
    assert record.method_id == (await rig.graph.list_auth_methods(user_id))[-1].id
