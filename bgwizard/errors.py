"""bgwizard's own errors, all in one tree under ``BgWizardError``.

Every service raises these, never an SDK exception. Each error's ``str()`` is one clear
sentence a user can act on; screens show it with ``notify(severity="error")`` and the CLI
prints it and exits non-zero. A class's docstring summary is that sentence in general terms:
it is what ``str()`` gives when an error is raised without a message of its own.

The classes are grouped by the feature that raises them. The emulator, a model of
Microsoft's service rather than part of the client, keeps its own small tree in
``bgwizard.emulator.errors``.

This module imports nothing from bgwizard, so every package can import it without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path


class BgWizardError(Exception):
    """bgwizard could not finish the operation.

    The base of every error bgwizard shows to a user.
    """

    def __str__(self) -> str:
        # A bare ``raise SomeError()`` still shows the user one sentence, never an empty line.
        return super().__str__() or summary(type(self))


def summary(cls: type[BaseException]) -> str:
    """The first line of a class's docstring: its one-sentence, user-facing message.

    Args:
        cls: an error class.

    Returns:
        The sentence, or the class name when the class has no docstring.
    """
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else cls.__name__


# -- profile -----------------------------------------------------------------------------------


class ProfileError(BgWizardError):
    """The profile file is missing, unreadable or not valid; it was left untouched."""


class TenantsFileError(BgWizardError):
    """The ``--tenants`` file of a many-tenant audit is not valid (line and key named)."""


# -- sign-in (auth) ----------------------------------------------------------------------------


class AuthError(BgWizardError):
    """A sign-in failed or was refused (wrong password, expired code, consent missing)."""


class SignInCancelled(AuthError):
    """The user cancelled a sign-in before it completed."""


# -- Microsoft Graph (graph) -------------------------------------------------------------------


class GraphError(BgWizardError):
    """Microsoft Graph answered with an error that is not one of the more specific ones."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        """Keep the HTTP status and Graph error code next to the message.

        Args:
            message: one sentence for the user.
            status: the HTTP status Graph answered with, when there was one.
            code: Graph's ``error.code``, when there was one.
        """
        super().__init__(message)
        self.status = status
        self.code = code


class PermissionMissing(GraphError):
    """The signed-in identity lacks a role or permission the operation needs."""

    def __init__(self, operation: str, permission: str, detail: str = "", role: str = "") -> None:
        """Name the operation, the permission and the directory role it needs.

        Args:
            operation: what bgwizard tried to do.
            permission: the least-privileged Graph permission that allows it (Microsoft's
                table), e.g. ``Policy.Read.All and Policy.ReadWrite.ConditionalAccess``.
            detail: the server's own message, if it gave one.
            role: the directory role(s) a signed-in user needs (``X or Y``); '' when none.
        """
        said = f" (Graph said: {detail.strip().rstrip('.')})" if detail.strip() else ""
        roles = f" and the role {role}" if role else ""
        super().__init__(
            f"Permission missing: {operation} needs the permission {permission}{roles}{said}.",
            status=403,
            code="Forbidden",
        )
        self.operation = operation
        self.permission = permission
        self.role = role
        """The directory role(s) a signed-in user needs; '' when none is documented."""
        self.detail = detail
        """The server's own message, if it gave one."""


class LicenceMissing(GraphError):
    """The tenant's Entra ID licence does not include the feature (sign-in logs, PIM)."""

    def __init__(self, operation: str, licence: str, code: str = "") -> None:
        """Name the operation and the licence it needs.

        Args:
            operation: what bgwizard tried to do.
            licence: ``Entra ID P1`` or ``Entra ID P2``.
            code: Graph's error code.
        """
        super().__init__(
            f"Not available in this tenant: {operation} needs {licence}, which the tenant "
            "does not have.",
            status=403,
            code=code or None,
        )
        self.operation = operation
        self.licence = licence
        """``Entra ID P1`` or ``Entra ID P2``."""


class NotFound(GraphError):
    """The object asked for does not exist."""


class Throttled(GraphError):
    """Graph kept answering 429/503 after the retries; try again later."""


class NetworkDown(BgWizardError):
    """The tenant (or the emulator) could not be reached at all."""


# -- audit -------------------------------------------------------------------------------------


class PolicyFileError(BgWizardError):
    """An exported policy or group file cannot be read."""


# -- set-up (setup) ----------------------------------------------------------------------------


class SetupError(BgWizardError):
    """A set-up step could not be completed; the message says what to do."""


class CaStepError(BgWizardError):
    """The Conditional Access step could not be completed or restored."""


class ExclusionError(BgWizardError):
    """The protected exclusion group (or its restricted unit) could not be set up as asked."""


class BackupError(BgWizardError):
    """A Conditional Access backup document cannot be restored."""


# -- rotation ----------------------------------------------------------------------------------


class RotationError(BgWizardError):
    """A rotation step could not be done; the message says what to do."""


# -- signed drill log (ledger) -----------------------------------------------------------------


class LedgerError(BgWizardError):
    """A log entry, or a value meant for one, is invalid."""


class LogError(BgWizardError):
    """The drill log cannot be read or written."""


class _FailedCheck(Protocol):
    """What ``LogRefused`` says of a failed check (``bgwizard.ledger.chain.Verification``).

    A Protocol, so this module needs no import from the ledger package.
    """

    @property
    def first_bad(self) -> int | None:
        """Number of the first entry that failed."""
        ...

    @property
    def reason(self) -> str:
        """Why it failed, one sentence."""
        ...


class LogRefused(LogError):
    """The log does not verify, so nothing is appended to it."""

    def __init__(self, path: Path, result: _FailedCheck) -> None:
        """Say which entry fails and how to go on.

        Args:
            path: the drill log.
            result: the failed verification of that log.
        """
        super().__init__(
            f"Refusing to append to {path}: entry {result.first_bad} fails ({result.reason}); "
            "keep that file as evidence and start a new log linked to it "
            "(Drill screen: 'Start a new linked log')."
        )
        self.result = result


class SignerNotTrusted(LogError):
    """The key asked to sign is not a trusted signer of the log (pinned, added, not retired)."""


class SignerKeyError(BgWizardError):
    """The signing key cannot be created, read or unlocked."""


# -- passkeys ----------------------------------------------------------------------------------


class PasskeyError(BgWizardError):
    """A passkey registration cannot go on; ``reason`` is a short code for it."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        """Keep a short machine-readable reason next to the sentence.

        Args:
            message: one sentence for the user.
            reason: a short code (``encoding``, ``challenge``, ``signature``…).
        """
        super().__init__(message)
        self.reason = reason


class KeyDeviceError(BgWizardError):
    """The security key refused or failed an operation (wrong PIN, timeout, unplugged)."""


# -- monitoring --------------------------------------------------------------------------------


class MonitoringError(BgWizardError):
    """The accounts given cannot produce alert rules (missing or malformed ids)."""


class ExportFilesExist(MonitoringError):
    """The export folder already holds files of the export; nothing was written."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        """Name the folder and the files that would have been replaced.

        Args:
            folder: the export folder.
            names: the export's files that exist there already.
        """
        self.folder = folder
        self.names = names
        """The files that exist (none was touched)."""
        super().__init__(
            f"{folder} already holds {self.listing()}; nothing was written "
            "(choose another folder, or move them away first)."
        )

    def listing(self) -> str:
        """The existing files, the first five by name and a count of the rest."""
        shown = ", ".join(self.names[:5])
        rest = len(self.names) - 5
        return f"{shown} and {rest} more" if rest > 0 else shown


# -- credential sheets and printing (sheets, printing) ----------------------------------------


class SheetError(BgWizardError):
    """The sheet could not be drawn."""


class UnknownCharacter(BgWizardError):
    """A line holds a character no generated password uses."""

    def __init__(self, char: str, position: int) -> None:
        """Name the character and where it is.

        Args:
            char: the character.
            position: its 0-based index in the line.
        """
        super().__init__(
            f"Character {position + 1} ({char!r}) never appears on a sheet"
            " (sheets never use 0 O o 1 l I y Y z Z)."
        )
        self.char = char
        self.position = position


class PrintError(BgWizardError):
    """The sheet could not be printed or saved; nothing was written anywhere else."""


# -- runbook -----------------------------------------------------------------------------------


class RunbookError(BgWizardError):
    """The runbook could not be drawn."""


class TemplateError(BgWizardError):
    """A runbook template is missing, broken, or failed while rendering."""

    def __init__(self, message: str, *, filename: str = "", line: int | None = None) -> None:
        """Keep where the template went wrong next to the message.

        Args:
            message: one sentence for the user.
            filename: the template file at fault.
            line: the 1-based line at fault, when known.
        """
        super().__init__(message)
        self.filename = filename
        """The template file at fault (a path for user templates)."""
        self.line = line
        """The 1-based line at fault, when known."""
