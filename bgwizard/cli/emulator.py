"""``bgwizard emulator``: its options; ``bgwizard.emulator.cli.run`` runs it.

The run function stays with the emulator, and is imported only when the command runs: the
emulator package loads its TLS server, which ``--help`` does not need.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bgwizard.cli.parser import path_arg, port_number

if TYPE_CHECKING:
    from bgwizard.cli.parser import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    """Add ``bgwizard emulator`` to the command tree.

    Args:
        subparsers: the top-level commands.
    """
    parser = subparsers.add_parser(
        "emulator",
        help="run the emulated tenant alone on loopback",
        description="Run the loopback Entra ID + Microsoft Graph emulator (demo, training, "
        "tests). It listens on 127.0.0.1 only.",
    )
    parser.add_argument(
        "--tenant",
        type=path_arg,
        metavar="FILE",
        help="tenant file (JSON); default: the bundled sample tenant",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=0,
        metavar="N",
        help="port to listen on; default: any free port",
    )
    parser.add_argument(
        "--state-dir",
        type=path_arg,
        metavar="DIR",
        help="where to write emulator-ca.pem; default: a private temp dir",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the emulator until Ctrl-C or SIGTERM (``bgwizard.emulator.cli.run``).

    Args:
        args: the parsed command line.

    Returns:
        0 after Ctrl-C/SIGTERM, 2 when the tenant file or port is unusable.
    """
    from bgwizard.emulator import cli

    return cli.run(args)
