"""Benchmark (issue 18 closing note): ``bgwizard audit --tenants`` over many emulated tenants.

N emulated tenants (default 200), each with 2 break glass accounts and 50 Conditional Access
policies (the j0eyv baseline cloned), are served by emulators in a child process; the real
``bgwizard audit --tenants FILE`` runs as a subprocess at each concurrency (1, 8, 32). For each
run it prints the wall time, the Graph requests the emulators received (HTTP requests, and
the requests inside ``$batch``), the token requests, and the audit process's peak memory
(``wait4`` rusage of that process alone). Not a test: numbers are printed, never asserted.

Usage: ``python bench/audit_fleet.py [--tenants 200] [--concurrency 1 8 32]``
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "services"))

POLICIES = 50
SECRET_VAR = "BGW_BENCH_SECRET"


def _tenant(index: int) -> dict[str, Any]:
    from audit_support import bg_tenant, exclude_directly

    tenant = bg_tenant(exclude_directly)
    tenant["tenant"]["id"] = str(uuid.UUID(int=index + 1, version=4))
    base = tenant["conditionalAccessPolicies"]
    policies = []
    for i in range(POLICIES):
        policy = copy.deepcopy(base[i % len(base)])
        policy["id"] = f"bench{i:04d}-0000-4000-8000-{index:012d}"
        policy["displayName"] = f"{policy['displayName']} #{i}"
        policies.append(policy)
    tenant["conditionalAccessPolicies"] = policies
    return tenant


def serve(count: int, folder: Path) -> None:
    """Child process: start ``count`` emulators, print their addresses, answer count/quit."""
    from audit_support import Tally

    from bgwizard.emulator import Emulator, Fault

    class TokenTally(Fault):
        def __init__(self) -> None:
            super().__init__(path=r"/oauth2/v2\.0/token$", kind="delay")
            self.count = 0

        def matches(self, request: Any) -> bool:
            if super().matches(request):
                self.count += 1
            return False

    emulators, tallies, tokens = [], [], []
    for i in range(count):
        path = folder / f"tenant-{i}.json"
        path.write_text(json.dumps(_tenant(i)), encoding="utf-8")
        emu = Emulator(tenant_file=path, state_dir=folder / f"emu-{i}")
        emu.start()
        tally, token = Tally(), TokenTally()
        emu.add_fault(tally)
        emu.add_fault(token)
        emulators.append(emu)
        tallies.append(tally)
        tokens.append(token)
    print(
        json.dumps(
            [
                {"tenant_id": e.tenant_id, "base": e.base_url, "ca": str(e.ca_pem_path)}
                for e in emulators
            ]
        ),
        flush=True,
    )
    for line in sys.stdin:
        if line.strip() == "count":
            totals = {
                "http": sum(t.http for t in tallies),
                "inner": sum(t.inner for t in tallies),
                "tokens": sum(t.count for t in tokens),
            }
            for t in tallies:
                t.http = t.inner = 0
            for t in tokens:
                t.count = 0
            print(json.dumps(totals), flush=True)
        else:
            break
    for emu in emulators:
        emu.stop()


def _tenants_file(folder: Path, emulators: list[dict[str, str]], client_id: str) -> Path:
    from audit_support import BG

    lines = [f'[defaults]\nclient_id = "{client_id}"\ncredential = "secret"\n']
    lines.append(f'secret_env = "{SECRET_VAR}"\n')
    accounts = ", ".join(f'"{a}"' for a in BG)
    for i, emu in enumerate(emulators):
        lines.append(
            f'\n[[tenant]]\nname = "tenant-{i:03d}"\ntenant_id = "{emu["tenant_id"]}"\n'
            f"accounts = [{accounts}]\n"
            f'authority = "{emu["base"]}"\ngraph_url = "{emu["base"]}/v1.0"\n'
            f'ca_bundle = "{emu["ca"]}"\n'
        )
    path = folder / "tenants.toml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _audit(tenants: Path, concurrency: int, secret: str) -> tuple[float, int, float, str]:
    """Run the real CLI; wall seconds, exit code, peak RSS of that process (MiB), summary."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bgwizard",
            "audit",
            "--tenants",
            str(tenants),
            "--concurrency",
            str(concurrency),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, SECRET_VAR: secret},
        cwd=ROOT,
    )
    assert process.stdout is not None
    out = process.stdout.read()
    # wait4, not Popen.wait: its rusage is this process's own peak, not all children's.
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    first = out.decode().splitlines()[0] if out else ""
    return wall, process.returncode, usage.ru_maxrss / 1024, first


def main() -> None:
    """Start the emulators, run the audits, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.tenants, Path(args.serve))
        return
    from audit_support import AUDIT_CLIENT_ID, AUDIT_SECRET

    with tempfile.TemporaryDirectory(prefix="bgw-fleet-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, __file__, "--tenants", str(args.tenants), "--serve", tmp],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        emulators = json.loads(child.stdout.readline())
        print(
            f"{len(emulators)} emulated tenants × 2 accounts × {POLICIES} CA policies, "
            f"started in {time.perf_counter() - started:.1f} s"
        )
        tenants = _tenants_file(folder, emulators, AUDIT_CLIENT_ID)
        print(
            f"{'concurrency':>11}  {'wall s':>7}  {'tenants/s':>9}  {'Graph HTTP':>10}  "
            f"{'in $batch':>9}  {'per tenant':>10}  {'tokens':>6}  {'peak MiB':>8}  exit"
        )
        for concurrency in args.concurrency:
            wall, code, peak, first = _audit(tenants, concurrency, AUDIT_SECRET)
            child.stdin.write("count\n")
            child.stdin.flush()
            counts = json.loads(child.stdout.readline())
            per = (counts["http"] + counts["inner"]) / len(emulators)
            print(
                f"{concurrency:>11}  {wall:>7.1f}  {len(emulators) / wall:>9.1f}  "
                f"{counts['http']:>10}  {counts['inner']:>9}  {per:>10.1f}  "
                f"{counts['tokens']:>6}  {peak:>8.0f}  {code}  ({first})"
            )
        child.stdin.write("quit\n")
        child.stdin.flush()
        child.wait(timeout=120)


if __name__ == "__main__":
    main()
