"""Fixtures for the msal and Graph service tests: a real emulator over HTTPS, real SDKs.

``emu`` is one emulator per test module (read-mostly tests); ``fresh_emu`` is a new one
per test (writes and faults).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from audit_support import write_tenant
from consented import ALL_SCOPES, consented
from service_support import ADMIN, FAST, NOBODY, device_sign_in, profile_for, signed_in

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """One emulator (bundled sample tenant) for the tests of a module."""
    with consented(Emulator()) as emulator:
        yield emulator


@pytest.fixture
def fresh_emu() -> Iterator[Emulator]:
    """A new emulator for one test (it may change the tenant or inject faults)."""
    with consented(Emulator()) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def admin(emu: Emulator) -> MsalAuthenticator:
    """The sample tenant's Global Administrator, signed in on ``emu``."""
    return signed_in(emu, ADMIN)


@pytest.fixture(scope="module")
def nobody(emu: Emulator) -> MsalAuthenticator:
    """A member of the sample tenant with no directory role, signed in on ``emu``."""
    return signed_in(emu, NOBODY)


@pytest.fixture
async def graph(emu: Emulator, admin: MsalAuthenticator) -> AsyncIterator[GraphDirectory]:
    """Graph on ``emu`` as the admin, with fast retries."""
    directory = GraphDirectory(profile_for(emu), admin.credential(), retry=FAST)
    yield directory
    await directory.close()
    emu.clear_faults()


@pytest.fixture
async def fresh_graph(fresh_emu: Emulator) -> AsyncIterator[GraphDirectory]:
    """Graph on ``fresh_emu`` as the admin, with fast retries."""
    auth = MsalAuthenticator(profile_for(fresh_emu), scopes=ALL_SCOPES)
    await device_sign_in(auth, fresh_emu, ADMIN)
    directory = GraphDirectory(profile_for(fresh_emu), auth.credential(), retry=FAST)
    yield directory
    await directory.close()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Emulator]]:
    """Starts a consented emulator on a tenant dict; stops them all at the end."""
    running: list[Emulator] = []

    def run(tenant: dict[str, Any]) -> Emulator:
        emu = consented(
            Emulator(tenant_file=write_tenant(tmp_path, tenant), state_dir=tmp_path / "emu")
        )
        emu.start()
        running.append(emu)
        return emu

    yield run
    for emu in running:
        emu.stop()
