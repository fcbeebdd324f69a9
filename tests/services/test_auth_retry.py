"""Issue 13 §5: a throttled, failing or dropped sign-in service is retried, then one sentence.

On main a single 429 or 503 from the token endpoint ended the audit with exit 2 and no retry,
a 503 from the token or OpenID endpoint escaped as ``MsalServiceError`` (a traceback, exit 1),
and a Graph-style error body was printed as a raw Python dict. Faults come from the emulator
(``Fault``), through the real msal over HTTPS.
"""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from service_support import AUDIT_APP, profile_for

from bgwizard.auth.app_only import AppOnlyAuthenticator
from bgwizard.auth.http import MAX_WAIT, RETRIES, transient_retry
from bgwizard.cli.main import main
from bgwizard.emulator import Emulator
from bgwizard.emulator.http.faults import Fault
from bgwizard.errors import BgWizardError, NetworkDown
from bgwizard.profile.store import TomlProfileStore

TOKEN = r"/oauth2/v2\.0/token$"
DISCOVERY = r"openid-configuration$"


def _app(emu: Emulator) -> AppOnlyAuthenticator:
    return AppOnlyAuthenticator(profile_for(emu), AUDIT_APP["appId"], secret=AUDIT_APP["secret"])


@pytest.mark.parametrize("kind", ["429", "503", "drop"])
async def test_one_transient_token_failure_is_retried(fresh_emu: Emulator, kind: str) -> None:
    fresh_emu.add_fault(Fault("POST", TOKEN, kind=kind, count=1, retry_after=1))
    start = time.monotonic()
    identity = await _app(fresh_emu).sign_in()
    assert identity.app_only
    if kind != "drop":
        assert time.monotonic() - start >= 0.9  # Retry-After: 1 was honoured


async def test_a_dropped_discovery_is_retried(fresh_emu: Emulator) -> None:
    fresh_emu.add_fault(Fault("GET", DISCOVERY, kind="503", count=2, retry_after=0))
    assert (await _app(fresh_emu).sign_in()).app_only


@pytest.mark.parametrize(
    ("path", "kind"), [(TOKEN, "503"), (DISCOVERY, "503"), (TOKEN, "429"), (TOKEN, "403")]
)
async def test_a_lasting_outage_is_one_sentence(fresh_emu: Emulator, path: str, kind: str) -> None:
    fresh_emu.add_fault(Fault("*", path, kind=kind, count=50, retry_after=0))
    with pytest.raises(BgWizardError) as info:
        await _app(fresh_emu).sign_in()
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    assert "{" not in message and "MsalServiceError" not in message
    if kind == "503":
        assert isinstance(info.value, NetworkDown) and "unavailable" in message


def test_retry_after_is_capped_and_the_total_wait_is_at_most_60_seconds() -> None:
    class Answer:
        def __init__(self) -> None:
            self.headers = {"Retry-After": "3600"}

        def getheader(self, name: str) -> str | None:
            return self.headers.get(name)

    retry = transient_retry()
    assert retry.get_retry_after(Answer()) == MAX_WAIT
    assert RETRIES * MAX_WAIT <= 60
    assert retry.total == RETRIES and 429 in retry.status_forcelist


def test_the_audit_exits_2_incomplete_when_the_token_endpoint_is_down(
    fresh_emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_emu.add_fault(Fault("*", TOKEN, kind="503", count=50, retry_after=0))
    profile_path = tmp_path / "profile.toml"
    TomlProfileStore(profile_path).save(profile_for(fresh_emu))
    monkeypatch.setenv("BG_AUDIT_SECRET", str(AUDIT_APP["secret"]))
    out, err = io.StringIO(), io.StringIO()
    argv = ["audit", "--profile", str(profile_path), "--format", "json"]
    argv += ["--client-id", str(AUDIT_APP["appId"]), "--secret-env", "BG_AUDIT_SECRET"]
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    assert code == 2
    assert json.loads(out.getvalue())["result"] == "incomplete"
    assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()
    assert "unavailable" in err.getvalue()
