"""TLS and HTTP session plumbing shared by the msal and Graph services.

Both libraries must trust exactly the CA the profile names (the emulator's throw-away CA)
or, for the real cloud, the default trust store. Environment variables such as
``REQUESTS_CA_BUNDLE`` silently override ``verify=`` in requests, so sessions here ignore
the environment (``trust_env = False``).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bgwizard.errors import ProfileError
from bgwizard.profile.model import Profile

if TYPE_CHECKING:
    import requests


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
    return session


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
