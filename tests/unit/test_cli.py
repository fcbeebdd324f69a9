"""The command line contract: --version, --help, one-sentence errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bgwizard import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bgwizard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"bgwizard {__version__}"


@pytest.mark.parametrize(
    "args", [(), ("demo",), ("emulator",), ("print",), ("monitoring",), ("audit",), ("log",)]
)
def test_help_for_every_command(args: tuple[str, ...]) -> None:
    result = _run(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: bgwizard" in result.stdout


@pytest.mark.parametrize(
    "args",
    [("frobnicate",), ("emulator", "--port", "notaport"), ("print", "nonsense"), ("--nope",)],
)
def test_bad_arguments_give_one_sentence(args: tuple[str, ...]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bgwizard")
