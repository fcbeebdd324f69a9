"""Pilot tests of the runbook screen: opened from the home menu, preview, print, save, errors.

The real ``RunbookService`` renders the real templates and PDF; printing goes to a fake ``lp``
on ``PATH`` that keeps what arrived on its standard input.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from fakes import SIZE, AppFactory, FakeServices, settle
from runbook_sample import ALPHA, BRAVO, SERIALS, TODAY, contoso_profile
from textual.app import App
from textual.widgets import Button, Input, Markdown, Select, Static

from bgwizard.profile.model import Profile
from bgwizard.runbook.service import RunbookService
from bgwizard.screens.home import HomeScreen
from bgwizard.screens.runbook import RunbookScreen
from bgwizard.screens.widgets.journey_menu import JOURNEYS, JourneyMenu

FAKE_LP = '#!/bin/sh\ncat > "$LP_OUT"\necho "request id is fake-5 (1 file(s))"\n'
SNAP_SIZE = (100, 40)


class Host(App[None]):
    """A bare app showing the runbook screen."""

    def __init__(self, screen: RunbookScreen) -> None:
        super().__init__()
        self.step = screen

    def on_mount(self) -> None:
        self.push_screen(self.step)


def make_host(profile: Profile | None = None) -> Host:
    service = RunbookService(
        profile or contoso_profile(), today=lambda: TODAY, log_path=Path("/nonexistent")
    )
    return Host(RunbookScreen(service))


async def done(app: App[Any], pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def status(app: Host) -> str:
    return str(app.step.query_one("#runbook-status", Static).render())


async def test_opens_from_the_home_menu_with_a_preview(
    fakes: FakeServices, make_app: AppFactory
) -> None:
    profile = contoso_profile()
    fakes.runbook = RunbookService(profile, today=lambda: TODAY, log_path=Path("/nonexistent"))
    app = make_app(fakes, profile)
    index = [j.id for j in JOURNEYS].index("runbook")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(JourneyMenu).focus()
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot, lambda: isinstance(app.screen, RunbookScreen))
        screen = app.screen
        assert isinstance(screen, RunbookScreen)
        await done(app, pilot)
        assert screen.document is not None and screen.document.kind == "runbook"
        source = screen.query_one("#preview", Markdown).source
        assert ALPHA in source and BRAVO in source and SERIALS[ALPHA] in source
        assert "<!-- page break -->" not in source
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_switching_to_the_checklist_renders_it() -> None:
    app = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await done(app, pilot)
        app.step.query_one("#document", Select).value = "checklist"
        await done(app, pilot)
        assert app.step.document is not None and app.step.document.kind == "checklist"
        assert "Drill checklist" in status(app)
        assert "# Drill checklist" in app.step.query_one("#preview", Markdown).source


async def test_print_sends_the_pdf_to_the_spooler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lp").write_text(FAKE_LP)
    (bin_dir / "lp").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LP_OUT", str(tmp_path / "job.pdf"))
    app = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await done(app, pilot)
        await pilot.press("f5")
        await done(app, pilot)
        assert "request id is fake-5" in status(app)
    assert (tmp_path / "job.pdf").read_bytes().startswith(b"%PDF-")


async def test_save_markdown_and_pdf(tmp_path: Path) -> None:
    app = make_host()
    async with app.run_test(size=SIZE) as pilot:
        await done(app, pilot)
        await pilot.press("f6")
        assert app.step.query_one("#save-box").display
        app.step.query_one("#save-path", Input).value = str(tmp_path / "runbook.md")
        app.step.query_one("#format", Select).value = "md"
        app.step.query_one("#save", Button).press()
        await done(app, pilot)
        assert app.step.document is not None
        assert (tmp_path / "runbook.md").read_text() == app.step.document.markdown()
        app.step.query_one("#save-path", Input).value = str(tmp_path / "runbook.pdf")
        app.step.query_one("#format", Select).value = "pdf"
        app.step.query_one("#save", Button).press()
        await done(app, pilot)
        assert f"saved to {tmp_path / 'runbook.pdf'}" in status(app)
    assert (tmp_path / "runbook.pdf").read_bytes().startswith(b"%PDF-")


async def test_a_broken_template_is_shown_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "contacts.md.j2").write_text("# Contacts\n\n{{ contacts | nosuchfilter }}\n")
    profile = contoso_profile()
    profile.runbook_templates_dir = str(tmp_path)
    app = make_host(profile)
    async with app.run_test(size=SIZE) as pilot:
        await done(app, pilot)
        assert app.step.document is None
        text = status(app)
        assert str(tmp_path / "contacts.md.j2") in text and "line 3" in text
        assert app.step.query_one("#runbook-status").has_class("error")
        await pilot.press("f5")
        await done(app, pilot)
        assert app.step.document is None


def test_snapshot_runbook_preview(snap_compare: Any) -> None:
    """The runbook screen on the sample tenant: a row with "Runbook (all sections)", "A4",
    Print and Save… buttons; the status "Break glass runbook · 4 sections · 2 accounts · next
    drill due 2026-12-30"; below, the preview starting with the title line naming Contoso
    Logistics and "printed on 2026-11-27", then the heading "Emergency access procedure";
    footer esc Back, f5 Print, f6 Save…."""
    app = make_host()

    async def run_before(pilot: Any) -> None:
        await done(app, pilot)

    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=run_before)
