"""The pieces every command shares: the one-sentence parser, exit codes, the ``--profile`` option.

Each command module contributes ``add_parser(subparsers)``, which registers its parser and sets
``run`` (``run(args: argparse.Namespace) -> int``) as the parser's default; ``bgwizard.cli.main``
builds the one tree and calls ``args.run(args)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn, TypeAlias

EXIT_OK: Final = 0
EXIT_FINDINGS: Final = 1
"""The audit found errors, or the log does not verify."""
EXIT_FAILED: Final = 2
"""Bad usage, or the command could not run."""

Run: TypeAlias = Callable[[argparse.Namespace], int]
"""What every command runs, with the parsed arguments; returns the exit code."""


class Parser(argparse.ArgumentParser):
    """argparse with one-sentence errors (``prog: Sentence. See --help.``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print one sentence on stderr and exit 2, instead of argparse's usage block.

        Args:
            message: argparse's description of the problem.
        """
        self.exit(usage_error(self.prog, message))


if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[Parser]
    """What ``Parser.add_subparsers`` returns, handed to each command's ``add_parser``."""


def usage_error(prog: str, message: str) -> int:
    """Print a usage error as one sentence on stderr, as ``Parser.error`` does.

    For checks argparse cannot express (options that need each other).

    Args:
        prog: the command as typed (``bgwizard audit``).
        message: what is wrong, lower case, without a full stop.

    Returns:
        ``EXIT_FAILED``.
    """
    print(f"{prog}: {message[:1].upper()}{message[1:]}. See --help.", file=sys.stderr)
    return EXIT_FAILED


def path_arg(text: str) -> Path:
    """An argparse ``type``: a path, never the empty string (which would mean ``.``).

    Raises:
        argparse.ArgumentTypeError: the text is empty or holds a NUL byte.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path names no file")
    if "\0" in text:
        raise argparse.ArgumentTypeError("a path cannot hold a NUL character")
    return Path(text)


def port_number(text: str) -> int:
    """An argparse ``type``: a TCP port, 0 (any free port) to 65535.

    Raises:
        argparse.ArgumentTypeError: not a whole number in that range.
    """
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return port


def add_profile_option(parser: argparse.ArgumentParser, help_text: str = "profile file") -> None:
    """Add ``--profile FILE`` to a command; the global ``bgwizard --profile`` stays when absent.

    The default is ``SUPPRESS``: argparse copies a sub-command's defaults over the top-level
    namespace, so a ``None`` default here would erase ``bgwizard --profile FILE audit``.

    Args:
        parser: the command's parser.
        help_text: the option's help line.
    """
    parser.add_argument(
        "--profile", type=path_arg, metavar="FILE", default=argparse.SUPPRESS, help=help_text
    )
