"""``bgwizard log verify|signers|show [FILE]``: the signed drill log.

``verify`` checks the hash chain and every SSHSIG signature and names the first bad entry
(exit 1); ``signers`` prints the ``allowed_signers`` lines for ``ssh-keygen -Y verify``; ``show``
lists the entries (seq, time, kind, operator, summary) that verify (exit 1 if one fails). Without
FILE, the log named in the profile (or the default location) is used. Errors are one sentence on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bgwizard.errors import BgWizardError
from bgwizard.ledger.chain import Entry, parse_line
from bgwizard.ledger.sshsig import fingerprint
from bgwizard.ledger.store import DrillLog, default_log_path, read_allowed_signers
from bgwizard.profile.store import TomlProfileStore

EXIT_OK = 0
EXIT_BAD_LOG = 1
EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bgwizard log",
        description="The signed drill log: verify it, or print its allowed_signers lines.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "verify",
        help="check the hash chain and every signature; exit 1 naming the first bad entry",
        description="Check the hash chain and every signature of the drill log.",
    )
    verify.add_argument("file", nargs="?", type=Path, help="the log (default: the profile's)")
    verify.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="also require every entry's operator and key to be listed in this file",
    )
    verify.add_argument(
        "--head",
        metavar="SHA256",
        help="a head printed by an earlier verify: fail if that entry is no longer in the log "
        "(entries cut off the end)",
    )
    signers = commands.add_parser(
        "signers",
        help="print the allowed_signers lines of everyone who signed the log",
        description="Print one allowed_signers line per operator key that signed the log.",
    )
    signers.add_argument("file", nargs="?", type=Path, help="the log (default: the profile's)")
    show = commands.add_parser(
        "show",
        help="list the entries: seq, time, kind, operator, summary",
        description="List the entries of the drill log that verify (exit 1 if one fails).",
    )
    show.add_argument("file", nargs="?", type=Path, help="the log (default: the profile's)")
    for sub in (verify, signers, show):
        sub.add_argument("--profile", type=Path, metavar="FILE", help="profile file to read")
    return parser


def resolve_log_path(file: Path | None, profile_path: Path | None) -> Path:
    """The log to use: FILE, else the profile's ``drill_log``, else the default location.

    Raises:
        ProfileError: the profile exists but cannot be read.
    """
    if file is not None:
        return file
    store = TomlProfileStore(profile_path)
    profile = store.load() if store.exists() else None
    if profile is not None and profile.drill_log:
        return Path(profile.drill_log)
    return default_log_path()


def run(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``bgwizard log …``; ``argv`` is everything after ``log``.

    Returns:
        0 when the log verifies (or signers were printed), 1 when it does not verify, 2 on errors.
    """
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(list(argv))
    try:
        path = resolve_log_path(args.file, args.profile)
        if args.command == "signers":
            return _signers(path, out)
        if args.command == "show":
            return _show(path, out, err)
        return _verify(path, args.allowed_signers, args.head, out, err)
    except BgWizardError as exc:
        print(f"bgwizard log: {exc}", file=err)
        return EXIT_ERROR


def _verify(
    path: Path, allowed_file: Path | None, head: str | None, out: TextIO, err: TextIO
) -> int:
    allowed = read_allowed_signers(allowed_file) if allowed_file else None
    log = DrillLog(path)
    result = log.verify(allowed)
    if not result.ok:
        print(f"bgwizard log: {path}: {result.describe()}", file=err)
        if result.entries:
            print(f"bgwizard log: entries 1-{result.entries} verify.", file=err)
        return EXIT_BAD_LOG
    if head and head.lower() not in log.line_hashes():
        print(
            f"bgwizard log: {path}: no entry has head {head}; entries after entry "
            f"{result.entries} were cut off, or this is another log.",
            file=err,
        )
        return EXIT_BAD_LOG
    print(f"{path}: {result.describe()}", file=out)
    for signer in result.signers:
        print(f"  signed by {signer.operator} ({fingerprint(signer.key)})", file=out)
    print(f"  head {result.head}", file=out)
    return EXIT_OK


def _signers(path: Path, out: TextIO) -> int:
    log = DrillLog(path)
    result = log.verify()
    for signer in result.signers:
        print(signer.allowed_signers_line(), file=out)
    if not result.ok:
        print(f"bgwizard log: {path}: {result.describe()}", file=sys.stderr)
        return EXIT_BAD_LOG
    return EXIT_OK


def _show(path: Path, out: TextIO, err: TextIO) -> int:
    log = DrillLog(path)
    result = log.verify()
    lines = path.read_bytes().split(b"\n")[: result.entries]
    entries = [parse_line(line).entry for line in lines]
    width = max((len(e.operator) for e in entries), default=8)
    print(f"{'SEQ':>4}  {'TIME':<20}  {'KIND':<10}  {'OPERATOR':<{width}}  SUMMARY", file=out)
    for entry in entries:
        print(
            f"{entry.seq:>4}  {entry.time:<20}  {entry.kind:<10}  {entry.operator:<{width}}  "
            f"{summary(entry)}",
            file=out,
        )
    if not result.ok:
        print(f"bgwizard log: {path}: {result.describe()}", file=err)
        return EXIT_BAD_LOG
    return EXIT_OK


def summary(entry: Entry) -> str:
    """One line saying what an entry records."""
    data = entry.data

    def text(key: str) -> str:
        value = data.get(key)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "none"
        return "" if value is None else str(value)

    if entry.kind == "drill":
        return f"{text('account')}: {text('result')}"
    if entry.kind == "rotation":
        return (
            f"{text('account')}: retired {text('retired_serials')}, new {text('new_serials')}"
            f" ({text('reason')})"
        )
    if entry.kind == "use":
        return f"{text('account')}: {text('incident')}, {text('started')} to {text('ended')}"
    if entry.kind == "log-start":
        previous = data.get("previous")
        linked = f" (continues {previous.get('file')})" if isinstance(previous, dict) else ""
        return f"{text('note')}{linked}".strip()
    return ", ".join(f"{k}={v}" for k, v in sorted(data.items()))[:100]
