"""Turn msgraph-sdk / kiota / httpx failures into bgwizard errors, one sentence each.

Every Graph call of ``GraphDirectory`` runs inside ``translate(operation, ...)``; nothing
from the SDK escapes. A 403 names the least-privileged permission and the directory role from
Microsoft's table (``bgwizard.ground_truth``, the same table the emulator enforces); a tenant
without the licence a feature needs gets ``LicenceMissing`` naming the licence.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from bgwizard import ground_truth
from bgwizard.errors import (
    AuthError,
    BgWizardError,
    GraphError,
    LicenceMissing,
    NetworkDown,
    NotFound,
    PermissionMissing,
    Throttled,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Operation:
    """A Graph operation as people name it, and what Microsoft documents it needs."""

    doing: str
    """A gerund phrase: ``reading Conditional Access policies``."""
    permission: str
    """The least-privileged Microsoft Graph permission(s) (Microsoft's table)."""
    role: str = ""
    """The directory role(s) a signed-in user needs (``X or Y``); '' when none is documented."""
    licence: str = ""
    """The licence the feature needs (``Entra ID P1``); '' when none."""

    @classmethod
    def of(
        cls, doing: str, op_id: str, *, own: bool = False, admin_target: bool = False
    ) -> Operation:
        """The operation ``op_id`` of the ground-truth table.

        Args:
            doing: the gerund phrase for messages.
            op_id: the table's operation id (``ca-update``).
            own: the call reaches only the signed-in user's own object (``/me``).
            admin_target: the target holds an admin role (every break glass account), so the
                table's admin-target roles apply.

        Returns:
            The operation.
        """
        need = ground_truth.requirement(op_id)
        first = need.delegated[0] if own and need.delegated else need.least_for_others()
        roles = need.admin_target_roles if admin_target and need.admin_target_roles else None
        names = " or ".join(roles) if roles else need.role_names
        return cls(
            doing,
            " and ".join(sorted(first)),
            "" if own else names,
            need.licence.name if need.licence else "",
        )


def _operations() -> dict[str, Operation]:
    op = Operation.of
    return {
        "organization": op("reading the organization", "organization-list"),
        "domains": op("reading the tenant's domains", "domains-list"),
        "me": op("reading the signed-in user", "user-get", own=True),
        "find_user": op("looking up a user", "user-list"),
        "get_user": op("reading a user", "user-get"),
        "get_user_activity": op("reading a user's sign-in activity", "user-signInActivity"),
        "create_user": op("creating a user", "user-create"),
        "update_user": op("changing a user", "user-update"),
        "reset_password": op(
            "resetting a break glass account's password",
            "user-update-passwordProfile",
            admin_target=True,
        ),
        "list_role_assignments": op("reading directory role assignments", "roleAssignments-list"),
        "assign_role": op("assigning a directory role", "roleAssignments-create"),
        "pim_assign": op(
            "assigning a directory role through PIM", "roleAssignmentScheduleRequests-create"
        ),
        "role_eligibility": op(
            "reading PIM eligibility schedules", "roleEligibilitySchedules-list"
        ),
        "role_assignment_schedules": op(
            "reading PIM assignment schedules", "roleAssignmentSchedules-list"
        ),
        "list_ca_policies": op("reading Conditional Access policies", "ca-list"),
        "patch_ca_policy": op("changing a Conditional Access policy", "ca-update"),
        # The create row's sources conflict; the permissive reading is PATCH's (see the
        # emulator's BORROWED): Policy.Read.All and Policy.ReadWrite.ConditionalAccess.
        "create_ca_policy": op("creating a Conditional Access policy", "ca-update"),
        # No row: Microsoft documents Policy.Read.All, as for the CA policy list.
        "security_defaults": op("reading the security defaults setting", "ca-list"),
        "member_of": op("reading group memberships", "user-transitiveMemberOf"),
        "find_group": op("looking up a group", "group-transitiveMembers"),
        "group_members": op("reading a group's members", "group-transitiveMembers"),
        "create_group": Operation(
            "creating the role-assignable group",
            "Group.ReadWrite.All and RoleManagement.ReadWrite.Directory",
            "Privileged Role Administrator",
        ),
        "add_group_member": Operation(
            "adding a member to the role-assignable group",
            "GroupMember.ReadWrite.All and RoleManagement.ReadWrite.Directory",
            "Privileged Role Administrator",
        ),
        "admin_units": op("reading administrative units", "administrativeUnits-list"),
        # not rows of Microsoft's table: its restricted_management_admin_units section
        "create_admin_unit": Operation(
            "creating the restricted management administrative unit",
            "AdministrativeUnit.ReadWrite.All",
            "Privileged Role Administrator",
        ),
        "add_admin_unit_member": Operation(
            "adding the group to the restricted management administrative unit",
            "AdministrativeUnit.ReadWrite.All",
            "Privileged Role Administrator",
        ),
        "auth_methods": op("reading authentication methods", "authentication-list-methods"),
        "sign_ins": op("reading the sign-in log", "signIns-list"),
        "directory_audits": op("reading the directory audit log", "directoryAudits-list"),
    }


OPERATIONS: Final[Mapping[str, Operation]] = _operations()
#: Graph's error codes for a tenant without the licence a feature needs (the table's
#: ``licensing`` section): sign-in logs and signInActivity (P1), PIM (P2, observed).
LICENCE_CODES: Final[Mapping[str, str]] = {
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant": "Entra ID P1",
    "AadPremiumLicenseRequired": "Entra ID P2",
}

_RETRYABLE: Final = frozenset({429, 503, 504})


def server_message(exc: BaseException) -> tuple[str, str]:
    """The ``(code, message)`` Graph put in its error body, when kiota parsed one.

    Args:
        exc: a kiota ``APIError`` (``ODataError`` carries ``error.code``/``error.message``).

    Returns:
        The code and message; empty strings when absent.
    """
    main = getattr(exc, "error", None)
    code = str(getattr(main, "code", "") or "")
    message = str(getattr(main, "message", "") or "")
    return code, message.strip()


def _retry_after(exc: BaseException) -> str:
    headers: Any = getattr(exc, "response_headers", None) or {}
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
    except AttributeError:
        return ""
    return str(value) if value else ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def api_error(op: Operation, exc: BaseException) -> BgWizardError:
    """The bgwizard error for an HTTP error answer from Graph.

    Args:
        op: what was being done.
        exc: kiota's ``APIError`` (or ``ODataError``).

    Returns:
        The error to raise.
    """
    status = int(getattr(exc, "response_status_code", 0) or 0)
    code, message = server_message(exc)
    if status == 401:
        return AuthError(f"Microsoft Graph refused the sign-in while {op.doing}; sign in again.")
    if code in LICENCE_CODES:
        return LicenceMissing(op.doing, op.licence or LICENCE_CODES[code], code)
    if status == 403:
        return PermissionMissing(op.doing, op.permission, message, op.role)
    if status == 404:
        return NotFound(
            f"{_capital(op.doing)} failed: the object does not exist.", status=404, code=code
        )
    if status in _RETRYABLE:
        wait = _retry_after(exc)
        when = "later"
        if wait.isdigit():
            when = "in 1 second" if wait == "1" else f"in {wait} seconds"
        return Throttled(
            f"Microsoft Graph stayed busy (HTTP {status}) after retries while {op.doing}; "
            f"try again {when}.",
            status=status,
            code=code,
        )
    said = f": {message.rstrip('.')}" if message else ""
    return GraphError(
        f"{_capital(op.doing)} failed (HTTP {status}){said}.", status=status or None, code=code
    )


def transport_error(op: Operation, host: str, exc: BaseException) -> BgWizardError | None:
    """The bgwizard error for an httpx transport failure, or None if ``exc`` is not one.

    Args:
        op: what was being done.
        host: Graph's host, for the message.
        exc: the exception.

    Returns:
        A ``NetworkDown``, or None.
    """
    import httpx

    if isinstance(exc, httpx.ConnectError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return NetworkDown(
                f"Could not reach Microsoft Graph at {host}: its TLS certificate is not trusted."
            )
        return NetworkDown(f"Could not reach Microsoft Graph at {host}.")
    if isinstance(exc, httpx.TimeoutException):
        return NetworkDown(f"Microsoft Graph at {host} did not answer in time while {op.doing}.")
    if isinstance(exc, httpx.TransportError):
        return NetworkDown(f"The connection to Microsoft Graph at {host} dropped while {op.doing}.")
    return None


def translate_exception(op: Operation, host: str, exc: Exception) -> BgWizardError:
    """Any exception raised by a Graph call, as a bgwizard error.

    Args:
        op: what was being done.
        host: Graph's host.
        exc: the exception.

    Returns:
        The error to raise in its place (``exc`` itself when it already is one).
    """
    if isinstance(exc, BgWizardError):
        return exc
    from kiota_abstractions.api_error import APIError

    if isinstance(exc, APIError):
        return api_error(op, exc)
    network = transport_error(op, host, exc)
    if network is not None:
        return network
    return GraphError(
        f"{_capital(op.doing)} failed: Microsoft Graph's answer could not be read "
        f"({type(exc).__name__})."
    )


@contextlib.contextmanager
def translate(operation: str, host: str) -> Iterator[Operation]:
    """Run a block of Graph calls, raising bgwizard errors instead of SDK ones.

    Args:
        operation: a key of ``OPERATIONS``.
        host: Graph's host, for network messages.

    Yields:
        The operation's description.

    Raises:
        BgWizardError: any failure of the block, translated (the SDK's exception chained).
    """
    op = OPERATIONS[operation]
    try:
        yield op
    except Exception as exc:
        error = translate_exception(op, host, exc)
        if error is exc:
            raise
        raise error from exc


async def sensitive_call(operation: str, host: str, call: Callable[[], Awaitable[T]]) -> T:
    """Await a Graph call whose request carries a password, translating failures.

    The translated error is raised outside the ``except`` block, so it links to neither
    the SDK's exception nor its traceback frames (which hold the request body).

    Args:
        operation: a key of ``OPERATIONS``.
        host: Graph's host, for network messages.
        call: makes the request (build the body inside it, not before).

    Returns:
        What the call returned.

    Raises:
        BgWizardError: any failure, translated, with no ``__cause__`` or ``__context__``.
    """
    op = OPERATIONS[operation]
    failure: BgWizardError
    try:
        return await call()
    except Exception as exc:
        failure = translate_exception(op, host, exc)
    raise failure
