"""The signed drill log on disk: OpenSSH interoperability, tamper detection, refusals, keys."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sshsig
from ledger_support import build_log, pinned_key, ssh_keygen_verify, ticking_clock

from bgwizard.errors import LedgerError, LogError, LogRefused, SignerKeyError, SignerNotTrusted
from bgwizard.ledger.chain import NAMESPACE, Signer, allowed_signers_text, signer_change_data
from bgwizard.ledger.sshsig import create_key, fingerprint, load_key, verify
from bgwizard.ledger.store import DrillLog
from bgwizard.secret import Secret

OPERATOR = "alice@contoso.example"


def _require_jq() -> None:
    """The documented commands use jq; without it the test fails (it could not run)."""
    assert shutil.which("jq"), "jq is missing (.ci/system-deps.sh installs it)"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _signers_text(log: DrillLog) -> str:
    return allowed_signers_text(log.verify().trusted)


def test_signature_is_byte_identical_to_ssh_keygen(tmp_path: Path) -> None:
    key_file = tmp_path / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "x", "-f", str(key_file)], check=True
    )
    message = tmp_path / "message"
    message.write_bytes(b'{"kind":"drill","seq":2}')
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(key_file), "-n", NAMESPACE,
                    str(message)], check=True)  # fmt: skip
    ours = load_key(key_file, None).sign(message.read_bytes())
    assert ours == (tmp_path / "message.sig").read_text()


def test_every_entry_verifies_with_ssh_keygen_bgwizard_and_sshsig(tmp_path: Path) -> None:
    log = build_log(tmp_path / "drill-log.jsonl", 5)
    assert log.verify().ok and log.verify().entries == 5
    assert ssh_keygen_verify(log.path, tmp_path, _signers_text(log)) == [0] * 5
    public = sshsig.PublicKey.from_openssh_str(pinned_key(1).public_line)
    for line in log.path.read_bytes().splitlines():
        outer = json.loads(line)
        signer = sshsig.verify(outer["entry"].encode(), outer["sig"], [public], NAMESPACE)
        assert signer == public


def test_documented_shell_commands_verify_an_entry(tmp_path: Path) -> None:
    """The commands in docs/drill-log.md, run through bash as an auditor would."""
    _require_jq()
    log = build_log(tmp_path / "drill-log.jsonl", 3)
    (tmp_path / "allowed_signers").write_text(_signers_text(log))
    script = (
        "set -euo pipefail\n"
        "N=3\n"
        'sed -n "${N}p" drill-log.jsonl | jq -j .entry > entry.json\n'
        'sed -n "${N}p" drill-log.jsonl | jq -j .sig > entry.sig\n'
        "OPERATOR=$(jq -r .operator entry.json)\n"
        'ssh-keygen -Y verify -f allowed_signers -I "$OPERATOR" -n bgwizard-drill '
        "-s entry.sig < entry.json\n"
        "PREV=$(sed -n \"$((N-1))p\" drill-log.jsonl | tr -d '\\n' | sha256sum | cut -d' ' -f1)\n"
        'test "$PREV" = "$(jq -r .prev entry.json)"\n'
    )
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'Good "bgwizard-drill" signature for alice@contoso.example' in done.stdout


def test_flipped_byte_fails_at_that_entry_also_for_ssh_keygen(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 4)
    signers = _signers_text(log)
    lines = _lines(log.path)
    lines[2] = lines[2].replace(b'\\"pass\\"', b'\\"fail\\"')
    log.path.write_bytes(b"".join(lines))
    result = log.verify()
    assert (result.first_bad, result.entries) == (3, 2)
    assert "signature" in result.reason
    assert ssh_keygen_verify(log.path, tmp_path, signers) == [0, 0, 255, 0]


def test_dropped_entry_is_named(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 4)
    lines = _lines(log.path)
    log.path.write_bytes(b"".join(lines[:1] + lines[2:]))
    result = log.verify()
    assert result.first_bad == 2 and "says it is entry 3" in result.reason


def test_swapped_entries_are_named(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 4)
    lines = _lines(log.path)
    lines[1], lines[2] = lines[2], lines[1]
    log.path.write_bytes(b"".join(lines))
    assert log.verify().first_bad == 2


def test_truncated_mid_entry_is_named(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 4)
    data = log.path.read_bytes()
    cut = sum(len(line) for line in _lines(log.path)[:2]) + 40
    log.path.write_bytes(data[:cut])
    result = log.verify()
    assert (result.first_bad, result.entries) == (3, 2)


def test_refuses_to_append_and_links_a_new_log(tmp_path: Path) -> None:
    key = pinned_key(1)
    log = build_log(tmp_path / "log.jsonl", 3)
    good_head = log.verify().head
    broken = log.path.read_bytes().replace(b"pass", b"PASS", 1)
    log.path.write_bytes(broken)
    with pytest.raises(LogRefused, match=r"entry 2 fails .*start a new log linked to it"):
        log.append(key, OPERATOR, "drill", {"result": "pass"})
    assert log.path.read_bytes() == broken
    new = DrillLog(tmp_path / "log-2.jsonl", clock=ticking_clock())
    start = new.start(key, OPERATOR, previous=log.path, note="previous log failed")
    link = start.data["previous"]
    assert isinstance(link, dict)
    assert link["entries_verified"] == 1 and link["head"] != good_head
    assert "Entry 2 fails" in str(link["closed_because"])
    new.append(key, OPERATOR, "drill", {"result": "pass"})
    assert new.verify().ok and new.verify().entries == 2
    with pytest.raises(LogError, match="already exists"):
        new.start(key, OPERATOR)


def test_key_rotation_keeps_old_entries_verifiable(tmp_path: Path) -> None:
    log = build_log(tmp_path / "log.jsonl", 2, key=pinned_key(1))
    bob = Signer("bob@contoso.example", pinned_key(2).public_line)
    with pytest.raises(SignerNotTrusted, match=r"bob@contoso.example .* not a trusted signer"):
        log.append(pinned_key(2), bob.operator, "drill", {"result": "pass"})
    add = signer_change_data("add", bob, "new operator")
    log.append(pinned_key(1), OPERATOR, "signers", add)
    log.append(pinned_key(2), bob.operator, "drill", {"result": "pass"})
    signers = log.signers()
    assert [s.operator for s in signers] == [OPERATOR, "bob@contoso.example"]
    assert ssh_keygen_verify(log.path, tmp_path, _signers_text(log)) == [0, 0, 0, 0]
    only_bob = [signers[1]]
    result = log.verify(allowed=only_bob)
    assert result.first_bad == 1 and "is not pinned" in result.reason
    impostor = [Signer(OPERATOR, pinned_key(3).public_line), signers[1]]
    assert log.verify(allowed=impostor).first_bad == 1
    retire = signer_change_data("retire", signers[0], "left the team")
    log.append(pinned_key(2), bob.operator, "signers", retire)
    with pytest.raises(SignerNotTrusted):
        log.append(pinned_key(1), OPERATOR, "drill", {"result": "pass"})
    result = log.verify()
    assert result.ok and result.active == (signers[1],) and result.trusted == tuple(signers)


def test_resigning_with_another_key_is_detected(tmp_path: Path) -> None:
    """An entry re-signed by someone else's key, keeping the entry's key field, fails."""
    log = build_log(tmp_path / "log.jsonl", 2)
    lines = _lines(log.path)
    outer = json.loads(lines[1])
    outer["sig"] = pinned_key(9).sign(outer["entry"].encode())
    lines[1] = json.dumps(outer, separators=(",", ":")).encode() + b"\n"
    log.path.write_bytes(b"".join(lines))
    result = log.verify()
    assert result.first_bad == 2 and "different key" in result.reason


def test_created_key_is_encrypted_openssh_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "drill-key"
    key = create_key(path, Secret("correct horse battery"), "alice@contoso.example")
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"BEGIN OPENSSH PRIVATE KEY" in path.read_bytes()
    done = subprocess.run(["ssh-keygen", "-y", "-P", "wrong", "-f", str(path)],
                          capture_output=True, check=False)  # fmt: skip
    assert done.returncode != 0
    done = subprocess.run(["ssh-keygen", "-y", "-P", "correct horse battery", "-f", str(path)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.split()[:2] == key.public_line.split()
    assert load_key(path, Secret("correct horse battery")).public_line == key.public_line
    with pytest.raises(SignerKeyError, match="Wrong passphrase"):
        load_key(path, Secret("not the passphrase"))
    with pytest.raises(SignerKeyError, match="needs its passphrase"):
        load_key(path, None)
    with pytest.raises(SignerKeyError, match="already exists"):
        create_key(path, Secret("correct horse battery"), "x")
    assert "correct horse" not in repr(key)


def test_rsa_key_and_short_passphrase_are_refused(tmp_path: Path) -> None:
    rsa = tmp_path / "id_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", str(rsa)],
                   check=True)  # fmt: skip
    with pytest.raises(SignerKeyError, match="not an Ed25519 key"):
        load_key(rsa, None)
    with pytest.raises(SignerKeyError, match="at least 8"):
        create_key(tmp_path / "k", Secret("short"), "x")


def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    pub = tmp_path / "k.pub"
    pub.write_text(pinned_key(1).public_line + " c\n")
    done = subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.split()[1] == fingerprint(pinned_key(1).public_line)


def test_wrong_namespace_and_noncanonical_armor_are_rejected() -> None:
    key = pinned_key(1)
    other = key.sign(b"m").replace("\n", "\r\n")
    with pytest.raises(LedgerError, match="exact armored form"):
        verify(b"m", other)
    assert verify(b"m", other, strict=False) == key.public_line
    from bgwizard.ledger.sshsig import sign

    with pytest.raises(LedgerError, match="namespace 'git'"):
        verify(b"m", sign(key.private, b"m", namespace="git"))


def _doc_loop() -> str:
    text = (Path(__file__).parents[2] / "docs" / "drill-log.md").read_text()
    block = text.split("4. Every entry at once:")[1].split("```sh\n")[1].split("```")[0]
    return "\n".join(line[3:] for line in block.splitlines())


def test_documented_loop_verifies_all_and_stops_at_a_tampered_entry(tmp_path: Path) -> None:
    _require_jq()
    log = build_log(tmp_path / "drill-log.jsonl", 4)
    (tmp_path / "allowed_signers").write_text(_signers_text(log))
    script = "set -uo pipefail\n" + _doc_loop() + "\necho checked $N\n"
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip() == "checked 4", done.stdout + done.stderr
    lines = _lines(log.path)
    lines[2] = lines[2].replace(b"pass", b"PASS", 1)
    log.path.write_bytes(b"".join(lines))
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.splitlines()[0] == "entry 3: bad signature"
    lines[2], lines[3] = lines[3], _lines(build_log(tmp_path / "x.jsonl", 4).path)[2]
    log.path.write_bytes(b"".join(lines))
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.splitlines()[0] == "entry 3: chain broken"
