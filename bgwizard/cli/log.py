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
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bgwizard.cli.parser import EXIT_FAILED, EXIT_FINDINGS, EXIT_OK, add_profile_option, path_arg
from bgwizard.errors import BgWizardError

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers
    from bgwizard.ledger.chain import Entry
    from bgwizard.ledger.store import DrillLog

PROG: Final = "bgwizard log"


def add_parser(subparsers: Subparsers) -> None:
    """Add ``bgwizard log verify|signers|show`` to the command tree.

    Args:
        subparsers: the top-level commands.
    """
    parser = subparsers.add_parser(
        "log",
        help="the signed drill log",
        description="The signed drill log: verify it, or print its allowed_signers lines.",
    )
    commands = parser.add_subparsers(dest="log_command", required=True, metavar="COMMAND")
    verify = commands.add_parser(
        "verify",
        help="check the hash chain and every signature; exit 1 naming the first bad entry",
        description="Check the hash chain and every signature of the drill log.",
    )
    verify.add_argument(
        "--allowed-signers",
        type=path_arg,
        metavar="FILE",
        help="also require every entry's operator and key to be listed in this file",
    )
    verify.add_argument(
        "--head",
        type=head_arg,
        metavar="SHA256",
        help="a head printed by an earlier verify: fail if that entry is no longer in the log "
        "(entries cut off the end)",
    )
    signers = commands.add_parser(
        "signers",
        help="print the allowed_signers lines of everyone who signed the log",
        description="Print one allowed_signers line per operator key that signed the log.",
    )
    show = commands.add_parser(
        "show",
        help="list the entries: seq, time, kind, operator, summary",
        description="List the entries of the drill log that verify (exit 1 if one fails).",
    )
    for sub in (verify, signers, show):
        sub.add_argument("file", nargs="?", type=path_arg, help="the log (default: the profile's)")
        add_profile_option(sub, "profile file to read")
        sub.set_defaults(run=run)


def head_arg(text: str) -> str:
    """An argparse ``type``: a log head, 16 to 64 hexadecimal characters (never empty).

    Raises:
        argparse.ArgumentTypeError: empty, too short or not hexadecimal.
    """
    head = text.strip().lower()
    if not 16 <= len(head) <= 64 or any(c not in "0123456789abcdef" for c in head):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a log head (16 to 64 hexadecimal characters)"
        )
    return head


def resolve_log_path(file: Path | None, profile_path: Path | None) -> Path:
    """The log to use: FILE, else the profile's ``drill_log``, else the default location.

    Raises:
        ProfileError: the profile exists but cannot be read.
    """
    from bgwizard.ledger.store import default_log_path
    from bgwizard.profile.store import TomlProfileStore

    if file is not None:
        return file
    store = TomlProfileStore(profile_path)
    profile = store.load() if store.exists() else None
    if profile is not None and profile.drill_log:
        return Path(profile.drill_log)
    return default_log_path()


def run(args: argparse.Namespace) -> int:
    """Run ``bgwizard log verify|signers|show``.

    Args:
        args: the parsed command line.

    Returns:
        0 when the log verifies (or signers were printed), 1 when it does not verify, 2 on errors.
    """
    from bgwizard.ledger.store import DrillLog

    try:
        log = DrillLog(resolve_log_path(args.file, args.profile))
        if args.log_command == "signers":
            return _signers(log)
        if args.log_command == "show":
            return _show(log)
        return _verify(log, args.allowed_signers, args.head)
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _verify(log: DrillLog, allowed_file: Path | None, head: str | None) -> int:
    from bgwizard.ledger.sshsig import fingerprint
    from bgwizard.ledger.store import read_allowed_signers

    allowed = read_allowed_signers(allowed_file) if allowed_file else None
    result = log.verify(allowed)
    if not result.ok:
        print(f"{PROG}: {log.path}: {result.describe()}", file=sys.stderr)
        if result.entries:
            print(f"{PROG}: entries 1-{result.entries} verify.", file=sys.stderr)
        return EXIT_FINDINGS
    if head and head.lower() not in log.line_hashes():
        print(
            f"{PROG}: {log.path}: no entry has head {head}; entries after entry "
            f"{result.entries} were cut off, or this is another log.",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    print(f"{log.path}: {result.describe()}")
    for signer in result.signers:
        print(f"  signed by {signer.operator} ({fingerprint(signer.key)})")
    print(f"  head {result.head}")
    return EXIT_OK


def _signers(log: DrillLog) -> int:
    result = log.verify()
    for signer in result.signers:
        print(signer.allowed_signers_line())
    if not result.ok:
        print(f"{PROG}: {log.path}: {result.describe()}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def _show(log: DrillLog) -> int:
    from bgwizard.ledger.chain import parse_line

    result = log.verify()
    lines = log.path.read_bytes().split(b"\n")[: result.entries]
    entries = [parse_line(line).entry for line in lines]
    width = max((len(e.operator) for e in entries), default=8)
    print(f"{'SEQ':>4}  {'TIME':<20}  {'KIND':<10}  {'OPERATOR':<{width}}  SUMMARY")
    for entry in entries:
        print(
            f"{entry.seq:>4}  {entry.time:<20}  {entry.kind:<10}  {entry.operator:<{width}}  "
            f"{summary(entry)}"
        )
    if not result.ok:
        print(f"{PROG}: {log.path}: {result.describe()}", file=sys.stderr)
        return EXIT_FINDINGS
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
