"""Command line and composition root: parses arguments, builds the services, starts the app.

Every command answers ``--help``; bad arguments and failures print one sentence on stderr and
exit non-zero — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from bgwizard import __version__
from bgwizard.errors import BgWizardError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_FAILED = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-sentence errors and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_FAILED, f"{self.prog}: {message[:1].upper()}{message[1:]}. See --help.\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (DESIGN.md, "Command line")."""
    parser = _Parser(
        prog="bgwizard",
        description="Break glass (emergency access) accounts for Microsoft Entra ID.",
    )
    parser.add_argument("--version", action="version", version=f"bgwizard {__version__}")
    parser.add_argument("--profile", type=Path, help="profile file (default: the config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser(
        "demo", help="open the app on an emulated tenant (nothing real is touched)"
    )
    demo.add_argument(
        "--tenant", type=Path, help="tenant file (default: the bundled sample tenant)"
    )
    demo.add_argument("--port", type=int, default=0, help="emulator port (default: any free one)")

    emu = sub.add_parser("emulator", help="run the emulated tenant alone on loopback")
    emu.add_argument("--tenant", type=Path, help="tenant file (default: the bundled sample tenant)")
    emu.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)")
    emu.add_argument("--state-dir", type=Path, help="where to write the CA certificate")

    # These sub-commands parse their own options (and answer --help themselves).
    audit = sub.add_parser(
        "audit",
        help="check every break glass rule (exit 0 good, 1 findings, 2 not run)",
        add_help=False,
    )
    audit.add_argument("rest", nargs=argparse.REMAINDER, help="[--format text|json] [...]")

    log = sub.add_parser("log", help="the signed drill log", add_help=False)
    log.add_argument("rest", nargs=argparse.REMAINDER, help="verify [FILE] | signers | show [FILE]")

    printing = sub.add_parser("print", help="offline sheets without the TUI")
    printing.add_argument(
        "what", choices=["runbook", "checklist", "test-sheet"], help="which sheet"
    )
    printing.add_argument("rest", nargs=argparse.REMAINDER, help="[--out FILE] [...]")

    mon = sub.add_parser(
        "monitoring", help="alert queries and deployable templates", add_help=False
    )
    mon.add_argument("rest", nargs=argparse.REMAINDER, help="export --out DIR [...]")
    return parser


_FORWARDED = frozenset({"audit", "log", "print", "monitoring"})
"""Sub-commands that parse their own options; the top parser passes them everything."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by the console script)."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if args.command not in _FORWARDED:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.rest = [*unknown, *args.rest]
    try:
        return _dispatch(args)
    except BgWizardError as exc:
        print(f"bgwizard: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    commands: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: _run_tui,
        "demo": _run_demo,
        "emulator": _run_emulator,
        "audit": _run_audit,
        "log": _run_log,
        "print": _run_print,
        "monitoring": _run_monitoring,
    }
    return commands[args.command](args)


def _run_tui(args: argparse.Namespace) -> int:
    from bgwizard.container import run_app

    return run_app(profile_path=args.profile)


def _run_demo(args: argparse.Namespace) -> int:
    from bgwizard.container import run_demo

    return run_demo(tenant_file=args.tenant, port=args.port)


def _run_emulator(args: argparse.Namespace) -> int:
    from bgwizard.emulator import cli

    argv: list[str] = []
    if args.tenant:
        argv += ["--tenant", str(args.tenant)]
    if args.port:
        argv += ["--port", str(args.port)]
    if args.state_dir:
        argv += ["--state-dir", str(args.state_dir)]
    return cli.run(argv)


def _with_profile(args: argparse.Namespace) -> list[str]:
    """The sub-command's own arguments, plus the global ``--profile`` when one was given."""
    rest = list(args.rest)
    if args.profile and "--profile" not in rest:
        rest += ["--profile", str(args.profile)]
    return rest


def _run_audit(args: argparse.Namespace) -> int:
    from bgwizard.cli import audit as cli_audit

    return cli_audit.run(_with_profile(args))


def _run_log(args: argparse.Namespace) -> int:
    from bgwizard.cli import log as cli_log

    return cli_log.run(_with_profile(args))


def _run_print(args: argparse.Namespace) -> int:
    if args.what == "test-sheet":
        from bgwizard.cli import print_sheet as cli_print

        return cli_print.test_sheet(list(args.rest))
    from bgwizard.cli import print_runbook as cli_runbook

    return cli_runbook.run(args.what, _with_profile(args))


def _run_monitoring(args: argparse.Namespace) -> int:
    from bgwizard.cli import monitoring as cli_monitoring

    return cli_monitoring.run(_with_profile(args))
