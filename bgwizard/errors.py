"""bgwizard's own errors: every service raises these, never an SDK exception.

Each error's ``str()`` is one clear sentence a user can act on; screens show it with
``notify(severity="error")`` and the CLI prints it and exits non-zero.
"""

from __future__ import annotations


class BgWizardError(Exception):
    """Base of every error bgwizard shows to a user."""


class ProfileError(BgWizardError):
    """The profile file is missing, unreadable or not valid; it was left untouched."""


class AuthError(BgWizardError):
    """A sign-in failed or was refused (wrong password, expired code, consent missing)."""


class SignInCancelled(AuthError):
    """The user cancelled a sign-in before it completed."""


class GraphError(BgWizardError):
    """Microsoft Graph answered with an error that is not one of the more specific ones."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class PermissionMissing(GraphError):
    """The signed-in identity lacks a role or permission the operation needs."""

    def __init__(self, operation: str, permission: str, detail: str = "") -> None:
        said = f" (Graph said: {detail.strip().rstrip('.')})" if detail.strip() else ""
        super().__init__(
            f"Permission missing: {operation} needs {permission}{said}.",
            status=403,
            code="Forbidden",
        )
        self.operation = operation
        self.permission = permission
        self.detail = detail
        """The server's own message, if it gave one."""


class NotFound(GraphError):
    """The object asked for does not exist."""


class Throttled(GraphError):
    """Graph kept answering 429/503 after the retries; try again later."""


class NetworkDown(BgWizardError):
    """The tenant (or the emulator) could not be reached at all."""
