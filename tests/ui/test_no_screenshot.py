"""No screenshot file, ever: Textual's "Screenshot" palette command would write the screen (a
password sheet included) as an SVG to ~/Downloads with mode 0644 (issue 13, section 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import SIZE, AppFactory, FakeServices, settle
from textual.command import CommandPalette

from bgwizard.tui.app import SCREENSHOT_REFUSED


def _written(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix == ".svg")


async def test_palette_offers_no_screenshot_and_typing_it_writes_nothing(
    fakes: FakeServices, make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(home / "Downloads"))
    monkeypatch.chdir(tmp_path)
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Theme" in titles and "Quit" in titles  # Textual's other commands stay
        assert "Screenshot" not in titles
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Screenshot")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.3)  # Textual delivers its screenshot on a 0.1 s timer
    assert _written(tmp_path) == []


async def test_screenshot_action_and_delivery_are_refused(
    fakes: FakeServices, make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(fakes)
    async with app.run_test(size=SIZE) as pilot:
        app.action_screenshot(path=str(tmp_path))
        assert app.deliver_screenshot("x.svg", str(tmp_path)) is None
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    assert _written(tmp_path) == []
    assert messages.count(SCREENSHOT_REFUSED) == 2
