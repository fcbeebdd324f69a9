"""The profile: what bgwizard remembers about a tenant between runs. Never a secret.

Pure data. Reading and writing the TOML file is ``bgwizard.profile.store``. Each section this
version knows is a typed dataclass (``UiPrefs`` is ``[ui]``, ``DrillLogHead`` is ``[drill]``);
``extra`` holds only what a later version wrote, so saving never loses it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final, Protocol

PUBLIC_AUTHORITY_HOST: Final = "https://login.microsoftonline.com"
PUBLIC_GRAPH_URL: Final = "https://graph.microsoft.com/v1.0"
PUBLIC_ARM_URL: Final = "https://management.azure.com"
#: Microsoft Graph Command Line Tools, a public client Microsoft pre-consents in every tenant.
DEFAULT_CLIENT_ID: Final = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
DRILL_INTERVAL_DAYS: Final = 90
PRINCIPAL: Final = r"^[A-Za-z0-9._@+-]{1,128}\Z"
"""A signer's name (an ``allowed_signers`` principal): no space, quote, comma or pattern."""
ED25519_KEY: Final = r"^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}=?\Z"
"""An OpenSSH Ed25519 public key line without comment (the blob's fixed prefix, then 32 bytes)."""
HEAD: Final = r"^[0-9a-f]{64}\Z"
"""A log head: the SHA-256 (hex) of the log's last line."""


@dataclass
class SheetRecord:
    """One printed credential sheet (a pair of copies share a serial)."""

    serial: str
    """Random serial printed on the sheet."""
    created: dt.date
    """Day the sheet was generated."""
    retired: dt.date | None = None
    """Day the sheet was retired (rotation, loss); None while current."""
    extra: dict[str, object] = field(default_factory=dict)
    """Keys a later version added to this sheet's entry; kept on save."""


@dataclass
class SecurityKeyRecord:
    """A FIDO2 security key (passkey) registered on a break glass account. Never its PIN."""

    label: str
    """The name given in Entra ID and printed on the sheet (e.g. ``BG key 1 (safe A)``)."""
    aaguid: str
    """The key model's AAGUID."""
    model: str
    """The model as Entra ID or the key names it."""
    method_id: str = ""
    """Graph's fido2AuthenticationMethod id."""
    registered: dt.date | None = None
    retired: dt.date | None = None
    extra: dict[str, object] = field(default_factory=dict)
    """Keys a later version added to this key's entry; kept on save."""


@dataclass
class PendingRotation:
    """A rotation journaled before Graph was asked to reset the password. Never the password.

    While set, the tenant may hold either the old password or the new one: the rotation is
    finished by a sign-in with the new sheet, or started again (this serial is then retired).
    """

    serial: str
    """The new sheet's serial."""
    created: dt.date
    """Day the new sheet was generated."""
    locations: list[str] = field(default_factory=list)
    """Where the new sheet's copies are kept."""
    started: dt.datetime | None = None
    """When the rotation was journaled (UTC), just before Graph was asked to reset."""


@dataclass
class BreakGlassAccount:
    """A break glass account the profile names (never guessed from the tenant)."""

    upn: str
    object_id: str = ""
    """Entra object id; empty until the account is created."""
    locations: list[str] = field(default_factory=list)
    """Where each paper copy is stored (one entry per copy)."""
    custodians: list[str] = field(default_factory=list)
    sheets: list[SheetRecord] = field(default_factory=list)
    created: dt.date | None = None
    last_rotation: dt.date | None = None
    security_keys: list[SecurityKeyRecord] = field(default_factory=list)
    """FIDO2 security keys registered on the account (mandatory MFA for the portals)."""
    strong_method: str = ""
    """The phishing-resistant credential the set-up gave it: ``passkey``, ``cba`` (certificate
    user ids bound), ``skipped`` (with ``skip_reason``), or "" before the passkey step."""
    skip_reason: str = ""
    """Why the operator skipped the phishing-resistant credential (also in the signed log)."""
    pending_rotation: PendingRotation | None = None
    """A rotation begun but not recorded as done (see ``bgwizard.rotation.journal``)."""
    extra: dict[str, object] = field(default_factory=dict)
    """Keys a later version added to this account; kept on save."""

    @property
    def current_serials(self) -> list[str]:
        """Serials of the sheets that are not retired."""
        return [s.serial for s in self.sheets if s.retired is None]


@dataclass
class UiPrefs:
    """The ``[ui]`` section: how the TUI looks and which keys it answers to."""

    theme: str = ""
    """Textual theme name (``textual-dark`` or ``textual-light``); empty for the default."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id → keys (``{"toggle_theme": "f9"}``), applied with ``App.set_keymap``."""
    extra: dict[str, object] = field(default_factory=dict)
    """Keys a later version added to ``[ui]``; kept on save."""


@dataclass(frozen=True)
class PinnedSigner:
    """A key the profile trusts to sign its log (``[[drill.signers]]``), retired ones included.

    The log's first entry pins its signer here; ``bgwizard log signers add`` pins more.
    """

    operator: str
    """The principal it signs as (``PRINCIPAL``)."""
    key: str
    """Its public key, ``ssh-ed25519 AAAA…`` (``ED25519_KEY``)."""


@dataclass
class DrillLogHead:
    """The ``[drill]`` section: who signed the drill log last, and its head at that moment.

    The head lets the next recording notice entries cut off the end of the log.
    """

    operator: str = ""
    """The signer name used last time; offered again at the next signing."""
    head: str = ""
    """SHA-256 of the log's last line after this profile's last entry; empty before one."""
    signers: list[PinnedSigner] = field(default_factory=list)
    """The pinned signers: only entries by these keys count, wherever the log is read."""
    extra: dict[str, object] = field(default_factory=dict)
    """Keys a later version added to ``[drill]``; kept on save."""


@dataclass
class Profile:
    """Everything bgwizard keeps for one tenant."""

    tenant_id: str = ""
    tenant_name: str = ""
    initial_domain: str = ""
    authority_host: str = PUBLIC_AUTHORITY_HOST
    graph_url: str = PUBLIC_GRAPH_URL
    arm_url: str = PUBLIC_ARM_URL
    """Azure Resource Manager (diagnostic settings check); the emulator's ``/arm`` in demo."""
    client_id: str = DEFAULT_CLIENT_ID
    ca_bundle: str = ""
    """PEM of the CA to trust (the emulator's); empty for the real cloud."""
    demo: bool = False
    accounts: list[BreakGlassAccount] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    drill_log: str = ""
    signer_key: str = ""
    last_drill: dt.date | None = None
    setup_steps_done: list[str] = field(default_factory=list)
    """Set-up journal: ids of the wizard steps completed, so an interrupted set-up resumes."""
    sheet_qr: bool = True
    """Print a QR code of the password on credential sheets (off for tenants that forbid it)."""
    sheet_paper: str = "a4"
    """Paper size of credential sheets: ``a4`` or ``letter``."""
    runbook_templates_dir: str = ""
    """The user's runbook template directory: its ``*.md.j2`` files override or add sections."""
    setup_ca_backups: list[str] = field(default_factory=list)
    """Conditional Access backup files the set-up wrote before patching, oldest first."""
    exclusion_group_id: str = ""
    """The protected (role-assignable) group excluded from Conditional Access instead of the
    accounts; "" for direct exclusion (the default)."""
    exclusion_group_name: str = ""
    """Its display name, for screens and the runbook."""
    exclusion_rmau_id: str = ""
    """The restricted management administrative unit holding that group ("" for none)."""
    dedicated_policy_id: str = ""
    """The dedicated phishing-resistant Conditional Access policy the set-up created ("" none)."""
    ui: UiPrefs = field(default_factory=UiPrefs)
    """Theme and key remapping (``[ui]``)."""
    drill: DrillLogHead = field(default_factory=DrillLogHead)
    """Last signer and log head (``[drill]``)."""
    extra: dict[str, object] = field(default_factory=dict)
    """Top-level keys a later version wrote that this version does not know; kept on save."""

    @property
    def authority(self) -> str:
        """The msal authority URL for this tenant (``organizations`` before the first sign-in)."""
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id or 'organizations'}"

    def next_drill_due(self) -> dt.date | None:
        """Day the next quarterly drill is due, or None when no drill was ever run."""
        if self.last_drill is None:
            return None
        return self.last_drill + dt.timedelta(days=DRILL_INTERVAL_DAYS)


class ProfileStore(Protocol):
    """Loads and saves the profile atomically."""

    def load(self) -> Profile:
        """Read the profile (a new empty one when the file does not exist yet)."""
        ...

    def save(self, profile: Profile) -> None:
        """Write the profile atomically with mode 0600."""
        ...
