"""Helpers for the signed-log tests: pinned keys, a fixed clock, and plain OpenSSH verification."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bgwizard.ledger.chain import NAMESPACE
from bgwizard.ledger.sshsig import SigningKey
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import DrillLogHead, PinnedSigner, Profile
from bgwizard.profile.store import TomlProfileStore


def pinned_key(seed: int, path: Path | None = None) -> SigningKey:
    """A deterministic Ed25519 key (so signatures and hashes are reproducible)."""
    private = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    return SigningKey(private, path or Path(f"/pinned/{seed}"))


def ticking_clock(start: dt.datetime | None = None) -> Callable[[], dt.datetime]:
    """A clock that advances one minute per call."""
    state = {"now": start or dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)}

    def now() -> dt.datetime:
        state["now"] += dt.timedelta(minutes=1)
        return state["now"]

    return now


def build_log(path: Path, entries: int, key: SigningKey | None = None) -> DrillLog:
    """A log with a log-start entry and ``entries - 1`` drills."""
    key = key or pinned_key(1)
    log = DrillLog(path, clock=ticking_clock())
    log.start(key, "alice@contoso.example", note="test log")
    for number in range(2, entries + 1):
        log.append(key, "alice@contoso.example", "drill", {"result": "pass", "n": number})
    return log


def ssh_keygen_verify(log_path: Path, work: Path, allowed_signers: str) -> list[int]:
    """Verify every line with ``ssh-keygen -Y verify``, exactly as docs/drill-log.md says.

    Returns:
        ssh-keygen's exit status per entry.
    """
    signers = work / "allowed_signers"
    signers.write_text(allowed_signers)
    codes: list[int] = []
    for number, line in enumerate(log_path.read_bytes().splitlines(), start=1):
        outer = json.loads(line)
        entry, sig = work / f"entry-{number}.json", work / f"entry-{number}.sig"
        entry.write_bytes(outer["entry"].encode())
        sig.write_text(outer["sig"])
        operator = json.loads(outer["entry"])["operator"]
        with entry.open("rb") as stdin:
            done = subprocess.run(
                ["ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", operator,
                 "-n", NAMESPACE, "-s", str(sig)],
                stdin=stdin, capture_output=True, check=False,
            )  # fmt: skip
        codes.append(done.returncode)
    return codes


def pinning_profile(
    profile_path: Path, log: DrillLog, pins: tuple[tuple[str, SigningKey], ...] | None = None
) -> Path:
    """Save a profile whose drill log is ``log``, pinning ``pins`` (default: alice's key 1) and
    remembering the log's current head, as the recorder leaves it after an append."""
    pins = pins or (("alice@contoso.example", pinned_key(1)),)
    signers = [PinnedSigner(name, key.public_line) for name, key in pins]
    head = DrillLog(log.path).verify().head
    profile = Profile(drill_log=str(log.path), drill=DrillLogHead("", head, signers))
    TomlProfileStore(profile_path).save(profile)
    return profile_path
