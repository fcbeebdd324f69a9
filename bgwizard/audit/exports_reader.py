"""Read exported Conditional Access policies and group files from disk (offline audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bgwizard.audit.exports import names_from, parse_groups, parse_policies
from bgwizard.errors import PolicyFileError
from bgwizard.graph.model import CaPolicy
from bgwizard.inputs import MiB, read_input

EXPORT_LIMIT: Final = 32 * MiB
"""The largest policy or group file read (a tenant's 200 policies export to ~1 MiB)."""


@dataclass
class PolicyExport:
    """What a folder of exported policies holds."""

    policies: list[CaPolicy] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    """Group names found in migration tables (IntuneManagement exports)."""
    files: int = 0
    """How many ``.json`` files were read."""


def _read(path: Path) -> bytes:
    return read_input(path, what="export file", limit=EXPORT_LIMIT, error=PolicyFileError)


def load_policy_folder(folder: Path) -> PolicyExport:
    """Every policy in the ``.json`` files under ``folder`` (subfolders too), by path order.

    Args:
        folder: the export folder (or a single ``.json`` file).

    Returns:
        The policies and any group names found.

    Raises:
        PolicyFileError: the folder is missing, a file is not JSON, or no policy was found.
    """
    if folder.is_file() or (folder.exists() and not folder.is_dir()):
        paths = [folder]
        base = folder.parent
    elif folder.is_dir():
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".json" and p.is_file())
        base = folder
    else:
        raise PolicyFileError(f"The policy folder {folder} does not exist.")
    export = PolicyExport()
    for path in paths:
        data = _read(path)
        source = path.relative_to(base).as_posix()
        found = parse_policies(data, source)
        export.policies.extend(found)
        if not found:
            export.names.update(names_from(data, source))
        export.files += 1
    if not export.policies:
        raise PolicyFileError(f"No Conditional Access policy was found in {folder}.")
    return export


def load_groups(path: Path) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """A group file (``--groups``): group id → member ids, and group names.

    Raises:
        PolicyFileError: the file cannot be read or has the wrong shape.
    """
    return parse_groups(_read(path), path.name)
