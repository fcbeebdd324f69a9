"""``Secret``: redacted everywhere it could print, unpicklable, and absent from crash output."""

from __future__ import annotations

import copy
import json
import logging
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bgwizard.secret import REDACTED, Secret

VALUE = "Hx7kP2mQ9vR4tWa8Nd3cBf6gJs5uLe2X"


def test_str_repr_format_are_redacted() -> None:
    s = Secret(VALUE)
    old_style = "%s" % s  # noqa: UP031 - %-formatting must be redacted too
    new_style = "{}".format(s)  # noqa: UP032 - so must str.format
    for text in (str(s), repr(s), f"{s}", f"{s!r}", f"{s:>40}", old_style, new_style):
        assert VALUE not in text
        assert REDACTED in text
    assert VALUE not in repr([s, {"k": s}])


def test_logging_a_secret_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("password %s %r", Secret(VALUE), Secret(VALUE))
    assert VALUE not in caplog.text


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_is_refused(protocol: int) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(VALUE), protocol=protocol)


def test_copy_and_json_are_refused() -> None:
    with pytest.raises(TypeError):
        copy.deepcopy(Secret(VALUE))
    with pytest.raises(TypeError):
        json.dumps({"p": Secret(VALUE)})


def test_reveal_len_eq_and_matches() -> None:
    s = Secret(VALUE)
    assert s.reveal() == VALUE and len(s) == len(VALUE) and s
    assert s == Secret(VALUE) and s != Secret(VALUE + "x") and not Secret("")
    assert s.matches(VALUE) and not s.matches(VALUE[:-1]) and not s.matches(VALUE + "!")


def test_chunks_are_secrets_in_order() -> None:
    parts = Secret(VALUE).chunks(16)
    assert all(isinstance(p, Secret) for p in parts)
    assert [p.reveal() for p in parts] == [VALUE[:16], VALUE[16:]]
    assert [p.reveal() for p in Secret("abcde").chunks(2)] == ["ab", "cd", "e"]
    with pytest.raises(ValueError, match="at least 1"):
        Secret(VALUE).chunks(0)


def run_headless(tmp_path: Path, script: str, *args: str) -> str:
    """Run ``script`` in a fresh interpreter with no terminal; returns stdout + stderr."""
    path = tmp_path / "crash_app.py"
    path.write_text(textwrap.dedent(script))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    return done.stdout + done.stderr


def assert_no_password(output: str, value: str) -> None:
    assert value not in output
    for i in range(0, len(value) - 8, 8):  # no 8-character stretch either
        assert value[i : i + 8] not in output, value[i : i + 8]


def test_crash_in_textual_with_a_secret_local_prints_no_password(tmp_path: Path) -> None:
    output = run_headless(
        tmp_path,
        """
        import sys
        from textual.app import App
        from bgwizard.secret import Secret

        class Crash(App[None]):
            def on_mount(self) -> None:
                password = Secret(sys.argv[1])
                control = "CONTROL-" + "LOCAL-42"
                raise RuntimeError(f"boom while holding {password}")

        Crash().run(headless=True)
        """,
        VALUE,
    )
    assert "RuntimeError" in output and "boom while holding" in output
    assert "CONTROL-LOCAL-42" in output  # Textual really printed the locals
    assert "password = Secret(" in output
    assert_no_password(output, VALUE)


def test_crash_in_the_sheet_step_prints_no_password(tmp_path: Path) -> None:
    """A crash while the sheet screen holds the password, its sheet and its PDF."""
    output = run_headless(
        tmp_path,
        """
        import asyncio, pathlib, sys
        from textual.app import App
        from bgwizard.profile.model import BreakGlassAccount, Profile
        from bgwizard.screens.sheets.screen import SheetsScreen
        from bgwizard.sheets.service import SheetService

        account = BreakGlassAccount("bg@contoso.onmicrosoft.com", locations=["Safe A", "Safe B"])
        screen = SheetsScreen(Profile(tenant_name="Contoso"), account, SheetService())

        class Host(App[None]):
            def on_mount(self) -> None:
                self.push_screen(screen)
                self.set_timer(0.05, self.press)

            def press(self) -> None:
                screen.query_one("#generate").press()
                self.set_interval(0.05, self.crash_when_drawn)

            def crash_when_drawn(self) -> None:
                if screen._sheet is None:
                    return
                password, content, sheet = screen._password, screen._content, screen._sheet
                lines = content.lines()
                pathlib.Path("value").write_text(password.reveal())  # for the test only
                marker = "CONTROL-" + "LOCAL-42"
                raise RuntimeError("crash in the sheet step")

        Host().run(headless=True, size=(100, 40))
        """,
    )
    value = (tmp_path / "value").read_text()
    assert "crash in the sheet step" in output
    assert "CONTROL-LOCAL-42" in output and "RenderedSheet(serial=" in output
    assert_no_password(output, value)


def test_crash_inside_pdf_drawing_prints_no_password(tmp_path: Path) -> None:
    """A library failure while the characters are in plain locals surfaces without its frames."""
    output = run_headless(
        tmp_path,
        """
        import datetime as dt, sys
        from textual.app import App
        from bgwizard.profile.model import BreakGlassAccount, Profile
        from bgwizard.secret import Secret
        from bgwizard.sheets import service as sheets

        def broken_render(content, paper):
            plain = content.password.reveal()
            raise ValueError(f"cannot draw {plain!r}")

        sheets.render_sheet = broken_render

        class Crash(App[None]):
            def on_mount(self) -> None:
                service = sheets.SheetService()
                account = BreakGlassAccount("bg@contoso.onmicrosoft.com")
                content = service.build(Profile(), account, Secret(sys.argv[1]))
                service.render(content)

        Crash().run(headless=True)
        """,
        VALUE,
    )
    assert "SheetError" in output and "could not be drawn (ValueError)" in output
    assert "broken_render" not in output
    assert_no_password(output, VALUE)
