"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bgwizard.emulator import Emulator
from emulator.support import GRAPH_DEFAULT, GraphClient, password_token


@pytest.fixture
def graph_as() -> Callable[..., GraphClient]:
    """``graph_as(emu, "admin")`` → a Graph client signed in as that sample user."""

    def make(emu: Emulator, who: str, scope: str = GRAPH_DEFAULT) -> GraphClient:
        return GraphClient(emu, password_token(emu, who, scope=scope)["access_token"])

    return make
