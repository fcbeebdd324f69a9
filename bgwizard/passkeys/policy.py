"""Pre-checks before a security key is registered on a break glass account.

Pure: the FIDO2 method policy as read from Graph, the signed-in admin's scopes and roles,
and the sentences that say what to change when something stands in the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID, SignedInIdentity
from bgwizard.passkeys.webauthn import CHALLENGE_MINUTES

PRIVILEGED_AUTH_ADMIN_ROLE_ID: Final = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
PASSKEY_SCOPES: Final = (
    "UserAuthMethod-Passkey.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
)
"""Either delegated permission lets an admin register a passkey for another user."""
POLICY_PATH: Final = (
    "Entra admin center > Protection > Authentication methods > Policies > Passkey (FIDO2)"
)
CBA_PATH: Final = (
    "Entra admin center > Users > the account > Authorization info > Certificate user IDs"
)
"""Where an administrator binds a certificate to a user (certificate-based auth)."""
WINDOW_TEXT: Final = (
    f"Entra ID's challenge is valid for {CHALLENGE_MINUTES} minutes: have the key plugged in "
    "and its PIN at hand before you start, then touch the key when it blinks."
)


@dataclass(frozen=True)
class PasskeyProfile:
    """One of the FIDO2 policy's ``passkeyProfiles`` (they replace ``isAttestationEnforced``
    and ``keyRestrictions``, deprecated with removal in Oct 2027)."""

    id: str
    name: str = ""
    passkey_types: tuple[str, ...] = ("deviceBound", "synced")
    """``deviceBound`` and/or ``synced``."""
    restrictions_enforced: bool = False
    enforcement: str = "block"
    aaguids: tuple[str, ...] = ()

    @classmethod
    def from_graph(cls, doc: Mapping[str, Any]) -> PasskeyProfile:
        """Parse one ``passkeyProfile`` JSON object."""
        rules = doc.get("keyRestrictions") or {}
        types = doc.get("passkeyTypes")
        listed = (
            tuple(t.strip() for t in types.split(",") if t.strip())
            if isinstance(types, str)
            else tuple(str(t) for t in types or ())
        )
        return cls(
            id=str(doc.get("id") or ""),
            name=str(doc.get("name") or doc.get("id") or ""),
            passkey_types=listed or ("deviceBound", "synced"),
            restrictions_enforced=bool(rules.get("isEnforced")),
            enforcement=str(rules.get("enforcementType") or "block"),
            aaguids=tuple(str(a).lower() for a in rules.get("aaGuids") or []),
        )


@dataclass(frozen=True)
class Fido2Policy:
    """The FIDO2 configuration of the tenant's authentication methods policy."""

    enabled: bool
    attestation_enforced: bool = False
    restrictions_enforced: bool = False
    enforcement: str = "block"
    """``allow`` (only the listed AAGUIDs) or ``block`` (all but the listed)."""
    aaguids: tuple[str, ...] = ()
    include_targets: tuple[str, ...] = ("all_users",)
    """Group ids the method is enabled for (``all_users`` for everyone)."""
    self_service: bool = True
    """``isSelfServiceRegistrationAllowed``: the provisioning API needs it on (known issue)."""
    profile: PasskeyProfile | None = None
    """The passkey profile that applies (read first); None when the tenant has none, and the
    deprecated ``isAttestationEnforced``/``keyRestrictions`` apply instead."""

    @classmethod
    def from_graph(cls, doc: Mapping[str, Any]) -> Fido2Policy:
        """Parse Graph's ``fido2AuthenticationMethodConfiguration`` JSON.

        The passkey profile read is the first one a target allows
        (``includeTargets[].allowedPasskeyProfiles``), else ``defaultPasskeyProfile``.
        """
        rules = doc.get("keyRestrictions") or {}
        return cls(
            enabled=doc.get("state") == "enabled",
            attestation_enforced=bool(doc.get("isAttestationEnforced")),
            restrictions_enforced=bool(rules.get("isEnforced")),
            enforcement=str(rules.get("enforcementType") or "block"),
            aaguids=tuple(str(a).lower() for a in rules.get("aaGuids") or []),
            include_targets=tuple(
                str(t.get("id")) for t in doc.get("includeTargets") or [] if isinstance(t, dict)
            ),
            # Not documented as ever absent; an absent flag is not reported as off.
            self_service=doc.get("isSelfServiceRegistrationAllowed") is not False,
            profile=_applied_profile(doc),
        )

    def allows_key(self, aaguid: str) -> bool:
        """Whether the key restrictions (the profile's first) let a key with ``aaguid`` register."""
        enforced, enforcement, aaguids = (
            (self.profile.restrictions_enforced, self.profile.enforcement, self.profile.aaguids)
            if self.profile is not None
            else (self.restrictions_enforced, self.enforcement, self.aaguids)
        )
        if not enforced:
            return True
        listed = aaguid.lower() in aaguids
        return listed if enforcement == "allow" else not listed

    def problems(self, group_ids: tuple[str, ...] | None = None) -> list[str]:
        """What in the policy stops a break glass account registering a key.

        Args:
            group_ids: the account's groups (transitive), or None when unknown.

        Returns:
            One sentence per problem, each saying what to change; empty when all is well.
        """
        found: list[str] = []
        if not self.enabled:
            found.append(f"Passkeys (FIDO2) are disabled: enable them in {POLICY_PATH}.")
        targets = set(self.include_targets)
        untargeted = group_ids is not None and not targets & set(group_ids)
        if self.enabled and "all_users" not in targets and untargeted:
            found.append(
                "The Passkey (FIDO2) policy does not target this account: add the account "
                f"or its group to the policy's targets in {POLICY_PATH}."
            )
        if self.enabled and not self.self_service:
            found.append(
                "Allow self-service setup is off: Entra ID refuses passkeys provisioned through"
                f" Graph without it (known issue); switch it on in {POLICY_PATH} > Configure."
            )
        if self.profile is not None and "deviceBound" not in self.profile.passkey_types:
            found.append(
                f"The passkey profile {self.profile.name} does not allow device-bound passkeys:"
                f" add deviceBound to its passkey types in {POLICY_PATH} > Configure."
            )
        rules = self.profile or self
        if rules.restrictions_enforced and rules.enforcement == "allow" and not rules.aaguids:
            found.append(
                "The Passkey (FIDO2) key restrictions allow no key model: add your key's "
                f"AAGUID in {POLICY_PATH} > Configure."
            )
        return found

    def key_problem(self, aaguid: str) -> str | None:
        """Why a key with ``aaguid`` would be refused by the key restrictions, or None."""
        if self.allows_key(aaguid):
            return None
        return (
            f"The Passkey (FIDO2) key restrictions do not allow this key model (AAGUID "
            f"{aaguid}): add it in {POLICY_PATH} > Configure, or use an allowed key."
        )


def cba_missing(upn: str) -> str:
    """What to say when certificate-based auth is chosen for ``upn`` but none is bound."""
    return (
        f"No certificate is bound to {upn} (its authorizationInfo lists no certificate user"
        f" IDs): bind one in {CBA_PATH}, or register a passkey instead."
    )


def permission_problem(identity: SignedInIdentity | None) -> str | None:
    """Why the signed-in admin cannot register a passkey for a Global Administrator, or None."""
    if identity is None:
        return "Sign in first: registering a security key needs an administrator's sign-in."
    if identity.scopes and not set(identity.scopes) & set(PASSKEY_SCOPES):
        return (
            "The sign-in lacks the permission UserAuthMethod-Passkey.ReadWrite.All "
            "(or UserAuthenticationMethod.ReadWrite.All): consent to it and sign in again."
        )
    if identity.role_ids and not set(identity.role_ids) & {
        GLOBAL_ADMIN_ROLE_ID,
        PRIVILEGED_AUTH_ADMIN_ROLE_ID,
    }:
        return (
            "Only a Global Administrator or Privileged Authentication Administrator may "
            "register a key on a break glass account: sign in with one of those roles active."
        )
    return None


def _applied_profile(doc: Mapping[str, Any]) -> PasskeyProfile | None:
    profiles = {
        str(p.get("id")): PasskeyProfile.from_graph(p)
        for p in doc.get("passkeyProfiles") or []
        if isinstance(p, Mapping)
    }
    if not profiles:
        return None
    for target in doc.get("includeTargets") or []:
        allowed = target.get("allowedPasskeyProfiles") if isinstance(target, Mapping) else None
        for pid in allowed or []:
            if str(pid) in profiles:
                return profiles[str(pid)]
    default = doc.get("defaultPasskeyProfile")
    default_id = str(default.get("id") if isinstance(default, Mapping) else default or "")
    return profiles.get(default_id) or next(iter(profiles.values()))
