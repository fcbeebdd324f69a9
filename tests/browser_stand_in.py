"""A stand-in web browser for msal's interactive sign-in in tests (``$BROWSER``).

``tests/conftest.py`` sets ``BROWSER="<python> tests/browser_stand_in.py %s &"`` (Python's
``webbrowser`` runs it in the background with the ``/authorize`` URL). It completes the
emulator's sign-in page over HTTP, as a person would (``bgwizard.auth.signin_page``), and posts
the page's reply to msal's loopback server, so the loopback redirect, PKCE, ``state`` and the
token exchange all run for real.

What it types comes from the environment at the time msal opens the "browser":
``BGW_BROWSER_USER``, ``BGW_BROWSER_PASSWORD``, ``BGW_BROWSER_CA`` (the emulator's CA pem),
``BGW_BROWSER_CONSENT`` (``accept``/``decline``), ``BGW_BROWSER_FOR_TENANT`` (``1``),
``BGW_BROWSER_MODE`` (``close``: do nothing, as a closed browser; ``bad-state``: reply with
another ``state``), ``BGW_BROWSER_LOG`` (a file for what happened).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests

from bgwizard.auth.identity import PageAnswers
from bgwizard.auth.signin_page import complete
from bgwizard.errors import AuthError


def main(url: str) -> int:
    """Complete the sign-in at ``url`` and post the reply to the loopback redirect."""
    env = os.environ
    log = Path(env["BGW_BROWSER_LOG"]) if env.get("BGW_BROWSER_LOG") else None
    mode = env.get("BGW_BROWSER_MODE", "")
    if mode == "close" or not env.get("BGW_BROWSER_USER"):
        _note(log, "closed")
        return 0
    session = requests.Session()
    session.trust_env = False
    session.verify = env.get("BGW_BROWSER_CA") or True
    answers = PageAnswers(
        username=env["BGW_BROWSER_USER"],
        password=env.get("BGW_BROWSER_PASSWORD", ""),
        consent=env.get("BGW_BROWSER_CONSENT", "accept"),
        for_tenant=env.get("BGW_BROWSER_FOR_TENANT") == "1",
    )
    try:
        reply = complete(session, url, answers)
    except AuthError as exc:
        _note(log, f"page refused: {exc}")
        return 0
    fields = dict(reply.fields)
    if mode == "bad-state":
        fields["state"] = "not-the-state-msal-sent"
    requests.post(reply.redirect_uri, data=fields, timeout=30)
    _note(log, "replied " + ",".join(sorted(fields)))
    return 0


def _note(log: Path | None, text: str) -> None:
    if log is not None:
        with log.open("a", encoding="utf-8") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
