"""Turn msal's error dictionaries and transport exceptions into bgwizard errors.

msal reports failures as ``{"error": ..., "error_description": "AADSTS50126: ...",
"error_codes": [50126]}``; people need one sentence that says what went wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from bgwizard.auth.http import host_of
from bgwizard.errors import AuthError, BgWizardError, NetworkDown

T = TypeVar("T")

_AADSTS: Final = re.compile(r"AADSTS(\d+)")
BLOCKED_BY_CA: Final = 53003
DEVICE_CODE_BLOCKED: Final = (
    "Conditional Access blocked this device code sign-in (many tenants block device code); "
    "sign in through the browser instead."
)

#: Entra's AADSTS codes people meet with break glass accounts, as one sentence each.
AADSTS_SENTENCES: Final[Mapping[int, str]] = {
    50126: "Sign-in failed: the password was wrong.",
    50034: "Sign-in failed: the account does not exist in this tenant.",
    50053: "Sign-in failed: the account is locked after too many wrong passwords.",
    50057: "Sign-in failed: the account is disabled.",
    50055: "Sign-in failed: the password has expired.",
    53003: "Sign-in failed: a Conditional Access policy blocked it.",
    50076: "Sign-in failed: multi-factor authentication is required.",
    50079: "Sign-in failed: multi-factor authentication must be registered first.",
    65001: "bgwizard needs permissions not granted yet; sign in again to consent to them.",
    65004: "Sign-in stopped: the permissions bgwizard asks for were not accepted.",
    90094: "Sign-in stopped: an administrator must grant bgwizard's permissions first.",
    50058: "Sign-in was cancelled in the browser.",
    50011: "Sign-in failed: the reply address is not registered on the application.",
    501481: "Sign-in failed: the sign-in reply did not match this sign-in (PKCE check).",
    7000215: "App-only sign-in failed: the client secret was wrong.",
    700027: "App-only sign-in failed: the certificate is not registered on the application.",
    700023: "App-only sign-in failed: the certificate is not registered on the application.",
    700016: "Sign-in failed: the application id is not registered in this tenant.",
    90002: "Sign-in failed: the tenant was not found.",
    90023: "Sign-in failed: the tenant was not found.",
}

#: OAuth error codes (RFC 6749 / 8628) as one sentence each.
OAUTH_SENTENCES: Final[Mapping[str, str]] = {
    "authorization_declined": "Sign-in was declined in the browser.",
    "access_denied": "Sign-in was refused.",
    "expired_token": "The sign-in code expired before it was used; start again.",
    "code_expired": "The sign-in code expired before it was used; start again.",
    "authorization_pending": "The sign-in code expired before it was used; start again.",
    "bad_verification_code": "The sign-in code was not recognised; start again.",
    "invalid_client": "App-only sign-in failed: the client secret or certificate was refused.",
    "unauthorized_client": "Sign-in failed: the application may not use this sign-in flow.",
    "invalid_scope": "Sign-in failed: Microsoft Graph access was not granted to the application.",
    "consent_required": "Sign-in failed: an administrator must consent to the application first.",
    "interaction_required": "Your sign-in has expired; sign in again.",
}


def aadsts_codes(result: Mapping[str, Any]) -> list[int]:
    """The AADSTS error codes in an msal result (``error_codes`` or the description).

    Args:
        result: the dictionary msal returned.

    Returns:
        The codes, in the order given; empty when there are none.
    """
    codes = [int(c) for c in result.get("error_codes") or [] if str(c).isdigit()]
    description = str(result.get("error_description") or "")
    codes.extend(int(m) for m in _AADSTS.findall(description) if int(m) not in codes)
    return codes


def _first_sentence(description: str) -> str:
    text = _AADSTS.sub("", description).lstrip(": ").strip()
    for stop in ("\r", "\n", " Trace ID:", " Correlation ID:"):
        text = text.split(stop, 1)[0]
    text = text.strip().rstrip(".")
    return text


def describe_failure(result: Mapping[str, Any]) -> str:
    """One sentence for a failed msal result.

    Args:
        result: the dictionary msal returned (with ``error``).

    Returns:
        A sentence ending in a full stop.
    """
    for code in aadsts_codes(result):
        if code in AADSTS_SENTENCES:
            return AADSTS_SENTENCES[code]
    raw_error = result.get("error")
    if isinstance(raw_error, Mapping):  # a Graph-style ``{"error": {"code", "message"}}`` body
        answered = _first_sentence(str(raw_error.get("code") or "an error"))
        message = _first_sentence(str(raw_error.get("message") or ""))
        return f"Sign-in failed: the sign-in service answered {answered}" + (
            f" ({message})." if message else "."
        )
    error = _first_sentence(str(raw_error or ""))
    if error in OAUTH_SENTENCES:
        return OAUTH_SENTENCES[error]
    detail = _first_sentence(str(result.get("error_description") or "")) or error or "no reason"
    return f"Sign-in failed: {detail}."


def auth_error(result: Mapping[str, Any]) -> AuthError:
    """An ``AuthError`` for a failed msal result.

    Args:
        result: the dictionary msal returned (with ``error``).

    Returns:
        The error, ready to raise.
    """
    return AuthError(describe_failure(result))


def _http_status(text: str) -> str:
    match = re.search(r"\b([45]\d\d)\b", text)
    return f" (HTTP {match.group(1)})" if match else ""


def call_msal(url: str, fn: Callable[[], T]) -> T:
    """Run a blocking msal call, turning transport failures into bgwizard errors.

    Args:
        url: the authority, for the message.
        fn: the call.

    Returns:
        Whatever ``fn`` returns.

    Raises:
        NetworkDown: the sign-in service could not be reached or its certificate is not trusted.
        AuthError: the authority's OpenID configuration could not be had (unknown tenant).
    """
    import requests
    from msal.exceptions import MsalError, MsalServiceError

    host = host_of(url)
    try:
        return fn()
    except BgWizardError:
        raise
    except MsalServiceError as exc:  # a 5xx that outlasted the retries (``auth.http``)
        status = _http_status(str(exc))
        raise NetworkDown(
            f"The sign-in service at {host} is unavailable{status} even after retrying; "
            "try again later."
        ) from None
    except MsalError as exc:
        raise AuthError(
            f"The sign-in service at {host} refused the request ({type(exc).__name__})."
        ) from None
    except json.JSONDecodeError:
        raise NetworkDown(
            f"The sign-in service at {host} answered with something that is not JSON; "
            "try again later."
        ) from None
    except requests.exceptions.SSLError as exc:
        raise NetworkDown(
            f"Could not reach the sign-in service at {host}: its TLS certificate is not trusted."
        ) from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise NetworkDown(f"Could not reach the sign-in service at {host}.") from exc
    except (requests.exceptions.RequestException, RuntimeError) as exc:
        raise NetworkDown(f"The sign-in service at {host} did not answer properly.") from exc
    except ValueError as exc:
        raise AuthError(
            f"The sign-in service at {host} does not know this tenant; "
            "check the tenant id and the authority URL."
        ) from exc
