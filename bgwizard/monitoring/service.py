"""Monitoring I/O: write the export directory, read Entra diagnostic settings through ARM.

The rules, templates and instructions themselves are built by ``bgwizard.monitoring.rules``
and ``bgwizard.monitoring.arm``; this module only writes them and asks Azure Resource
Manager whether AuditLogs, SignInLogs and NonInteractiveUserSignInLogs reach a Log Analytics
workspace.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

import httpx

from bgwizard.auth.identity import TokenSource
from bgwizard.errors import BgWizardError, ExportFilesExist, MonitoringError
from bgwizard.monitoring.arm import ExportFile, build_export
from bgwizard.monitoring.diagnostics import (
    DiagnosticSettingsReport,
    evaluate_diagnostic_settings,
    not_checked,
)
from bgwizard.monitoring.rules import AccountRef, account_refs
from bgwizard.profile.model import BreakGlassAccount

PUBLIC_ARM_URL: Final = "https://management.azure.com"
#: The scope an msal token for Azure Resource Manager is asked for.
ARM_SCOPE: Final = "https://management.azure.com/.default"
DIAGNOSTIC_SETTINGS_PATH: Final = "/providers/microsoft.aadiam/diagnosticSettings"
DIAGNOSTIC_SETTINGS_API: Final = "2017-04-01"

#: Returns a bearer token for Azure Resource Manager (raises BgWizardError when it cannot).
ArmTokenProvider = Callable[[], Awaitable[str]]


def arm_token_from(source: TokenSource) -> ArmTokenProvider:
    """An ARM token provider over a blocking token source, run off the event loop.

    Args:
        source: The signed-in authenticator.

    Returns:
        An async callable returning a bearer token for Azure Resource Manager.
    """

    async def arm_token() -> str:
        token, _expires = await asyncio.to_thread(source.token, (ARM_SCOPE,))
        return token

    return arm_token


def write_export(files: Sequence[ExportFile], out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write each file into ``out_dir`` (created if needed), atomically.

    A file of the export that exists already (perhaps edited by hand, like ``DEPLOY.md``) is
    replaced only with ``force``; without it nothing is written and the error names them.

    Args:
        files: The export (see ``build_export``).
        out_dir: Target directory.
        force: replace files of the export that exist.

    Returns:
        The paths written, in the order of ``files``.

    Raises:
        ExportFilesExist: files of the export exist and ``force`` is off.
        MonitoringError: the directory or a file could not be written.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise MonitoringError(f"{out_dir} is not a folder; name a folder for the export.")
    existing = sorted(f.name for f in files if os.path.lexists(out_dir / f.name))
    if existing and not force:
        raise ExportFilesExist(out_dir, existing)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return [_write_atomic(out_dir / f.name, f.content) for f in files]
    except OSError as err:
        raise MonitoringError(
            f"Cannot write the monitoring files to {out_dir}: {err.strerror or err}."
        ) from None


def _write_atomic(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _verify(ca_bundle: str) -> ssl.SSLContext:
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return ssl.create_default_context()


def _http_reason(status: int) -> str:
    if status == 401:
        return "Azure Resource Manager refused the sign-in token (HTTP 401)."
    if status == 403:
        return (
            "the signed-in account may not read Entra diagnostic settings (HTTP 403); "
            "Security Reader or Global Reader can."
        )
    return f"Azure Resource Manager answered HTTP {status}."


class MonitoringService:
    """The real monitoring service: export files to disk, diagnostic settings over ARM."""

    def __init__(
        self,
        arm_token: ArmTokenProvider | None,
        *,
        arm_url: str = PUBLIC_ARM_URL,
        ca_bundle: str = "",
        timeout: float = 20.0,
        signed_in: Callable[[], bool] = lambda: True,
    ) -> None:
        """Create the service.

        Args:
            arm_token: Async callable returning an ARM bearer token; None when nobody is
                signed in (the check then reports "not checked").
            arm_url: ARM base URL (the emulator's ``{base}/arm`` in demo and tests).
            ca_bundle: PEM file of the CA to trust (the emulator's); empty for the real cloud.
            timeout: Seconds for the whole ARM request.
            signed_in: Whether someone is signed in now; asked at each check, because the
                composition root builds this service once, before anyone signs in.
        """
        self._arm_token = arm_token
        self._arm_url = arm_url.rstrip("/")
        self._ca_bundle = ca_bundle
        self._timeout = timeout
        self._signed_in = signed_in

    @property
    def diagnostic_settings_url(self) -> str:
        """The full URL the check reads."""
        return f"{self._arm_url}{DIAGNOSTIC_SETTINGS_PATH}?api-version={DIAGNOSTIC_SETTINGS_API}"

    def export_files(
        self,
        accounts: Iterable[BreakGlassAccount],
        *,
        exclusion_group_id: str = "",
        rmau_id: str = "",
    ) -> list[ExportFile]:
        """Every export file for ``accounts``, and the exclusion group and RMAU when known.

        Raises:
            MonitoringError: no account, or a malformed UPN or object id.
        """
        return build_export(
            account_refs(accounts), exclusion_group_id=exclusion_group_id, rmau_id=rmau_id
        )

    def export_for_refs(
        self, refs: Sequence[AccountRef], *, exclusion_group_id: str = "", rmau_id: str = ""
    ) -> list[ExportFile]:
        """Every export file for already validated references (the CLI's ``--accounts``)."""
        return build_export(refs, exclusion_group_id=exclusion_group_id, rmau_id=rmau_id)

    def save(
        self, files: Sequence[ExportFile], out_dir: Path, *, force: bool = False
    ) -> list[Path]:
        """Write the files into ``out_dir``; see :func:`write_export`."""
        return write_export(files, out_dir, force=force)

    async def check_diagnostic_settings(self) -> DiagnosticSettingsReport:
        """Read the Entra diagnostic settings through ARM; never raises.

        Returns:
            ``ok``/``missing`` from the settings, or ``not_checked`` with the reason.
        """
        if self._arm_token is None or not self._signed_in():
            return not_checked("nobody is signed in to Azure Resource Manager.")
        try:
            token = await self._arm_token()
        except BgWizardError as err:
            return not_checked(f"no Azure Resource Manager token: {err}")
        try:
            async with httpx.AsyncClient(
                verify=_verify(self._ca_bundle), trust_env=False, timeout=self._timeout
            ) as client:
                response = await client.get(
                    self.diagnostic_settings_url,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                )
        except (httpx.HTTPError, ssl.SSLError, OSError) as err:
            return not_checked(
                f"Azure Resource Manager could not be reached ({type(err).__name__})."
            )
        if response.status_code != 200:
            return not_checked(_http_reason(response.status_code))
        try:
            payload = response.json()
        except ValueError:
            return not_checked("Azure Resource Manager answered with a body that is not JSON.")
        return evaluate_diagnostic_settings(payload)
