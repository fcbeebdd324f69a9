"""Interactive sign-in through a browser: authorization code with PKCE and a loopback redirect.

Two ways, both through msal's public client (msal makes the PKCE verifier, ``state`` and
``nonce`` and checks the reply):

* ``interactive``: ``acquire_token_interactive`` opens the system browser (``$BROWSER``) and
  listens on ``http://localhost:<port>`` for the reply;
* ``in_app``: msal's auth-code-flow helpers, with the page completed over HTTP on the user's
  behalf (the demo, whose emulator CA no browser trusts).

``browser_available`` says whether a browser can open here at all (not in an SSH session
without a display), so sign-in falls back to device code on its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from bgwizard.errors import AuthError

if TYPE_CHECKING:
    import msal
    import requests

    from bgwizard.auth.identity import PageAnswers

_TIMEOUT_SENTENCE: Final = (
    "The browser sign-in was not finished (the browser was closed, the reply did not match "
    "this sign-in, or time ran out); try again."
)


def browser_available() -> bool:
    """Whether a web browser can be opened for the user on this machine.

    Returns:
        False in an SSH session without a display, on Linux without a display, or when Python
        knows no browser; True when ``$BROWSER`` names one.
    """
    if os.environ.get("BROWSER"):
        return True
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if (os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY")) and not display:
        return False
    if sys.platform.startswith("linux") and not display:
        return False
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def interactive(
    app: msal.PublicClientApplication,
    scopes: list[str],
    login_hint: str | None,
    timeout: float,
    port: int | None = None,
) -> dict[str, Any]:
    """Sign in through the system browser (blocking: call it from a thread).

    Args:
        app: the msal public client.
        scopes: the delegated scopes to ask for (explicit, never ``.default``).
        login_hint: the account expected, if any.
        timeout: seconds to wait for the browser's reply.
        port: the loopback port (None: any free one).

    Returns:
        msal's result dictionary.

    Raises:
        AuthError: the reply never came (browser closed, state mismatch, time out), or the
            loopback port is taken.
    """
    from msal.oauth2cli.oauth2 import BrowserInteractionTimeoutError

    try:
        result: dict[str, Any] = app.acquire_token_interactive(
            scopes,
            login_hint=login_hint,
            timeout=max(int(timeout), 1),
            port=port,
        )
    except BrowserInteractionTimeoutError:
        raise AuthError(_TIMEOUT_SENTENCE) from None
    except OSError as exc:
        where = f"localhost:{port}" if port else "localhost"
        raise AuthError(
            f"The port for the browser's reply ({where}) could not be opened ({exc.strerror}); "
            "close what uses it and try again."
        ) from None
    return result


def in_app(
    app: msal.PublicClientApplication,
    session: requests.Session,
    scopes: list[str],
    login_hint: str | None,
    answers: PageAnswers,
    complete: Callable[[requests.Session, str, PageAnswers], Any],
) -> dict[str, Any]:
    """Sign in by completing the sign-in page over HTTP (blocking; the demo's way).

    Args:
        app: the msal public client.
        session: HTTP session trusting the emulator's CA.
        scopes: the delegated scopes to ask for.
        login_hint: the account expected, if any.
        answers: username, password and the consent choice.
        complete: walks the pages and returns the reply (``bgwizard.auth.signin_page.complete``).

    Returns:
        msal's result dictionary.

    Raises:
        AuthError: the page refused, or the reply did not match this sign-in.
    """
    flow = app.initiate_auth_code_flow(
        scopes, redirect_uri="http://localhost", login_hint=login_hint, response_mode="form_post"
    )
    reply = complete(session, str(flow["auth_uri"]), answers)
    try:
        result: dict[str, Any] = app.acquire_token_by_auth_code_flow(flow, reply.fields)
    except ValueError:
        raise AuthError(
            "The sign-in reply did not belong to this sign-in (state mismatch); try again."
        ) from None
    return result
