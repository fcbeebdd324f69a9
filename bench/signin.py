"""Sign-in wall time on the emulator: browser (authorization code + PKCE) versus device code.

Each figure is the median of N sign-ins of the sample admin, after one warm-up, each on a new
``MsalAuthenticator`` (a new msal application: discovery, then the flow), on one emulator whose
tenant has already consented to the audit's scopes:

* browser: msal's ``acquire_token_interactive`` with ``$BROWSER`` set to the tests' stand-in
  (``tests/browser_stand_in.py``: a new Python process that completes the sign-in page over
  HTTP and posts the reply to msal's loopback server); msal checks for the reply once a second;
* in-app (the demo's way): msal's auth-code-flow helpers with the page completed in-process;
* device code: the code approved through the emulator as soon as it is pending, with msal
  polling every second (``interval: 1``). The sample tenant's CA004 blocks device code, so the
  admin is added to the break glass exclusion group for this run.

Usage: ``python bench/signin.py [--runs 5]`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "services")]
os.environ["BROWSER"] = " ".join(
    [
        shlex.quote(sys.executable),
        shlex.quote(str(ROOT / "tests" / "browser_stand_in.py")),
        "%s",
        "&",
    ]
)

from service_support import profile_for  # noqa: E402

from bgwizard.auth.identity import PageAnswers  # noqa: E402 - $BROWSER must be set first
from bgwizard.auth.scopes import scopes_for  # noqa: E402
from bgwizard.auth.service import MsalAuthenticator  # noqa: E402
from bgwizard.emulator import Emulator  # noqa: E402

ADMIN = "admin@contosologistics.onmicrosoft.com"
PASSWORD = "Contoso-Demo-2026"
BREAK_GLASS_GROUP = "2802b872-ccfb-4b29-a9a9-459808dfb11b"


def _median(run: Callable[[], Awaitable[None]], runs: int) -> float:
    asyncio.run(run())  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        asyncio.run(run())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    """Print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as state, Emulator(state_dir=Path(state)) as emu:
        emu.grant_consent(emu.public_client_id, list(scopes_for("audit")))
        admin = emu.state.find_user(ADMIN)
        assert admin is not None
        emu.state.members[BREAK_GLASS_GROUP].append(str(admin["id"]))  # CA004 lets it through
        os.environ.update(
            BGW_BROWSER_USER=ADMIN,
            BGW_BROWSER_PASSWORD=PASSWORD,
            BGW_BROWSER_CA=str(emu.ca_pem_path),
        )
        profile = profile_for(emu)

        def fresh() -> MsalAuthenticator:
            return MsalAuthenticator(profile, scopes=scopes_for("audit"))

        async def browser() -> None:
            await fresh().sign_in_browser(timeout=60)

        async def in_app() -> None:
            await fresh().sign_in_in_app(PageAnswers(ADMIN, PASSWORD))

        async def device_code() -> None:
            auth = fresh()
            prompt = await auth.start_device_code()
            approver = threading.Thread(
                target=lambda: emu.approve_device_code(prompt.user_code, ADMIN, PASSWORD)
            )
            approver.start()
            await auth.finish_device_code(prompt)
            approver.join()

        print(f"Sign-in wall time on the emulator (median of {runs}):")
        print(f"  browser (auth code + PKCE, loopback):  {_median(browser, runs):6.2f} s")
        print(f"  in-app page (demo, auth code + PKCE):  {_median(in_app, runs):6.2f} s")
        print(f"  device code (approved at once):        {_median(device_code, runs):6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
