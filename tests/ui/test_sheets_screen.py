"""Pilot tests of the paper credential step (``SheetsScreen``), pushed on its own.

Printing goes through a real CUPS scheduler (tests/cups_server.py) to a virtual printer that
keeps each job's document; nothing stands in for the real service, PDF, print system or
read-back.
"""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cups_server import real_printer, running_cups
from textual.app import App
from textual.widgets import Button, Input, Select, Static

from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.screens.sheets.readback import ReadBackPanel
from bgwizard.screens.sheets.screen import SheetOutcome, SheetsScreen
from bgwizard.secret import Secret
from bgwizard.sheets.model import blocks
from bgwizard.sheets.password import PasswordPolicy
from bgwizard.sheets.service import SheetService

SIZE = (110, 60)
DAY = dt.date(2026, 11, 27)


class Host(App[None]):
    """A bare app that pushes the sheet step and keeps its outcome."""

    NOTIFICATION_TIMEOUT = 3600
    """The snapshots show the "Sheet sent" toast: on a loaded machine the steps before the
    picture can outlast Textual's 5 s default, and the toast would be gone (a flaky snapshot)."""

    def __init__(self, screen: SheetsScreen) -> None:
        super().__init__()
        self.step = screen
        self.outcome: SheetOutcome | str | None = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.step, callback=self._done)

    def _done(self, outcome: SheetOutcome | None) -> None:
        self.outcome = outcome


class PinnedService(SheetService):
    """The real service with a fixed password and serial, for pictures that must not change."""

    def new_password(self, policy: PasswordPolicy | None = None) -> Secret:
        return Secret("K7mPqR4tVx9bNc3dHj8sWf2gLa6eTu5x" + "Ab3dEf4hJk5mNp6q" * 2)


def make_host(
    service: SheetService | None = None, **kwargs: Any
) -> tuple[Host, Profile, BreakGlassAccount]:
    account = BreakGlassAccount("bg-alpha@contoso.onmicrosoft.com", locations=["Safe A"])
    profile = Profile(tenant_id="tid-1", tenant_name="Contoso", accounts=[account])
    service = service or SheetService(today=lambda: DAY)
    return Host(SheetsScreen(profile, account, service, **kwargs)), profile, account


async def settle(app: App[Any], pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def press(app: Host, pilot: Any, selector: str) -> None:
    app.step.query_one(selector, Button).press()
    await pilot.pause()  # let the Pressed message start its worker before waiting for workers
    await settle(app, pilot)


async def until(pilot: Any, condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait (the app running) until ``condition`` holds; fail after ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never reached the expected state")


async def print_and_wait(app: Host, pilot: Any) -> None:
    """Press Print once the printer list is in, and wait until the job printed."""
    await until(pilot, lambda: not app.step.query_one("#print", Button).disabled)
    await press(app, pilot, "#print")
    await until(pilot, lambda: app.step.stage == "out")


def status(app: Host) -> str:
    return str(app.step.query_one("#print-status", Static).render())


async def type_lines(app: Host, pilot: Any, lines: list[str]) -> None:
    for number, text in enumerate(lines, start=1):
        app.step.query_one(f"#line-{number}", Input).value = text
    await pilot.pause()


def expected_lines(app: Host) -> list[str]:
    assert app.step._content is not None
    return [line.reveal() for line in app.step._content.lines()]


async def test_generate_print_read_back_records_serial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cups = real_printer(tmp_path, monkeypatch)
    app, _profile, account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        app.step.query_one("#location-2", Input).value = "Bank box 12"
        await press(app, pilot, "#generate")
        assert app.step.stage == "drawn"
        sheet = app.step._sheet
        assert sheet is not None and sheet.pages == 2
        assert not app.step.query_one("#readback").display
        await until(pilot, lambda: app.step.query_one("#printer", Select).value == "office")
        await print_and_wait(app, pilot)
        assert app.step.query_one("#readback").display
        received = cups.printed / "office" / "job-1.pdf"
        assert received.read_bytes() == sheet.data  # the printer got the sheet, byte for byte
        assert (cups.printed / "office" / "job-1.title").read_text().strip() == (
            f"sheet {sheet.serial}"
        )
        assert "media=A4" in (cups.printed / "office" / "job-1.options").read_text()
        await until(pilot, lambda: "no copy is left in the spool folder" in status(app))
        assert cups.documents(1) == []
        assert "Job office-1 printed." in status(app)
        assert app.step.query_one("#print", Button).disabled  # never the same sheet twice
        lines = expected_lines(app)
        await type_lines(app, pilot, [" ".join(blocks(line)) for line in lines])
        await press(app, pilot, "#check")
        assert app.step.stage == "verified"
        assert all(not field.value for field in app.step.query("Input.line").results(Input))
        await press(app, pilot, "#done")
    assert isinstance(app.outcome, SheetOutcome)
    assert app.outcome.password.reveal() == "".join(lines)
    assert [s.serial for s in account.sheets] == [app.outcome.record.serial]
    assert account.locations == ["Safe A", "Bank box 12"]
    assert account.sheets[0].created == DAY


async def test_wrong_line_is_named_and_nothing_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_printer(tmp_path, monkeypatch)
    app, _profile, account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        await print_and_wait(app, pilot)
        lines = expected_lines(app)
        wrong = lines[2][1] + lines[2][0] + lines[2][2:]  # neighbours swapped on line 3
        if wrong == lines[2]:
            wrong = ("A" if lines[2][0] != "A" else "B") + lines[2][1:]
        await type_lines(app, pilot, [lines[0], lines[1], wrong, lines[3]])
        await press(app, pilot, "#check")
        result = str(app.step.query_one("#readback-result", Static).render())
        assert "Line 3 does not match" in result
        assert "Line 1" not in result and "Line 4" not in result
        assert lines[2] not in result
        assert app.step.stage == "out"
        assert app.focused is app.step.query_one("#line-3", Input)
        code = str(app.step.query_one("#code-3", Static).render())
        assert code.startswith("check ") and code != f"check {app.step._content.check_codes()[2]}"  # type: ignore[union-attr]
    assert account.sheets == []


async def test_password_is_never_on_screen_until_revealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _profile, _account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        lines = expected_lines(app)
        await type_lines(app, pilot, lines)
        screen_text = app.export_screenshot()
        assert not any(line[:8] in screen_text for line in lines)
        await pilot.press("f7")
        await pilot.pause()
        assert app.step.query_one("#reveal-box").display
        assert "camera" in str(app.step.query_one("#reveal-box .warning", Static).render())
        assert not any(
            line[:4] in str(app.step.query_one("#revealed", Static).render()) for line in lines
        )
        await press(app, pilot, "#reveal")
        shown = str(app.step.query_one("#revealed", Static).render())
        assert all(" ".join(blocks(line)) in shown for line in lines)
        assert app.step.stage == "out"
        await press(app, pilot, "#reveal")  # pressed again: hidden
        assert str(app.step.query_one("#revealed", Static).render()).strip() == ""
        assert lines[0][:8] not in app.export_screenshot()


async def test_no_spooler_disables_print_and_save_writes_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    app, _profile, _account = make_host()
    target = tmp_path / "usb" / "sheet.pdf"
    target.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        await until(pilot, lambda: "No lp command (CUPS) was found" in status(app))
        assert app.step.query_one("#print", Button).disabled
        await press(app, pilot, "#save-open")
        assert app.step.query_one("#save-box").display
        app.step.query_one("#save-path", Input).value = str(target)
        await press(app, pilot, "#save")
        assert app.step.stage == "out"
        assert target.read_bytes().startswith(b"%PDF")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        first = target.read_bytes()
        await press(app, pilot, "#save")  # a second save must not overwrite
        assert target.read_bytes() == first


async def test_unknown_paper_in_profile_falls_back_to_a4(tmp_path: Path) -> None:
    app, profile, _account = make_host()
    profile.sheet_paper = "Letter"
    async with app.run_test(size=SIZE):
        assert app.step.query_one("#paper", Select).value == "letter"
    app, profile, _account = make_host()
    profile.sheet_paper = "a5"
    async with app.run_test(size=SIZE):
        assert app.step.query_one("#paper", Select).value == "a4"


async def test_length_outside_range_is_refused(tmp_path: Path) -> None:
    app, _profile, _account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        app.step.query_one("#length", Input).value = "32"
        await press(app, pilot, "#generate")
        assert app.step.stage == "options"
        assert app.step._password is None


async def test_cancel_dismisses_none_and_records_nothing(tmp_path: Path) -> None:
    app, _profile, account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        await pilot.press("escape")
        await pilot.pause()
    assert app.outcome is None
    assert account.sheets == []


async def test_read_back_panel_shows_live_check_code(tmp_path: Path) -> None:
    app, _profile, _account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        lines = expected_lines(app)
        panel = app.step.query_one(ReadBackPanel)
        assert len(list(panel.query("Input.line"))) == 4
        await type_lines(app, pilot, [lines[0]])
        codes = app.step._content.check_codes()  # type: ignore[union-attr]
        assert str(app.step.query_one("#code-1", Static).render()) == f"check {codes[0]}"
        await type_lines(app, pilot, ["0" + lines[0][1:]])
        assert str(app.step.query_one("#code-1", Static).render()) == "check ??"
        await type_lines(app, pilot, [lines[0][:5]])
        assert str(app.step.query_one("#code-1", Static).render()) == "5/16"


def test_snapshot_options(snap_compare: Any, tmp_path: Path) -> None:
    """The step before anything is generated: title "Paper credential for
    bg-alpha@contoso.onmicrosoft.com", the intro sentence, a row with Length 64, Symbols off,
    QR code on and A4; "Copy 1 kept at" Safe A and "Copy 2 kept at" empty with its
    placeholder; the button "Generate and draw the sheet"; footer esc Cancel, f7 Reveal."""
    app, _profile, _account = make_host()
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_wrong_read_back(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After printing and a read-back with line 2 wrong: status "Sheet S-TEST-2345 is ready: 2
    pages, 2 copies (4 lines each). Destroy any copy drawn earlier."; the printer "office
    (default)" (greyed: printed) and the three buttons; "Job office-1 printed. Job office-1 was
    purged: no copy is left in the spool folder."; below, four masked inputs (dots only, never
    a character), "check 37" beside line 1, "check ??" beside line 2 (it starts with a zero),
    "check --" beside the empty lines 3 and 4; in red "Line 2: Character 1 ('0') never appears
    on a sheet…", "Line 3 is empty.", "Line 4 is empty."; a "Sheet printed" toast."""
    real_printer(tmp_path, monkeypatch)
    service = PinnedService(today=lambda: DAY, serials=lambda: "S-TEST-2345")
    app, _profile, _account = make_host(service)

    async def run_before(pilot: Any) -> None:
        await press(app, pilot, "#generate")
        await print_and_wait(app, pilot)
        await until(pilot, lambda: "no copy is left" in status(app))
        lines = expected_lines(app)
        await type_lines(app, pilot, [lines[0], "0" + lines[1][1:]])
        await press(app, pilot, "#check")
        app.step.query_one("#readback-result").scroll_visible(animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_a_held_job_keeps_the_read_back_closed_until_purged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cups = real_printer(tmp_path, monkeypatch)
    cups.admin("lpadmin", "-p", "office", "-o", "job-hold-until-default=indefinite")
    app, _profile, account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        await until(pilot, lambda: not app.step.query_one("#print", Button).disabled)
        await press(app, pilot, "#print")
        await until(pilot, lambda: bool(app.step.query_one("#job-box").display))
        assert status(app).startswith("Job office-1 is held")
        assert "The read-back opens once the job has printed." in status(app)
        assert app.step.stage == "drawn" and not app.step.query_one("#readback").display
        assert cups.documents(1)  # the sheet waits in the queue
        await press(app, pilot, "#job-purge")
        await until(pilot, lambda: "Job office-1 was cancelled." in status(app))
        assert "no copy is left in the spool folder" in status(app)
        assert cups.documents(1) == []
        assert "office-1" not in cups.admin("lpstat", "-W", "all", "-o")
        assert not app.step.query_one("#job-box").display
        assert not app.step.query_one("#print", Button).disabled  # may be sent again
        assert app.step.stage == "drawn"
    assert account.sheets == []


async def test_kept_documents_are_said_before_anything_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_cups(tmp_path / "cups", preserve_job_files="Yes") as cups:
        cups.add_queue("office", default=True)
        cups.add_queue("remote", uri="ipps://192.0.2.9/ipp/print")
        app, _profile, _account = make_host()
        async with app.run_test(size=SIZE) as pilot:
            await press(app, pilot, "#generate")
            await until(pilot, lambda: not app.step.query_one("#print", Button).disabled)
            await press(app, pilot, "#print")
            await until(pilot, lambda: "Press Print anyway" in status(app))
            assert "keeps a copy of every printed document (PreserveJobFiles Yes)" in status(app)
            assert str(app.step.query_one("#print", Button).label) == "Print anyway"
            assert cups.admin("lpstat", "-W", "all", "-o") == ""  # nothing sent yet
            app.step.query_one("#printer", Select).value = "remote"
            await pilot.pause()
            await press(app, pilot, "#print")  # another printer: its own warnings first
            await until(pilot, lambda: "ipps" in status(app))
            assert "remote is a network printer (ipps)" in status(app)
            app.step.query_one("#printer", Select).value = "office"
            await pilot.pause()
            await press(app, pilot, "#print")
            await press(app, pilot, "#print")  # seen: goes ahead
            await until(pilot, lambda: app.step.stage == "out")
            await until(pilot, lambda: "no copy is left" in status(app))
            assert cups.documents(1) == []


async def test_no_printer_set_up_leaves_save_to_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_cups(tmp_path / "cups"):
        app, _profile, _account = make_host()
        async with app.run_test(size=SIZE) as pilot:
            await press(app, pilot, "#generate")
            await until(pilot, lambda: "No printer is set up on this machine" in status(app))
            assert app.step.query_one("#print", Button).disabled
            assert not app.step.query_one("#save-open", Button).disabled
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "gone.sock"))
    app, _profile, _account = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await press(app, pilot, "#generate")
        await until(pilot, lambda: "is not running or cannot be reached" in status(app))
        assert app.step.query_one("#print", Button).disabled
