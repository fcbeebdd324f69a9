"""The emulator's own errors: what its model of Entra ID and Microsoft Graph refuses.

The emulator stands in for Microsoft's service, so its errors are the server's, not the
client's. Most never leave the server thread: a handler turns them into an HTTP answer, and the
client learns of them only through that answer (as its own ``AuthError`` or ``GraphError``).
Two reach a person directly: ``TenantFileError`` when ``bgwizard demo --tenant`` or
``bgwizard-emulator`` is given a bad file, and ``KeySignInRefused`` when the demo approves a
sign-in with a security key in-process. That is why the tree hangs under ``BgWizardError``: the
CLI and the screens show both through their usual ``except BgWizardError``.

``HttpError`` (``bgwizard.emulator.http.core``) is not here: it is the HTTP layer's way to
answer at once with a ready ``Response``, control flow rather than an error.
"""

from __future__ import annotations

from bgwizard.errors import BgWizardError


class EmulatorError(BgWizardError):
    """The emulator refused a request or could not start."""


class TenantFileError(EmulatorError):
    """The tenant file is missing, not JSON, or not a valid tenant."""


class TokenError(EmulatorError):
    """A token or assertion is malformed or fails a check; the message says which."""


class ScopeError(EmulatorError):
    """A requested scope is not consented for the app; the message names it."""


class FilterError(EmulatorError):
    """The filter is malformed or uses a property the collection cannot filter on."""


class KeySignInRefused(EmulatorError):
    """The emulator refused a security key sign-in step; the message says why."""
