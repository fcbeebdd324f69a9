"""Only pinned keys count (issue 13, §1): an entry signed by any other key fails verification
in ``log verify``, is refused by the recorder, and never satisfies an audit rule."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from audit_support import (
    AUDIT_CLIENT_ID,
    AUDIT_SECRET,
    BG,
    audit_profile,
    bg_tenant,
    drilled,
    exclude_directly,
    user,
    write_tenant,
)
from ledger_forge import FRESH, append_forged, forged_line, use_covering
from ledger_support import build_log, pinned_key, pinning_profile, ssh_keygen_verify
from service_support import FAST

from bgwizard.audit.model import AuditReport
from bgwizard.audit.service import AuditService
from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.cli.main import main
from bgwizard.drill.service import drill_source_for
from bgwizard.emulator import Emulator
from bgwizard.errors import LogRefused, ProfileError, SignerNotTrusted
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ledger.anchored import ProfileLog
from bgwizard.ledger.chain import GENESIS, Signer
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore

SIGNED_IN = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)


def _signed_in_three_days_ago(tenant: dict[str, Any]) -> None:
    stamp = SIGNED_IN.isoformat().replace("+00:00", "Z")
    user(tenant, BG[0])["signInActivity"] = {"lastSuccessfulSignInDateTime": stamp}


def _forge_use(path: Path) -> None:
    append_forged(path, "use", use_covering(BG[0], SIGNED_IN))


def _forge_self_added_signer(path: Path) -> None:
    add = {"action": "add", "operator": "mallory", "key": FRESH.public_line, "reason": "me"}
    append_forged(path, "signers", add)
    append_forged(path, "use", use_covering(BG[0], SIGNED_IN), operator="mallory")


def _forge_whole_log(path: Path) -> None:
    path.write_bytes(forged_line(1, GENESIS, "log-start", "operator", {"note": ""}, FRESH))
    _forge_use(path)


def _forge_newline_operator(path: Path) -> None:
    append_forged(path, "use", use_covering(BG[0], SIGNED_IN), operator="operator\n*")


def _forge_hidden_fingerprint(path: Path) -> None:
    append_forged(path, "use", use_covering(BG[0], SIGNED_IN), operator="operator\x1b[8m")


FORGERIES = {
    "a use entry signed by a fresh key": _forge_use,
    "a fresh key adds itself, then signs a use": _forge_self_added_signer,
    "the whole log replaced by one a fresh key started": _forge_whole_log,
    "an operator name with a newline and a star": _forge_newline_operator,
    "an operator name hiding the next fingerprint": _forge_hidden_fingerprint,
}


async def _audit(profile: Profile) -> AuditReport:
    auth = AppOnlyAuthenticator(profile, AUDIT_CLIENT_ID, secret=AUDIT_SECRET)
    graph = GraphDirectory(profile, auth.credential(), retry=FAST)
    try:
        return await AuditService(graph, profile, drills=drill_source_for(profile)).run()
    finally:
        await graph.close()


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


async def test_forged_signer_logs_are_never_accepted_by_the_audit(tmp_path: Path) -> None:
    """Closing figure: forged-signer logs accepted by the audit, must be 0."""
    tenant = write_tenant(tmp_path, bg_tenant(exclude_directly, _signed_in_three_days_ago))
    with Emulator(tenant_file=tenant, state_dir=tmp_path / "emu") as emu:
        profile = drilled(audit_profile(emu), tmp_path, days_ago=30)
        saved = tmp_path / "drill-profile.toml"
        log = Path(profile.drill_log)
        genuine = log.read_bytes()
        report = await _audit(profile)
        (unexplained,) = [f for f in report.findings
                          if f.rule == "signin.unexplained" and f.account == BG[0]]  # fmt: skip
        assert unexplained.severity == "error" and report.exit_code == 1
        assert _cli("log", "verify", "--profile", str(saved))[0] == 0
        accepted = []
        for name, forge in FORGERIES.items():
            log.write_bytes(genuine)
            forge(log)
            report = await _audit(profile)
            (found,) = [f for f in report.findings
                        if f.rule == "signin.unexplained" and f.account == BG[0]]  # fmt: skip
            code, _, err = _cli("log", "verify", "--profile", str(saved))
            if found.severity in ("ok", "info") or report.exit_code == 0 or code != 1:
                accepted.append(name)
            assert "Traceback" not in err and "\x1b" not in err
    print(f"\nforged-signer logs {len(FORGERIES)} / accepted by the audit {len(accepted)}")
    assert accepted == []


def test_log_verify_with_the_profile_names_the_forged_entry(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 3)
    profile = pinning_profile(tmp_path / "profile.toml", log)
    append_forged(log.path, "use", {"incident": "x"}, operator="alice@contoso.example")
    code, out, err = _cli("log", "verify", "--profile", str(profile))
    assert code == 1 and out == ""
    assert "Entry 4 fails: alice@contoso.example's key SHA256:" in err
    assert "is not a signer of this log (none added it)" in err


def test_recorder_refuses_an_unpinned_key_and_a_log_that_lost_its_head(tmp_path: Path) -> None:
    store = TomlProfileStore(tmp_path / "profile.toml")
    profile = Profile(drill_log=str(tmp_path / "log.jsonl"))
    log = ProfileLog(profile, store)
    log.append(pinned_key(1), "alice", "note", {"text": "first"})
    assert store.load().drill.signers[0].key == pinned_key(1).public_line  # pinned at entry 1
    with pytest.raises(SignerNotTrusted, match=r"bob .* not a trusted signer"):
        log.append(pinned_key(2), "bob", "note", {"text": "who am I"})
    with pytest.raises(SignerNotTrusted, match="sign as the name pinned"):
        log.append(pinned_key(1), "mallory", "note", {"text": "a new name"})
    head = profile.drill.head
    Path(profile.drill_log).unlink()
    with pytest.raises(LogRefused, match=f"missing, but the profile remembers its head {head}"):
        log.append(pinned_key(1), "alice", "note", {"text": "again"})
    code, _, err = _cli("log", "verify", "--profile", str(tmp_path / "profile.toml"))
    assert code == 1 and "missing" in err
    new = log.start_linked(pinned_key(1), "alice")
    first = ProfileLog(profile).entries()[0]
    assert new.name == "log-2.jsonl" and isinstance(first.data["previous"], dict)
    assert "missing" in str(first.data["previous"]["closed_because"])


def test_signers_add_and_retire_through_the_cli(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("alice", "bob"):
        path = keys / name
        path.write_bytes(
            pinned_key(1 if name == "alice" else 2).private.private_bytes(*_openssh_unencrypted())
        )
        (keys / f"{name}.pub").write_text(
            f"{pinned_key(1 if name == 'alice' else 2).public_line} {name}@laptop\n"
        )
    store = TomlProfileStore(tmp_path / "profile.toml")
    profile = Profile(drill_log=str(tmp_path / "log.jsonl"), signer_key=str(keys / "alice"))
    ProfileLog(profile, store).append(pinned_key(1), "alice", "note", {"text": "start"})
    base = ["--profile", str(store.path), "--name", "bob", "--public-key", str(keys / "bob.pub")]
    code, _, err = _cli_stdin("n\n", "log", "signers", "add", *base, "--as", "alice")
    assert code == 2 and "nothing was changed" in err
    assert len(ProfileLog(store.load()).entries()) == 2  # log-start and the note
    code, out, err = _cli_stdin("y\n", "log", "signers", "add", *base, "--as", "alice")
    assert code == 0, err
    assert "bob (SHA256:" in out and "added to" in out
    saved = store.load()
    assert [s.operator for s in saved.drill.signers] == ["alice", "bob"]
    ProfileLog(saved, store).append(pinned_key(2), "bob", "note", {"text": "bob signs"})
    code, out, _ = _cli("log", "signers", "--profile", str(store.path))
    assert code == 0 and out.splitlines() == [
        f'"alice" namespaces="bgwizard-drill" {pinned_key(1).public_line}',
        f'"bob" namespaces="bgwizard-drill" {pinned_key(2).public_line}',
    ]
    assert ssh_keygen_verify(Path(saved.drill_log), tmp_path, out) == [0, 0, 0, 0]
    retire = ["--profile", str(store.path), "--name", "alice", "--public-key",
              str(keys / "alice.pub"), "--key", str(keys / "bob"), "--as", "bob",
              "--yes"]  # fmt: skip
    assert _cli("log", "signers", "retire", *retire)[0] == 0
    with pytest.raises(SignerNotTrusted, match="alice"):
        ProfileLog(store.load(), store).append(pinned_key(1), "alice", "note", {"text": "x"})
    code, _, err = _cli("log", "signers", "retire", *retire)  # bob is now the last signer
    assert code == 2 and "not trusted" in err


def _openssh_unencrypted() -> tuple[Any, Any, Any]:
    from cryptography.hazmat.primitives import serialization

    return (
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def _cli_stdin(answer: str, *argv: str) -> tuple[int, str, str]:
    import sys

    saved, sys.stdin = sys.stdin, io.StringIO(answer)
    try:
        return _cli(*argv)
    finally:
        sys.stdin = saved


@pytest.mark.parametrize(
    ("drill", "message"),
    [
        ({"head": "abc"}, "drill.head must be 64 lower-case hex"),
        ({"signers": [{"operator": "a\nb", "key": pinned_key(1).public_line}]}, "operator"),
        ({"signers": [{"operator": "alice", "key": "ssh-rsa AAAA"}]}, "Ed25519"),
        ({"signers": [{"operator": "alice"}]}, "exactly an operator and a key"),
        ({"signers": "alice"}, "drill.signers must be a list"),
    ],
)
def test_profile_refuses_bad_pins_and_heads(
    tmp_path: Path, drill: dict[str, Any], message: str
) -> None:
    import tomli_w

    path = tmp_path / "profile.toml"
    path.write_text(tomli_w.dumps({"drill": drill}))
    before = path.read_bytes()
    with pytest.raises(ProfileError, match=message):
        TomlProfileStore(path).load()
    assert path.read_bytes() == before


def test_log_files_are_private(tmp_path: Path) -> None:
    log = build_log(tmp_path / "logs" / "log.jsonl", 2)
    lock = log.path.with_name(".log.jsonl.lock")
    assert log.path.stat().st_mode & 0o777 == 0o600
    assert lock.stat().st_mode & 0o777 == 0o600
    lock.chmod(0o644)
    log.path.chmod(0o644)
    log.append(pinned_key(1), "alice@contoso.example", "note", {"text": "again"})
    assert log.path.stat().st_mode & 0o777 == 0o600
    assert lock.stat().st_mode & 0o777 == 0o600
    assert shutil.which("ssh-keygen")
    assert Signer("alice@contoso.example", pinned_key(1).public_line) in log.verify().active


def test_log_signers_prints_one_quoted_line_per_key_never_a_star(tmp_path: Path) -> None:
    """The issue's attack: an operator name with a newline made ``log signers`` print a ``*``
    principal that ``ssh-keygen -Y verify -I anyone`` accepted."""
    log = build_log(tmp_path / "log.jsonl", 2)
    append_forged(log.path, "note", {"text": "x"}, operator="alice@contoso.example\n*",
                  key=pinned_key(1))  # fmt: skip
    code, out, err = _cli("log", "signers", str(log.path))
    assert code == 1 and "Entry 3 fails: its operator name is not" in err
    assert "no profile pins the signers" in err  # what the log claims, said as such
    assert out.splitlines() == [
        f'"alice@contoso.example" namespaces="bgwizard-drill" {pinned_key(1).public_line}'
    ]
    profile = pinning_profile(tmp_path / "profile.toml", build_log(tmp_path / "other.jsonl", 1))
    code, out, err = _cli("log", "signers", str(log.path), "--profile", str(profile))
    assert code == 1 and out.count("\n") == 1 and "no profile pins" not in err
