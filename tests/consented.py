"""A tenant that already consented, for the tests of features other than sign-in.

The sample tenant starts as a fresh tenant does: no delegated grants for the Microsoft Graph
Command Line Tools client, and Conditional Access evaluated at sign-in (its CA004 blocks device
code for everyone but the break glass exclusions; CA000/CA101 ask administrators for MFA).
Tests of set-up, audit, drills, passkeys... are not about that, so they use ``consented``:
an administrator granted every journey's scopes for the whole tenant (``ALL_SCOPES``) and the
tenant evaluates no Conditional Access at sign-in. Sign-in, consent and CA are tested on the
tenant as shipped (``tests/emulator/test_emu_authorize.py``,
``tests/services/test_browser_signin.py``).
"""

from __future__ import annotations

from bgwizard.auth.scopes import JOURNEYS, scopes_for
from bgwizard.emulator import Emulator

ALL_SCOPES: tuple[str, ...] = tuple(sorted({s for j in JOURNEYS for s in scopes_for(j)}))
"""Every scope any journey asks for: what a test's administrator signs in with."""
EMULATOR_TEST_SCOPES: tuple[str, ...] = (
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Organization.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
)
"""Broader scopes the sample tenant granted before it started fresh; the emulator's own tests
reach every route through ``.default`` with them."""


def consented(emu: Emulator, *, conditional_access: bool = False) -> Emulator:
    """``emu`` after tenant-wide admin consent to ``ALL_SCOPES`` (CA at sign-in off by default).

    Args:
        emu: a (started or not) emulator.
        conditional_access: keep Conditional Access at sign-in on.

    Returns:
        The same emulator, for ``with consented(Emulator(...)) as emu:``.
    """
    emu.grant_consent(emu.public_client_id, [*ALL_SCOPES, *EMULATOR_TEST_SCOPES])
    emu.state.settings.ca_at_sign_in = conditional_access
    return emu
