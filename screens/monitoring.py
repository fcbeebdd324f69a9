"""The Monitoring screen: preview each alert rule and template, copy it, save them all.

Used on its own (home → Monitoring) and as the set-up wizard's monitoring step. It takes the
profile and the ``MonitoringActions`` port (``MonitoringService`` from the container); saving
runs in a thread worker, the diagnostic-settings check in an async worker. Above the preview,
each rule says what it watches. The exclusion group and the restricted management
administrative unit (RMAU), typed or passed in, are named in every rule. Dismissed with the
paths saved (empty when nothing was saved).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from bgwizard.errors import BgWizardError
from bgwizard.monitoring.arm import ExportFile
from bgwizard.monitoring.diagnostics import DiagnosticSettingsReport
from bgwizard.ports import MonitoringActions
from bgwizard.profile.model import Profile
from bgwizard.text import plural

INTRO = (
    "Alerts on every sign-in, interactive or not, and every change that can weaken the break "
    "glass accounts. Give the exclusion group and RMAU object ids if you use them. Preview a "
    "file, copy it, or save them all and follow DEPLOY.md."
)


class MonitoringScreen(Screen[list[Path]]):
    """Preview, copy and save the monitoring export; check the Entra diagnostic settings."""

    CSS_PATH = "monitoring.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="monitoring.back", tooltip="Leave this screen."),
        Binding("ctrl+y", "copy", "Copy", id="monitoring.copy", tooltip="Copy the file shown."),
        Binding("ctrl+s", "save", "Save", id="monitoring.save", tooltip="Save every file."),
        Binding(
            "f6",
            "check",
            "Check logs",
            id="monitoring.check",
            tooltip="Check that AuditLogs and both sign-in logs reach a workspace.",
        ),
    ]

    files: var[list[ExportFile]] = var(list, init=False, always_update=True)
    """The export for the profile's accounts (empty when it cannot be built)."""
    selected: var[int] = var(0, init=False)
    """Index of the file in the preview."""
    diagnostics: var[DiagnosticSettingsReport | None] = var(None, init=False, always_update=True)
    """The last diagnostic-settings result, if checked."""

    def __init__(
        self,
        profile: Profile,
        service: MonitoringActions,
        *,
        default_dir: str = "",
        exclusion_group_id: str = "",
        rmau_id: str = "",
    ) -> None:
        """Show the monitoring export for ``profile``'s accounts.

        Args:
            profile: The profile whose accounts the rules watch.
            service: Builds, saves and checks (real or fake).
            default_dir: Directory pre-filled in the save box.
            exclusion_group_id: Object id of the CA exclusion group, pre-filled.
            rmau_id: Object id of the restricted management administrative unit, pre-filled.
        """
        super().__init__()
        self._profile = profile
        self._service = service
        self._default_dir = default_dir
        self._ids = (exclusion_group_id, rmau_id)
        self.saved_paths: list[Path] = []
        """Every path saved while the screen was open."""

    def compose(self) -> ComposeResult:
        """Intro, file list beside the preview, save row, status line."""
        yield Header()
        yield Static(INTRO, id="monitoring-intro")
        with Horizontal(id="monitoring-ids"):
            yield Input(
                self._ids[0],
                placeholder="Exclusion group object id (optional)",
                id="exclusion-group",
            )
            yield Input(self._ids[1], placeholder="RMAU object id (optional)", id="rmau")
        with Horizontal(id="monitoring-body"):
            yield OptionList(id="monitoring-files")
            with Vertical(id="monitoring-preview-box"):
                yield Static("", id="monitoring-file-name", classes="title")
                yield Static("", id="monitoring-watches")
                yield TextArea("", id="monitoring-preview", read_only=True, soft_wrap=False)
        with Horizontal(id="monitoring-actions"):
            yield Button("Copy", id="copy")
            yield Input(
                self._default_dir, placeholder="Directory to save the files in", id="save-dir"
            )
            yield Button("Save files", id="save", variant="primary")
            yield Button("Check logs", id="check")
        yield Static("", id="monitoring-status")
        yield Footer()

    def on_mount(self) -> None:
        """Build the export (pure and fast) and show its first file."""
        self.sub_title = "Monitoring"
        self._rebuild()

    def _rebuild(self) -> None:
        """Build the export again from the accounts and the typed group and RMAU ids."""
        group = self.query_one("#exclusion-group", Input).value.strip()
        rmau = self.query_one("#rmau", Input).value.strip()
        try:
            files = self._service.export_files(
                self._profile.accounts, exclusion_group_id=group, rmau_id=rmau
            )
        except BgWizardError as err:
            if not self.files:
                self.files = []
            # Keep the last good preview, but never save rules without the ids typed.
            self.query_one("#save", Button).disabled = True
            self._status(str(err), "error")
            return
        self.files = files
        self._status("", "info")

    @on(Input.Changed, "#exclusion-group")
    @on(Input.Changed, "#rmau")
    def _ids_changed(self) -> None:
        if self.is_mounted:
            self._rebuild()

    def watch_files(self, files: list[ExportFile]) -> None:
        """Fill the list, keeping the file shown; disable copy and save when there is nothing."""
        keep = self.selected if 0 <= self.selected < len(files) else 0
        options = self.query_one("#monitoring-files", OptionList)
        options.clear_options()
        options.add_options([Option(f"{f.title}\n  {f.name}", id=f.name) for f in files])
        for button_id in ("#copy", "#save"):
            self.query_one(button_id, Button).disabled = not files
        if files:
            options.highlighted = keep
        self.selected = keep
        self._show(keep)

    def watch_selected(self, index: int) -> None:
        """Show the file picked."""
        self._show(index)

    def watch_diagnostics(self, report: DiagnosticSettingsReport | None) -> None:
        """Show the diagnostic-settings result."""
        if report is not None:
            level = {"ok": "ok", "missing": "error", "not_checked": "warning"}[report.status]
            self._status(report.summary(), level)

    @property
    def current(self) -> ExportFile | None:
        """The file in the preview, if any."""
        if 0 <= self.selected < len(self.files):
            return self.files[self.selected]
        return None

    def _show(self, index: int) -> None:
        preview = self.query_one("#monitoring-preview", TextArea)
        name = self.query_one("#monitoring-file-name", Static)
        watches = self.query_one("#monitoring-watches", Static)
        if not 0 <= index < len(self.files):
            preview.load_text("")
            name.update("No files")
            watches.update("")
            return
        chosen = self.files[index]
        preview.load_text(chosen.content)
        name.update(f"{chosen.title} — {chosen.name}")
        watches.update(f"Watches: {chosen.watches}" if chosen.watches else "")

    def _status(self, text: str, level: str) -> None:
        status = self.query_one("#monitoring-status", Static)
        status.update(text)
        status.set_classes(f"status-{level}")

    @on(OptionList.OptionHighlighted, "#monitoring-files")
    def _file_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.selected = event.option_index

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        """Copy the file in the preview to the clipboard."""
        chosen = self.current
        if chosen is None:
            return
        self.app.copy_to_clipboard(chosen.content)
        self.notify(f"Copied {chosen.name} to the clipboard.")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#save-dir")
    def action_save(self) -> None:
        """Save every file into the typed directory."""
        typed = self.query_one("#save-dir", Input).value.strip()
        if not self.files:
            return
        if not typed:
            self.notify("Type the directory to save the files in.", severity="error")
            self.query_one("#save-dir", Input).focus()
            return
        self._save(list(self.files), Path(typed).expanduser())

    @work(thread=True, exclusive=True, group="monitoring-save")
    def _save(self, files: list[ExportFile], out_dir: Path) -> None:
        try:
            paths = self._service.save(files, out_dir)
        except BgWizardError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.app.call_from_thread(self._saved, paths, out_dir)

    def _saved(self, paths: list[Path], out_dir: Path) -> None:
        self.saved_paths.extend(paths)
        self.notify(
            f"Saved {plural(len(paths), 'file')} to {out_dir}. Next: follow DEPLOY.md there."
        )
        self._status(f"Saved {plural(len(paths), 'file')} to {out_dir}.", "ok")

    @on(Button.Pressed, "#check")
    def action_check(self) -> None:
        """Check the Entra diagnostic settings through Azure Resource Manager."""
        self._status("Checking the Entra diagnostic settings…", "info")
        self._check()

    @work(exclusive=True, group="monitoring-check")
    async def _check(self) -> None:
        self.diagnostics = await self._service.check_diagnostic_settings()

    def action_back(self) -> None:
        """Leave with the paths saved."""
        self.dismiss(list(self.saved_paths))
