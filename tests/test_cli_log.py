"""``bgwizard log verify`` and ``bgwizard log signers`` (through the CLI module and the console)."""

from __future__ import annotations

import io
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from bgwizard.cli.main import main
from bgwizard.ledger.chain import Signer, signer_change_data

sys.path.insert(0, str(Path(__file__).parent / "services"))
from ledger_support import build_log, pinned_key, pinning_profile, ssh_keygen_verify


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["log", *argv])
    return code, out.getvalue(), err.getvalue()


def test_verify_good_log_prints_signers_and_head(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 3)
    profile = pinning_profile(tmp_path / "profile.toml", log)
    code, out, err = _run("verify", "--profile", str(profile))
    assert code == 0, err
    assert "The log verifies: 3 entries" in out
    assert "signed by alice@contoso.example (SHA256:" in out
    assert f"head {log.verify().head}" in out


def test_verify_tampered_log_names_the_entry_and_exits_1(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 4)
    profile = pinning_profile(tmp_path / "profile.toml", log)
    log.path.write_bytes(log.path.read_bytes().replace(b"pass", b"PASS", 2))
    code, out, err = _run("verify", str(log.path), "--profile", str(profile))
    assert code == 1 and out == ""
    assert "Entry 2 fails: bad signature" in err and "entries 1-1 verify" in err


def test_head_detects_entries_cut_off_the_end(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 3)
    head = log.verify().head
    pins = ["--allowed-signers", str(tmp_path / "allowed")]
    (tmp_path / "allowed").write_text(Signer("alice@contoso.example", pinned_key(1).public_line)
                                      .allowed_signers_line())  # fmt: skip
    lines = log.path.read_bytes().splitlines(keepends=True)
    assert _run("verify", str(log.path), "--head", head, *pins)[0] == 0
    assert _run("verify", str(log.path), "--head", head[:16].upper(), *pins)[0] == 0
    log.path.write_bytes(b"".join(lines[:2]))
    code, _, err = _run("verify", str(log.path), "--head", head, *pins)
    assert code == 1 and "were cut off" in err
    for bad in ("", head[:15], "z" * 20, head + "0"):
        code, _, err = _run("verify", str(log.path), "--head", bad, *pins)
        assert code == 2 and "16 to 64 hexadecimal characters" in err


def test_signers_output_is_an_allowed_signers_file_ssh_keygen_accepts(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 2)
    bob = Signer("bob", pinned_key(2).public_line)
    log.append(pinned_key(1), "alice@contoso.example", "signers",
               signer_change_data("add", bob, "second operator"))  # fmt: skip
    log.append(pinned_key(2), "bob", "drill", {"result": "pass"})
    pins = (("alice@contoso.example", pinned_key(1)), ("bob", pinned_key(2)))
    profile = pinning_profile(tmp_path / "profile.toml", log, pins)
    code, out, _ = _run("signers", "--profile", str(profile))
    assert code == 0
    assert out.splitlines() == [
        f'"alice@contoso.example" namespaces="bgwizard-drill" {pinned_key(1).public_line}',
        f'"bob" namespaces="bgwizard-drill" {pinned_key(2).public_line}',
    ]
    assert ssh_keygen_verify(log.path, tmp_path, out) == [0, 0, 0, 0]
    (tmp_path / "allowed").write_text(out.splitlines()[1] + "\n")
    code, _, err = _run("verify", str(log.path), "--allowed-signers", str(tmp_path / "allowed"))
    assert code == 1 and "is not pinned" in err


def test_default_log_comes_from_the_profile(tmp_path: Path) -> None:
    log = build_log(tmp_path / "from-profile.jsonl", 2)
    profile_path = pinning_profile(tmp_path / "profile.toml", log)
    code, out, _ = _run("verify", "--profile", str(profile_path))
    assert code == 0 and "from-profile.jsonl" in out


def test_missing_file_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    code, out, err = _run("verify", str(tmp_path / "nope.jsonl"))
    assert code == 2 and out == ""
    assert err.strip().endswith("nope.jsonl.") and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--help"], ["verify", "--help"], ["signers", "--help"]])
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["log", *argv])
    assert code == 0 and "usage: bgwizard log" in capsys.readouterr().out


def test_console_entry_point(tmp_path: Path) -> None:
    """Through ``python -m bgwizard log verify``, as a user types it."""
    log = build_log(tmp_path / "log.jsonl", 2)
    profile = pinning_profile(tmp_path / "profile.toml", log)
    done = subprocess.run([sys.executable, "-m", "bgwizard", "log", "verify", "--profile",
                           str(profile)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and "The log verifies" in done.stdout


@pytest.mark.parametrize("head", ["", "   ", "zz" * 10, "abc", "0" * 65])
def test_a_head_that_is_not_a_head_is_refused_not_skipped(tmp_path: Path, head: str) -> None:
    """Issue 13 §4: ``--head ''`` used to skip the check and exit 0."""
    log = build_log(tmp_path / "log.jsonl", 2)
    code, out, err = _run("verify", str(log.path), "--head", head)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "not a log head" in err
