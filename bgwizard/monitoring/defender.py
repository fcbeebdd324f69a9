"""The break glass sign-in rule as a Microsoft Defender XDR custom detection rule.

Pure: no I/O. Defender XDR's advanced hunting holds Entra sign-ins, interactive and
non-interactive, in ``AADSignInEventsBeta`` (Entra ID P2; columns from Microsoft's advanced
hunting schema reference). The exported file is the request body of Microsoft Graph's
``POST /beta/security/rules/detectionRules`` (a ``microsoft.graph.security.detectionRule``):
the query must return ``Timestamp`` and ``ReportId`` and the column an impacted asset names.
Defender runs the rule every hour and looks back further on its own, so the query carries
no time filter. Audit-log changes have no documented advanced hunting equivalent of
``AuditLogs``, so only the sign-in rule is exported for Defender XDR.
"""

from __future__ import annotations

from typing import Any, Final

from bgwizard.monitoring.kql import kql_list
from bgwizard.monitoring.matching import Watched

DEFENDER_TABLE: Final = "AADSignInEventsBeta"
DETECTION_RULES_URL: Final = "https://graph.microsoft.com/beta/security/rules/detectionRules"
DEFENDER_FILE: Final = "defender-xdr-signin-rule.json"
#: Run every hour: the shortest scheduled frequency Defender offers besides continuous (NRT).
DEFENDER_PERIOD: Final = "1H"
TITLE: Final = "Break glass account sign-in (Defender XDR)"


def defender_signin_kql(watched: Watched) -> str:
    """Every sign-in, interactive or not, successful or not, by a break glass account."""
    return (
        f"// bgwizard: {TITLE}\n"
        f"// Break glass accounts: {', '.join(watched.upns)}\n"
        f"let BreakGlassObjectIds = {kql_list(watched.object_ids)};\n"
        f"let BreakGlassUpns = {kql_list(watched.upns)};\n"
        f"{DEFENDER_TABLE}\n"
        "| where AccountObjectId in (BreakGlassObjectIds) or AccountUpn in~ (BreakGlassUpns)\n"
        "| project Timestamp, ReportId, AccountObjectId, AccountUpn, LogonType, ErrorCode,\n"
        "    Application, ResourceDisplayName, IPAddress, Country, City, ClientAppUsed,\n"
        "    AuthenticationRequirement, ConditionalAccessStatus, UserAgent, CorrelationId\n"
    )


def defender_signin_rule(watched: Watched) -> dict[str, Any]:
    """The ``detectionRule`` body for Graph's ``POST /security/rules/detectionRules``."""
    return {
        "displayName": TITLE,
        "isEnabled": True,
        "queryCondition": {"queryText": defender_signin_kql(watched)},
        "schedule": {"period": DEFENDER_PERIOD},
        "detectionAction": {
            "alertTemplate": {
                "title": "Break glass account sign-in",
                "description": "A break glass account signed in or tried to (interactive or "
                "non-interactive). Every use is an emergency or a drill: confirm which, at once.",
                "severity": "high",
                "category": "InitialAccess",
                "recommendedActions": "Confirm the emergency or drill with the custodians; "
                "after use, rotate the password and run the post-use review.",
                "mitreTechniques": ["T1078.004"],
                "impactedAssets": [
                    {
                        "@odata.type": "#microsoft.graph.security.impactedUserAsset",
                        "identifier": "accountObjectId",
                    }
                ],
            },
            "organizationalScope": None,
            "responseActions": [],
        },
    }
