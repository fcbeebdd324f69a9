"""Shared fixtures: the loopback Entra ID + Graph emulator.

``emulator`` is started once per xdist worker (session scope); tests that change the tenant
(create users, PATCH policies, sign in with wrong passwords...) use ``fresh_emulator``.
Faults injected on the shared emulator are cleared after every test.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from consented import consented
from cups_server import stop_printers

from bgwizard.emulator import Emulator

# msal's interactive sign-in opens Python's ``webbrowser``: make it the stand-in that completes
# the emulator's page over HTTP (set before anything asks ``webbrowser`` for a browser, which
# reads $BROWSER once per process). Without BGW_BROWSER_USER it does nothing, like a closed one.
os.environ["BROWSER"] = " ".join(
    [
        shlex.quote(sys.executable),
        shlex.quote(str(Path(__file__).with_name("browser_stand_in.py"))),
        "%s",
        "&",
    ]
)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The shared emulator on the bundled sample tenant (read-only use, please)."""
    with consented(Emulator(state_dir=tmp_path_factory.mktemp("emulator"))) as emu:
        yield emu


@pytest.fixture
def fresh_emulator(tmp_path: Path) -> Iterator[Emulator]:
    """A private emulator on the bundled sample tenant, for tests that change state."""
    with consented(Emulator(state_dir=tmp_path / "emulator")) as emu:
        yield emu


@pytest.fixture(autouse=True)
def clear_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Remove faults a test injected into the shared emulator."""
    yield
    if "emulator" in request.fixturenames:
        emu: Emulator = request.getfixturevalue("emulator")
        emu.clear_faults()


@pytest.fixture(autouse=True)
def _stop_printers() -> Iterator[None]:
    """Stop the CUPS schedulers a test started (tests/cups_server.py ``real_printer``)."""
    yield
    stop_printers()
