"""``bgwizard log signers add|retire``: change who may sign the log, as a signed, confirmed step.

The change is a ``signers`` entry signed by a key the log already trusts (the operator's own,
by default the profile's); an added signer is pinned in the profile too. Nothing is written
before the operator confirms (``--yes`` for scripts).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Final

from bgwizard.cli.parser import EXIT_FAILED, EXIT_OK, usage_error
from bgwizard.errors import BgWizardError, LedgerError
from bgwizard.ledger.anchored import ProfileLog
from bgwizard.ledger.chain import Signer, check_key, check_principal, key_fingerprint
from bgwizard.ledger.sshsig import key_needs_passphrase, load_key
from bgwizard.ledger.store import default_key_path
from bgwizard.profile.store import TomlProfileStore
from bgwizard.secret import Secret

PROG: Final = "bgwizard log signers"
MAX_PUBLIC_KEY: Final = 16 << 10
"""Largest ``.pub`` file read (bytes)."""


def change_signer(args: argparse.Namespace, action: str, file: Path | None) -> int:
    """Add or retire the signer named by ``--name`` and ``--public-key``.

    Args:
        args: the parsed command line.
        action: ``add`` or ``retire``.
        file: the log (default: the profile's).

    Returns:
        0 when the entry was signed, 2 when refused, cancelled or impossible.
    """
    if not args.name or not args.public_key:
        return usage_error(f"{PROG} {action}", "give the signer's --name and --public-key")
    try:
        store = TomlProfileStore(args.profile)
        profile = store.load()
        signer = Signer(check_principal(args.name), _public_key(args.public_key))
        operator = check_principal(args.operator or profile.drill.operator)
        key_path = args.key or Path(profile.signer_key or default_key_path(profile.demo))
        log = ProfileLog(profile, store, path=file)
        if not _confirmed(args.yes, action, signer, log.path, operator):
            print(f"{PROG}: nothing was changed.", file=sys.stderr)
            return EXIT_FAILED
        passphrase = None
        if key_needs_passphrase(key_path):
            passphrase = Secret(getpass.getpass(f"Passphrase for {key_path}: "))
        key = load_key(key_path, passphrase)
        entry, head = log.change_signer(key, operator, action, signer, args.reason)
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    done = "added to" if action == "add" else "retired from"
    print(f"{signer.operator} ({signer.fingerprint}) {done} {log.path}: entry {entry.seq}.")
    print(f"  head {head}")
    return EXIT_OK


def _public_key(path: Path) -> str:
    """The ``ssh-ed25519 AAAA…`` of a ``.pub`` file (its comment dropped)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PUBLIC_KEY + 1)
    except OSError as exc:
        raise LedgerError(f"Cannot read the public key {path}: {exc.strerror}.") from exc
    words = data.decode("ascii", errors="replace").split()
    if len(data) > MAX_PUBLIC_KEY or len(words) < 2:
        raise LedgerError(f"{path} is not an OpenSSH public key file.")
    return check_key(" ".join(words[:2]))


def _confirmed(yes: bool, action: str, signer: Signer, log: Path, operator: str) -> bool:
    verb = "Add" if action == "add" else "Retire"
    question = (
        f"{verb} {signer.operator} ({key_fingerprint(signer.key)}) as a signer of {log}, "
        f"signed by you as {operator}? [y/N] "
    )
    if yes:
        return True
    print(question, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline(100).strip().lower()
    return answer in ("y", "yes")
