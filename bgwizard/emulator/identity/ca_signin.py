"""Conditional Access at token issuance: which enabled policies apply, and whether they let a
token be issued.

Conditions evaluated: users (include/exclude users, groups, roles, guests), applications (the
client and Microsoft Graph), client app types (bgwizard is a desktop client:
``mobileAppsAndDesktopClients``), authentication flows (``transferMethods`` containing
``deviceCodeFlow`` applies to device code sign-ins only), device platform and named locations
(the tenant file's ``settings.signInPlatform`` / ``signInLocations``: the emulator has no real
device or network to look at), risk (the emulator has none, so risk-based policies never apply)
and device filters (the emulator's device is unregistered: an ``include`` filter never matches,
an ``exclude`` filter never excludes). Report-only policies enforce nothing.

Grant controls: ``block``; ``mfa`` (met when the sign-in used a second factor); an authentication
strength (met when the methods used are one of its ``allowedCombinations``); device and app
controls (never met: the device is not managed). Errors, from ``graph-ground-truth.json``:
AADSTS53003 BlockedByConditionalAccess; AADSTS50076 when MFA or a strength is not met. Microsoft
documents no AADSTS number for a device-code sign-in blocked by ``authenticationFlows`` nor for
unmet device controls, so both use the generic 53003.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from bgwizard.emulator.tenant.ca_eval import _app_in_scope, _user_in_scope
from bgwizard.emulator.tenant.state import JsonDict, TenantState

DEVICE_CODE: Final = "deviceCode"
AUTH_CODE: Final = "authorizationCode"
REFRESH: Final = "refreshToken"
PASSWORD: Final = "password"

BLOCKED: Final = 53003
MFA_REQUIRED: Final = 50076
_MFA_METHODS: Final = (
    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
    "#microsoft.graph.phoneAuthenticationMethod",
    "#microsoft.graph.softwareOathAuthenticationMethod",
)


@dataclass(frozen=True)
class Verdict:
    """What Conditional Access decided for one sign-in."""

    code: int = 0
    """0: issue the token; else the AADSTS code."""
    policy: str = ""
    """The display name of the first policy that refused."""

    @property
    def allowed(self) -> bool:
        """Whether a token may be issued."""
        return self.code == 0

    def description(self) -> str:
        """The ``error_description`` Entra would send (AADSTS code first)."""
        if self.code == MFA_REQUIRED:
            return (
                "AADSTS50076: Due to a configuration change made by your administrator, or "
                "because you moved to a new location, you must use multi-factor authentication "
                f"to access this resource (Conditional Access policy '{self.policy}')."
            )
        return (
            "AADSTS53003: Access has been blocked by Conditional Access policies. The access "
            f"policy does not allow token issuance (policy '{self.policy}')."
        )

    def error(self) -> str:
        """The OAuth ``error``: ``interaction_required`` for MFA, else ``invalid_grant``."""
        return "interaction_required" if self.code == MFA_REQUIRED else "invalid_grant"


def methods_of(amr: tuple[str, ...]) -> tuple[str, ...]:
    """The authentication methods (strength vocabulary) behind a token's ``amr``."""
    if "fido" in amr:
        return ("fido2",)
    if "mfa" in amr:
        return ("password", "microsoftAuthenticatorPush")
    return ("password",)


def evaluate(
    state: TenantState, user: JsonDict, app_id: str, flow: str, amr: tuple[str, ...]
) -> Verdict:
    """Whether Conditional Access lets ``user`` get a token from ``app_id`` through ``flow``."""
    if not state.settings.ca_at_sign_in:
        return Verdict()
    used = methods_of(amr)
    mfa_gap: Verdict | None = None
    for policy in applying(state, user, app_id, flow):
        controls = policy.get("grantControls") or {}
        if "block" in (controls.get("builtInControls") or []):
            return Verdict(BLOCKED, str(policy.get("displayName")))
        met = _controls_met(controls, used)
        if met is None:
            continue
        if met == "mfa" and mfa_gap is None:
            mfa_gap = Verdict(MFA_REQUIRED, str(policy.get("displayName")))
        elif met == "device":
            return Verdict(BLOCKED, str(policy.get("displayName")))
    return mfa_gap or Verdict()


def needs_second_factor(state: TenantState, user: JsonDict, app_id: str, flow: str) -> bool:
    """Whether a password-only sign-in would be refused for MFA, and the user has a second
    factor registered that the sign-in page can ask for (the emulated Authenticator push)."""
    verdict = evaluate(state, user, app_id, flow, ("pwd",))
    if verdict.code != MFA_REQUIRED:
        return False
    methods = state.auth_methods.get(str(user["id"]), [])
    return any(m.get("@odata.type") in _MFA_METHODS for m in methods)


def applying(state: TenantState, user: JsonDict, app_id: str, flow: str) -> list[JsonDict]:
    """The enabled (enforced) policies whose conditions all match this sign-in."""
    groups = set(state.transitive_groups(str(user["id"])))
    roles = set(state.active_role_ids(str(user["id"])))
    return [
        p
        for p in state.policies.values()
        if p.get("state") == "enabled"
        and _user_in_scope(p, user, groups, roles)
        and _app_in_scope(p, app_id)
        and _conditions_match(state, p.get("conditions") or {}, flow)
    ]


def _conditions_match(state: TenantState, cond: dict[str, Any], flow: str) -> bool:
    settings = state.settings
    types = cond.get("clientAppTypes") or ["all"]
    if "all" not in types and "mobileAppsAndDesktopClients" not in types:
        return False
    flows = cond.get("authenticationFlows") or {}
    transfer = str(flows.get("transferMethods") or "")
    if transfer and not (flow == DEVICE_CODE and "deviceCodeFlow" in transfer.split(",")):
        return False
    if cond.get("userRiskLevels") or cond.get("signInRiskLevels"):
        return False  # the emulator's sign-ins carry no risk
    platforms = cond.get("platforms") or {}
    if platforms:
        include = [p.lower() for p in platforms.get("includePlatforms") or []]
        exclude = [p.lower() for p in platforms.get("excludePlatforms") or []]
        here = settings.sign_in_platform.lower()
        if not ("all" in include or here in include) or here in exclude:
            return False
    locations = cond.get("locations") or {}
    if locations:
        here_ids = set(settings.sign_in_locations)
        wanted = {str(x) for x in locations.get("includeLocations") or []}
        unwanted = {str(x) for x in locations.get("excludeLocations") or []}
        if not ("All" in wanted or here_ids & wanted) or here_ids & unwanted:
            return False
    device_filter = (cond.get("devices") or {}).get("deviceFilter") or {}
    return device_filter.get("mode") != "include"


def _controls_met(controls: dict[str, Any], used: tuple[str, ...]) -> str | None:
    """None when the grant controls are met; else ``"mfa"`` or ``"device"`` (what is missing)."""
    checks: list[tuple[str, bool]] = []
    for control in controls.get("builtInControls") or []:
        if control == "mfa":
            checks.append(("mfa", used != ("password",)))
        else:  # compliantDevice, domainJoinedDevice, approvedApplication, compliantApplication…
            checks.append(("device", False))
    strength = controls.get("authenticationStrength")
    if strength:
        allowed = {str(c) for c in strength.get("allowedCombinations") or []}
        checks.append(("mfa", ",".join(used) in allowed))
    if not checks:
        return None  # session controls only
    operator = str(controls.get("operator") or "OR").upper()
    ok = any(m for _, m in checks) if operator == "OR" else all(m for _, m in checks)
    if ok:
        return None
    missing = [kind for kind, m in checks if not m]
    return "mfa" if "mfa" in missing else "device"
