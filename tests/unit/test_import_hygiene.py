"""Import hygiene, checked where the import-linter contracts in ``pyproject.toml`` cannot look.

The contracts read the static import graph: they cannot tell an import at module level from
one deferred into the function that needs it. So this file checks two things at run time, in
a fresh interpreter, by looking at ``sys.modules``:

- No feature package (nor the CLI, nor the emulator) loads Textual, and ``bgwizard audit``
  runs end to end without it.
- The TUI's first frame (``bgwizard.tui.app``, ``bgwizard.screens``) loads no heavy library:
  msgraph, msal, kiota and reportlab load inside the services, after the first frame.

And one thing by reading the source: an import inside a function is either listed, with its
start-up reason, in ``[tool.bgwizard.lazy-imports]`` of ``pyproject.toml`` or it is moved to
the top of its module. A function-level import hides a cycle as easily as it saves start-up
time, so each one has to say which it is.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Final, NamedTuple

import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
SOURCES: Final = {"bgwizard": ROOT / "bgwizard", "bgwizard.screens": ROOT / "screens"}
"""Package name -> its folder (``screens/`` is installed as ``bgwizard.screens``)."""
HEAVY: Final = frozenset(
    {"msgraph", "msgraph_core", "kiota_abstractions", "kiota_http", "msal", "reportlab"}
)
"""Libraries the first frame must not wait for (each costs 100+ modules at import)."""

# -- run time: what importing a module drags in ----------------------------------------------

PROBE: Final = textwrap.dedent(
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


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter (no module of this test process leaks into it).

    Returns:
        The finished process; the test fails here if it did not exit 0.
    """
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result


def probe(*packages: str) -> tuple[list[str], set[str]]:
    """Import ``packages`` and all their direct submodules in a new interpreter.

    Returns:
        The modules imported on purpose, and everything in ``sys.modules`` afterwards.
    """
    result = run_python(PROBE, *packages)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["loaded"], set(data["modules"])


def roots(modules: set[str]) -> set[str]:
    """The top-level package of each module name."""
    return {name.split(".")[0] for name in modules}


NON_UI: Final = [
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


def test_an_offline_cli_audit_runs_without_textual() -> None:
    """``bgwizard audit`` end to end, so the imports made inside its functions count too."""
    folder = ROOT / "tests" / "fixtures" / "audit" / "AlexFilipin-ConditionalAccess"
    code = textwrap.dedent(
        """
        import contextlib, io, sys
        from bgwizard.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(sys.argv[1:])
        print(code, "textual" in sys.modules)
        """
    )
    accounts = "b6000001-0000-4000-8000-000000000001,b6000002-0000-4000-8000-000000000002"
    args = ("audit", "--policies", str(folder), "--accounts", accounts, "--format", "json")
    assert run_python(code, *args).stdout.split() == ["0", "False"]


def test_the_app_loads_no_heavy_library_at_import() -> None:
    loaded, modules = probe("bgwizard.tui.app")
    assert "bgwizard.tui.app" in loaded
    assert "textual" in roots(modules)  # the probe itself works
    assert not HEAVY & roots(modules), sorted(HEAVY & roots(modules))


def test_the_screens_load_no_heavy_library_at_import() -> None:
    _, modules = probe("bgwizard.screens")
    assert "bgwizard.screens.signin" in modules
    assert not HEAVY & roots(modules), sorted(HEAVY & roots(modules))


# -- source: every import inside a function is listed with its reason -----------------------


class LazyImport(NamedTuple):
    """One import statement's target inside a function body."""

    importer: str
    """The module whose function holds the import."""
    imported: str
    """A first-party module by its full name, anything else by its top-level package."""
    where: str
    """``path:line``, for the failure message."""


def module_files() -> Iterator[tuple[str, Path]]:
    """Every Python module of the installed package, with its dotted name."""
    for package, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join((package, *parts)), path


MODULES: Final = dict(module_files())


def _targets(importer: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """What ``node`` imports: full first-party module names, else top-level packages."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = importer.split(".")[: None if is_package else -1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([base] if base else [])])
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    return sorted({n if n.split(".")[0] == "bgwizard" else n.split(".")[0] for n in names})


def function_level_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement nested in a function body, at any depth, each once."""
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    seen: set[int] = set()
    for function in functions:
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in seen:
                seen.add(id(node))
                yield node


def lazy_imports() -> Iterator[LazyImport]:
    """Every function-level import in the package, one entry per imported module."""
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in function_level_imports(tree):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for target in _targets(module, path.name == "__init__.py", node):
                yield LazyImport(module, target, where)


def allow_list() -> dict[tuple[str, str], str]:
    """``[tool.bgwizard.lazy-imports]``: (importing module, imported) -> start-up reason."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        table = tomllib.load(file)["tool"]["bgwizard"]["lazy-imports"]
    return {
        (importer, imported): reason
        for importer, targets in table.items()
        for imported, reason in targets.items()
    }


def test_every_import_inside_a_function_is_listed_with_its_reason() -> None:
    allowed = allow_list()
    unlisted = sorted(
        f"{i.where}: {i.importer} -> {i.imported}"
        for i in lazy_imports()
        if (i.importer, i.imported) not in allowed
    )
    assert not unlisted, (
        "Move these imports to the top of their module, or list them with the start-up "
        "reason in [tool.bgwizard.lazy-imports] of pyproject.toml:\n" + "\n".join(unlisted)
    )


def test_the_lazy_import_list_has_no_stale_entry() -> None:
    found = {(i.importer, i.imported) for i in lazy_imports()}
    stale = sorted(f"{a} -> {b}" for a, b in allow_list().keys() - found)
    assert not stale, "Remove from [tool.bgwizard.lazy-imports]:\n" + "\n".join(stale)


def test_every_lazy_import_says_why() -> None:
    for (importer, imported), reason in allow_list().items():
        assert importer in MODULES, f"{importer} is not a module of bgwizard"
        assert len(reason.split()) >= 4, f"{importer} -> {imported}: give the start-up reason"


def test_the_scan_sees_nested_and_relative_imports() -> None:
    """The scanner itself: a nested function's import counts, a module-level one does not."""
    code = (
        "import os\ndef f():\n    def g():\n        from . import model\n    import json.decoder\n"
    )
    nodes = list(function_level_imports(ast.parse(code)))
    targets = [_targets("bgwizard.audit.rules", False, n) for n in nodes]
    assert sorted(targets) == [["bgwizard.audit.model"], ["json"]]
