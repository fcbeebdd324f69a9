"""The journeys bgwizard offers, and the menu on the home screen that lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from textual.widgets import OptionList
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Journey:
    """One of the things a person comes to bgwizard to do."""

    id: str
    """Stable id: the key of the app's screen registry and of the ``open_<id>`` command."""
    title: str
    """Short name shown in the menu."""
    summary: str
    """One line saying what the journey does."""


JOURNEYS: Final[tuple[Journey, ...]] = (
    Journey(
        "setup",
        "Set up",
        "Create the accounts, print the sheets, assign Global Admin, exclude them from CA.",
    ),
    Journey(
        "drill",
        "Quarterly drill",
        "Sign in with a sheet, ask if the alert arrived, sign the log.",
    ),
    Journey(
        "audit",
        "Audit",
        "Check every break glass rule against the tenant now.",
    ),
    Journey(
        "rotate",
        "Rotate",
        "New password and sheets after a real use or a lost sheet.",
    ),
    Journey(
        "use",
        "Record a use",
        "Post-mortem of a real emergency, signed into the log.",
    ),
    Journey(
        "passkey",
        "Security keys",
        "Register a FIDO2 security key on an account (the admin portals demand MFA).",
    ),
    Journey(
        "monitoring",
        "Monitoring",
        "Alerts on every sign-in and every change to the accounts.",
    ),
    Journey(
        "runbook",
        "Print runbook",
        "Offline runbook sheets from editable templates.",
    ),
)


def journey(journey_id: str) -> Journey:
    """The journey with ``journey_id``.

    Raises:
        KeyError: no journey has that id.
    """
    for item in JOURNEYS:
        if item.id == journey_id:
            return item
    raise KeyError(journey_id)


class JourneyMenu(OptionList):
    """The journeys as a list; choosing one posts ``OptionList.OptionSelected`` with its id."""

    def __init__(self, *, id: str | None = None) -> None:
        """List every journey.

        Args:
            id: Textual widget id.
        """
        super().__init__(*(self._option(item) for item in JOURNEYS), id=id)

    @staticmethod
    def _option(item: Journey) -> Option:
        return Option(f"[b]{item.title}[/b]\n[dim]{item.summary}[/dim]", id=item.id)
