"""``bgwizard print runbook|checklist``: the offline runbook without the TUI.

PDF goes to the print spooler (on its standard input) unless ``--out FILE`` names a new file;
Markdown goes to standard output unless ``--out FILE`` is given. ``--out -`` writes either to
standard output. Exit 0 printed or saved, 1 failed (one sentence on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

from bgwizard.errors import BgWizardError

if TYPE_CHECKING:
    from bgwizard.runbook.service import RunbookService

DOCUMENTS: Final = ("runbook", "checklist")
EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message[:1].upper()}{message[1:]}. See --help.\n")


def _parser(what: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"bgwizard print {what}",
        description=(
            "Print the offline break glass runbook (emergency procedure, account register,"
            " drill record with a blank checklist, contacts)"
            if what == "runbook"
            else "Print a blank pen-and-paper drill checklist for the next quarterly drill"
        )
        + ", from the packaged templates and your own (profile setting runbook_templates_dir).",
    )
    parser.add_argument(
        "--out", metavar="FILE", help="save to FILE (a new file; '-' for standard output)"
    )
    parser.add_argument(
        "--format", choices=("pdf", "md"), default="pdf", help="PDF or Markdown (default: pdf)"
    )
    parser.add_argument(
        "--paper", choices=("a4", "letter"), help="paper size (default: the profile's, else a4)"
    )
    parser.add_argument("--profile", type=Path, help="profile file (default: the config dir)")
    parser.add_argument("--printer", metavar="NAME", help="printer name (default: the system's)")
    parser.add_argument(
        "--templates", metavar="DIR", help="your template directory (overrides the profile's)"
    )
    return parser


def run(what: str, argv: Sequence[str]) -> int:
    """Run ``bgwizard print runbook`` or ``bgwizard print checklist``.

    Args:
        what: ``runbook`` or ``checklist``.
        argv: the arguments after ``what``.

    Returns:
        The exit status: 0 printed or saved, 1 failed, 2 bad usage.
    """
    if what not in DOCUMENTS:
        print(f"bgwizard: Unknown sheet {what!r}; use runbook or checklist.", file=sys.stderr)
        return EXIT_USAGE
    args = _parser(what).parse_args(list(argv))
    try:
        return _produce(what, args)
    except BgWizardError as exc:
        print(f"bgwizard: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _produce(what: str, args: argparse.Namespace) -> int:
    from bgwizard.profile.store import TomlProfileStore
    from bgwizard.runbook.service import RunbookService

    profile = TomlProfileStore(args.profile).load()
    if args.templates:
        profile.runbook_templates_dir = args.templates
    service = RunbookService(profile, printer=args.printer)
    document = service.document(what)
    if args.format == "md":
        return _emit(service, document.markdown(), args.out, f"{document.title} (Markdown)")
    paper = args.paper or (profile.sheet_paper if profile.sheet_paper in ("a4", "letter") else "a4")
    rendered = service.render_pdf(document, paper)
    label = f"{document.title} ({rendered.pages} pages, {paper})"
    if args.out is None:
        said = service.print_pdf(rendered)
        print(f"{label}: {said or 'sent to the printer'}")
        return EXIT_OK
    return _emit(service, rendered.data, args.out, label)


def _emit(service: RunbookService, data: bytes | str, out: str | None, label: str) -> int:
    if out is None or out == "-":
        if isinstance(data, str):
            sys.stdout.write(data)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    print(f"{label}: saved to {service.save(data, out)}")
    return EXIT_OK
