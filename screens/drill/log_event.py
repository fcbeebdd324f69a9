"""Sign a rotation, a real use or a sign-in bgwizard made into the signed log, with the
drill's signing dialog.

The same signer, key and passphrase fields as the drill, and the same refusal: a log that does
not verify is not appended to, and the dialog offers a new log linked to it. Dismisses with a
``RecordedDrill`` (the entry, the new head, the log), or None when closed.
"""

from __future__ import annotations

from pathlib import Path

from bgwizard.drill.model import RecordedDrill
from bgwizard.ledger.chain import JsonValue
from bgwizard.ports import LogRecorder
from bgwizard.screens.drill.sign_dialog import SignDialog
from bgwizard.secret import Secret

HEADINGS = {
    "rotation": "Sign the rotation into the log",
    "use": "Sign the real use into the log",
    "setup-signin": "Sign the set-up's verification sign-in into the log",
    "passkey-signin": "Sign the passkey's check sign-in into the log",
    "credential-skipped": "Sign the skipped credential and its reason into the log",
}


class EventSignDialog(SignDialog):
    """Unlock (or create) the signing key and append a ``rotation`` or ``use`` entry."""

    def __init__(
        self, recorder: LogRecorder, kind: str, data: dict[str, JsonValue], signer: str
    ) -> None:
        """Append ``data`` as a ``kind`` entry; ``signer`` is the suggested signer name."""
        super().__init__(recorder, None, signer)
        self._kind, self._data = kind, data

    def heading(self) -> str:
        """What is signed."""
        return HEADINGS.get(self._kind, f"Sign the {self._kind} entry into the log")

    def _append(
        self, signer: str, key_path: Path, passphrase: Secret | None, relink: bool
    ) -> RecordedDrill:
        return self._recorder.sign_event(
            self._kind, self._data, signer, key_path, passphrase, relink=relink
        )
