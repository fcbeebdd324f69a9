"""The command line contract: --version, --help, one-sentence errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bgwizard import __version__
from bgwizard.cli.main import main
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore


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


HEAVY = ("textual", "msal", "msgraph", "reportlab", "jinja2", "cryptography", "bgwizard.emulator")


def test_help_and_version_build_the_tree_without_loading_any_feature() -> None:
    """The tree holds every command, yet --help loads none of their heavy imports."""
    code = (
        "import sys\nfrom bgwizard.cli.main import main\n"
        "for argv in (['--version'], ['--help'], ['audit', '--help'], ['log', 'show', '--help'],"
        " ['print', 'test-sheet', '--help'], ['monitoring', 'export', '--help'],"
        " ['emulator', '--help'], ['demo', '--help']):\n"
        "    assert main(argv) == 0, argv\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.rstrip().endswith("[]")


def test_the_global_profile_reaches_a_command_and_its_own_option_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    TomlProfileStore(first).save(Profile(drill_log=str(tmp_path / "first.jsonl")))
    TomlProfileStore(second).save(Profile(drill_log=str(tmp_path / "second.jsonl")))
    assert main(["--profile", str(first), "log", "verify"]) == 2
    assert "first.jsonl" in capsys.readouterr().err
    assert main(["--profile", str(first), "log", "verify", "--profile", str(second)]) == 2
    assert "second.jsonl" in capsys.readouterr().err


def test_an_unexpected_error_is_one_sentence_never_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last line of defence: a bug shows one sentence (a traceback could show a secret)."""
    from bgwizard.cli import print_sheet

    def broken(args: object) -> int:
        raise RuntimeError("password Contoso-Demo-2026 in a frame")

    monkeypatch.setattr(print_sheet, "run", broken)
    assert main(["print", "test-sheet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (RuntimeError)" in err
    assert "Traceback" not in err and "Contoso-Demo-2026" not in err
