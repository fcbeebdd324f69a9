"""The composition root: builds the services for a profile and runs the app.

Kept apart from ``__main__`` so the CLI parser stays import-light (``--help`` and
``--version`` load no Textual, msal or emulator code).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bgwizard.auth.service import MsalAuthenticator
from bgwizard.demo.info import DemoInfo
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ports import DemoApprover, ProfileStore, Services
from bgwizard.profile.model import Profile
from bgwizard.profile.store import TomlProfileStore


def build_services(
    profile: Profile, profiles: ProfileStore, demo: DemoApprover | None = None
) -> Services:
    """The service bundle for ``profile``.

    Args:
        profile: the loaded profile (authority, Graph URL, CA bundle).
        profiles: where the profile is saved.
        demo: the emulator approver, in demo mode.

    Returns:
        The services the app and its screens use.
    """
    auth = MsalAuthenticator(profile)
    directory = GraphDirectory(profile, auth.credential())
    return Services(auth=auth, directory=directory, profiles=profiles, demo=demo)


def run_app(profile_path: Path | None = None) -> int:
    """Run the TUI against the tenant of the profile at ``profile_path``.

    Raises:
        ProfileError: the profile cannot be read.
    """
    from bgwizard.tui.app import BgWizardApp

    store = TomlProfileStore(profile_path)
    profile = store.load()
    BgWizardApp(build_services(profile, store), profile).run()
    return 0


def run_demo(tenant_file: Path | None = None, port: int = 0) -> int:
    """Start the emulator with the sample tenant (or ``tenant_file``) and run the TUI on it.

    The demo's profile and the emulator's CA live in a private temporary directory that is
    removed on exit; nothing of the user's real profile is read or written.

    Raises:
        BgWizardError: the tenant file is not valid or the port is taken.
    """
    from bgwizard.demo.approver import EmulatorApprover
    from bgwizard.emulator import Emulator
    from bgwizard.tui.app import BgWizardApp

    with tempfile.TemporaryDirectory(prefix="bgwizard-demo-") as state:
        emulator = Emulator(tenant_file=tenant_file, port=port, state_dir=Path(state))
        with emulator:
            profile = demo_profile(emulator.tenant_id, emulator.base_url, emulator.ca_pem_path)
            # Training drills sign a throw-away log with a throw-away key, like the tenant.
            profile.drill_log = str(Path(state) / "training-drill-log.jsonl")
            profile.signer_key = str(Path(state) / "training-drill-key")
            store = TomlProfileStore(Path(state) / "profile.toml")
            store.save(profile)
            services = build_services(profile, store, EmulatorApprover(emulator))
            BgWizardApp(services, profile, demo=DemoInfo(base_url=emulator.base_url)).run()
    return 0


def demo_profile(tenant_id: str, base_url: str, ca_pem: Path) -> Profile:
    """A profile pointing at an emulator.

    Args:
        tenant_id: the emulated tenant's id.
        base_url: the emulator's ``https://127.0.0.1:PORT``.
        ca_pem: the emulator's CA certificate.

    Returns:
        The profile (not yet saved).
    """
    return Profile(
        tenant_id=tenant_id,
        authority_host=base_url,
        graph_url=f"{base_url}/v1.0",
        arm_url=f"{base_url}/arm",
        ca_bundle=str(ca_pem),
        demo=True,
    )
