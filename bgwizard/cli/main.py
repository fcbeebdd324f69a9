"""The command line: one parser tree, and the TUI and demo it starts.

Every command answers ``--help``; bad arguments and failures print one sentence on stderr and
exit non-zero — never a traceback. Each command module adds its parser with
``add_parser(subparsers)`` and sets ``run(args) -> int`` as its default; ``main`` calls it.

The whole tree is built for every invocation, ``--help`` and ``--version`` included, so the
command modules import only argparse-level things at module level. Each one imports its feature
inside its run path: that is the deliberate lazy loading of msal and msgraph (audit), Textual
(the TUI and the demo), cryptography and bcrypt (log), reportlab and jinja2 (print), and the
emulator's TLS server (emulator).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bgwizard import __version__
from bgwizard.cli import audit, emulator, log, monitoring, print_runbook, print_sheet
from bgwizard.cli.parser import EXIT_FAILED, Parser, Run, path_arg, port_number
from bgwizard.errors import BgWizardError
from bgwizard.hardening import harden_process

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: ``bgwizard [--profile FILE] [COMMAND …]``."""
    parser = Parser(
        prog="bgwizard",
        description="Break glass (emergency access) accounts for Microsoft Entra ID.",
    )
    parser.add_argument("--version", action="version", version=f"bgwizard {__version__}")
    parser.add_argument("--profile", type=path_arg, help="profile file (default: the config dir)")
    parser.set_defaults(run=_run_tui)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    _add_demo(sub)
    emulator.add_parser(sub)
    audit.add_parser(sub)
    log.add_parser(sub)
    _add_print(sub)
    monitoring.add_parser(sub)
    return parser


def _add_demo(subparsers: Subparsers) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="open the app on an emulated tenant (nothing real is touched)",
        description="Open the app on an emulated tenant: nothing real is touched.",
    )
    demo.add_argument(
        "--tenant", type=path_arg, help="tenant file (default: the bundled sample tenant)"
    )
    demo.add_argument(
        "--port", type=port_number, default=0, help="emulator port (default: any free one)"
    )
    demo.set_defaults(run=_run_demo)


def _add_print(subparsers: Subparsers) -> None:
    printing = subparsers.add_parser(
        "print",
        help="offline sheets without the TUI",
        description="Print or save the runbook, the drill checklist or a test sheet.",
    )
    documents = printing.add_subparsers(
        dest="document", metavar="DOCUMENT", required=True, parser_class=Parser
    )
    print_runbook.add_parser(documents)
    print_sheet.add_parser(documents)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the console script).

    Args:
        argv: the arguments after ``bgwizard``; default: ``sys.argv[1:]``.
    """
    harden_process()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), or a one-sentence usage error (2)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_FAILED
    command: Run = args.run
    try:
        return command(args)
    except BgWizardError as exc:
        print(f"bgwizard: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A traceback may show a secret from a frame and tells a user nothing they can act
        # on; tests/test_cli_corpus.py fails on this sentence, so it is never the normal path.
        print(
            f"bgwizard: internal error ({type(exc).__name__}); please report it with the "
            "command you ran.",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _run_tui(args: argparse.Namespace) -> int:
    from bgwizard.container import run_app

    return run_app(profile_path=args.profile)


def _run_demo(args: argparse.Namespace) -> int:
    from bgwizard.container import run_demo

    return run_demo(tenant_file=args.tenant, port=args.port)
