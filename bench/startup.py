"""Start-up benchmark: process start → first interactive frame of the home screen, and RSS.

Runs the real ``bgwizard.tui.app`` (with in-memory stand-ins for the services, so no network or
emulator is involved) and a bare Textual "hello" app, each N times in a fresh interpreter, and
prints the medians side by side, the modules only one side had loaded, and the ratio of the
medians (issue 12's target: at most 1.2×). The clock starts in the parent just before the child
process is spawned, so interpreter start-up and every import are included; it stops when the
child reports Textual's ``Ready`` event (sent once the first frame has been displayed).

By default each child runs under a pseudo-terminal (a real ``LinuxDriver`` writing real escape
sequences, 100×32); ``--headless`` uses Textual's headless driver instead.

Bytecode: an installed app runs from cached ``.pyc`` files, but this environment may set
``PYTHONDONTWRITEBYTECODE`` (then every start compiles ~300 modules from source, ~0.5 s).
The children therefore get a bytecode cache of their own (``PYTHONPYCACHEPREFIX`` in the temp
dir, filled by an uncounted first run; nothing is written into the tree or ``.venv``).
``--no-bytecode-cache`` measures the compile-everything case instead.

Usage: ``python bench/startup.py [--runs 7] [--headless] [--no-bytecode-cache]``
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from typing import Any, cast

TARGET_SECONDS = 0.6
TARGET_RATIO = 1.2
"""Issue 12: bgwizard's start-up to first frame at most 1.2× a bare Textual app's."""
COLUMNS, LINES = 100, 32


# -- child side ------------------------------------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _report(fd: int, app: Any, started: float) -> None:
    data = {
        "screen": type(app.screen).__name__,
        "in_process": time.perf_counter() - started,
        "cpu": time.process_time(),
        "rss_kib": _rss_kib(),
        "modules": len(sys.modules),
        "module_names": sorted(sys.modules),
    }
    os.write(fd, (json.dumps(data) + "\n").encode())


def _bgwizard_app(fd: int, started: float) -> Any:
    from bgwizard.auth.identity import DeviceCodePrompt, SignedInIdentity, TenantInfo
    from bgwizard.profile.model import Profile
    from bgwizard.tui.app import BgWizardApp

    class Auth:
        identity: SignedInIdentity | None = None

        async def start_device_code(self, login_hint: str | None = None) -> DeviceCodePrompt:
            raise NotImplementedError

        async def finish_device_code(self, prompt: DeviceCodePrompt) -> SignedInIdentity:
            raise NotImplementedError

        def cancel(self, prompt: DeviceCodePrompt) -> None:
            return None

    class Directory:
        async def warm_up(self) -> None:
            return None

        async def tenant_info(self) -> TenantInfo:
            return TenantInfo("t", "Contoso", "contoso.onmicrosoft.com")

    class Store:
        def load(self) -> Profile:
            return Profile()

        def save(self, profile: Profile) -> None:
            return None

    class Probe(BgWizardApp):
        def on_ready(self) -> None:
            _report(fd, self, started)
            self.exit()

    class Bundle:
        """Only the ports the home screen touches; the rest are never reached."""

        def __init__(self) -> None:
            self.auth, self.directory, self.profiles = Auth(), Directory(), Store()
            self.demo = None

    return Probe(cast(Any, Bundle()), Profile(tenant_name="Contoso"))


def _hello_app(fd: int, started: float) -> Any:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Hello(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("Hello, world")
            yield Footer()

        def on_ready(self) -> None:
            _report(fd, self, started)
            self.exit()

    return Hello()


def child(which: str, fd: int, headless: bool) -> None:
    """Build and run one app; report at its first frame, then exit."""
    started = time.perf_counter()
    app = _bgwizard_app(fd, started) if which == "bgwizard" else _hello_app(fd, started)
    app.run(headless=headless, size=(COLUMNS, LINES) if headless else None)


# -- parent side -----------------------------------------------------------------------------


def _drain(master: int) -> None:
    try:
        while os.read(master, 65536):
            pass
    except OSError:
        pass


PYCACHE = os.path.join(tempfile.gettempdir(), "bgwizard-bench-pycache")


def child_env(bytecode_cache: bool) -> dict[str, str]:
    """The environment of a measured child."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = PYCACHE
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = os.path.join(PYCACHE, "never-filled")
    return env


def run_once(which: str, headless: bool, env: dict[str, str]) -> dict[str, Any]:
    """One child process; returns its report plus the wall time seen from outside."""
    read_end, write_end = os.pipe()
    cmd = [sys.executable, __file__, "--child", which, "--fd", str(write_end)]
    master = slave = -1
    if headless:
        cmd.append("--headless")
        io: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL}
    else:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        io = {"stdin": slave, "stdout": slave, "stderr": slave}
        threading.Thread(target=_drain, args=(master,), daemon=True).start()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, pass_fds=(write_end,), **io)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        line = reader.readline()
    wall = time.perf_counter() - start
    proc.wait(timeout=30)
    if slave >= 0:
        os.close(slave)
    if not line:
        raise SystemExit(f"the {which} child exited without reaching its first frame")
    return {**json.loads(line), "wall": wall}


def summarise(results: list[dict[str, Any]]) -> dict[str, float | str]:
    """Median wall time, in-process time and RSS of several runs."""
    return {
        "screen": results[0]["screen"],
        "wall": statistics.median(r["wall"] for r in results),
        "wall_min": min(r["wall"] for r in results),
        "in_process": statistics.median(r["in_process"] for r in results),
        "cpu": statistics.median(r["cpu"] for r in results),
        "rss_mib": statistics.median(r["rss_kib"] for r in results) / 1024,
        "modules": statistics.median(r["modules"] for r in results),
        "module_names": " ".join(results[0]["module_names"]),
    }


def measure(runs: int, headless: bool, env: dict[str, str]) -> dict[str, dict[str, float | str]]:
    """Both apps, interleaved so that they share the machine's load, after one warm-up each."""
    names = ("bgwizard", "hello")
    for name in names:
        run_once(name, headless, env)  # fills the page and bytecode caches; not counted
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(runs):
        for name in names:
            results[name].append(run_once(name, headless, env))
    return {name: summarise(results[name]) for name in names}


def main() -> None:
    """Parse arguments; run as parent (default) or as a measured child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--headless", action="store_true", help="Textual headless driver")
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="compile every module at every start"
    )
    parser.add_argument("--child", choices=["bgwizard", "hello"], help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.fd, args.headless)
        return
    mode = "Textual headless driver" if args.headless else f"pseudo-terminal {COLUMNS}x{LINES}"
    cache = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached"
    print(f"start-up to first frame, median of {args.runs} runs, {mode}, {cache}, ", end="")
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    env = child_env(not args.no_bytecode_cache)
    measured = measure(args.runs, args.headless, env)
    app, hello = measured["bgwizard"], measured["hello"]
    print(f"{'':24}{'bgwizard':>12}{'hello':>12}{'ratio':>8}")
    for key, label, unit in (
        ("wall", "process start → frame", "s"),
        ("wall_min", "  fastest run", "s"),
        ("in_process", "app start → frame", "s"),
        ("cpu", "CPU time to frame", "s"),
        ("rss_mib", "resident memory", "MiB"),
        ("modules", "modules loaded", ""),
    ):
        a, h = float(app[key]), float(hello[key])
        digits = 3 if unit else 0
        print(f"{label:24}{a:>10.{digits}f}{unit:<2}{h:>10.{digits}f}{unit:<2}{a / h:>8.2f}")
    print(module_difference(str(app["module_names"]), str(hello["module_names"])))
    verdict = "meets" if float(app["wall"]) <= TARGET_SECONDS else "MISSES"
    print(f"first screen: {app['screen']}; target ≤ {TARGET_SECONDS} s: {verdict}")
    ratio = float(app["wall"]) / float(hello["wall"])
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(
        f"ratio bgwizard / hello (median process start → frame): {float(app['wall']):.3f} s / "
        f"{float(hello['wall']):.3f} s = {ratio:.2f}×; target ≤ {TARGET_RATIO}×: {verdict}"
    )


def module_difference(app: str, hello: str) -> str:
    """One line: the modules only one side had loaded at its first frame (space-separated)."""
    mine, theirs = set(app.split()), set(hello.split())
    only_app = " ".join(sorted(mine - theirs)) or "none"
    only_hello = " ".join(sorted(theirs - mine)) or "none"
    return (
        f"modules loaded: bgwizard {len(mine)}, hello {len(theirs)}; "
        f"bgwizard only ({len(mine - theirs)}): {only_app}; "
        f"hello only ({len(theirs - mine)}): {only_hello}"
    )


if __name__ == "__main__":
    main()
