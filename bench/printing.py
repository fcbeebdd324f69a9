"""Printing a credential sheet through a real CUPS scheduler: "Print" to "printed", and purge.

Starts a private ``cupsd`` (tests/cups_server.py: root, a capture printer) and times, for a
freshly drawn sheet, the product's own path: ``lp`` on standard input, following the job over
IPP until the scheduler says it completed, then the purge and the spool check. Prints the median
and the slowest of N runs; the states the tool reported are listed once.

Usage: ``python bench/printing.py [--runs 9]`` (``make bench`` runs it; needs root and cupsd).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cups_server import running_cups

from bgwizard.profile.model import BreakGlassAccount, Profile
from bgwizard.sheets.service import SheetService


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    with (
        tempfile.TemporaryDirectory(prefix="bgw-bench-cups-") as root,
        running_cups(Path(root) / "cups", preserve_job_files="86400") as cups,
    ):
        cups.add_queue("office", default=True)
        service = SheetService()
        profile = Profile(tenant_name="Bench", tenant_id="bench")
        account = BreakGlassAccount("bg@bench.onmicrosoft.com", locations=["a", "b"])
        printed, purged, states = [], [], set()
        for _ in range(runs + 1):  # the first run warms up
            content = service.build(profile, account, service.new_password())
            sheet = service.render(content, "a4")
            start = time.perf_counter()
            job = service.print_sheet(sheet, "office")
            status = service.wait_for_job(job, progress=lambda s: states.add(s.state))
            done = time.perf_counter()
            check = service.purge_job(job)
            end = time.perf_counter()
            assert status.state == "printed" and check.clean, (status, check)
            printed.append(done - start)
            purged.append(end - done)
    printed, purged = printed[1:], purged[1:]
    print(
        f"print → printed (lp on stdin, IPP follow), median of {runs}:"
        f" {statistics.median(printed):.3f} s (slowest {max(printed):.3f} s)"
    )
    print(f"purge + spool check, median of {runs}: {statistics.median(purged) * 1000:.0f} ms")
    print(f"states reported on the way: {', '.join(sorted(states))}")


if __name__ == "__main__":
    main()
