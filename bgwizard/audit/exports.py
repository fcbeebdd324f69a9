"""Exported Conditional Access policies and group files, for the offline audit. Pure.

Real exports come as UTF-16 with a BOM (PowerShell ``ConvertTo-Json``), UTF-8 with or
without a BOM, Graph camelCase JSON (v1.0 or beta, with ``@odata.type`` annotations),
PowerShell PascalCase objects (``Get-MgIdentityConditionalAccessPolicy``), single policies,
lists, ``{"value": [...]}`` pages and ScubaGear's ``conditional_access_policies``. All are
read into ``CaPolicy`` objects.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from bgwizard.errors import PolicyFileError
from bgwizard.graph.model import CaPolicy

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LIST_KEYS: Final = ("value", "conditional_access_policies", "policies")


def decode(data: bytes, source: str = "the file") -> str:
    """JSON text from bytes in any encoding exports use (BOM detected, UTF-16 guessed).

    Args:
        data: the file's bytes.
        source: names the file in errors.

    Returns:
        The text without a BOM.

    Raises:
        PolicyFileError: the bytes are not text in a known encoding.
    """
    try:
        for bom, encoding in _BOMS:
            if data.startswith(bom):
                return data[len(bom) :].decode(encoding)
        if len(data) >= 2 and data[0] != 0 and data[1] == 0:
            return data.decode("utf-16-le")
        if len(data) >= 2 and data[0] == 0 and data[1] != 0:
            return data.decode("utf-16-be")
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyFileError(f"{source} is not UTF-8 or UTF-16 text.") from exc


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def normalize(value: Any) -> Any:
    """Graph camelCase JSON without OData annotations, from any export's shape.

    Args:
        value: parsed JSON.

    Returns:
        The same data with PascalCase keys made camelCase and ``@odata.*`` keys (and
        ``name@odata.type`` annotations) dropped.
    """
    if isinstance(value, Mapping):
        return {_camel(str(k)): normalize(v) for k, v in value.items() if "@odata." not in str(k)}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def _is_policy(value: Any) -> bool:
    return isinstance(value, Mapping) and "conditions" in value and "displayName" in value


def _policy_objects(document: Any) -> list[Mapping[str, Any]]:
    if _is_policy(document):
        return [document]
    if isinstance(document, list):
        return [item for item in document if _is_policy(item)]
    if isinstance(document, Mapping):
        for key in _LIST_KEYS:
            if key in document:
                return _policy_objects(document[key])
    return []


def parse_policies(data: bytes, source: str) -> list[CaPolicy]:
    """Every CA policy in one exported file (none when the file holds something else).

    Args:
        data: the file's bytes.
        source: the file's name relative to the export folder; it stands in for the id of
            templates that have none.

    Returns:
        The policies, in file order.

    Raises:
        PolicyFileError: the file is not JSON text.
    """
    try:
        document = normalize(json.loads(decode(data, source)))
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"{source} is not valid JSON (line {exc.lineno}).") from exc
    except RecursionError:
        raise PolicyFileError(f"{source} is nested too deeply to be a policy export.") from None
    policies = []
    for raw in _policy_objects(document):
        policy = CaPolicy.from_graph(raw)
        if not raw.get("id"):
            policy = CaPolicy.from_graph({**raw, "id": source})
        policies.append(policy)
    return policies


def parse_groups(data: bytes, source: str) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """A group file: group id → member ids (users or nested groups), and group names.

    Accepted shapes: ``{"<group id>": ["<member id>", ...]}``, or a list (or ``{"value":
    [...]}``) of ``{"id", "displayName", "members": [ids or {"id": ...}]}``.

    Args:
        data: the file's bytes.
        source: the file's name, for errors.

    Returns:
        Members by group, and display names by group (may be empty).

    Raises:
        PolicyFileError: the file is not JSON or not in an accepted shape.
    """
    try:
        document = json.loads(decode(data, source))
    except json.JSONDecodeError as exc:
        raise PolicyFileError(f"{source} is not valid JSON (line {exc.lineno}).") from exc
    except RecursionError:
        raise PolicyFileError(f"{source} is nested too deeply to be a group file.") from None
    if isinstance(document, Mapping) and "value" in document:
        document = document["value"]
    if isinstance(document, Mapping):
        if all(isinstance(v, list) for v in document.values()):
            return {str(k): _ids(v) for k, v in document.items()}, {}
    elif isinstance(document, list) and all(isinstance(g, Mapping) for g in document):
        members = {str(g.get("id")): _ids(g.get("members") or []) for g in document}
        names = {str(g.get("id")): str(g["displayName"]) for g in document if g.get("displayName")}
        return members, names
    raise PolicyFileError(
        f"{source} must map group ids to lists of member ids, or list groups with members."
    )


def _ids(items: Iterable[Any]) -> frozenset[str]:
    return frozenset(
        str(item.get("id")) if isinstance(item, Mapping) else str(item) for item in items
    )


def groups_of(member_id: str, groups: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Every group ``member_id`` belongs to, through nested groups too.

    Args:
        member_id: a user's (or group's) id.
        groups: group id → direct member ids.

    Returns:
        The group ids.
    """
    found: set[str] = set()
    todo = [member_id]
    while todo:
        current = todo.pop()
        for group, members in groups.items():
            if current in members and group not in found:
                found.add(group)
                todo.append(group)
    return frozenset(found)


def names_from(data: bytes, source: str) -> dict[str, str]:
    """Group names from an IntuneManagement ``MigrationTable.json`` (empty for other files).

    Args:
        data: the file's bytes.
        source: the file's name, for errors.

    Returns:
        Object id → display name of every ``Group`` object listed.
    """
    try:
        document = normalize(json.loads(decode(data, source)))
    except (json.JSONDecodeError, PolicyFileError, RecursionError):
        return {}
    objects = document.get("objects") if isinstance(document, Mapping) else None
    if not isinstance(objects, list):
        return {}
    return {
        str(o["id"]): str(o["displayName"])
        for o in objects
        if isinstance(o, Mapping)
        and o.get("type") == "Group"
        and o.get("id")
        and o.get("displayName")
    }
