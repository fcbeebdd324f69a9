"""Each Graph-changing step of the set-up, broken by the emulator (429 storm, 503, dropped
connection, 403), then run again: the tenant ends exactly as after an undisturbed set-up.

kiota's real retry handler does the retrying; nothing is patched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from service_support import SAMPLE
from setup_support import (
    UNDISTURBED,
    Rig,
    changes,
    dedicated_policy,
    end_state,
    make_rig,
    names_and_sheets,
    verify_all,
)

from bgwizard.emulator import Emulator, Fault
from bgwizard.errors import BgWizardError, NetworkDown, PermissionMissing, Throttled

STEPS = {
    "create": ("POST", r"^/users$", "User.Create"),
    "passkey": ("POST", r"/authentication/fido2Methods$", "UserAuthMethod-Passkey.ReadWrite.All"),
    # The sample tenant has Entra ID P2: Global Administrator goes through PIM.
    "role": (
        "POST",
        r"/roleManagement/directory/roleAssignmentScheduleRequests$",
        "RoleAssignmentSchedule.ReadWrite",
    ),
    "ca": (
        "PATCH",
        r"/identity/conditionalAccess/policies/",
        "Policy.Read.All and Policy.ReadWrite.ConditionalAccess",
    ),
    "policy": (
        "POST",
        r"^/identity/conditionalAccess/policies$",
        "Policy.ReadWrite.ConditionalAccess",
    ),
}
KINDS = {"429": 40, "503": 40, "drop": 1, "403": 1}
"""Fault kind → how many answers it spoils (a storm outlasts kiota's three retries)."""


@pytest.fixture
async def rig(fresh_emu: Emulator, tmp_path: Path) -> AsyncIterator[Rig]:
    made = await make_rig(fresh_emu, tmp_path)
    yield made
    await made.close()


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("step", list(STEPS))
async def test_a_failed_step_then_a_rerun_ends_as_undisturbed(
    rig: Rig, step: str, kind: str
) -> None:
    method, path, permission = STEPS[step]
    upns = await names_and_sheets(rig)
    rig.emu.add_fault(Fault(method, path, kind=kind, count=KINDS[kind], retry_after=0))
    failure: BgWizardError | None = None
    try:
        await changes(rig)
        await dedicated_policy(rig)
    except BgWizardError as error:
        failure = error
    if kind == "403":
        assert isinstance(failure, PermissionMissing) and permission in str(failure)
    elif kind in ("429", "503"):
        assert isinstance(failure, Throttled), failure
        assert str(failure).count(".") >= 1 and "\n" not in str(failure)
    else:  # a dropped answer: either the re-check found the change, or the step failed
        assert failure is None or isinstance(failure, NetworkDown | BgWizardError)
    assert not rig.service.journal.is_done(step) or failure is None

    rig.emu.clear_faults()
    service = rig.reload()  # as if the app was restarted: the journal says where to go on
    await changes(rig)
    await dedicated_policy(rig)
    for item in rig.profile.accounts:  # one passkey each, recorded, however the first run ended
        methods = await rig.graph.list_auth_methods(item.object_id)
        keys = [k.method_id for k in item.security_keys]
        assert [m.id for m in methods if m.kind == "fido2"] == keys and len(keys) == 1
        assert item.strong_method == "passkey"
    await verify_all(rig)
    assert service.journal.finished
    state = await end_state(rig.graph, upns)
    assert state == {
        **UNDISTURBED,
        "policies": len(SAMPLE["conditionalAccessPolicies"]) + 1,
    }  # + dedicated
    for upn in upns:  # one account per UPN
        users = [u for u in rig.emu.state.users.values() if u["userPrincipalName"] == upn]
        assert len(users) == 1
    assigned = [
        a
        for a in rig.emu.state.role_assignments.values()
        if a["principalId"] in {u.object_id for u in rig.profile.accounts}
    ]
    assert len(assigned) == 2  # no duplicate role assignments
