"""``bgwizard print test-sheet``: a printer and legibility test, never a credential.

The page is the real sheet with a dummy password, marked in large type as a test page. The
dummy password is also written to standard output so the printed characters can be compared.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Final

from bgwizard.cli.parser import EXIT_FAILED, EXIT_OK
from bgwizard.errors import BgWizardError, PrintError
from bgwizard.text import plural

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers
    from bgwizard.sheets.model import RenderedSheet, SheetContent
    from bgwizard.sheets.service import SheetService

DUMMY_UPN: Final = "test-sheet@example.invalid"


def add_parser(subparsers: Subparsers) -> None:
    """Add ``bgwizard print test-sheet`` to the command tree.

    Args:
        subparsers: the documents of ``bgwizard print``.
    """
    parser = subparsers.add_parser(
        "test-sheet",
        help="a test credential sheet with a dummy password (printer check)",
        description=(
            "Print a test credential sheet with a dummy password, to check the printer and"
            " the font before printing the real thing. The dummy password is also printed here."
        ),
    )
    parser.add_argument(
        "--out", metavar="FILE", help="save the PDF to FILE (a new file) instead of printing"
    )
    parser.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help="paper size (default: a4)"
    )
    parser.add_argument("--printer", metavar="NAME", help="printer name (default: the system's)")
    parser.add_argument("--no-qr", action="store_true", help="leave the QR code off")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``bgwizard print test-sheet``.

    Args:
        args: the parsed command line.

    Returns:
        The exit status: 0 printed or saved, 2 failed (one sentence on stderr).
    """
    from bgwizard.profile.model import BreakGlassAccount, Profile
    from bgwizard.sheets.service import SheetService

    service = SheetService(printer=args.printer)
    profile = Profile(tenant_name="Test tenant (not real)", tenant_id="test-sheet")
    account = BreakGlassAccount(upn=DUMMY_UPN, locations=["test", "test"])
    password = service.new_password()
    content = service.build(profile, account, password, include_qr=not args.no_qr, test_page=True)
    try:
        sheet = service.render(content, args.paper)
        if args.out:
            where = f"saved to {service.save_sheet(sheet, args.out)}"
        else:
            where = _print(service, sheet, args.printer)
    except BgWizardError as exc:
        print(f"bgwizard: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Test sheet {content.serial} ({plural(content.copies, 'page')}, {args.paper}): {where}")
    _print_dummy_password(content)
    return EXIT_OK


def _print(service: SheetService, sheet: RenderedSheet, printer: str | None) -> str:
    """Print, follow the job until it printed, purge it; what happened, in one sentence.

    Raises:
        PrintError: the job did not print (it was cancelled and purged), or the print system
            could not be asked.
    """
    from bgwizard.sheets.model import NO_LP

    if service.spooler() is None:
        raise PrintError(NO_LP)
    for risk in service.print_risks(printer):
        print(f"bgwizard: note: {risk}", file=sys.stderr)
    job = service.print_sheet(sheet, printer)
    status = service.wait_for_job(job)
    spool = service.purge_job(job).sentence()
    if status.state != "printed":
        raise PrintError(f"{status.sentence()} {spool}")
    return f"{status.sentence()} {spool}"


def _print_dummy_password(content: SheetContent) -> None:
    """Print the dummy password in the sheet's blocks, to compare with the printed lines."""
    from bgwizard.sheets.model import blocks

    print("Dummy password (NOT a credential), to compare with the printed lines:")
    for line, code in zip(content.lines(), content.check_codes(), strict=True):
        print(f"  {' '.join(blocks(line.reveal()))}   check {code}")
