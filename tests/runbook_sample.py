"""The sample tenant (Contoso Logistics) as the profile looks after a set-up and one drill.

Used by the runbook tests. The service test ``test_runbook_setup.py`` builds the same shape for
real (accounts created in the emulator, sheets drawn, a signed drill log); this one is quick.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Final

from bgwizard.profile.model import BreakGlassAccount, Profile, SheetRecord

_SAMPLE = json.loads(
    (Path(__file__).parents[1] / "bgwizard" / "data" / "sample_tenant.json").read_text()
)
TENANT_ID: Final[str] = _SAMPLE["tenant"]["id"]
TENANT_NAME: Final[str] = _SAMPLE["tenant"]["displayName"]
DOMAIN: Final = "contosologistics.onmicrosoft.com"
TODAY: Final = dt.date(2026, 11, 27)
SET_UP: Final = dt.date(2026, 8, 3)
LAST_DRILL: Final = dt.date(2026, 10, 1)
NEXT_DUE: Final = dt.date(2026, 12, 30)
ALPHA: Final = f"bg-alpha@{DOMAIN}"
BRAVO: Final = f"bg-bravo@{DOMAIN}"
SERIALS: Final = {ALPHA: "S-7KQ4-M2XP", BRAVO: "S-R8WD-3HTC"}
RETIRED: Final = "S-QQ2A-9BNE"


def contoso_profile() -> Profile:
    """Two break glass accounts with current sheets (one rotated), drilled on 1 October 2026."""
    alpha = BreakGlassAccount(
        ALPHA,
        object_id="6c2f1e7a-3b4d-4c5e-8f90-a1b2c3d4e5f6",
        locations=["Fire safe, HQ Felixstowe", "Bank deposit box 12, Ipswich"],
        custodians=["Grace Okafor", "Tom Becker"],
        sheets=[
            SheetRecord(RETIRED, SET_UP, retired=dt.date(2026, 9, 14)),
            SheetRecord(SERIALS[ALPHA], dt.date(2026, 9, 14)),
        ],
        created=SET_UP,
        last_rotation=dt.date(2026, 9, 14),
    )
    bravo = BreakGlassAccount(
        BRAVO,
        object_id="9d8e7f6a-5b4c-4d3e-a2f1-0e9d8c7b6a54",
        locations=["Fire safe, Felixstowe depot", "Solicitor's strongroom, Ipswich"],
        custodians=["Priya Patel", "Grace Okafor"],
        sheets=[SheetRecord(SERIALS[BRAVO], SET_UP)],
        created=SET_UP,
    )
    return Profile(
        tenant_id=TENANT_ID,
        tenant_name=TENANT_NAME,
        initial_domain=DOMAIN,
        accounts=[alpha, bravo],
        contacts=[
            "Grace Okafor, CISO, +44 1394 600 101, grace.okafor@contosologistics.com",
            "IT service desk (24/7), +44 1394 600 999",
        ],
        last_drill=LAST_DRILL,
    )
