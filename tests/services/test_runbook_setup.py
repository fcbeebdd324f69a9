"""The runbook of the sample tenant after a real set-up and a signed drill — and no password.

The set-up part is done for real: both accounts are created in the emulator through Graph with
a generated password, their credential sheets are laid out and drawn by ``SheetService`` and
recorded in the profile; the drill is a signed entry in a real drill log. The runbook is then
rendered (every template, Markdown and PDF) while that password is still in memory, and every
output is searched for it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from runbook_sample import LAST_DRILL, contoso_profile
from service_support import profile_for

from bgwizard.emulator import Emulator
from bgwizard.graph.directory import GraphDirectory
from bgwizard.ledger.chain import JsonValue
from bgwizard.ledger.sshsig import SigningKey
from bgwizard.ledger.store import DrillLog
from bgwizard.profile.model import BreakGlassAccount, PinnedSigner
from bgwizard.runbook.service import RunbookService, drill_history
from bgwizard.runbook.templates import TemplateStore
from bgwizard.secret import Secret
from bgwizard.sheets.model import blocks
from bgwizard.sheets.service import SheetService

SET_UP_DAY = dt.date(2026, 8, 3)
DRILL_DAY = dt.date(2026, 11, 2)
TODAY = dt.date(2026, 11, 27)
NEXT_DUE = DRILL_DAY + dt.timedelta(days=90)
UPNS = ("bg-alpha@contosologistics.onmicrosoft.com", "bg-bravo@contosologistics.onmicrosoft.com")


async def set_up(emu: Emulator, graph: GraphDirectory, password: Secret) -> RunbookService:
    """Create the accounts, draw and record their sheets, log a signed drill."""
    profile = profile_for(emu)
    tenant = await graph.tenant_info()
    profile.tenant_name, profile.initial_domain = tenant.display_name, tenant.initial_domain
    profile.contacts = ["Grace Okafor, CISO, +44 1394 600 101"]
    sheets = SheetService(today=lambda: SET_UP_DAY)
    for number, upn in enumerate(UPNS, start=1):
        outcome = await graph.create_user(upn, f"Break glass {number}", password)
        account = BreakGlassAccount(
            upn, object_id=outcome.user.id, custodians=["Grace Okafor"], created=SET_UP_DAY
        )
        places = [f"Fire safe {number}A", f"Bank box {number}B"]
        content = sheets.build(profile, account, password, locations=places)
        assert sheets.render(content).pages == 2  # the real sheet, with the password on it
        sheets.confirm(account, content)
        profile.accounts.append(account)
    return RunbookService(profile, today=lambda: TODAY)


def log_drill(
    path: Path, result: str, day: dt.date, operator: str = "grace.okafor"
) -> PinnedSigner:
    """Sign a drill into a new log; returns the signer for the profile to pin."""
    key = SigningKey(Ed25519PrivateKey.generate(), path.with_name("key"))
    moment = dt.datetime.combine(day, dt.time(10, 0), dt.UTC)
    log = DrillLog(path, clock=lambda: moment)
    data: dict[str, JsonValue] = {
        "account": "bg-alpha@contosologistics.onmicrosoft.com",
        "started": f"{day.isoformat()}T09:40:00Z",
        "result": result,
        "notes": "alert at 10:07",
    }
    log.append(key, operator, "drill", data)
    return PinnedSigner(operator, key.public_line)


@pytest.fixture
def password() -> Secret:
    return SheetService().new_password()


def forbidden_fragments(password: Secret) -> list[str]:
    """The password whole, each printed 16-character line, and each line as printed in blocks."""
    text = password.reveal()
    lines = [text[i : i + 16] for i in range(0, len(text), 16)]
    return [text, *lines, *(" ".join(blocks(line)) for line in lines)]


async def test_runbook_after_set_up_and_drill_holds_the_facts_and_no_password(
    fresh_emu: Emulator, fresh_graph: GraphDirectory, password: Secret, tmp_path: Path
) -> None:
    service = await set_up(fresh_emu, fresh_graph, password)
    service.profile.drill_log = str(tmp_path / "drill-log.jsonl")
    pin = log_drill(tmp_path / "drill-log.jsonl", "pass", DRILL_DAY)
    service.profile.drill.signers = [pin]
    service.profile.drill.head = DrillLog(tmp_path / "drill-log.jsonl").verify().head
    serials = [s for a in service.profile.accounts for s in a.current_serials]
    object_ids = [a.object_id for a in service.profile.accounts]
    assert len(serials) == 2 and all(object_ids)

    outputs: list[str] = []
    store = TemplateStore()
    variables = service.context().as_template_vars()
    outputs += [store.render(name, variables) for name in store.names()]
    for kind in ("runbook", "checklist"):
        document = service.document(kind)
        outputs.append(document.markdown())
        for paper in ("a4", "letter"):
            data = service.render_pdf(document, paper).data
            outputs += [p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data)]
            outputs.append(data.decode("latin-1"))

    runbook_pdf_text = " ".join(
        p.get_textpage().get_text_range()
        for p in pdfium.PdfDocument(service.render_pdf(service.document("runbook")).data)
    )
    flat = re.sub(r"\s+", " ", runbook_pdf_text)
    for fact in (*UPNS, *serials, *object_ids, "Contoso Logistics", "grace.okafor"):
        assert fact in flat, fact
    assert f"Last passed drill {DRILL_DAY.isoformat()}" in flat
    assert f"Next drill due {NEXT_DUE.isoformat()}" in flat
    head = service.profile.drill.head
    checklist_pdf = service.render_pdf(service.document("checklist")).data
    checklist_text = " ".join(p.get_textpage().get_text_range()
                              for p in pdfium.PdfDocument(checklist_pdf))  # fmt: skip
    assert head in re.sub(r"\s+", "", checklist_text)  # the whole 64-hex head, printed

    everything = "\n".join(outputs)
    for fragment in forbidden_fragments(password):
        assert fragment not in everything


async def test_the_drill_log_feeds_the_drill_record(tmp_path: Path) -> None:
    log = tmp_path / "drill-log.jsonl"
    pin = log_drill(log, "pass", dt.date(2026, 8, 20))
    profile = contoso_profile()
    profile.drill_log = str(log)
    profile.drill.signers = [pin]
    history = drill_history(profile)
    assert [(d.date, d.operator, d.result, d.account) for d in history.drills] == [
        (dt.date(2026, 8, 20), "grace.okafor", "pass", "bg-alpha@contosologistics.onmicrosoft.com")
    ]
    assert history.note == ""
    context = RunbookService(profile, today=lambda: TODAY).context()
    assert context.last_drill == profile.last_drill  # 1 October (profile) is later than the log


async def test_a_log_that_does_not_verify_is_not_trusted(tmp_path: Path) -> None:
    log = tmp_path / "drill-log.jsonl"
    pin = log_drill(log, "pass", dt.date(2026, 11, 20))
    log.write_bytes(log.read_bytes().replace(b"alert at 10:07", b"alert at 10:08"))
    profile = contoso_profile()
    profile.drill_log = str(log)
    profile.drill.signers = [pin]
    service = RunbookService(profile, today=lambda: TODAY)
    context = service.context()
    assert context.last_drill == LAST_DRILL
    assert "could not be used" in context.drill_log_note
    assert "could not be used" in service.document("runbook").markdown()


def test_no_log_file_means_the_profile_alone(tmp_path: Path) -> None:
    history = drill_history(contoso_profile(), tmp_path / "absent.jsonl")
    assert [d.date for d in history.drills] == [LAST_DRILL]
