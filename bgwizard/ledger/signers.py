"""Who may sign a log: signers, ``allowed_signers`` lines, and signer changes.

Pure. A log trusts its first signer (which the profile pins) and every signer a ``signers``
entry by a trusted signer added, until one retires it (see ``bgwizard.ledger.chain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bgwizard.errors import LedgerError
from bgwizard.ledger.fields import (
    KEY_RE,
    PRINCIPAL_RE,
    JsonValue,
    check_key,
    check_principal,
    check_text,
    key_blob,
    key_fingerprint,
)
from bgwizard.profile.model import PinnedSigner

NAMESPACE: Final = "bgwizard-drill"
"""SSHSIG namespace of every signature (``ssh-keygen -n``)."""
SIGNER_ACTIONS: Final = ("add", "retire")
"""``data.action`` of a ``signers`` entry."""


@dataclass(frozen=True)
class Signer:
    """One (operator, key) pair trusted by a log: a line of ``allowed_signers``."""

    operator: str
    key: str

    def allowed_signers_line(self) -> str:
        """``"<principal>" namespaces="bgwizard-drill" ssh-ed25519 AAAA…`` (principal quoted)."""
        return allowed_signers_line([self.operator], self.key)

    @property
    def fingerprint(self) -> str:
        """The key's OpenSSH fingerprint (``SHA256:…``)."""
        return key_fingerprint(self.key)

    def pinned(self) -> PinnedSigner:
        """The profile's record of this signer."""
        return PinnedSigner(self.operator, self.key)

    @classmethod
    def of(cls, pinned: PinnedSigner) -> Signer:
        """The signer a profile pins."""
        return cls(pinned.operator, pinned.key)


def allowed_signers_line(principals: Sequence[str], key: str) -> str:
    """One ``allowed_signers`` line for ``key``: the principals quoted, never a pattern.

    Raises:
        LedgerError: a principal or the key is not valid (so the line could widen trust).
    """
    names = ",".join(check_principal(name) for name in principals)
    return f'"{names}" namespaces="{NAMESPACE}" {check_key(key)}'


def allowed_signers_text(signers: Iterable[Signer]) -> str:
    """An ``allowed_signers`` file: one line per key (its principals joined), in first-use order."""
    names: dict[str, list[str]] = {}
    for signer in signers:
        listed = names.setdefault(signer.key, [])
        if signer.operator not in listed:
            listed.append(signer.operator)
    return "".join(allowed_signers_line(ops, key) + "\n" for key, ops in names.items())


@dataclass(frozen=True)
class SignerChange:
    """What a ``signers`` entry does: add or retire one signer of the log."""

    action: str
    """``add`` or ``retire``."""
    signer: Signer
    reason: str = ""


def signer_change_data(action: str, signer: Signer, reason: str) -> dict[str, JsonValue]:
    """The ``data`` of a ``signers`` entry.

    Raises:
        LedgerError: unknown action, bad principal or key, or a reason that is not printable.
    """
    data: dict[str, JsonValue] = {
        "action": action, "operator": signer.operator, "key": signer.key, "reason": reason.strip(),
    }  # fmt: skip
    _signer_change(data)
    check_text(data)
    return data


def _signer_change(data: Mapping[str, object]) -> SignerChange:
    action, operator, key = data.get("action"), data.get("operator"), data.get("key")
    if action not in SIGNER_ACTIONS:
        raise LedgerError("its signer change is neither add nor retire")
    if not isinstance(operator, str) or not PRINCIPAL_RE.match(operator):
        raise LedgerError("the signer it names has an invalid operator name")
    if not isinstance(key, str) or not KEY_RE.match(key) or not key_blob(key):
        raise LedgerError("the signer it names has an invalid key")
    reason = data.get("reason", "")
    return SignerChange(
        str(action), Signer(operator, key), reason if isinstance(reason, str) else ""
    )


def change_problem(active: Sequence[Signer], change: SignerChange) -> str:
    """Why a signer change cannot apply to a log trusting ``active`` ('' when it can)."""
    if change.action == "add" and change.signer in active:
        return "it adds a signer that is already trusted"
    if change.action == "retire" and change.signer not in active:
        return "it retires a signer that is not trusted"
    if change.action == "retire" and len(active) == 1:
        return "it retires the last trusted signer"
    return ""


def signer_change(data: Mapping[str, object]) -> SignerChange:
    """The change a ``signers`` entry's data makes.

    Raises:
        LedgerError: the data does not name an action, a valid principal and key.
    """
    return _signer_change(data)


def parse_allowed_signers(text: str) -> list[Signer]:
    """Read the ``allowed_signers`` lines that name this namespace (or no namespace).

    Only the simple form ``["]principal[,principal]["] [namespaces="…"] ssh-ed25519 KEY`` is
    understood; other lines, and principals that are patterns (``*``), are skipped.
    """
    signers: list[Signer] = []
    for raw in text.splitlines():
        parts = raw.split()
        if not parts or parts[0].startswith("#") or "ssh-ed25519" not in parts:
            continue
        at = parts.index("ssh-ed25519")
        if at + 1 >= len(parts):
            continue
        options = " ".join(parts[1:at])
        if "namespaces=" in options and NAMESPACE not in options:
            continue
        key = f"ssh-ed25519 {parts[at + 1]}"
        if not KEY_RE.match(key) or key_blob(key) is None or "cert-authority" in options:
            continue
        names = parts[0].removeprefix('"').removesuffix('"').split(",")
        signers.extend(Signer(name, key) for name in names if PRINCIPAL_RE.match(name))
    return signers
