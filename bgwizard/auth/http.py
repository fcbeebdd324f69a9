"""TLS and HTTP session plumbing shared by the msal and Graph services.

Both libraries must trust exactly the CA the profile names (the emulator's throw-away CA)
or, for the real cloud, the default trust store. Environment variables such as
``REQUESTS_CA_BUNDLE`` silently override ``verify=`` in requests, so sessions here ignore
the environment (``trust_env = False``).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from bgwizard.errors import ProfileError
from bgwizard.profile.model import Profile

if TYPE_CHECKING:
    import requests

RETRIES: Final = 3
"""How many times a throttled, failed or dropped sign-in request is tried again."""
MAX_WAIT: Final = 20.0
"""The longest wait before one retry, whatever ``Retry-After`` asks: 60 s in all."""
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


def ca_bundle_path(profile: Profile) -> Path | None:
    """The CA bundle the profile names, checked to exist.

    Args:
        profile: the profile.

    Returns:
        The path, or None when the profile trusts the default store.

    Raises:
        ProfileError: the profile names a CA bundle that is not there.
    """
    if not profile.ca_bundle:
        return None
    path = Path(profile.ca_bundle)
    if not path.is_file():
        raise ProfileError(f"The CA certificate file {path} named in the profile does not exist.")
    return path


def requests_session(profile: Profile) -> requests.Session:
    """A ``requests`` session for msal that trusts the profile's CA and ignores the environment.

    Args:
        profile: the profile.

    Returns:
        A new session.
    """
    import requests

    session = requests.Session()
    session.trust_env = False
    ca = ca_bundle_path(profile)
    session.verify = str(ca) if ca else True
    adapter = requests.adapters.HTTPAdapter(max_retries=transient_retry())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def transient_retry() -> Any:
    """urllib3's ``Retry`` for the sign-in service: throttling, outages and dropped connections.

    A 429 or 5xx answer, or a connection dropped before the answer, is tried again up to
    ``RETRIES`` times, after ``Retry-After`` when the service sends one (else 0.5 s, 1 s, 2 s),
    each wait capped at ``MAX_WAIT`` seconds: at most ``RETRIES * MAX_WAIT`` (60 s) in all.
    The last answer is handed to msal as it came, so its error still reaches the user.

    Returns:
        The ``Retry`` (``Any``: urllib3 is imported here, with the first session).
    """
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """``Retry`` whose every wait, ``Retry-After`` included, is at most ``MAX_WAIT``."""

        def get_retry_after(self, response: Any) -> float | None:
            value = super().get_retry_after(response)
            return None if value is None else min(value, MAX_WAIT)

        def get_backoff_time(self) -> float:
            return min(float(super().get_backoff_time()), MAX_WAIT)

    return CappedRetry(
        total=RETRIES,
        backoff_factor=0.5,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # the token POST too: a token request changes nothing
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def msal_options(profile: Profile) -> dict[str, Any]:
    """The keyword arguments every msal application of ``profile`` gets.

    Against the emulator (a private CA) msal must not ask the public cloud for instance
    discovery; its HTTP goes through ``requests_session`` so the environment's CA bundle
    variables cannot override the profile's CA.

    Args:
        profile: the profile.

    Returns:
        ``authority``, ``http_client`` and ``instance_discovery`` for msal.
    """
    offline = bool(profile.ca_bundle) or profile.demo
    return {
        "authority": profile.authority,
        "http_client": requests_session(profile),
        "instance_discovery": False if offline else None,
    }


def ssl_context(profile: Profile) -> ssl.SSLContext:
    """An SSL context for httpx trusting the profile's CA (or the system's).

    Args:
        profile: the profile.

    Returns:
        A client-side context with certificate and host name checks on.
    """
    ca = ca_bundle_path(profile)
    if ca is None:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=str(ca))


def host_of(url: str) -> str:
    """The ``host[:port]`` part of a URL, for error messages.

    Args:
        url: an absolute URL.

    Returns:
        The network location, or the URL itself when it has none.
    """
    return urlsplit(url).netloc or url
