"""Issue 20, paper that agrees with itself: one rule about scanning (the square code only by an
offline USB scanner) and one about the PIN (on its own PIN sheet, stored apart from the key),
said the same way on the credential sheet's PDF, the runbook and the security key line."""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
from runbook_sample import ALPHA, TODAY, contoso_profile

from bgwizard.profile.model import BreakGlassAccount, Profile, SecurityKeyRecord
from bgwizard.runbook.model import build_context, profile_drills
from bgwizard.runbook.templates import TemplateStore
from bgwizard.secret import Secret
from bgwizard.sheets.model import NO_QR_RULE, PIN_RULE, SCAN_RULE, security_key_line
from bgwizard.sheets.pdf import render_sheet
from bgwizard.sheets.service import SheetService

AAGUID = "cb69481e-8ff7-4039-93ec-0a2729a154a8"


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    return " ".join(text.split())


def _sheet_text(include_qr: bool) -> str:
    key = SecurityKeyRecord("BG key 1", AAGUID, "YubiKey 5")
    account = BreakGlassAccount(upn="bg@x", object_id="o", security_keys=[key])
    content = SheetService(today=lambda: dt.date(2026, 11, 27)).build(
        Profile(tenant_name="Contoso"), account, Secret("A" * 64), include_qr=include_qr
    )
    return _pdf_text(render_sheet(content).data)


def test_the_sheet_says_the_one_scan_rule_and_the_pin_rule() -> None:
    with_qr = _sheet_text(include_qr=True)
    assert SCAN_RULE in with_qr
    assert "Never photograph, scan" not in with_qr  # no blanket ban beside an offline-scanner code
    assert "phone" in with_qr and "offline USB scanner" in with_qr
    assert PIN_RULE in with_qr
    without = _sheet_text(include_qr=False)
    assert NO_QR_RULE in without and "square code" not in without


def test_the_runbook_says_the_same_rules() -> None:
    profile = contoso_profile()
    context = build_context(profile, profile_drills(profile), TODAY, passkeys=[ALPHA])
    text = " ".join(
        TemplateStore().render("emergency_procedure.md.j2", context.as_template_vars()).split()
    )
    assert SCAN_RULE in text
    assert PIN_RULE in text
    assert "never photograph, scan or copy" not in text.lower()


def test_the_security_key_line_and_the_pin_rule() -> None:
    line = security_key_line(SecurityKeyRecord("BG key 1", AAGUID, "YubiKey 5"))
    assert line.endswith(PIN_RULE)
    assert "on the sheet" not in PIN_RULE.replace("PIN sheet", "")
