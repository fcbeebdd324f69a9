"""At start, bgwizard forbids core dumps: no core file can hold a password (issue 13, §2)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import json, resource
    from bgwizard.cli.main import main
    from bgwizard.hardening import dumpable
    before = [resource.getrlimit(resource.RLIMIT_CORE), dumpable()]
    code = main(["--version"])
    after = [resource.getrlimit(resource.RLIMIT_CORE), dumpable()]
    print(json.dumps([before, after, code]))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_main_sets_core_limit_zero_and_not_dumpable() -> None:
    """A fresh interpreter starts dumpable (so the probe can see a change); ``main`` ends it."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)  # fmt: skip
    before, after, code = json.loads(done.stdout.splitlines()[-1])
    assert before[1] == 1
    assert after == [[0, 0], 0] and code == 0
