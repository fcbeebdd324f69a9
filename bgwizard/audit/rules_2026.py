"""The audit rules Microsoft's 2026 guidance added: phishing-resistant credentials, other
methods named one by one, Global Administrator through PIM, the Global Administrator count,
and security defaults (under which Conditional Access exclusions do not apply). Pure.

Part of ``audit.rules`` (split for size); each rule returns findings, ``ok`` ones included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from bgwizard.audit.model import (
    AccountSnapshot,
    AuditSnapshot,
    Finding,
    Unread,
    account_finding,
)
from bgwizard.auth.identity import GLOBAL_ADMIN_ROLE_ID
from bgwizard.graph.model import AuthMethod, DirectoryUser, RoleAssignment

PIM_LICENCE_ERROR: Final = "AadPremiumLicenseRequired"
"""What a tenant without Entra ID P2 answers PIM calls with (observed; not documented)."""
GLOBAL_ADMIN_RANGE: Final = (2, 8)
"""Fewer than 2 or more than 8 Global Administrators: Maester, ScubaGear MS.AAD.7.1, ZTA."""
_OTHER_LABELS: Final[dict[str, str]] = {
    "phone": "a phone number (SMS or voice)",
    "microsoftAuthenticator": "Microsoft Authenticator",
    "passwordlessMicrosoftAuthenticator": "Microsoft Authenticator (passwordless)",
    "softwareOath": "a software OATH token",
    "hardwareOath": "a hardware OATH token",
    "email": "an email address",
    "temporaryAccessPass": "a Temporary Access Pass",
    "qrCodePin": "a QR code with PIN",
    "windowsHelloForBusiness": "Windows Hello for Business on a device",
    "platformCredential": "a platform credential on a device",
}
"""Method kinds other than a device-bound passkey or a certificate, as people name them."""
_NOT_METHODS: Final = frozenset({"password"})
"""The password is the last resort on paper; it is not "another method"."""


def _strong(method: AuthMethod) -> bool:
    return method.phishing_resistant_device_bound or method.kind == "x509Certificate"


def _label(method: AuthMethod) -> str:
    if method.kind in ("fido2", "passkey"):
        return "a synced passkey (it lives in someone's cloud account)"
    return _OTHER_LABELS.get(method.kind, f"a {method.kind} method")


def check_credentials(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """A device-bound passkey or certificate-based auth (error without); other methods named.

    CBA is bound through ``authorizationInfo.certificateUserIds`` on the user: v1.0's
    ``/authentication/methods`` never lists it.
    """
    if not snap.object_id or snap.user is None:
        return
    if isinstance(snap.methods, Unread):
        yield account_finding(
            snap,
            "auth.strong_method",
            "not_checked",
            snap.methods.reason,
            evidence=snap.methods.reason,
        )
        yield account_finding(snap, "auth.other_methods", "not_checked", snap.methods.reason)
        return
    user = snap.user if isinstance(snap.user, DirectoryUser) else None
    yield _strong_finding(snap, snap.methods, user)
    others = [m for m in snap.methods if m.kind not in _NOT_METHODS and not _strong(m)]
    if not others:
        yield account_finding(
            snap, "auth.other_methods", "ok", "No method other than phishing-resistant ones."
        )
    for method in others:
        detail = (
            f" ({method.display_name or method.detail})"
            if (method.display_name or method.detail)
            else ""
        )
        yield account_finding(
            snap,
            "auth.other_methods",
            "warning",
            f"{_label(method)[:1].upper()}{_label(method)[1:]} is registered{detail}: it is not"
            " phishing-resistant and may tie the account to a person.",
            evidence=f"Method {method.id}: {method.kind}{detail}.",
            fix="Delete this method; keep only device-bound passkeys (or CBA) and the paper sheet.",
        )


def _strong_finding(
    snap: AccountSnapshot, methods: tuple[AuthMethod, ...], user: DirectoryUser | None
) -> Finding:
    kinds = sorted({m.kind + (f"/{m.passkey_type}" if m.passkey_type else "") for m in methods})
    listed = "Registered methods: " + (", ".join(kinds) or "none") + "."
    bound = user.certificate_user_ids if user is not None else ()
    cba = f" certificateUserIds: {len(bound)}." if bound else ""
    if any(_strong(m) for m in methods) or bound:
        return account_finding(
            snap,
            "auth.strong_method",
            "ok",
            "A phishing-resistant credential (device-bound passkey or certificate) is registered.",
            evidence=listed + cba,
        )
    if user is None:  # CBA lives on the user object, which could not be read
        return account_finding(
            snap,
            "auth.strong_method",
            "not_checked",
            "No passkey is registered, and certificate-based auth could not be checked: the"
            " user could not be read.",
            evidence=listed,
        )
    return account_finding(
        snap,
        "auth.strong_method",
        "error",
        "No phishing-resistant credential: mandatory MFA keeps a password-only account out of"
        " the admin portals.",
        evidence=listed + " authorizationInfo.certificateUserIds is empty.",
        fix=(
            "Register a device-bound passkey on a FIDO2 security key kept with the sheet"
            " (bgwizard: Security keys), or bind certificate-based auth."
        ),
    )


def check_pim(snap: AccountSnapshot, snapshot: AuditSnapshot) -> Iterator[Finding]:
    """In a tenant with PIM (Entra ID P2), the permanent Global Administrator came through PIM.

    A direct ``roleAssignments`` POST leaves an active schedule without a start date, the sign
    ScubaGear MS.AAD.7.5 and Sentinel's "role assigned outside PIM" look for.
    """
    if not snap.object_id or snap.user is None or isinstance(snap.user, Unread):
        return
    if isinstance(snap.schedules, Unread):
        if snap.schedules.code == PIM_LICENCE_ERROR:
            yield account_finding(
                snap,
                "role.pim",
                "info",
                "The tenant has no PIM (Entra ID P2): a direct permanent assignment is right.",
                evidence=snap.schedules.reason,
            )
        else:
            yield account_finding(snap, "role.pim", "not_checked", snap.schedules.reason)
        return
    ga = [
        s
        for s in snap.schedules
        if s.role_definition_id == GLOBAL_ADMIN_ROLE_ID
        and s.directory_scope_id == "/"
        and s.assignment_type != "Activated"
    ]
    if not ga:
        return  # role.global_admin reports the missing role
    outside = [s for s in ga if s.start is None]
    if not outside:
        yield account_finding(
            snap, "role.pim", "ok", "Global Administrator was assigned through PIM."
        )
        return
    yield account_finding(
        snap,
        "role.pim",
        "warning",
        "Global Administrator was assigned outside PIM (a direct role assignment).",
        evidence=f"roleAssignmentSchedule {outside[0].id} has no startDateTime.",
        fix=(
            "Remove the direct assignment and assign it again through PIM: active, permanent"
            " (adminAssign, noExpiration) — the set-up wizard's Global Administrator step does."
        ),
    )


def check_global_admin_count(snapshot: AuditSnapshot) -> Finding | None:
    """Between 2 and 8 principals hold Global Administrator actively at ``/``."""
    admins = snapshot.global_admins
    if admins is None or snapshot.offline:
        return None
    if isinstance(admins, Unread):
        return Finding("role.global_admin_count", "not_checked", admins.reason)
    principals = sorted({a.principal_id for a in admins if _tenant_wide_ga(a)})
    low, high = GLOBAL_ADMIN_RANGE
    evidence = (
        f"{len(principals)} principals hold Global Administrator at /: "
        + (", ".join(principals) or "none")
        + "."
    )
    if low <= len(principals) <= high:
        return Finding(
            "role.global_admin_count",
            "ok",
            f"{len(principals)} Global Administrators.",
            evidence=evidence,
        )
    return Finding(
        "role.global_admin_count",
        "warning",
        f"{len(principals)} Global Administrators: keep between {low} and {high}.",
        evidence=evidence,
        fix=(
            "Use least-privileged roles for daily work and keep Global Administrator for the"
            " break glass accounts and a few named admins."
            if len(principals) > high
            else "Have at least two: the break glass accounts count."
        ),
    )


def _tenant_wide_ga(assignment: RoleAssignment) -> bool:
    return (
        assignment.role_definition_id == GLOBAL_ADMIN_ROLE_ID
        and assignment.directory_scope_id == "/"
    )


def check_security_defaults(snapshot: AuditSnapshot) -> Finding | None:
    """Security defaults off: with them on, no Conditional Access policy applies, so the
    accounts cannot be excluded from anything and get the MFA registration prompts."""
    defaults = snapshot.security_defaults
    if defaults is None or snapshot.offline:
        return None
    if isinstance(defaults, Unread):
        return Finding("ca.security_defaults", "not_checked", defaults.reason)
    evidence = f"identitySecurityDefaultsEnforcementPolicy.isEnabled = {str(defaults).lower()}."
    if not defaults:
        return Finding(
            "ca.security_defaults", "ok", "Security defaults are off.", evidence=evidence
        )
    return Finding(
        "ca.security_defaults",
        "error",
        "Security defaults are on: Conditional Access exclusions don't apply under them, and"
        " the break glass accounts cannot be left out of their MFA requirement.",
        evidence=evidence,
        fix=(
            "Turn security defaults off and protect the tenant with Conditional Access"
            " (Entra ID P1) instead, excluding the break glass accounts from every policy."
        ),
    )
