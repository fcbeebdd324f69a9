"""``bgwizard emulator`` (``bgwizard.emulator.cli.run``) as a real subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bgwizard.cli.main import main

COMMAND = [sys.executable, "-m", "bgwizard", "emulator"]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_prints_addresses_and_writes_the_pem(tmp_path: Path, stop_signal: int) -> None:
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [*COMMAND, "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert first.startswith("Emulator running at https://127.0.0.1:")
        base_url = first.split()[-1]
        assert "c0a8e5b2-4d1f-4e7a-9b3c-5f2d8a6e1b74" in second
        pem = state / "emulator-ca.pem"
        assert str(pem) in proc.stdout.readline()
        session = requests.Session()
        session.trust_env = False
        body = session.get(
            f"{base_url}/organizations/v2.0/.well-known/openid-configuration", verify=str(pem)
        ).json()
        assert body["token_endpoint"].startswith(base_url)
    finally:
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=10) == 0


def test_bad_tenant_file_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    tenant = tmp_path / "t.json"
    tenant.write_text(json.dumps({"tenant": {}}))
    result = subprocess.run(
        [*COMMAND, "--tenant", str(tenant)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "is not valid" in result.stderr and "Traceback" not in result.stderr


def test_bad_arguments_exit_2(capsys: object) -> None:
    assert main(["emulator", "--port", "99999"]) == 2
    assert main(["emulator", "--bogus"]) == 2
