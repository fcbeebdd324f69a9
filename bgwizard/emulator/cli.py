"""``bgwizard emulator``: run the emulator alone until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from bgwizard.emulator.errors import TenantFileError
from bgwizard.emulator.server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bgwizard emulator",
        description="Run the loopback Entra ID + Microsoft Graph emulator (demo, training, "
        "tests). It listens on 127.0.0.1 only.",
    )
    parser.add_argument(
        "--tenant",
        type=Path,
        metavar="FILE",
        help="tenant file (JSON); default: the bundled sample tenant",
    )
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="port to listen on; default: any free port"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="where to write emulator-ca.pem; default: a private temp dir",
    )
    return parser


def run(argv: list[str]) -> int:
    """Start the emulator, print its addresses, and serve until interrupted.

    Returns:
        0 after Ctrl-C/SIGTERM, 2 when the tenant file or port is unusable.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad argument (2, usage already printed)
        return int(exc.code or 0)
    if not 0 <= args.port <= 65535:
        print("The port must be between 0 and 65535.", file=sys.stderr)
        return 2
    try:
        emu = Emulator(args.tenant, port=args.port, state_dir=args.state_dir)
        emu.start()
    except TenantFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Cannot start the emulator on port {args.port}: {exc.strerror}.", file=sys.stderr)
        return 2
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
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
