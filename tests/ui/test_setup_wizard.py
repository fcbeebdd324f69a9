"""The whole set-up wizard driven by Pilot on the real stack, from the sample tenant to a
verified set-up; then the tenant read back through Graph: two users, permanent Global
Administrator, every policy excluding both directly. Also: resume from the journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consented import consented
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Static

from bgwizard.emulator import Emulator
from bgwizard.ledger.store import DrillLog
from bgwizard.screens.setup.rail import ProgressRail
from bgwizard.screens.setup.verify_panel import VerifyPanel
from ui.setup_pilot import (
    SAMPLE,
    SIZE,
    Stack,
    approve_in_dialog,
    approve_with_key,
    build,
    continue_shown,
    make_sheet,
    on,
    press,
    reachable,
    real_printer,
    register_passkeys,
    sign_in_admin,
    tenant_state,
    until,
)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    with consented(Emulator(state_dir=tmp_path / "emu")) as emulator:
        yield emulator


async def to_passkey_step(stack: Stack, pilot: Pilot[Any]) -> list[str]:
    """Connect, names, sheets and create, as a person would; the UPNs chosen."""
    app = stack.app
    app.action_open_journey("setup")
    await until(pilot, on(app, "ConnectStep"))
    assert app.screen.query_one(ProgressRail).states()["connect"] == "current"
    await sign_in_admin(stack, pilot)
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    await until(pilot, on(app, "NamesStep"))
    names = [i.value for i in app.screen.query("#names Input").results(Input)]
    assert names == [
        "svc-iam-recovery01@contosologistics.onmicrosoft.com",
        "svc-iam-recovery02@contosologistics.onmicrosoft.com",
    ]
    custodians = app.screen.query_one("#custodians", Input)
    await until(pilot, lambda: reachable(custodians))  # no blank gap pushing it away
    custodians.value = "Alex Doe, Sam Roe"
    await press(pilot, "#check")
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    await until(pilot, on(app, "SheetsStep"))
    assert app.screen.query_one(ProgressRail).states()["names"] == "done"
    for _ in names:
        await press(pilot, "#make-sheet")
        await make_sheet(stack, pilot)
        await until(pilot, on(app, "SheetsStep"))
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    await until(pilot, on(app, "CreateStep"))
    await press(pilot, "#create")
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")
    await until(pilot, on(app, "PasskeyStep"))
    return names


async def run_wizard(stack: Stack, pilot: Pilot[Any]) -> None:
    """Every step, as a person would go through it (a wrong password typed once)."""
    app = stack.app
    names = await to_passkey_step(stack, pilot)
    assert await register_passkeys(stack, pilot) == names
    await until(pilot, continue_shown(app))
    credentials = str(app.screen.query_one("#credentials", Static).render())
    assert credentials.count(": BG key 1") == len(names)
    await press(pilot, "#continue")

    await until(pilot, on(app, "RoleStep"))
    await press(pilot, "#assign")
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    await until(pilot, on(app, "ExclusionStep"))  # direct exclusion is the default
    assert app.screen.query_one("#mode-direct", RadioButton).value
    assert not app.screen.query_one("#group-options").display
    await press(pilot, "#apply-exclusion")
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    await until(pilot, on(app, "CaStepScreen"))
    await press(pilot, "#apply")
    await until(pilot, continue_shown(app))
    plan_text = str(app.screen.query_one("#plan", Static).render())
    assert f"all {len(SAMPLE['conditionalAccessPolicies'])} exclude" in plan_text
    await press(pilot, "#continue")

    await until(pilot, on(app, "PolicyStepScreen"))
    await press(pilot, "#create-policy")
    await until(pilot, continue_shown(app))
    assert "report-only" in str(app.screen.query_one("#step-status", Static).render())
    await press(pilot, "#continue")

    await until(pilot, on(app, "VerifyStep"))
    for upn in names:
        panel = app.screen.query_one(VerifyPanel)
        await until(pilot, lambda panel=panel, upn=upn: panel.upn == upn)
        await press(pilot, "#verify-start")
        await until(pilot, lambda panel=panel: panel.prompt is not None)
        await approve_in_dialog(stack, pilot, upn, wrong(stack.papers[upn]))
        await until(
            pilot, lambda: "wrong" in str(app.screen.query_one("#approve-error", Static).render())
        )
        await approve_with_key(stack, pilot)  # a passkey account verifies with its key
        key = f"verify:{upn}"
        await until(pilot, lambda key=key: key in stack.profile.setup_steps_done)
        await sign_into_log(stack, pilot)
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    # Both accounts verified with their key: the dedicated policy goes on, backed up first.
    await until(pilot, on(app, "EnforceStep"))
    await press(pilot, "#enforce-policy")
    await until(pilot, continue_shown(app))
    enforce_text = str(app.screen.query_one("#enforce", Static).render())
    assert "is on (read back: enabled)" in enforce_text and "Backup:" in enforce_text
    await press(pilot, "#continue")

    await until(pilot, on(app, "MethodsStep"))
    await until(pilot, continue_shown(app))
    methods = str(app.screen.query_one("#methods", Static).render())
    assert methods.count("fido2") == len(names)
    assert methods.count("phishing-resistant: BG key 1") == len(names)
    await press(pilot, "#register-key")  # the security key screen opens, and back again
    await until(pilot, on(app, "PasskeyScreen"))
    await pilot.press("escape")
    await until(pilot, on(app, "MethodsStep"))
    await until(pilot, continue_shown(app))
    await press(pilot, "#continue")

    await until(pilot, on(app, "SummaryStep"))
    summary = str(app.screen.query_one("#summary", Static).render())
    assert all(n in summary for n in names) and "Alex Doe, Sam Roe" in summary
    # Each account's key, registered on the passkey step, is named.
    assert summary.count("credential  BG key 1") == len(names)
    assert f"Dedicated phishing-resistant policy: {stack.profile.dedicated_policy_id}" in summary
    await press(pilot, "#finish")
    await until(pilot, on(app, "HomeScreen"))


async def sign_into_log(stack: Stack, pilot: Pilot[Any], back_to: str = "VerifyStep") -> None:
    """Sign the entry the dialog shows into the log (the first one creates the key)."""
    app = stack.app
    await until(pilot, on(app, "EventSignDialog"))
    app.screen.query_one("#signer", Input).value = "alex.doe"
    app.screen.query_one("#passphrase", Input).value = "correct horse battery"
    await press(pilot, "#sign")
    await until(pilot, on(app, back_to))


async def test_every_step_s_primary_action_is_in_view_at_100_by_32(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: at 100×32 every button the wizard is driven with (each step's primary action,
    Continue, the sheet screen's Print, Check and Continue, the sign-in's Approve) is on screen,
    not scrolled away and not under a toast, when it is pressed (``press`` waits for that)."""
    real_printer(tmp_path, monkeypatch)
    stack = build(emu, tmp_path)
    try:
        async with stack.app.run_test(size=(100, 32)) as pilot:
            await run_wizard(stack, pilot)
    finally:
        await stack.directory.close()


def wrong(password: str) -> str:
    """``password`` with its last character changed."""
    return password[:-1] + ("y" if password.endswith("x") else "x")


async def test_the_wizard_sets_up_the_sample_tenant(
    emu: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    real_printer(tmp_path, monkeypatch)
    stack = build(emu, tmp_path)
    try:
        async with stack.app.run_test(size=SIZE) as pilot:
            await run_wizard(stack, pilot)
        state = await tenant_state(stack)
    finally:
        await stack.directory.close()
    names = list(state["users"])
    assert len(names) == 2
    assert state["users"] == {n: (True, True) for n in names}
    assert state["ga"] == {n: ["/"] for n in names}
    assert state["ends"] == {n: [None] for n in names}
    assert state["policies"] == len(SAMPLE["conditionalAccessPolicies"]) + 1  # the dedicated one
    assert state["missing"] == [] and state["needless"] == []
    assert state["dedicated"] == [("enabled", False)]  # on after the key sign-ins, no exclusion
    saved = stack.store.load()
    assert "summary" in saved.setup_steps_done
    assert all(a.object_id and len(a.current_serials) == 1 for a in saved.accounts)
    wanted = [p.encode(enc) for p in stack.papers.values() for enc in ("utf-8", "utf-16-le")]
    hits = [
        str(f)
        for f in tmp_path.rglob("*")
        if f.is_file() and any(w in f.read_bytes() for w in wanted)
    ]
    assert hits == []  # not in the profile, the CA backup, the emulator's state, anywhere
    assert any((tmp_path / "profile" / "ca-backups").glob("ca-backup-*.json"))
    # Issue 20: the log starts at set-up, with each verification sign-in signed as its kind.
    entries = DrillLog(Path(saved.drill_log)).entries()
    assert [e.kind for e in entries] == ["log-start", "setup-signin", "setup-signin"]
    assert [e.data["account"] for e in entries[1:]] == names
    out, err = capfd.readouterr()
    assert not any(p in out or p in err for p in stack.papers.values())


REASON = "The security keys for this account arrive next week"


async def test_an_account_skipped_with_a_signed_reason(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The passkey step's skip: a reason too short is refused; a sentence is signed into the
    log as ``credential-skipped`` before the account counts as done; the other gets a key."""
    real_printer(tmp_path, monkeypatch)
    stack = build(emu, tmp_path)
    try:
        async with stack.app.run_test(size=(100, 32)) as pilot:
            app = stack.app
            names = await to_passkey_step(stack, pilot)
            step = app.screen
            status = step.query_one("#step-status", Static)
            await until(pilot, lambda: "register a key" in str(status.render()))
            step.query_one("#skip-reason", Input).value = "no keys"
            await press(pilot, "#skip")
            assert "at least 10 characters" in str(status.render())
            assert f"passkey:{names[0]}" not in stack.profile.setup_steps_done
            step.query_one("#skip-reason", Input).value = REASON
            await press(pilot, "#skip")
            await sign_into_log(stack, pilot, back_to="PasskeyStep")
            await until(pilot, lambda: f"passkey:{names[0]}" in stack.profile.setup_steps_done)
            assert await register_passkeys(stack, pilot) == names[1:]
            credentials = str(step.query_one("#credentials", Static).render())
            assert f"✓ {names[0]}: skipped: {REASON} (log entry 2)" in credentials
            assert f"✓ {names[1]}: BG key 1" in credentials
    finally:
        await stack.directory.close()
    saved = stack.store.load()
    assert [(a.strong_method, a.skip_reason) for a in saved.accounts] == [
        ("skipped", REASON),
        ("passkey", ""),
    ]
    log = DrillLog(Path(saved.drill_log))
    assert log.verify().ok
    entries = log.entries()
    assert [e.kind for e in entries] == ["log-start", "credential-skipped"]
    assert entries[1].data["account"] == names[0] and entries[1].data["reason"] == REASON
