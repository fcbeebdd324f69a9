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

from bgwizard.cli.parser import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_OK,
    add_profile_option,
    path_arg,
    usage_error,
)
from bgwizard.errors import BgWizardError
from bgwizard.profile.model import Profile

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers
    from bgwizard.ledger.anchored import ProfileLog
    from bgwizard.ledger.chain import Entry

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
        help="pin these signers instead of the profile's (an allowed_signers file you trust)",
    )
    verify.add_argument(
        "--head",
        type=head_arg,
        metavar="SHA256",
        help="a head printed by an earlier verify (64 hex, or a unique prefix of at least 16): "
        "fail if that entry is no longer in the log (entries cut off the end); the profile's "
        "remembered head is always checked for its own log",
    )
    signers = commands.add_parser(
        "signers",
        help="print the allowed_signers lines (one per key), or add or retire a signer",
        description="Print one allowed_signers line per key the log trusts; or, with add or "
        "retire, sign a signers entry with a key the log already trusts (asks to confirm).",
    )
    signers.add_argument(
        "words",
        nargs="*",
        metavar="[add|retire] [FILE]",
        help="add or retire a signer, then the log (default: the profile's)",
    )
    signers.add_argument("--name", help="add/retire: the signer's name (principal)")
    signers.add_argument(
        "--public-key", type=Path, metavar="FILE", help="add/retire: the signer's .pub file"
    )
    signers.add_argument(
        "--key", type=Path, metavar="FILE", help="add/retire: your trusted signing key "
        "(default: the profile's)",
    )  # fmt: skip
    signers.add_argument(
        "--as", dest="operator", metavar="NAME", help="add/retire: your name as pinned "
        "(default: the profile's last signer)",
    )  # fmt: skip
    signers.add_argument("--reason", default="", help="add/retire: why, recorded in the entry")
    signers.add_argument("--yes", action="store_true", help="add/retire: do not ask to confirm")
    show = commands.add_parser(
        "show",
        help="list the entries: seq, time, kind, operator, summary",
        description="List the entries of the drill log that verify (exit 1 if one fails).",
    )
    for sub in (verify, show):
        sub.add_argument("file", nargs="?", type=path_arg, help="the log (default: the profile's)")
    for sub in (verify, signers, show):
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


def _profile(profile_path: Path | None) -> Profile:
    from bgwizard.profile.store import TomlProfileStore

    store = TomlProfileStore(profile_path)
    return store.load() if store.exists() else Profile()


def resolve_log_path(file: Path | None, profile_path: Path | None) -> Path:
    """The log to use: FILE, else the profile's ``drill_log``, else the default location.

    Raises:
        ProfileError: the profile exists but cannot be read.
    """
    from bgwizard.ledger.store import profile_log_path

    return file if file is not None else profile_log_path(_profile(profile_path))


def run(args: argparse.Namespace) -> int:
    """Run ``bgwizard log verify|signers|show``.

    Args:
        args: the parsed command line.

    Returns:
        0 when the log verifies (or signers were printed or changed), 1 when it does not verify,
        2 on errors.
    """
    from bgwizard.ledger.anchored import ProfileLog

    try:
        if args.log_command == "signers":
            return _signers_command(args)
        profile = _profile(args.profile)
        log = ProfileLog(profile, path=args.file)
        if args.log_command == "show":
            return _show(log)
        return _verify(log, args.allowed_signers, args.head)
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _verify(log: ProfileLog, allowed_file: Path | None, head: str | None) -> int:
    from bgwizard.ledger.chain import printable
    from bgwizard.ledger.store import DrillLog, read_allowed_signers

    if allowed_file:
        result = DrillLog(log.path, pinned=read_allowed_signers(allowed_file)).verify()
    else:
        result = log.verify()
    if result.ok and head:
        matches = [h for h in result.hashes if h.startswith(head)]
        if len(matches) > 1:
            return _fail(f"the head {head} matches {len(matches)} entries; give more digits")
        if not matches:
            return _fail(
                f"{log.path}: no entry has head {head}; entries after entry {result.entries} "
                "were cut off, or this is another log", EXIT_FINDINGS,
            )  # fmt: skip
    if not result.ok:
        print(f"{PROG}: {log.path}: {result.describe()}", file=sys.stderr)
        if result.entries:
            print(f"{PROG}: entries 1-{result.entries} verify.", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"{log.path}: {result.describe()}")
    for signer in result.signers:
        print(f"  signed by {printable(signer.operator)} ({signer.fingerprint})")
    print(f"  head {result.head}")
    return EXIT_OK


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"{PROG}: {message}.", file=sys.stderr)
    return code


def _signers_command(args: argparse.Namespace) -> int:
    from bgwizard.ledger.anchored import ProfileLog

    words = list(args.words)
    action = words.pop(0) if words and words[0] in ("add", "retire") else ""
    if len(words) > 1:
        return usage_error(f"{PROG} signers", f"unexpected argument {words[1]!r}")
    file = Path(words[0]) if words else None
    if action:
        from bgwizard.cli.log_signers import change_signer

        return change_signer(args, action, file)
    log = ProfileLog(_profile(args.profile), path=file)
    return _signers(log)


def _signers(log: ProfileLog) -> int:
    from bgwizard.ledger.chain import allowed_signers_text
    from bgwizard.ledger.store import DrillLog

    if not log.pins():
        result = DrillLog(log.path).verify()
        print(
            f"{PROG}: no profile pins the signers of {log.path}: these keys are what the log "
            "claims; compare their fingerprints with the operators' keys.",
            file=sys.stderr,
        )
    else:
        result = log.verify()
    print(allowed_signers_text(result.trusted), end="")
    if not result.ok:
        print(f"{PROG}: {log.path}: {result.describe()}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def _show(log: ProfileLog) -> int:
    from bgwizard.ledger.chain import parse_line, printable

    result = log.verify()
    lines = log.path.read_bytes().split(b"\n")[: result.entries]
    entries = [parse_line(line).entry for line in lines]
    width = max((len(e.operator) for e in entries), default=8)
    kinds = max((len(e.kind) for e in entries), default=4)  # credential-skipped is 18 wide
    print(f"{'SEQ':>4}  {'TIME':<20}  {'KIND':<{kinds}}  {'OPERATOR':<{width}}  SUMMARY")
    for entry in entries:
        print(
            f"{entry.seq:>4}  {entry.time:<20}  {entry.kind:<{kinds}}  {entry.operator:<{width}}  "
            f"{printable(summary(entry))}"
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
    if entry.kind in ("setup-signin", "passkey-signin"):
        return f"{text('account')}: {text('purpose')} at {text('signed_in')}"
    if entry.kind == "credential-skipped":
        return f"{text('account')}: no passkey or CBA ({text('reason')})"
    if entry.kind == "use":
        return f"{text('account')}: {text('incident')}, {text('started')} to {text('ended')}"
    if entry.kind == "log-start":
        previous = data.get("previous")
        linked = f" (continues {previous.get('file')})" if isinstance(previous, dict) else ""
        return f"{text('note')}{linked}".strip()
    return ", ".join(f"{k}={v}" for k, v in sorted(data.items()))[:100]
