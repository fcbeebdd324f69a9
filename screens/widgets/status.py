"""The status panel of the home screen: tenant, who is signed in, accounts, next drill."""

from __future__ import annotations

import datetime as dt
from typing import Final

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from bgwizard.auth.identity import SignedInIdentity, TenantInfo
from bgwizard.profile.model import Profile
from bgwizard.text import plural


def status_lines(
    profile: Profile,
    identity: SignedInIdentity | None,
    tenant: TenantInfo | None,
    today: dt.date,
) -> list[str]:
    """The panel's text, line by line.

    Args:
        profile: what bgwizard remembers about the tenant.
        identity: the signed-in administrator, if any.
        tenant: the tenant as Graph described it after sign-in, if loaded.
        today: the current date, for the drill due date.

    Returns:
        Plain lines, headings included.
    """
    return [
        *_tenant_lines(profile, tenant),
        "",
        *_admin_lines(identity),
        "",
        *_account_lines(profile),
        "",
        *_drill_lines(profile, today),
    ]


def _tenant_lines(profile: Profile, tenant: TenantInfo | None) -> list[str]:
    name = tenant.display_name if tenant else profile.tenant_name
    tenant_id = tenant.tenant_id if tenant else profile.tenant_id
    domain = tenant.initial_domain if tenant else profile.initial_domain
    if not (name or tenant_id):
        return ["Tenant", "  not known yet (sign in)"]
    lines = ["Tenant", f"  {name or '(name not loaded)'}", f"  id {tenant_id or 'unknown'}"]
    if domain:
        lines.append(f"  {domain}")
    return lines


def _admin_lines(identity: SignedInIdentity | None) -> list[str]:
    if identity is None:
        return ["Administrator", "  not signed in (F2 to sign in)"]
    role = "Global Administrator" if identity.is_global_admin else "not a Global Administrator"
    return ["Administrator", f"  {identity.upn}", f"  {role}"]


def _account_lines(profile: Profile) -> list[str]:
    if not profile.accounts:
        return ["Break glass accounts", "  none yet (Set up creates them)"]
    lines = ["Break glass accounts"]
    for account in profile.accounts:
        lines.append(f"  {account.upn}")
        lines.append(f"    object id {account.object_id or 'not created yet'}")
        if account.pending_rotation is not None:
            lines.append(
                f"    {OVERDUE_MARK} Rotation to sheet {account.pending_rotation.serial}"
                " not finished: open Rotate to finish it or start again."
            )
    return lines


def _drill_lines(profile: Profile, today: dt.date) -> list[str]:
    due = profile.next_drill_due()
    if due is None:
        return ["Quarterly drill", "  never drilled"]
    days = (due - today).days
    if days >= 0:
        return [
            "Quarterly drill",
            f"  last {profile.last_drill}",
            f"  next due {due} (in {plural(days, 'day')})",
        ]
    return [
        "Quarterly drill",
        f"  last {profile.last_drill}",
        f"  next due {due} (overdue by {plural(-days, 'day')})",
        f"  {OVERDUE_MARK} Overdue: run the quarterly drill now.",
    ]


OVERDUE_MARK: Final = "⚠"
"""Marks a warning line; the panel draws such lines in the theme's warning colour."""


class StatusPanel(Widget):
    """Shows ``status_lines`` for the current profile, admin and tenant."""

    profile: reactive[Profile | None] = reactive(None, always_update=True)
    """The profile shown (always redrawn: a profile is changed in place)."""
    identity: reactive[SignedInIdentity | None] = reactive(None)
    """The signed-in administrator."""
    tenant: reactive[TenantInfo | None] = reactive(None)
    """The tenant as loaded from Graph."""
    today: reactive[dt.date] = reactive(dt.date(1970, 1, 1))
    """The current date (injected, so tests can freeze it)."""

    def lines(self) -> list[str]:
        """The text the panel shows now."""
        if self.profile is None:
            return []
        return status_lines(self.profile, self.identity, self.tenant, self.today)

    def render(self) -> Text:
        """Headings bold, details plain."""
        text = Text()
        warning = self.app.theme_variables.get("warning", "yellow")
        for line in self.lines():
            style = "bold" if line and not line.startswith(" ") else ""
            if line.lstrip().startswith(OVERDUE_MARK):
                style = f"bold {warning}"
            text.append(line + "\n", style=style)
        text.rstrip()
        return text
