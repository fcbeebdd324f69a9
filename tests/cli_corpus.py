"""The corpus of bad command lines (issue 13 §4): every one must be one sentence and exit 2.

``bad_inputs`` makes the files a clumsy user or an attacker hands to a command: a FIFO, a
device, a folder for a file, a file for a folder, a huge sparse file, binary and non-UTF-8 bytes,
symlinks (dangling, to a device, to a FIFO), a path through a file, and the broken profiles of
``profile_corpus``. ``build_cases`` pairs them with every option that reads or writes a path,
plus bad ports, empty strings and wrong types.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

from profile_corpus import BROKEN_PROFILES

POLICIES = Path(__file__).parent / "fixtures" / "ca-policies" / "j0eyv-ConditionalAccessBaseline"
"""Real policy exports (see SOURCES.md there), so ``--groups`` is read after the policies."""
GOOD_ACCOUNT = "bg-a@contoso.onmicrosoft.com=aaaaaaaa-1111-4222-8333-444444444444"
"""A valid ``--accounts`` value, so the export's folder checks are what fails."""
HUGE = 3 * 1024**3
"""A sparse file this big costs no disk, but reading it whole would take seconds and 3 GiB."""


def bad_inputs(d: Path) -> dict[str, Path]:
    """Make every kind of bad input file under ``d``; name → path."""
    d.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    files["fifo"] = d / "fifo"
    os.mkfifo(files["fifo"])
    files["folder"] = d / "folder"
    files["folder"].mkdir()
    files["zero"] = Path("/dev/zero")
    files["null"] = Path("/dev/null")
    files["huge"] = d / "huge"
    with open(files["huge"], "wb") as handle:
        handle.truncate(HUGE)
    files["binary"] = d / "binary"
    files["binary"].write_bytes(bytes(range(256)) * 4)
    files["latin1"] = d / "latin1"
    files["latin1"].write_bytes("tenant_id = 'Bj\u00f8rn'\n".encode("latin-1"))
    files["missing"] = d / "missing"
    files["dangling"] = d / "dangling"
    files["dangling"].symlink_to(d / "nowhere")
    files["link-zero"] = d / "link-zero"
    files["link-zero"].symlink_to("/dev/zero")
    files["link-fifo"] = d / "link-fifo"
    files["link-fifo"].symlink_to(files["fifo"])
    files["through-file"] = files["binary"] / "x"
    files["deep-json"] = d / "deep.json"
    files["deep-json"].write_text("[" * 100_000 + "]" * 100_000)
    return files


def broken_profiles(d: Path) -> list[Path]:
    """Write each broken profile of ``profile_corpus`` to its own file."""
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (content, _key) in enumerate(BROKEN_PROFILES):
        path = d / f"broken-{i}.toml"
        path.write_bytes(content)
        paths.append(path)
    return paths


def busy_port() -> tuple[socket.socket, int]:
    """A socket listening on a loopback port (keep it open while the corpus runs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, sock.getsockname()[1]


def build_cases(d: Path, port_in_use: int) -> list[list[str]]:
    """Every bad command line, as argument lists for ``bgwizard.cli.main.main``."""
    f = bad_inputs(d / "inputs")
    profiles = broken_profiles(d / "profiles")
    good_profile = d / "good.toml"
    good_profile.write_text(
        'tenant_id = "t"\n[[accounts]]\nupn = "bg1@c.onmicrosoft.com"\nobject_id = "o1"\n'
    )
    good_profile.chmod(0o600)
    policies = d / "policies"
    shutil.copytree(POLICIES, policies)
    out_dir = d / "out"
    out_dir.mkdir()
    (out_dir / "DEPLOY.md").write_text("edited by hand\n")
    existing = d / "existing.pdf"
    existing.write_text("mine")
    unreadable_inputs = [f[k] for k in f if k not in ("missing", "dangling")]
    every_input = list(f.values())
    cases: list[list[str]] = []

    # A profile that cannot be read, for each command that reads one.
    for path in [*unreadable_inputs, *profiles]:
        p = str(path)
        cases.append(["--profile", p])
        cases.append(["audit", "--profile", p])
        cases.append(["print", "runbook", "--profile", p, "--format", "md"])
        cases.append(["monitoring", "export", "--profile", p, "--out", str(d / "mon")])
    # Input files of the emulator, the audit and the log.
    for path in every_input:
        p = str(path)
        cases.append(["emulator", "--tenant", p])
        cases.append(["demo", "--tenant", p])
        cases.append(["log", "verify", p])
        cases.append(["log", "show", p])
        cases.append(["log", "verify", "--allowed-signers", p, str(d / "inputs" / "binary")])
        cases.append(["audit", "--policies", p, "--accounts", "o1"])
        cases.append(["audit", "--policies", str(policies), "--accounts", "o1", "--groups", p])
        cases.append(["print", "checklist", "--profile", str(good_profile), "--templates", p])
    # Folders that are files, devices or FIFOs; outputs that exist.
    for path in (f["binary"], f["zero"], f["fifo"], f["through-file"]):
        cases.append(["emulator", "--state-dir", str(path)])
        cases.append(["monitoring", "export", "--accounts", GOOD_ACCOUNT, "--out", str(path)])
    cases.append(["monitoring", "export", "--accounts", GOOD_ACCOUNT, "--out", str(out_dir)])
    cases.append(["print", "test-sheet", "--out", str(existing)])
    cases.append(["print", "test-sheet", "--out", str(f["folder"])])
    cases.append(["print", "test-sheet", "--out", str(f["through-file"])])
    cases.append(
        [
            "print",
            "runbook",
            "--profile",
            str(good_profile),
            "--format",
            "md",
            "--out",
            str(existing),
        ]
    )
    # Ports.
    for port in ("-1", "70000", "99999999999999999999", "", "http", "1.5", str(port_in_use)):
        cases.append(["emulator", "--port", port])
        cases.append(["demo", "--port", port])
    # Empty strings, wrong types, missing values.
    cases += [
        ["log", "verify", "--head", "", str(f["null"])],
        ["log", "verify", "--head", "zz", str(f["null"])],
        ["log", "verify", ""],
        ["audit", "--profile", ""],
        ["audit", "--format", "xml"],
        ["audit", "--client-id", "x"],
        ["audit", "--secret-env", "X"],
        ["audit", "--policies", str(d), "--client-id", "x", "--secret-env", "X"],
        ["audit", "--accounts", "o1"],
        ["audit", "--policies"],
        ["monitoring", "export"],
        ["monitoring", "export", "--out", ""],
        ["monitoring", "export", "--accounts", "", "--out", str(d / "m2")],
        ["monitoring", "export", "--accounts", "no-equals", "--out", str(d / "m3")],
        ["print", "runbook", "--format", "docx"],
        ["print", "runbook", "--paper", "b5"],
        ["print", "test-sheet", "--out", ""],
        ["print"],
        ["emulator", "--tenant", ""],
        ["emulator", "--state-dir", ""],
        ["--profile", ""],
        ["nonsense"],
        ["log"],
        ["log", "verify", "--nope"],
    ]
    return cases


def write_cases(d: Path, port_in_use: int) -> Path:
    """Write the corpus as JSON for ``cli_corpus_runner.py``."""
    path = d / "cases.json"
    path.write_text(json.dumps(build_cases(d / "work", port_in_use)))
    return path
