"""Microsoft's documented requirements per Graph operation, read from one table.

``bgwizard/data/graph-ground-truth.json`` holds, for each Graph operation the product uses,
the least- and higher-privileged delegated and application permissions, the Entra roles, the
supported query options and the licence, each with its source. The emulator enforces these
requirements and the client names them in its "missing" messages: one source for both sides.

Reading the table's prose into rules follows a few fixed conventions, all of them here:

- Permissions: a string is one permission or an ``A and B`` (also ``A, B and C``)
  combination that is needed whole; higher-privileged entries are alternatives; text in
  parentheses is a note. Segments after ``;`` are further alternatives (``User.Read (/me)``).
- Graph's naming convention: a delegated ``User*`` permission without ``.All``
  (``User.Read``, ``UserAuthenticationMethod.Read``) reaches only the signed-in user's own
  object ("self only").
- Roles: names of built-in Entra roles found in the role strings; Global Administrator is
  allowed wherever a role is. A list that is truncated in the table, names object owners or
  plain member users, or is per-property, is **not documented** enough to refuse anyone: no
  role is required then. ``null`` (not documented) also requires no role.
- Admin-target rule: a role string that says it is the least role for administrator targets
  (``ALL administrator targets``) is required when the target user holds an admin role; one
  marked ``non-admin targets`` is enough only for other targets.
- App-only role: a note "the app needs … at least the X directory role assigned to its
  service principal" makes X (or a higher role) a requirement of app-only calls.
- Query options: ``$`` names found in the supported list; ``null`` means not documented, so
  any option is accepted; ``$skiptoken`` is Graph's server-issued paging token and is always
  accepted (every ``@odata.nextLink`` carries it).
- Licences: the ``licensing`` section names a feature, its licence and the error when missing.
  Only sign-in logs, ``signInActivity`` (Entra ID P1) and PIM (P2) have a documented or observed
  error; other licensed features (Conditional Access, role-assignable groups) are not refused.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

GLOBAL_ADMIN: Final = "Global Administrator"
#: Built-in role name → role template id (the ``wids`` claim; the same in every tenant).
ROLE_TEMPLATE_IDS: Final[Mapping[str, str]] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Global Secure Access Administrator": "ac434307-12b9-4fa1-a708-88bf58caabc1",
    "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Security Operator": "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
    "Reports Reader": "4a5d8f65-41da-4de4-8968-e035b65339cf",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "Authentication Policy Administrator": "0526716b-113d-4c15-b2c8-68e3c22b9f80",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Password Administrator": "966707d0-3269-4727-9be2-8c3a10f19b9d",
    "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
    "Directory Writers": "9360feb5-f418-4baa-8175-e2a00bac4301",
    "Groups Administrator": "fdd7a751-b60b-444a-984c-02652fe8fa1c",
    "Identity Governance Administrator": "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
}
#: Built-in role names the table uses, longest first so ``Privileged Authentication
#: Administrator`` is not also read as ``Authentication Administrator``.
ROLE_NAMES: Final = tuple(sorted(ROLE_TEMPLATE_IDS, key=len, reverse=True))
LICENCE_NAMES: Final = {"free": "Microsoft Entra ID Free", "p1": "Entra ID P1", "p2": "Entra ID P2"}
LICENCE_ORDER: Final = ("free", "p1", "p2")
#: Which ``licensing`` feature of the table each operation belongs to (by the feature's
#: first words); the licence and the error come from that feature's entry.
LICENSED_OPERATIONS: Final[Mapping[str, str]] = {
    "signIns-list": "Sign-in logs via Graph",
    "user-signInActivity": "user.signInActivity",
    "roleEligibilitySchedules-list": "PIM",
    "roleAssignmentSchedules-list": "PIM",
    "roleAssignmentScheduleRequests-create": "PIM",
}
_PERMISSION = re.compile(r"\b[A-Z][A-Za-z]*(?:-[A-Za-z]+)?(?:\.[A-Za-z]+)+\b")
_SELF_ONLY = re.compile(r"^User[A-Za-z-]*\.(Read|ReadWrite)$")
_UNDOCUMENTED_ROLES = re.compile(
    r"truncated|list continues|owners|member user|per-property|^user$|^guest user$", re.I
)
_SILENT_MESSAGE: Final = (
    "The tenant does not have the Microsoft Entra ID P2 licence that Privileged Identity "
    "Management needs."
)


@dataclass(frozen=True)
class LicenceNeed:
    """The licence an operation needs and Graph's answer when the tenant lacks it."""

    tier: str
    """``p1`` or ``p2``."""
    status: int
    code: str
    message: str
    observed_only: bool = False
    """The error is a third-party observation, not documented by Microsoft."""

    @property
    def name(self) -> str:
        """``Entra ID P1``."""
        return LICENCE_NAMES[self.tier]


@dataclass(frozen=True)
class Requirement:
    """What one Graph operation needs, as Microsoft documents it."""

    op_id: str
    method: str
    path: str
    delegated: tuple[frozenset[str], ...]
    """Alternatives for delegated calls, least privileged first; each set is needed whole."""
    application: tuple[frozenset[str], ...]
    """The same for app-only calls; empty: app-only is not supported."""
    self_only: frozenset[str]
    """Delegated permissions that reach only the signed-in user's own object."""
    roles: tuple[str, ...] | None
    """Roles a delegated caller needs one of (Global Administrator always does); None: any."""
    admin_target_roles: tuple[str, ...] | None = None
    """Roles needed instead when the target user holds an admin role."""
    app_role: str | None = None
    """A directory role the app's service principal needs for app-only calls."""
    query_options: frozenset[str] | None = None
    """``$`` options Graph supports here; None: not documented (anything goes)."""
    licence: LicenceNeed | None = None
    source: str = ""

    @property
    def user_target(self) -> bool:
        """Whether the operation acts on one user (self-only permissions matter then)."""
        return "/users/{" in self.path

    @property
    def least_delegated(self) -> str:
        """The least-privileged delegated permission(s), e.g.
        ``Policy.Read.All and Policy.ReadWrite.ConditionalAccess``; for an operation on a
        user, the least one that reaches another user (``User.Read.All``, not ``User.Read``)."""
        return _named(self.least_for_others())

    @property
    def least_application(self) -> str:
        """The least-privileged application permission(s), or '' when not supported."""
        return _named(self.application[0]) if self.application else ""

    def least_for_others(self) -> frozenset[str]:
        """The least delegated alternative that is not limited to the signed-in user."""
        if not self.delegated:
            return frozenset()
        first = self.delegated[0]
        if not (self.user_target and first & self.self_only):
            return first
        wider = frozenset(p + ".All" for p in first)
        if wider in self.delegated:
            return wider
        return next((o for o in self.delegated if not o & self.self_only), first)

    @property
    def role_names(self) -> str:
        """``Security Administrator or Conditional Access Administrator`` ('' when none)."""
        return " or ".join(self.roles) if self.roles else ""


def _named(option: frozenset[str]) -> str:
    return " and ".join(sorted(option))


def _strip_notes(text: str) -> str:
    return re.sub(r"\([^)]*\)", "", text)


def _segments(text: str) -> list[tuple[str, str]]:
    """``(text without notes, the notes)`` for each ``;``-separated part outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == ";" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [(_strip_notes(p), " ".join(re.findall(r"\(([^)]*)\)", p))) for p in parts]


def _option(text: str) -> frozenset[str]:
    """All permissions named in ``text`` (an ``A, B and C`` combination)."""
    return frozenset(_PERMISSION.findall(text))


def parse_permissions(least: Any, higher: Any) -> tuple[tuple[frozenset[str], ...], set[str]]:
    """The alternatives (least first) and the self-only permissions of one kind of access.

    Args:
        least: the table's ``least_privileged`` value for delegated or application access.
        higher: the ``higher_privileged`` value (a list, a string or null).

    Returns:
        ``(alternatives, self_only)``.
    """
    options: list[frozenset[str]] = []
    self_only: set[str] = set()
    if isinstance(least, str):
        for index, (text, notes) in enumerate(_segments(least)):
            if index and re.search(r"\+", text):
                continue
            option = _option(text.split("+")[0])
            if not option:
                continue
            options.append(option)
            if (
                re.search(r"signed-in user only|/me|\bself\b", notes)
                and not re.search(r"not supported|others|other users|another user", notes)
                and not _PERMISSION.search(notes)
            ):
                self_only |= option
    for item in higher if isinstance(higher, list) else [higher]:
        if isinstance(item, str):
            option = _option(_strip_notes(item))
            if option and option not in options:
                options.append(option)
    for option in options:
        self_only |= {p for p in option if _SELF_ONLY.match(p)}
    return tuple(options), self_only


def _roles(entries: Any) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """``(roles, admin-target roles)`` from the table's role strings (see the module doc)."""
    if not isinstance(entries, list):
        return None, None
    roles: list[str] = []
    admin: list[str] = []
    for entry in entries:
        text = str(entry)
        if _UNDOCUMENTED_ROLES.search(text.strip()):
            return None, None
        if re.match(r"For |Role-assignable group", text):
            continue  # a rule for one kind of target only, not for the operation
        found = _role_names(text)
        if "non-admin" in text:
            roles += found
        elif re.search(r"administrator targets|admin targets", text, re.I):
            roles += found
            admin += found
        elif not re.search(r"\bread ops\b", text):
            roles += found
    unique = tuple(dict.fromkeys(roles))
    return (unique or None), (tuple(dict.fromkeys(admin)) or None)


def _role_names(text: str) -> list[str]:
    found: list[tuple[int, str]] = []
    rest = text
    for name in ROLE_NAMES:
        at = rest.find(name)
        if at >= 0:
            found.append((at, name))
            rest = rest.replace(name, "#" * len(name))
    return [name for _, name in sorted(found)]


def _query_options(entries: Any) -> frozenset[str] | None:
    if not isinstance(entries, list):
        return None
    return frozenset(o for e in entries for o in re.findall(r"\$[a-z]+", str(e)))


def _app_role(notes: str) -> str | None:
    found = re.search(r"at least the (.+?) directory role assigned to its service principal", notes)
    return found.group(1) if found else None


def _licence(op_id: str, licensing: list[dict[str, Any]]) -> LicenceNeed | None:
    feature = LICENSED_OPERATIONS.get(op_id)
    if feature is None:
        return None
    entry = next(e for e in licensing if str(e["feature"]).startswith(feature))
    text = str(entry["licence"])
    tier = "p2" if re.match(r"Entra ID P2", text) else "p1"
    error = str(entry.get("error_when_missing") or "")
    if error.startswith("same"):
        return _licence("signIns-list", licensing)
    found = re.search(r"(\d{3}) ([A-Za-z0-9_]+)(?: '(.+)')?", error)
    if found is None:
        return None
    message = found.group(3) or _SILENT_MESSAGE
    observed = "not documented" in error
    return LicenceNeed(tier, int(found.group(1)), found.group(2), message, observed)


def _requirement(op: dict[str, Any], licensing: list[dict[str, Any]]) -> Requirement:
    least = op.get("least_privileged") or {}
    higher = op.get("higher_privileged") or {}
    delegated, self_only = parse_permissions(least.get("delegated"), higher.get("delegated"))
    application, _ = parse_permissions(least.get("application"), higher.get("application"))
    roles, admin = _roles(op.get("entra_roles_delegated"))
    return Requirement(
        op_id=str(op["id"]),
        method=str(op["method"]),
        path=str(op["path"]),
        delegated=delegated,
        application=application,
        self_only=frozenset(self_only),
        roles=roles,
        admin_target_roles=admin,
        app_role=_app_role(str(op.get("notes") or "")),
        query_options=_query_options(op.get("query_params_supported")),
        licence=_licence(str(op["id"]), licensing),
        source=str(op.get("source") or ""),
    )


def table_text() -> str:
    """The table as shipped in the package."""
    return resources.files("bgwizard.data").joinpath("graph-ground-truth.json").read_text("utf-8")


def requirements_from(table: dict[str, Any]) -> dict[str, Requirement]:
    """Every operation's requirement, by the table's operation id.

    Args:
        table: the parsed ground-truth JSON.

    Returns:
        Operation id → requirement.
    """
    licensing = list(table.get("licensing") or [])
    return {str(op["id"]): _requirement(op, licensing) for op in table["operations"]}


@functools.cache
def requirements() -> dict[str, Requirement]:
    """Every operation's requirement from the packaged table (read once)."""
    return requirements_from(json.loads(table_text()))


def requirement(op_id: str) -> Requirement:
    """One operation's requirement.

    Raises:
        KeyError: the table has no such operation.
    """
    return requirements()[op_id]


def licence_covers(tenant: str, needed: str) -> bool:
    """Whether a tenant licence (``free``/``p1``/``p2``) includes ``needed``."""
    return LICENCE_ORDER.index(tenant) >= LICENCE_ORDER.index(needed)
