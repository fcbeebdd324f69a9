"""``bgwizard print runbook|checklist``: the offline runbook without the TUI.

PDF goes to the print spooler (on its standard input) unless ``--out FILE`` names a new file;
Markdown goes to standard output unless ``--out FILE`` is given. ``--out -`` writes either to
standard output. Exit 0 printed or saved, 2 bad usage or could not print or save (one sentence
on stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Final

from bgwizard.cli.parser import EXIT_FAILED, EXIT_OK, add_profile_option
from bgwizard.errors import BgWizardError
from bgwizard.text import plural

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers
    from bgwizard.runbook.service import RunbookService

DOCUMENTS: Final = {
    "runbook": (
        "the offline break glass runbook",
        "Print the offline break glass runbook (emergency procedure, account register,"
        " drill record with a blank checklist, contacts)",
    ),
    "checklist": (
        "a blank drill checklist",
        "Print a blank pen-and-paper drill checklist for the next quarterly drill",
    ),
}
"""Each document: its help line, and the start of its description."""


def add_parser(subparsers: Subparsers) -> None:
    """Add ``bgwizard print runbook`` and ``bgwizard print checklist`` to the command tree.

    Args:
        subparsers: the documents of ``bgwizard print``.
    """
    for what, (help_text, description) in DOCUMENTS.items():
        parser = subparsers.add_parser(
            what,
            help=help_text,
            description=description
            + ", from the packaged templates and your own (profile setting runbook_templates_dir).",
        )
        _add_options(parser)
        parser.set_defaults(run=run)


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", metavar="FILE", help="save to FILE (a new file; '-' for standard output)"
    )
    parser.add_argument(
        "--format", choices=("pdf", "md"), default="pdf", help="PDF or Markdown (default: pdf)"
    )
    parser.add_argument(
        "--paper", choices=("a4", "letter"), help="paper size (default: the profile's, else a4)"
    )
    add_profile_option(parser, "profile file (default: the config dir)")
    parser.add_argument("--printer", metavar="NAME", help="printer name (default: the system's)")
    parser.add_argument(
        "--templates", metavar="DIR", help="your template directory (overrides the profile's)"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``bgwizard print runbook`` or ``bgwizard print checklist``.

    Args:
        args: the parsed command line (``args.document`` says which).

    Returns:
        The exit status: 0 printed or saved, 2 failed.
    """
    try:
        return _produce(args.document, args)
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
    label = f"{document.title} ({plural(rendered.pages, 'page')}, {paper})"
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
