"""The password goes to the printer, the path the user chose and Graph — nowhere else.

One full flow: an admin signs in to the emulator (real msal over HTTPS), the sheet step runs in
the TUI (Pilot): generate, print through a real CUPS scheduler (its folders inside the
searched tree; the virtual printer's output is the paper, not searched), save to a chosen
path, a wrong read-back, a right one, the profile saved; then the account is created on the
emulator with that password (real msgraph-sdk) and signs in with it. Afterwards every file
under the test's home, config, data, cache, state and temp dirs, the scheduler's spool, the
emulator's state dir and the profile, and everything written to stdout/stderr, is searched
for the password and for each of its lines.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from importlib import resources
from pathlib import Path

import pytest
from consented import ALL_SCOPES, consented
from cups_server import real_printer
from textual.app import App
from textual.widgets import Button, Input

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.profile.store import TomlProfileStore
from bgwizard.screens.sheets.screen import SheetOutcome, SheetsScreen
from bgwizard.sheets.model import blocks
from bgwizard.sheets.service import SheetService

NEW_UPN_LOCAL = "bg-leaktest"


class Host(App[None]):
    """Pushes the sheet step alone and keeps its outcome."""

    def __init__(self, screen: SheetsScreen) -> None:
        super().__init__()
        self.step = screen
        self.outcome: SheetOutcome | None = None

    def on_mount(self) -> None:
        self.push_screen(self.step, callback=self._done)

    def _done(self, outcome: SheetOutcome | None) -> None:
        self.outcome = outcome


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, XDG dirs and TMPDIR inside ``tmp_path``; a CUPS scheduler with its spool there."""
    for name in ("home", "config", "data", "cache", "state", "tmp", "bin", "lp", "usb"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var, name in (("CONFIG", "config"), ("DATA", "data"), ("CACHE", "cache")):
        monkeypatch.setenv(f"XDG_{var}_HOME", str(tmp_path / name))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    real_printer(tmp_path, monkeypatch, root=tmp_path / "lp")
    return tmp_path


def sample_admin() -> tuple[str, str]:
    sample = json.loads((resources.files("bgwizard.data") / "sample_tenant.json").read_text())
    user = next(u for u in sample["users"] if u["userPrincipalName"].startswith("admin@"))
    return user["userPrincipalName"], user["password"]


async def device_sign_in(emu: Emulator, auth: MsalAuthenticator, upn: str, password: str) -> bool:
    """Sign ``upn`` in with the device code flow, typing ``password`` at the emulator."""
    prompt = await auth.start_device_code(login_hint=upn)
    approved: list[bool] = []
    approver = threading.Thread(
        target=lambda: approved.append(emu.approve_device_code(prompt.user_code, upn, password))
    )
    approver.start()
    try:
        if not await asyncio.to_thread(lambda: (approver.join(), approved[0])[1]):
            auth.cancel(prompt)
            return False
        await auth.finish_device_code(prompt)
    finally:
        approver.join()
    return True


async def run_sheet_step(host: Host, chosen: Path) -> None:
    async with host.run_test(size=(110, 60)) as pilot:
        step = host.step

        async def press(selector: str) -> None:
            step.query_one(selector, Button).press()
            await host.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()

        step.query_one("#location-2", Input).value = "Bank box 12"
        await press("#generate")
        for _ in range(400):  # the printer list arrives from the scheduler
            if not step.query_one("#print", Button).disabled:
                break
            await pilot.pause(0.05)
        await press("#print")
        for _ in range(400):  # printed, purged, spool checked
            if "no copy is left in the spool folder" in str(
                step.query_one("#print-status").render()
            ):
                break
            await pilot.pause(0.05)
        assert step.stage == "out"
        await press("#save-open")
        step.query_one("#save-path", Input).value = str(chosen)
        await press("#save")
        assert step._content is not None
        lines = [line.reveal() for line in step._content.lines()]
        typed = [" ".join(blocks(line)) for line in lines]
        for number, text in enumerate([typed[0], typed[1][::-1], *typed[2:]], start=1):
            step.query_one(f"#line-{number}", Input).value = text
        await press("#check")
        assert step.stage == "out"  # the reversed line was refused
        for number, text in enumerate(typed, start=1):
            step.query_one(f"#line-{number}", Input).value = text
        await press("#check")
        assert step.stage == "verified"
        await press("#done")


def needles(password: str) -> list[bytes]:
    parts = [password] + [password[i : i + 16] for i in range(0, len(password), 16)]
    return [p.encode(enc) for p in parts for enc in ("utf-8", "utf-16-le")]


def files_holding(root: Path, wanted: list[bytes], skip: Path) -> list[str]:
    """Files under ``root`` holding any of ``wanted``; ``skip`` (the file the user chose) and the
    virtual printer's output (the paper) aside."""
    hits = []
    paper = root / "lp" / "printed"
    for path in root.rglob("*"):
        if path == skip or paper in path.parents or not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        hits += [f"{path}: {n[:6]!r}…" for n in wanted if n in data]
    return hits


async def test_the_password_leaves_no_trace(
    sandbox: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with consented(Emulator(state_dir=sandbox / "emu-state")) as emu:
        profile = Profile(
            tenant_id=emu.tenant_id,
            tenant_name="Contoso (emulated)",
            authority_host=emu.base_url,
            graph_url=emu.graph_url,
            ca_bundle=str(emu.ca_pem_path),
            client_id=emu.public_client_id,
            demo=True,
        )
        admin_upn, admin_password = sample_admin()
        domain = admin_upn.split("@")[1]
        account = BreakGlassAccount(f"{NEW_UPN_LOCAL}@{domain}", locations=["Safe A"])
        profile.accounts.append(account)
        store = TomlProfileStore()
        assert str(store.path).startswith(str(sandbox / "config"))

        admin = MsalAuthenticator(profile, scopes=ALL_SCOPES)
        assert await device_sign_in(emu, admin, admin_upn, admin_password)

        chosen = sandbox / "usb" / "sheet.pdf"
        host = Host(SheetsScreen(profile, account, SheetService(), profiles=store))
        await run_sheet_step(host, chosen)
        outcome = host.outcome
        assert isinstance(outcome, SheetOutcome)
        await host.workers.wait_for_complete()

        directory = GraphDirectory(profile, admin.credential())
        try:
            created = await directory.create_user(account.upn, "Account 7", outcome.password)
        finally:
            await directory.close()
        assert created.created

        password = outcome.password.reveal()
        newcomer = MsalAuthenticator(profile, scopes=ALL_SCOPES)
        # A different last character (a fixed "X" equals it for 1 password in 52).
        wrong = password[:-1] + ("X" if password[-1] != "X" else "W")
        assert not await device_sign_in(emu, newcomer, account.upn, wrong)
        assert await device_sign_in(emu, newcomer, account.upn, password)

    saved = store.load()
    assert saved.accounts[0].current_serials == [outcome.record.serial]
    printed = sorted((sandbox / "lp" / "printed" / "office").glob("job-*.pdf"))
    assert [p.name for p in printed] == ["job-1.pdf"]  # printed once, on the paper
    assert not list((sandbox / "lp" / "spool").glob("d*"))  # the spool kept no copy
    assert chosen.read_bytes().startswith(b"%PDF")

    wanted = needles(password)
    assert files_holding(sandbox, wanted, skip=chosen) == []
    assert files_holding(sandbox, [b"%PDF"], skip=chosen) == []  # no stray copy of the sheet
    out, err = capfd.readouterr()
    for text in (out, err):
        assert not any(n.decode("utf-8", "ignore") in text for n in wanted[::2])
    assert any(sandbox.rglob("*.toml")) and any((sandbox / "emu-state").iterdir())
    control = sandbox / "cache" / "control"  # the search itself finds a planted line
    control.write_bytes(b"x" + password[16:32].encode("utf-16-le") + b"x")
    assert len(files_holding(sandbox, wanted, skip=chosen)) == 1
    control.unlink()
