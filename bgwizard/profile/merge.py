"""Three-way merge of profile documents, so two bgwizard processes never lose each other's saves.

A process keeps the profile in memory between its saves. When another process saved in the
meantime, the file on disk is no longer what this one last read or wrote. ``merge`` takes the
document this process last synchronised with (``base``), what it holds now (``ours``) and the
file as it is now (``theirs``), and keeps every change of both:

- a value only one side changed takes that side's value (a removed key stays removed);
- tables are merged key by key, accounts by their ``upn``, at any depth;
- lists of other values keep ours, then add what the other side added and drop what it removed
  (two processes appending to ``setup_steps_done`` both keep their steps);
- a value both sides changed to different things takes ours: the later save wins that key.

Pure: documents in, a document out.
"""

from __future__ import annotations

import copy
from typing import Any, Final

_MISSING: Final = object()


def merge(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """The document that keeps the changes ``ours`` and ``theirs`` each made to ``base``.

    Args:
        base: what this process last read or wrote.
        ours: what this process holds now.
        theirs: the file as it is now.

    Returns:
        A new document (the arguments are not changed).
    """
    merged = _merge_value(base, ours, theirs)
    assert isinstance(merged, dict)
    return copy.deepcopy(merged)


def _merge_value(base: Any, ours: Any, theirs: Any) -> Any:
    if ours == base:
        return theirs
    if theirs in (base, ours):
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return _merge_tables(base if isinstance(base, dict) else {}, ours, theirs)
    if isinstance(ours, list) and isinstance(theirs, list):
        old = base if isinstance(base, list) else []
        if _keyed(ours) and _keyed(theirs) and _keyed(old):
            return _merge_keyed(old, ours, theirs)
        return _merge_list(old, ours, theirs)
    return ours


def _merge_tables(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in [*theirs, *(k for k in ours if k not in theirs)]:
        value = _merge_value(
            base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING)
        )
        if value is not _MISSING:
            out[key] = value
    return out


def _keyed(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and isinstance(item.get("upn"), str) for item in items)


def _merge_keyed(
    base: list[dict[str, Any]], ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> list[Any]:
    by_upn = [{item["upn"]: item for item in side} for side in (base, ours, theirs)]
    order = [*by_upn[2], *(upn for upn in by_upn[1] if upn not in by_upn[2])]
    out: list[Any] = []
    for upn in order:
        old, mine, other = (side.get(upn, _MISSING) for side in by_upn)
        value = _merge_value(old, mine, other)
        if value is not _MISSING:
            out.append(value)
    return out


def _merge_list(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    removed = [item for item in base if item not in theirs]
    added = [item for item in theirs if item not in base and item not in ours]
    return [item for item in ours if item not in removed] + added
