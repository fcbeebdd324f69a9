"""The ``--tenants`` file of a many-tenant audit: which tenants, signed in how, which accounts.

TOML, one ``[[tenant]]`` table per tenant; ``[defaults]`` holds keys every tenant shares::

    concurrency = 8                     # optional; --concurrency wins

    [defaults]
    client_id = "11111111-…"            # a multi-tenant app registration
    credential = "federated"            # certificate | secret | federated

    [[tenant]]
    name = "Contoso"                    # optional; shown in the summary
    tenant_id = "22222222-…"
    accounts = ["<object id>", "<object id>"]   # or: profile = "contoso.toml"

    [[tenant]]
    tenant_id = "33333333-…"
    credential = "certificate"
    certificate = "fabrikam.pem"
    profile = "fabrikam.toml"

Keys: ``tenant_id`` (required unless the profile has it), ``client_id``, ``credential``,
``certificate`` (PEM path, for ``certificate``), ``secret_env`` (for ``secret``),
``token_file`` (for ``federated``; else the environment's), ``accounts`` or ``profile``,
``authority``, ``graph_url``, ``ca_bundle`` (an emulator, or a sovereign cloud). Relative paths
are relative to the tenants file. Every error names the file's line and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bgwizard.errors import TenantsFileError

CREDENTIALS: Final = ("certificate", "secret", "federated")
DEFAULT_CONCURRENCY: Final = 8
_KEYS: Final = frozenset(
    {
        "name",
        "tenant_id",
        "client_id",
        "credential",
        "certificate",
        "secret_env",
        "token_file",
        "accounts",
        "profile",
        "authority",
        "graph_url",
        "ca_bundle",
    }
)
_GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HEADER: Final = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class TenantSpec:
    """One tenant to audit, as the tenants file names it."""

    index: int
    """Position in the file (0-based)."""
    line: int
    """Line of its ``[[tenant]]`` header."""
    name: str
    tenant_id: str
    client_id: str
    credential: str
    certificate: Path | None = None
    secret_env: str = ""
    token_file: Path | None = None
    accounts: tuple[str, ...] = ()
    profile: Path | None = None
    authority: str = ""
    graph_url: str = ""
    ca_bundle: str = ""

    @property
    def label(self) -> str:
        """The name, else the tenant id, else its position."""
        return self.name or self.tenant_id or f"tenant {self.index + 1}"


@dataclass(frozen=True)
class TenantsFile:
    """The tenants to audit and how many at once."""

    tenants: tuple[TenantSpec, ...]
    concurrency: int = DEFAULT_CONCURRENCY


class _Lines:
    """Finds the line of a table and of a key inside it (tomllib gives no positions)."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()

    def table(self, header: str, index: int = 0) -> int:
        pattern = re.compile(r"^\s*" + re.escape(header).replace(r"\ ", r"\s*") + r"\s*(#.*)?$")
        found = [n for n, line in enumerate(self._lines, 1) if pattern.match(line)]
        return found[index] if index < len(found) else 0

    def key(self, start: int, key: str) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start + 1 if start else 1, len(self._lines) + 1):
            line = self._lines[n - 1]
            if start and _HEADER.match(line):
                break
            if pattern.match(line):
                return n
        return start


def _fail(path: Path, line: int, message: str) -> TenantsFileError:
    where = f"{path}, line {line}" if line else str(path)
    return TenantsFileError(f"{where}: {message}")


def parse_tenants(text: str, path: Path) -> TenantsFile:
    """Check the text of a tenants file.

    Args:
        text: the TOML text.
        path: the file's name, for messages (relative paths in it are relative to its folder).

    Returns:
        The tenants.

    Raises:
        TenantsFileError: what is wrong, with the line and the key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TenantsFileError(f"{path}: not valid TOML ({exc}).") from None
    lines = _Lines(text)
    unknown = set(data) - {"concurrency", "defaults", "tenant"}
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(path, lines.key(0, key), f"unknown key {key!r} (use [[tenant]] tables)")
    concurrency = data.get("concurrency", DEFAULT_CONCURRENCY)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise _fail(path, lines.key(0, "concurrency"), "concurrency must be a whole number ≥ 1")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise _fail(path, lines.key(0, "defaults"), "defaults must be a table ([defaults])")
    _known_keys(defaults, path, lines, lines.table("[defaults]"), "defaults")
    tables = data.get("tenant", [])
    if not isinstance(tables, list) or not tables:
        raise _fail(path, 0, "no tenants: add a [[tenant]] table per tenant")
    specs = tuple(_spec(i, {**defaults, **table}, path, lines) for i, table in enumerate(tables))
    return TenantsFile(tenants=specs, concurrency=concurrency)


def _known_keys(table: dict[str, Any], path: Path, lines: _Lines, start: int, what: str) -> None:
    for key in table:
        if key not in _KEYS:
            raise _fail(path, lines.key(start, key), f"{what}: unknown key {key!r}")


def _spec(index: int, table: dict[str, Any], path: Path, lines: _Lines) -> TenantSpec:
    start = lines.table("[[tenant]]", index)
    what = f"tenant {index + 1}"
    _known_keys(table, path, lines, start, what)

    def text(key: str, required: bool = False) -> str:
        if required and key not in table:
            raise _fail(path, start, f"{what}: missing key {key} (here or in [defaults])")
        value = table.get(key, "")
        if not isinstance(value, str) or (required and not value):
            raise _fail(path, lines.key(start, key), f"{what}: {key} must be a non-empty string")
        return value

    def file(key: str) -> Path | None:
        value = text(key)
        return (path.parent / value) if value else None

    client_id = text("client_id", required=True)
    credential = text("credential", required=True)
    if credential not in CREDENTIALS:
        raise _fail(
            path,
            lines.key(start, "credential"),
            f"{what}: credential must be one of {', '.join(CREDENTIALS)}, not {credential!r}",
        )
    spec = TenantSpec(
        index=index,
        line=start,
        name=text("name"),
        tenant_id=text("tenant_id"),
        client_id=client_id,
        credential=credential,
        certificate=file("certificate"),
        secret_env=text("secret_env"),
        token_file=file("token_file"),
        accounts=_accounts(table, path, lines.key(start, "accounts"), what),
        profile=file("profile"),
        authority=text("authority"),
        graph_url=text("graph_url"),
        ca_bundle=str(file("ca_bundle") or ""),
    )
    _check_spec(spec, path, lines, start, what)
    return spec


def _accounts(table: dict[str, Any], path: Path, line: int, what: str) -> tuple[str, ...]:
    value = table.get("accounts", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, line, f"{what}: accounts must be a list of object ids")
    bad = next((v for v in value if not _GUID.match(v)), None)
    if bad is not None:
        raise _fail(path, line, f"{what}: accounts: {bad!r} is not an object id (a GUID)")
    return tuple(value)


def _check_spec(spec: TenantSpec, path: Path, lines: _Lines, start: int, what: str) -> None:
    needs = {"certificate": "certificate", "secret": "secret_env"}.get(spec.credential)
    if needs and not getattr(spec, needs):
        raise _fail(path, start, f"{what}: credential {spec.credential!r} needs {needs}")
    if not spec.accounts and spec.profile is None:
        raise _fail(path, start, f"{what}: name the accounts (accounts = [...]) or a profile")
    if spec.accounts and spec.profile is not None:
        raise _fail(
            path, lines.key(start, "profile"), f"{what}: give accounts or profile, not both"
        )
    if spec.profile is None and not spec.tenant_id:
        raise _fail(path, start, f"{what}: tenant_id is required without a profile")
    if spec.tenant_id and not _GUID.match(spec.tenant_id):
        raise _fail(path, lines.key(start, "tenant_id"), f"{what}: tenant_id must be a GUID")
