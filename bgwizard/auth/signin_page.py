"""Completing the emulator's interactive sign-in page over HTTP, as a person would in a browser.

A browser would not trust the emulator's throw-away CA, so the demo signs in "in the app": it
fetches the same ``/authorize`` page msal built (PKCE, ``state``, ``nonce``), posts the
username and password, approves the emulated Authenticator push when asked, answers the consent
page, and reads the reply the page would post back to the app. The tests' ``BROWSER`` script
does the same and then posts that reply to msal's loopback server.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from bgwizard.auth.identity import PageAnswers
from bgwizard.errors import AuthError

if TYPE_CHECKING:
    import requests

_HIDDEN: Final = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_ACTION: Final = re.compile(r'<form method="post" action="([^"]+)" id="reply">')
_MESSAGE: Final = re.compile(r'<p class="msg">(.*?)</p>', re.S)


@dataclass(frozen=True)
class Reply:
    """The page's answer for the app: where it posts, and the fields (code/state or error)."""

    redirect_uri: str
    fields: dict[str, str]


def complete(session: requests.Session, auth_uri: str, answers: PageAnswers) -> Reply:
    """Walk the emulator's pages for ``auth_uri`` and return the reply for the app.

    Args:
        session: a session that trusts the emulator's CA.
        auth_uri: the ``/authorize`` URL msal built (``response_mode=form_post``).
        answers: what to type and choose.

    Returns:
        The redirect URI and the fields the page would post there.

    Raises:
        AuthError: the page refused (wrong password, wrong account…): its message, one sentence.
    """
    page = _text(session.get(auth_uri, timeout=30))
    for _ in range(6):
        if _ACTION.search(page):
            return _reply(page)
        fields = dict(_HIDDEN.findall(page))
        step = fields.get("step")
        if step == "login":
            form = {**fields, "username": answers.username, "password": answers.password}
        elif step == "mfa" and answers.second_factor:
            form = fields
        elif step == "consent":
            form = {**fields, "answer": answers.consent}
            if answers.for_tenant:
                form["for_tenant"] = "yes"
        else:
            raise AuthError(_message(page) or "The sign-in page asked for something unexpected.")
        action = auth_uri.split("?", 1)[0]
        before = page
        page = _text(session.post(action, data=form, timeout=30))
        if step == "login" and _HIDDEN.findall(page) == _HIDDEN.findall(before):
            raise AuthError(_message(page) or "The sign-in page refused the password.")
    raise AuthError("The sign-in page did not finish.")


def _text(response: requests.Response) -> str:
    if response.status_code >= 400:
        raise AuthError(_message(response.text) or "The sign-in page refused the request.")
    return response.text


def _reply(page: str) -> Reply:
    match = _ACTION.search(page)
    assert match is not None
    fields = {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(page)}
    return Reply(html.unescape(match.group(1)), fields)


def _message(page: str) -> str:
    found = _MESSAGE.search(page)
    return html.unescape(found.group(1)).strip() if found else ""
