"""``bgwizard monitoring export``: alert queries and deployable templates, without the TUI.

Accounts come from ``--accounts UPN=OBJECTID,UPN=OBJECTID`` or, without it, from the profile.
Errors are one sentence on stderr and exit status 2; success prints the files written.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Final

from bgwizard.cli.parser import EXIT_FAILED, EXIT_OK, add_profile_option, path_arg
from bgwizard.errors import BgWizardError, ExportFilesExist, MonitoringError

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers
    from bgwizard.monitoring.rules import AccountRef

PROG: Final = "bgwizard monitoring"


def add_parser(subparsers: Subparsers) -> None:
    """Add ``bgwizard monitoring export`` to the command tree.

    Args:
        subparsers: the top-level commands.
    """
    parser = subparsers.add_parser(
        "monitoring",
        help="alert queries and deployable templates",
        description="Alert rules for the break glass accounts: KQL, ARM templates for Azure "
        "Monitor and Microsoft Sentinel, and how to deploy them.",
    )
    commands = parser.add_subparsers(dest="monitoring_command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export",
        help="write the KQL, the ARM templates and DEPLOY.md into a directory",
        description="Write one .kql file per rule beside the ARM templates and DEPLOY.md.",
    )
    export.add_argument(
        "--out", required=True, type=path_arg, metavar="DIR", help="target directory"
    )
    export.add_argument(
        "--accounts",
        metavar="UPN=OBJECTID,...",
        help="the accounts to watch; default: the accounts in the profile",
    )
    export.add_argument(
        "--exclusion-group",
        metavar="OBJECTID",
        default="",
        help="object id of the group that excludes the accounts from Conditional Access; "
        "default: the profile's protected group",
    )
    export.add_argument(
        "--rmau",
        metavar="OBJECTID",
        default="",
        help="object id of the restricted management administrative unit; default: the profile's",
    )
    export.add_argument(
        "--force", action="store_true", help="replace files of an earlier export in DIR"
    )
    add_profile_option(export, "profile file to read")
    export.set_defaults(run=run)


def parse_accounts(text: str) -> list[AccountRef]:
    """Parse ``UPN=OBJECTID,UPN=OBJECTID``.

    Raises:
        MonitoringError: an entry is not ``UPN=OBJECTID`` or a value is malformed.
    """
    from bgwizard.monitoring.rules import make_ref

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
    """The accounts (``--accounts``, else the profile's); with a profile, its exclusion group
    and restricted unit fill ``--exclusion-group`` and ``--rmau`` when those are not given."""
    from bgwizard.monitoring.rules import account_refs
    from bgwizard.profile.store import TomlProfileStore

    if args.accounts is not None:
        return parse_accounts(args.accounts)
    profile = TomlProfileStore(args.profile).load()
    args.exclusion_group = args.exclusion_group or profile.exclusion_group_id
    args.rmau = args.rmau or profile.exclusion_rmau_id
    return account_refs(profile.accounts)


def run(args: argparse.Namespace) -> int:
    """Run ``bgwizard monitoring export``.

    Args:
        args: the parsed command line.

    Returns:
        0 when the files were written, 2 on any error.
    """
    from bgwizard.monitoring.service import MonitoringService

    try:
        refs = _accounts(args)
        service = MonitoringService(arm_token=None)
        files = service.export_for_refs(
            refs, exclusion_group_id=args.exclusion_group, rmau_id=args.rmau
        )
        paths = service.save(files, args.out, force=args.force)
    except ExportFilesExist as exc:
        print(
            f"{PROG}: {exc.folder} already holds {exc.listing()}; nothing was written "
            "(pass --force to replace them).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except BgWizardError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    accounts = "1 account" if len(refs) == 1 else f"{len(refs)} accounts"
    print(f"Wrote {len(paths)} files for {accounts} to {args.out}:")
    for path in paths:
        print(f"  {path.name}")
    print(f"Next: follow {args.out / 'DEPLOY.md'}")
    return EXIT_OK
