"""Import rules, checked in a fresh interpreter: what loading a module drags in.

- No feature package (nor the CLI, nor the emulator) ever loads Textual.
- ``bgwizard.tui.app`` (and so the first frame) never loads msgraph, msal, kiota or reportlab:
  they load lazily inside the services, after the first frame.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    loaded = []
    for name in sys.argv[1:]:
        module = importlib.import_module(name)
        loaded.append(name)
        for info in pkgutil.iter_modules(getattr(module, "__path__", []), name + "."):
            importlib.import_module(info.name)
            loaded.append(info.name)
    print(json.dumps({"loaded": loaded, "modules": sorted(sys.modules)}))
    """
)


def probe(*packages: str) -> tuple[list[str], set[str]]:
    """Import ``packages`` and all their direct submodules in a new interpreter.

    Returns:
        The modules imported on purpose, and everything in ``sys.modules`` afterwards.
    """
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *packages],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["loaded"], set(data["modules"])


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


NON_UI = [
    "bgwizard.audit",
    "bgwizard.auth",
    "bgwizard.cli",
    "bgwizard.demo",
    "bgwizard.drill",
    "bgwizard.emulator",
    "bgwizard.graph",
    "bgwizard.ledger",
    "bgwizard.monitoring",
    "bgwizard.passkeys",
    "bgwizard.profile",
    "bgwizard.rotation",
    "bgwizard.runbook",
    "bgwizard.setup",
    "bgwizard.sheets",
]


@pytest.mark.parametrize("package", NON_UI)
def test_non_ui_packages_never_load_textual(package: str) -> None:
    loaded, modules = probe(package)
    assert len(loaded) > 1 or package == "bgwizard.emulator", "the probe imported nothing"
    assert "textual" not in roots(modules), f"{package} loaded Textual"


def test_the_app_loads_no_heavy_library_at_import() -> None:
    loaded, modules = probe("bgwizard.tui.app")
    assert "bgwizard.tui.app" in loaded
    assert "textual" in roots(modules)  # the probe itself works
    heavy = {"msgraph", "msgraph_core", "kiota_abstractions", "kiota_http", "msal", "reportlab"}
    assert not heavy & roots(modules), sorted(heavy & roots(modules))


def test_the_screens_load_no_heavy_library_at_import() -> None:
    _, modules = probe("bgwizard.screens")
    assert "bgwizard.screens.signin" in modules
    heavy = {"msgraph", "msgraph_core", "kiota_abstractions", "kiota_http", "msal", "reportlab"}
    assert not heavy & roots(modules), sorted(heavy & roots(modules))
