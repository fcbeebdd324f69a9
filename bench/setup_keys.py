"""Keys and time of a whole set-up, from the scripted run of the wizard's Pilot test.

Runs ``tests/ui/test_setup_wizard.run_wizard`` (the real app, msal and msgraph-sdk on the
emulator, at 100×32) and counts what a person would do: every button the script presses is one
key (Enter on the focused button), and every character it types (custodians, the read-back of
each sheet, each account's password at the emulator's sign-in page, the signer and the key's
passphrase, the admin's password) is one key. The script types one wrong password per account
on purpose; that typing is counted apart. Prints the counts and the wall time.

Usage: ``python bench/setup_keys.py``
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]


async def run(folder: Path) -> dict[str, Any]:
    """One scripted set-up in ``folder``; the counts and the seconds it took."""
    import ui.setup_pilot as pilot_helpers
    import ui.test_setup_wizard as wizard

    from bgwizard.emulator import Emulator

    presses: list[str] = []
    original = pilot_helpers.press

    async def counting_press(pilot: Any, selector: str) -> None:
        presses.append(selector)
        await original(pilot, selector)

    wizard.press = counting_press  # type: ignore[assignment]
    pilot_helpers.press = counting_press  # type: ignore[assignment]
    with Emulator(state_dir=folder / "emu") as emu:
        stack = wizard.build(emu, folder)
        started = time.monotonic()
        try:
            async with stack.app.run_test(size=(100, 32)) as pilot:
                await wizard.run_wizard(stack, pilot)
        finally:
            await stack.directory.close()
        seconds = time.monotonic() - started
    papers = list(stack.papers.values())
    typed = {
        "custodians": len("Alex Doe, Sam Roe"),
        "read-back": sum(len(p) for p in papers),
        "sign-in passwords": sum(len(p) for p in papers),
        # The signer is typed once; the dialog suggests it the next time.
        "signer and passphrases": len("alex.doe") + len("correct horse battery") * len(papers),
        # The script approves the admin's code through the emulator's API; a person opens the
        # approval dialog (1 key), types the password and presses Approve (1 key).
        "admin password": len(pilot_helpers.ADMIN_PASSWORD) + 2,
    }
    return {
        "presses": len(presses),
        "typed": typed,
        "wrong passwords (on purpose)": sum(len(p) for p in papers),
        "seconds": seconds,
    }


def main() -> int:
    """Print the keys and the time of one scripted set-up."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        os.environ["XDG_DATA_HOME"] = str(folder / "data")
        os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
        os.environ["PATH"] = f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}"
        (folder / "bin").mkdir()
        lp = folder / "bin" / "lp"
        lp.write_text('#!/bin/sh\ncat > /dev/null\necho "request id is bench-1 (1 file(s))"\n')
        lp.chmod(0o700)
        result = asyncio.run(run(folder))
    typed = result["typed"]
    print(f"button presses: {result['presses']}")
    for what, count in typed.items():
        print(f"typed ({what}): {count}")
    print(f"total keys: {result['presses'] + sum(typed.values())}")
    print(f"(plus {result['wrong passwords (on purpose)']} keys of deliberately wrong passwords)")
    print(f"wall time of the scripted run: {result['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
