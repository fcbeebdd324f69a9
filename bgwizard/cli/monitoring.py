"""``bgwizard monitoring export``: alert queries and deployable templates, without the TUI.

Accounts come from ``--accounts UPN=OBJECTID,UPN=OBJECTID`` or, without it, from the profile.
Errors are one sentence on stderr and exit status 2; success prints the files written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bgwizard.errors import BgWizardError, MonitoringError
from bgwizard.monitoring.rules import AccountRef, account_refs, make_ref
from bgwizard.monitoring.service import MonitoringService
from bgwizard.profile.store import TomlProfileStore

EXIT_OK = 0
EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bgwizard monitoring",
        description="Alert rules for the break glass accounts: KQL, ARM templates for Azure "
        "Monitor and Microsoft Sentinel, and how to deploy them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="write the KQL, the ARM templates and DEPLOY.md into a directory",
        description="Write one .kql file per rule beside the ARM templates and DEPLOY.md.",
    )
    export.add_argument("--out", required=True, type=Path, metavar="DIR", help="target directory")
    export.add_argument(
        "--accounts",
        metavar="UPN=OBJECTID,...",
        help="the accounts to watch; default: the accounts in the profile",
    )
    export.add_argument("--profile", type=Path, metavar="FILE", help="profile file to read")
    return parser


def parse_accounts(text: str) -> list[AccountRef]:
    """Parse ``UPN=OBJECTID,UPN=OBJECTID``.

    Raises:
        MonitoringError: an entry is not ``UPN=OBJECTID`` or a value is malformed.
    """
    refs: dict[str, AccountRef] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        upn, sep, object_id = entry.partition("=")
        if not sep:
            raise MonitoringError(f"--accounts entry {entry!r} is not UPN=OBJECTID.")
        ref = make_ref(upn, object_id)
        refs[ref.object_id] = ref
    if not refs:
        raise MonitoringError("--accounts names no account.")
    return sorted(refs.values(), key=lambda r: r.upn)


def _accounts(args: argparse.Namespace) -> list[AccountRef]:
    if args.accounts is not None:
        return parse_accounts(args.accounts)
    profile = TomlProfileStore(args.profile).load()
    return account_refs(profile.accounts)


def run(argv: Sequence[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``bgwizard monitoring`` with ``argv`` (the words after ``monitoring``).

    Returns:
        0 when the files were written, 2 on any error (argparse's own usage errors too).
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code in (0, None) else EXIT_ERROR
    try:
        refs = _accounts(args)
        service = MonitoringService(arm_token=None)
        paths = service.save(service.export_for_refs(refs), args.out)
    except BgWizardError as exc:
        print(f"bgwizard monitoring: {exc}", file=err)
        return EXIT_ERROR
    accounts = "1 account" if len(refs) == 1 else f"{len(refs)} accounts"
    print(f"Wrote {len(paths)} files for {accounts} to {args.out}:", file=out)
    for path in paths:
        print(f"  {path.name}", file=out)
    print(f"Next: follow {args.out / 'DEPLOY.md'}", file=out)
    return EXIT_OK
