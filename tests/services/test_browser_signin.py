"""Browser sign-in through msal's real interactive path (loopback redirect, PKCE, state, token
exchange), with ``$BROWSER`` pointing at ``tests/browser_stand_in.py``; and the in-app way the
demo uses. On the sample tenant as shipped: no grants, Conditional Access at sign-in."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_support import ADMIN, device_sign_in, profile_for

from bgwizard.auth.identity import PageAnswers
from bgwizard.auth.scopes import JOURNEYS, is_write, scopes_for
from bgwizard.auth.service import MsalAuthenticator
from bgwizard.emulator import Emulator
from bgwizard.errors import AuthError

GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"


@pytest.fixture
def shipped(tmp_path: Path) -> Iterator[Emulator]:
    """The sample tenant exactly as shipped."""
    with Emulator(state_dir=tmp_path / "emu") as emu:
        yield emu


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, shipped: Emulator, tmp_path: Path) -> Path:
    """What the stand-in browser types: the sample admin, consenting for the organisation."""
    log = tmp_path / "browser.log"
    monkeypatch.setenv("BGW_BROWSER_USER", ADMIN.upn)
    monkeypatch.setenv("BGW_BROWSER_PASSWORD", ADMIN.password)
    monkeypatch.setenv("BGW_BROWSER_CA", str(shipped.ca_pem_path))
    monkeypatch.setenv("BGW_BROWSER_FOR_TENANT", "1")
    monkeypatch.setenv("BGW_BROWSER_LOG", str(log))
    return log


async def test_browser_sign_in_asks_consent_for_exactly_the_audit_scopes(
    shipped: Emulator, browser: Path
) -> None:
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
    identity = await auth.sign_in_browser(timeout=30)
    assert identity.upn == ADMIN.upn
    assert set(identity.scopes) == set(scopes_for("audit"))
    granted = shipped.granted_scopes(GRAPH_CLI)
    assert granted == set(scopes_for("audit"))
    assert not [s for s in granted if is_write(s)]  # the audit never asked for a write scope
    assert "replied code,state" in browser.read_text()


async def test_a_later_journey_asks_only_for_what_it_adds(shipped: Emulator, browser: Path) -> None:
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
    await auth.sign_in_browser(timeout=30)
    auth.use_scopes(scopes_for("rotation"))
    with pytest.raises(AuthError, match="sign in again to consent"):
        auth.token()
    before = shipped.granted_scopes(GRAPH_CLI)
    await auth.sign_in_browser(timeout=30)
    added = shipped.granted_scopes(GRAPH_CLI) - before
    assert added == set(scopes_for("rotation")) - set(scopes_for("audit"))
    token, _ = auth.token()
    assert token


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
async def test_first_run_of_each_journey_consents_to_exactly_its_scopes(
    shipped: Emulator, journey: str
) -> None:
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for(journey))
    answers = PageAnswers(ADMIN.upn, ADMIN.password, for_tenant=True)
    identity = await auth.sign_in_in_app(answers)
    assert set(identity.scopes) == set(scopes_for(journey))
    assert shipped.granted_scopes(GRAPH_CLI) == set(scopes_for(journey))


async def test_refused_consent_is_one_sentence_and_saves_nothing(
    shipped: Emulator, browser: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BGW_BROWSER_CONSENT", "decline")
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
    with pytest.raises(AuthError, match=r"^Sign-in stopped: the permissions bgwizard asks for"):
        await auth.sign_in_browser(timeout=30)
    assert auth.identity is None
    assert shipped.granted_scopes(GRAPH_CLI) == set()


@pytest.mark.parametrize("mode", ["close", "bad-state"])
async def test_closed_browser_or_state_mismatch_is_one_sentence(
    shipped: Emulator, browser: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("BGW_BROWSER_MODE", mode)
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
    with pytest.raises(AuthError, match=r"^The browser sign-in was not finished .*try again\.$"):
        await auth.sign_in_browser(timeout=3)
    assert auth.identity is None


async def test_loopback_port_taken_is_one_sentence(shipped: Emulator, browser: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("localhost", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
        with pytest.raises(AuthError, match=rf"localhost:{port}.*try again\.$"):
            await auth.sign_in_browser(timeout=3, port=port)


async def test_device_code_refused_by_the_tenant_says_so_and_offers_the_browser(
    shipped: Emulator,
) -> None:
    shipped.grant_consent(GRAPH_CLI, list(scopes_for("audit")))
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
    prompt = await auth.start_device_code()
    refused = shipped.devices.approve(prompt.user_code, ADMIN.upn, ADMIN.password)
    assert refused is not None and "AADSTS53003" in refused  # the page says so too
    with pytest.raises(
        AuthError, match=r"^Conditional Access blocked this device code sign-in.*browser instead\.$"
    ):
        await auth.finish_device_code(prompt)
    assert auth.identity is None


async def test_device_code_works_for_an_account_ca004_excludes(shipped: Emulator) -> None:
    shipped.grant_consent(GRAPH_CLI, list(scopes_for("audit")))
    break_glass_group = "2802b872-ccfb-4b29-a9a9-459808dfb11b"
    shipped.state.members[break_glass_group].append(ADMIN.id)
    auth = MsalAuthenticator(profile_for(shipped), scopes=scopes_for("audit"))
    await device_sign_in(auth, shipped, ADMIN)
    assert auth.identity is not None and auth.identity.upn == ADMIN.upn
