"""Fixtures for Pilot and snapshot tests: fake services, a sample profile, a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes import AppFactory, FakeServices, fake_services, frozen_clock, sample_profile

from bgwizard.demo.info import DemoInfo
from bgwizard.profile.model import Profile
from bgwizard.tui.app import JOURNEY_SCREENS, BgWizardApp


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Config and data dirs in tmp_path; the journey registry restored."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    saved = dict(JOURNEY_SCREENS)
    yield
    JOURNEY_SCREENS.clear()
    JOURNEY_SCREENS.update(saved)


@pytest.fixture
def fakes() -> FakeServices:
    """Fresh fake services (no demo approver)."""
    return fake_services()


@pytest.fixture
def demo_fakes() -> FakeServices:
    """Fresh fake services with a demo approver that knows the admin's password."""
    return fake_services(demo=True)


@pytest.fixture
def make_app() -> AppFactory:
    """Builds a ``BgWizardApp`` on fakes with the frozen clock."""

    def build(
        fakes: FakeServices,
        profile: Profile | None = None,
        *,
        demo: DemoInfo | None = None,
        **kwargs: Any,
    ) -> BgWizardApp:
        return BgWizardApp(
            fakes.bundle(),
            sample_profile() if profile is None else profile,
            demo=demo,
            clock=frozen_clock,
            **kwargs,
        )

    return build
