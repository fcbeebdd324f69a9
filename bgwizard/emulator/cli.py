"""``bgwizard emulator``: run the emulator alone until Ctrl-C or SIGTERM.

Its options are in ``bgwizard.cli.emulator`` (the command tree); this module runs it, and
imports nothing from ``bgwizard.cli``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from bgwizard.emulator.errors import EmulatorError
from bgwizard.emulator.server import Emulator


def run(args: argparse.Namespace) -> int:
    """Start the emulator, print its addresses, and serve until interrupted.

    Args:
        args: the parsed command line.

    Returns:
        0 after Ctrl-C/SIGTERM, 2 when the tenant file or port is unusable.
    """
    emu = _start(args)
    if emu is None:
        return 2
    _serve(emu)
    return 0


def _start(args: argparse.Namespace) -> Emulator | None:
    """The started emulator, or None after saying in one sentence why it cannot start."""
    try:
        emu = Emulator(args.tenant, port=args.port, state_dir=args.state_dir)
        emu.start()
    except EmulatorError as exc:
        print(f"bgwizard emulator: {exc}", file=sys.stderr)
        return None
    return emu


def _serve(emu: Emulator) -> None:
    """Print the addresses and serve until Ctrl-C or SIGTERM, then stop the emulator."""
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    print(f"Emulator running at {emu.base_url}", flush=True)
    print(
        f"Tenant id: {emu.tenant_id} ({emu.state.display_name}, {emu.state.initial_domain})",
        flush=True,
    )
    print(f"CA certificate: {emu.ca_pem_path}", flush=True)
    print(f"Device sign-in page: {emu.base_url}/device — press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
