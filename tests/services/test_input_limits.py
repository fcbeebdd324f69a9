"""Issue 13 §4: user templates and the signing key's files, as a clumsy user or attacker left them.

On main a symlink out of the template folder, a non-UTF-8 or a FIFO template gave a traceback,
a nested ``range(100000)`` loop ran past 60 s, ``--templates FILE`` said the folder "does not
exist", and ``create_key`` overwrote an existing ``<key>.pub`` (following a symlink there).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bgwizard.errors import SignerKeyError, TemplateError
from bgwizard.ledger.sshsig import create_key
from bgwizard.runbook.sandbox import RENDER_SECONDS
from bgwizard.runbook.templates import TemplateStore
from bgwizard.secret import Secret

PASSPHRASE = Secret("correct horse battery")


def _one_sentence(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith("."), message
    return message


def _store(tmp_path: Path, name: str, content: bytes) -> TemplateStore:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content)
    return TemplateStore(folder)


def test_a_symlink_out_of_the_template_folder_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "outside.md.j2"
    secret.write_text("# Outside\nnot for the runbook\n")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "contacts.md.j2").symlink_to(secret)
    with pytest.raises(TemplateError) as info:
        TemplateStore(folder).render("contacts.md.j2", {})
    assert "leads out of the template directory" in _one_sentence(info.value)


def test_a_non_utf8_template_is_one_sentence(tmp_path: Path) -> None:
    store = _store(tmp_path, "extra.md.j2", "# Bj\u00f8rn\n".encode("latin-1"))
    with pytest.raises(TemplateError) as info:
        store.render("extra.md.j2", {})
    assert "is not UTF-8 text" in _one_sentence(info.value)


def test_a_fifo_template_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    os.mkfifo(folder / "contacts.md.j2")
    with pytest.raises(TemplateError) as info:
        TemplateStore(folder).render("contacts.md.j2", {})
    assert "FIFO" in _one_sentence(info.value)


def test_a_file_given_as_the_template_folder_says_so(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(TemplateError) as info:
        TemplateStore(path)
    assert "is not a folder" in _one_sentence(info.value)


def test_a_nested_loop_is_stopped_at_the_time_cap(tmp_path: Path) -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    store = _store(tmp_path, "slow.md.j2", f"# Slow\n{loop}\n".encode())
    start = time.monotonic()
    with pytest.raises(TemplateError) as info:
        store.render("slow.md.j2", {})
    assert time.monotonic() - start < RENDER_SECONDS + 5
    assert "ran longer than" in _one_sentence(info.value)


@pytest.mark.parametrize(
    "body",
    [
        "{{ 'x' * 1000000000 }}",
        "{{ 2 ** 10000000 }}",
        "{% for i in range(100000) %}{{ 'y' * 100 }}{% endfor %}",
    ],
    ids=["repeat", "power", "output"],
)
def test_huge_output_is_refused(tmp_path: Path, body: str) -> None:
    store = _store(tmp_path, "big.md.j2", f"# Big\n{body}\n".encode())
    with pytest.raises(TemplateError) as info:
        store.render("big.md.j2", {})
    _one_sentence(info.value)


def test_create_key_never_overwrites_an_existing_pub(tmp_path: Path) -> None:
    path = tmp_path / "signer"
    pub = tmp_path / "signer.pub"
    pub.write_text("ssh-ed25519 AAAA mine\n")
    with pytest.raises(SignerKeyError, match=r"signer\.pub already exists"):
        create_key(path, PASSPHRASE, "alice")
    assert pub.read_text() == "ssh-ed25519 AAAA mine\n"
    assert not path.exists()


def test_create_key_never_follows_a_symlink_at_the_pub(tmp_path: Path) -> None:
    victim = tmp_path / "authorized_keys"
    victim.write_text("keep\n")
    (tmp_path / "signer.pub").symlink_to(victim)
    with pytest.raises(SignerKeyError):
        create_key(tmp_path / "signer", PASSPHRASE, "alice")
    assert victim.read_text() == "keep\n"
    assert not (tmp_path / "signer").exists()


def test_create_key_writes_both_files_when_free(tmp_path: Path) -> None:
    key = create_key(tmp_path / "signer", PASSPHRASE, "alice")
    assert (tmp_path / "signer").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "signer.pub").read_text().endswith(" alice\n")
    assert key.path == tmp_path / "signer"


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_signing_key_or_certificate_that_is_not_a_file_is_refused(
    tmp_path: Path, kind: str
) -> None:
    from bgwizard.auth.app_only import CertificateCredential
    from bgwizard.errors import AuthError
    from bgwizard.ledger.sshsig import key_needs_passphrase, load_key

    path = tmp_path / "thing"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path("/dev/zero")
    with pytest.raises(SignerKeyError) as info:
        load_key(path, PASSPHRASE)
    _one_sentence(info.value)
    assert key_needs_passphrase(path) is False
    with pytest.raises(AuthError) as auth_info:
        CertificateCredential.from_pem_file(path)
    _one_sentence(auth_info.value)
