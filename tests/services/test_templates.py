"""``TemplateStore``: packaged templates, the user's overrides and additions, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from runbook_sample import ALPHA, BRAVO, NEXT_DUE, SERIALS, TODAY, contoso_profile

from bgwizard.errors import TemplateError
from bgwizard.runbook.model import (
    CHECKLIST_SECTIONS,
    RUNBOOK_SECTIONS,
    build_context,
    profile_drills,
)
from bgwizard.runbook.service import RunbookService
from bgwizard.runbook.templates import PACKAGED, USER, TemplateStore, format_date

PACKAGED_NAMES = sorted({*RUNBOOK_SECTIONS, *CHECKLIST_SECTIONS})


def variables() -> dict[str, object]:
    profile = contoso_profile()
    return build_context(profile, profile_drills(profile), TODAY).as_template_vars()


def test_packaged_templates_are_found_through_the_package() -> None:
    store = TemplateStore()
    assert store.names() == PACKAGED_NAMES
    assert all(store.origin(name) == PACKAGED for name in PACKAGED_NAMES)
    assert store.filename("contacts.md.j2") == "bgwizard.runbook_templates/contacts.md.j2"


@pytest.mark.parametrize("name", PACKAGED_NAMES)
def test_every_packaged_template_renders_the_sample_tenant(name: str) -> None:
    text = TemplateStore().render(name, variables())
    assert text.startswith("# ")
    assert "Undefined" not in text and "None" not in text
    if name in ("emergency_procedure.md.j2", "account_register.md.j2"):
        for upn in (ALPHA, BRAVO):
            assert upn in text
        assert SERIALS[ALPHA] in text and SERIALS[BRAVO] in text
    if name in ("drill_record.md.j2", "drill_checklist.md.j2"):
        assert NEXT_DUE.isoformat() in text
    if name == "contacts.md.j2":
        assert "Grace Okafor, CISO" in text


def test_a_user_template_overrides_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "contacts.md.j2").write_text("# Our contacts\n\nCall {{ contacts[0] }}.\n")
    store = TemplateStore(tmp_path)
    assert store.origin("contacts.md.j2") == USER
    assert store.filename("contacts.md.j2") == str(tmp_path / "contacts.md.j2")
    text = store.render("contacts.md.j2", variables())
    assert text.startswith("# Our contacts\n\nCall Grace Okafor, CISO")
    assert "Additions (by hand)" not in text


def test_an_override_reaches_templates_that_include_it(tmp_path: Path) -> None:
    (tmp_path / "drill_checklist.md.j2").write_text("# Our own checklist\n- [ ] ring the bell\n")
    text = TemplateStore(tmp_path).render("drill_record.md.j2", variables())
    assert "# Our own checklist" in text
    assert "Security team notified" not in text


def test_user_additions_are_appended_to_the_runbook(tmp_path: Path) -> None:
    (tmp_path / "zz_local_notes.md.j2").write_text(
        "# Local notes\n\nSafe code holder: the director.\n"
    )
    (tmp_path / "_partial.md.j2").write_text("only for include\n")
    profile = contoso_profile()
    profile.runbook_templates_dir = str(tmp_path)
    document = RunbookService(profile, today=lambda: TODAY).document("runbook")
    assert len(document.sections) == len(RUNBOOK_SECTIONS) + 1
    assert document.sections[-1].startswith("# Local notes")
    checklist = RunbookService(profile, today=lambda: TODAY).document("checklist")
    assert len(checklist.sections) == 1


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "contacts.md.j2"
    broken.write_text("# Contacts\n\n{% for c in contacts %}\n- {{ c }}\n{% endif %}\n")
    with pytest.raises(TemplateError) as caught:
        TemplateStore(tmp_path).render("contacts.md.j2", variables())
    assert caught.value.filename == str(broken)
    assert caught.value.line == 5
    message = str(caught.value)
    assert str(broken) in message and "line 5" in message
    assert message.count(".") >= 1 and "\n" not in message


def test_a_syntax_error_is_found_before_anything_is_rendered(tmp_path: Path) -> None:
    (tmp_path / "drill_checklist.md.j2").write_text("# Checklist\n{{ next_due | date \n")
    profile = contoso_profile()
    profile.runbook_templates_dir = str(tmp_path)
    with pytest.raises(TemplateError, match=r"drill_checklist\.md\.j2 has a syntax error on line"):
        RunbookService(profile, today=lambda: TODAY).document("runbook")


def test_an_unknown_name_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "contacts.md.j2").write_text("# Contacts\n\n{{ phone_tree }}\n")
    with pytest.raises(TemplateError) as caught:
        TemplateStore(tmp_path).render("contacts.md.j2", variables())
    assert caught.value.line == 3
    assert "'phone_tree' is undefined" in str(caught.value)


def test_any_failure_while_rendering_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "maths.md.j2").write_text("# Maths\n\n\n{{ 1 / 0 }}\n")
    with pytest.raises(TemplateError, match=r"maths\.md\.j2 failed on line 4: division by zero"):
        TemplateStore(tmp_path).render("maths.md.j2", {})


def test_the_sandbox_refuses_to_reach_into_objects(tmp_path: Path) -> None:
    (tmp_path / "evil.md.j2").write_text("{{ accounts[0].__class__.__init__.__globals__ }}\n")
    with pytest.raises(TemplateError, match=r"evil\.md\.j2"):
        TemplateStore(tmp_path).render("evil.md.j2", variables())


def test_missing_template_and_missing_directory_are_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"No runbook template named nope\.md\.j2"):
        TemplateStore().render("nope.md.j2", {})
    with pytest.raises(TemplateError, match="does not exist"):
        TemplateStore(tmp_path / "absent")


def test_date_filter() -> None:
    assert format_date(None) == "(not recorded)"
    assert format_date(TODAY) == "2026-11-27"
