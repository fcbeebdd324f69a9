"""Driving the set-up wizard and rotation with Pilot on the real stack (emulator, msal,
msgraph-sdk): the app, the sheet step, the sign-ins, and the tenant read back through Graph."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consented import ALL_SCOPES
from fakes_setup import real_printer as real_printer
from textual.errors import NoWidget
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.container import Container
from bgwizard.demo.approver import EmulatorApprover
from bgwizard.demo.info import DEMO_ADMIN_UPN, DemoInfo
from bgwizard.emulator import Emulator
from bgwizard.graph.ca_scope import applies_to_members, scope
from bgwizard.graph.client import RetryPolicy
from bgwizard.graph.directory import GraphDirectory
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore
from bgwizard.screens.sheets.screen import SheetsScreen
from bgwizard.sheets.model import blocks
from bgwizard.tui.app import BgWizardApp

SAMPLE = json.loads((Path(__file__).parents[2] / "bgwizard/data/sample_tenant.json").read_text())
ADMIN_PASSWORD = next(
    u["password"] for u in SAMPLE["users"] if u["userPrincipalName"] == DEMO_ADMIN_UPN
)
FAST = RetryPolicy(max_retries=3, delay=0, timeout=20)
SIZE = (120, 44)


@dataclass
class Stack:
    """The app on an emulator, with what the test needs to look at afterwards."""

    emu: Emulator
    app: BgWizardApp
    store: TomlProfileStore
    profile: Profile
    directory: GraphDirectory
    papers: dict[str, str] = field(default_factory=dict)
    """UPN → the password as printed (what a person reads off the paper)."""
    key_pin: str = ""
    """The demo security key's PIN, as read off the passkey screen when it was set."""


def build(emu: Emulator, tmp_path: Path, profile: Profile | None = None) -> Stack:
    """The app with real services on ``emu``; the profile saved in ``tmp_path``."""
    store = TomlProfileStore(tmp_path / "profile" / "profile.toml")
    if profile is None:
        profile = Profile(
            tenant_id=emu.tenant_id,
            authority_host=emu.base_url,
            graph_url=emu.graph_url,
            ca_bundle=str(emu.ca_pem_path),
            client_id=emu.public_client_id,
            demo=True,
        )
        store.save(profile)
    services = Container(profile, store, demo=EmulatorApprover(emu), retry=FAST)
    # These tests open journey screens directly, not from the home menu (which would ask for
    # each journey's scopes), on a consented tenant: the admin asks for every journey's.
    services.auth.use_scopes(ALL_SCOPES)
    app = BgWizardApp(services, profile, demo=DemoInfo(emu.base_url), sign_in_on_start=False)
    return Stack(emu, app, store, profile, services.graph)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30) -> None:
    """Let the app run until ``condition()`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            screen = pilot.app.screen
            status = screen.query("#step-status")
            said = str(status.first().render()) if status else ""
            raise AssertionError(f"never reached the state; on {type(screen).__name__}: {said}")
        await pilot.pause(0.02)


async def press(pilot: Pilot[Any], selector: str) -> None:
    """Press a button of the current screen, once a person could see it and click it."""
    button = pilot.app.screen.query_one(selector, Button)
    await until(pilot, lambda: button.display and not button.disabled)
    await until(pilot, lambda: reachable(button))
    button.press()
    await pilot.pause()


def reachable(widget: Widget) -> bool:
    """Whether ``widget`` is on screen, not scrolled away and not covered (by a toast…).

    What a person sees: the widget the screen shows at the middle of ``widget``'s region.
    """
    region = widget.region
    width, height = widget.app.size
    if not region.area or region.right > width or region.bottom > height:
        return False
    try:
        shown, _ = widget.screen.get_widget_at(*region.center)
    except NoWidget:
        return False
    return shown is widget or widget in shown.ancestors


def on(app: BgWizardApp, name: str) -> Callable[[], bool]:
    """A condition: the current screen's class is ``name`` and it is mounted."""

    def check() -> bool:
        screen = app.screen
        return type(screen).__name__ == name and screen.is_mounted and bool(screen.children)

    return check


def continue_shown(app: BgWizardApp) -> Callable[[], bool]:
    """A condition: the current step offers Continue."""

    def check() -> bool:
        found = app.screen.query("#continue")
        return bool(found) and found.first().display

    return check


async def sign_in_admin(stack: Stack, pilot: Pilot[Any]) -> None:
    """From the connect step: sign in through the device code, approved at the emulator."""
    await press(pilot, "#sign-in")
    app = stack.app
    await until(pilot, lambda: getattr(app.screen, "prompt", None) is not None)
    code = app.screen.prompt.user_code  # type: ignore[attr-defined]
    assert await asyncio.to_thread(
        stack.emu.approve_device_code, code, DEMO_ADMIN_UPN, ADMIN_PASSWORD
    )
    await until(pilot, on(app, "ConnectStep"))


async def make_sheet(stack: Stack, pilot: Pilot[Any]) -> str:
    """On the sheet screen: generate, print, read back, continue; the UPN it was for."""
    app = stack.app
    await until(pilot, lambda: isinstance(app.screen, SheetsScreen))
    sheet = app.screen
    assert isinstance(sheet, SheetsScreen)
    await press(pilot, "#generate")
    await until(pilot, lambda: sheet.stage == "drawn")
    await press(pilot, "#print")
    await until(pilot, lambda: sheet.stage == "out")
    assert sheet._content is not None
    lines = [line.reveal() for line in sheet._content.lines()]
    for number, text in enumerate(lines, start=1):
        sheet.query_one(f"#line-{number}", Input).value = " ".join(blocks(text))
    await press(pilot, "#check")
    await until(pilot, lambda: sheet.stage == "verified")
    upn = sheet._content.upn
    stack.papers[upn] = "".join(lines)
    await press(pilot, "#done")
    return upn


async def register_passkeys(stack: Stack, pilot: Pilot[Any]) -> list[str]:
    """On the passkey step: register the demo's software key on each account, as a person
    would (Register a key, Check, the PIN from the screen or the one set before, Register).

    Returns:
        The UPNs a key was registered on.
    """
    app = stack.app
    await until(pilot, on(app, "PasskeyStep"))
    done = []
    pin = ""
    while not continue_shown(app)():
        step = app.screen
        upn = getattr(step, "upn", "")
        await until(pilot, lambda step=step: not step.query_one("#register-passkey").disabled)
        await press(pilot, "#register-passkey")
        await until(pilot, on(app, "PasskeyScreen"))
        screen = app.screen
        await press(pilot, "#check")
        await until(pilot, lambda screen=screen: getattr(screen, "stage", "") == "ready")
        shown = str(screen.query_one("#pin-text", Static).render())
        if found := re.search(r"will set this PIN:\s+([\d ]+)", shown):
            pin = "".join(found[1].split())  # read off the screen, as onto paper
        screen.query_one("#pin", Input).value = pin
        await press(pilot, "#register")
        await until(pilot, lambda screen=screen: getattr(screen, "stage", "") == "done")
        await pilot.press("escape")
        await until(pilot, on(app, "PasskeyStep"))
        key = f"passkey:{upn.casefold()}"
        await until(pilot, lambda key=key: key in stack.profile.setup_steps_done)
        done.append(upn)
    stack.key_pin = pin
    return done


async def approve_in_dialog(stack: Stack, pilot: Pilot[Any], upn: str, password: str) -> None:
    """Open the emulator's approval dialog from a verify panel and type the password."""
    app = stack.app
    await press(pilot, "#verify-approve")
    await until(pilot, on(app, "ApproveDialog"))
    app.screen.query_one("#password", Input).value = password
    await press(pilot, "#do-approve")


async def approve_with_key(stack: Stack, pilot: Pilot[Any]) -> None:
    """In the open approval dialog: sign in with the plugged-in key and its PIN."""
    stack.app.screen.query_one("#key-pin", Input).value = stack.key_pin
    await press(pilot, "#use-key")


async def tenant_state(stack: Stack) -> dict[str, Any]:
    """Users per UPN, their GA assignments and end dates, policies missing one, via Graph."""
    graph = stack.directory
    profile = stack.store.load()
    ids = {a.upn: a.object_id for a in profile.accounts}
    state: dict[str, Any] = {"users": {}, "ga": {}, "ends": {}}
    for upn, object_id in ids.items():
        user = await graph.find_user_by_upn(upn)
        state["users"][upn] = (
            user is not None and user.id == object_id,
            user and user.password_never_expires,
        )
        state["ga"][upn] = [
            a.directory_scope_id
            for a in await graph.list_role_assignments(object_id, GLOBAL_ADMIN_ROLE_ID)
        ]
        state["ends"][upn] = [
            s.end
            for s in await graph.list_role_assignment_schedules(object_id)
            if s.role_definition_id == GLOBAL_ADMIN_ROLE_ID
        ]
    policies = await graph.list_ca_policies()
    state["policies"] = len(policies)
    # Policies that cannot reach a member (workload identities, guests only) get no exclusion.
    # The dedicated policy targets the accounts: it never gets the exclusion.
    state["missing"] = [
        p.display_name
        for p in policies
        if scope(p, list(ids.values())) == "applies"
        and not set(ids.values()) <= set(p.exclude_users)
    ]
    state["dedicated"] = [
        (p.state, bool(set(ids.values()) & set(p.exclude_users)))
        for p in policies
        if p.id == profile.dedicated_policy_id
    ]
    state["needless"] = [
        p.display_name
        for p in policies
        if not applies_to_members(p) and set(ids.values()) & set(p.exclude_users)
    ]
    return state


async def admin_signed_in(stack: Stack) -> None:
    """The sample admin signed in to the app's authenticator (device code, approved at once)."""
    auth = stack.app.services.auth
    assert isinstance(auth, MsalAuthenticator)
    prompt = await auth.start_device_code()
    assert await asyncio.to_thread(
        stack.emu.approve_device_code, prompt.user_code, DEMO_ADMIN_UPN, ADMIN_PASSWORD
    )
    await auth.finish_device_code(prompt)


async def admin_and_account(
    emu: Emulator, tmp_path: Path, upn: str, password: str
) -> tuple[Stack, str]:
    """The app on ``emu`` with the admin signed in, and ``upn`` created as a Global Admin.

    Returns:
        The stack and the new account's object id (the profile names no account yet).
    """
    from bgwizard.secret import Secret

    stack = build(emu, tmp_path)
    await admin_signed_in(stack)
    user = (await stack.directory.create_user(upn, upn.split("@")[0], Secret(password))).user
    await stack.directory.assign_role(user.id, GLOBAL_ADMIN_ROLE_ID)
    return stack, user.id
