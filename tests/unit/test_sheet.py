"""The sheet's content model and the line-by-line read-back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgwizard.secret import Secret
from bgwizard.sheets.checkcode import check_code
from bgwizard.sheets.model import (
    CUSTODY_FIELDS,
    QR_WARNING,
    TITLE,
    SheetContent,
    blocks,
    compare_readback,
    new_serial,
    normalise_typed,
    typed_code,
)
from bgwizard.sheets.password import FULL_ALPHABET, PasswordPolicy, generate_password

PASSWORD = "ABCDEFGHJKLMNPQRabcdefghijkmnpqr23456789STUVWXstuvwxABCDEFGHJKLM"


def content(password: str = PASSWORD, **kwargs: object) -> SheetContent:
    fields: dict[str, object] = {
        "serial": "S-ABCD-2345",
        "tenant_name": "Contoso",
        "tenant_id": "tid",
        "upn": "bg@contoso.onmicrosoft.com",
        "object_id": "",
        "generated": dt.date(2026, 11, 27),
        "password": Secret(password),
        "locations": ("Safe A", "Bank box 12"),
    }
    fields.update(kwargs)
    return SheetContent(**fields)  # type: ignore[arg-type]


def test_lines_are_16_characters_in_order_with_their_codes() -> None:
    c = content()
    lines = [line.reveal() for line in c.lines()]
    assert lines == [PASSWORD[i : i + 16] for i in range(0, 64, 16)]
    assert c.check_codes() == [check_code(line) for line in lines]
    assert blocks(lines[0]) == ["ABCD", "EFGH", "JKLM", "NPQR"]


def test_long_password_has_more_lines() -> None:
    value = generate_password(PasswordPolicy(200)).reveal()
    c = content(value)
    assert [len(line) for line in c.lines()] == [16] * 12 + [8]
    assert "".join(line.reveal() for line in c.lines()) == value


def test_copy_labels_name_the_location() -> None:
    c = content()
    assert c.copies == 2
    assert c.copy_label(1) == "copy 1 of 2 — location: Safe A"
    assert c.copy_label(2) == "copy 2 of 2 — location: Bank box 12"
    assert content(locations=("", "")).copy_label(2) == "copy 2 of 2 — location: (not recorded)"


def test_record_holds_serial_and_day_only() -> None:
    record = content().record()
    assert (record.serial, record.created, record.retired) == (
        "S-ABCD-2345",
        dt.date(2026, 11, 27),
        None,
    )
    assert PASSWORD[:16] not in repr(record)


def test_texts_are_neutral_and_instruct() -> None:
    c = content()
    everything = " ".join([TITLE, QR_WARNING, *CUSTODY_FIELDS, *c.instructions()]).lower()
    assert "break glass" not in everything and "emergency" not in everything
    text = " ".join(c.instructions())
    assert "offline USB scanner" in text and "rotate" in text and c.upn in text and c.serial in text
    assert "https://entra.microsoft.com" in text
    assert "phone" in QR_WARNING and "USB scanner" in QR_WARNING
    assert CUSTODY_FIELDS == ("Sealed by", "Witnessed by", "Date", "Envelope number")


def test_serials_are_random_and_readable() -> None:
    serials = {new_serial() for _ in range(500)}
    assert len(serials) == 500
    assert all(re.fullmatch(r"S-[A-HJ-NP-X2-9]{4}-[A-HJ-NP-X2-9]{4}", s) for s in serials)


def test_secret_in_content_is_redacted() -> None:
    assert PASSWORD[:16] not in repr(content())


def test_read_back_exact_and_with_spaces_matches() -> None:
    c = content()
    assert compare_readback(c, [PASSWORD[i : i + 16] for i in range(0, 64, 16)]).ok
    spaced = [" ".join(blocks(PASSWORD[i : i + 16])) + " " for i in range(0, 64, 16)]
    verdict = compare_readback(c, spaced)
    assert verdict.ok and verdict.wrong == []
    assert verdict.lines[0].message == "Line 1 matches."


def test_read_back_names_only_the_wrong_lines() -> None:
    c = content()
    typed = [PASSWORD[i : i + 16] for i in range(0, 64, 16)]
    typed[1] = typed[1][1] + typed[1][0] + typed[1][2:]
    typed[3] = typed[3][:15] + "X"
    verdict = compare_readback(c, typed)
    assert not verdict.ok
    assert verdict.wrong == [2, 4]
    message = verdict.lines[1].message
    assert message.startswith("Line 2 does not match") and check_code(typed[1]) in message
    assert all(
        PASSWORD[i : i + 16] not in line.message for line in verdict.lines for i in range(0, 64, 16)
    )


def test_read_back_explains_length_empty_and_foreign_characters() -> None:
    c = content()
    typed = [PASSWORD[:15], "", "0" + PASSWORD[33:48]]
    verdict = compare_readback(c, typed)
    messages = [line.message for line in verdict.lines]
    assert messages[0] == "Line 1 has 15 characters; the printed line has 16."
    assert messages[1] == "Line 2 is empty."
    assert messages[2].startswith("Line 3: Character 1 ('0') never appears on a sheet")
    assert messages[3] == "Line 4 is empty."
    assert verdict.wrong == [1, 2, 3, 4]


def test_swapped_lines_are_wrong() -> None:
    lines = [PASSWORD[i : i + 16] for i in range(0, 64, 16)]
    assert compare_readback(content(), [lines[1], lines[0], lines[2], lines[3]]).wrong == [1, 2]


@settings(max_examples=200)
@given(line=st.text(alphabet=FULL_ALPHABET, min_size=16, max_size=16), data=st.data())
def test_any_single_typo_is_caught_on_its_line(line: str, data: st.DataObject) -> None:
    value = line * 4
    i = data.draw(st.integers(0, 15))
    other = data.draw(st.sampled_from(FULL_ALPHABET.replace(line[i], "")))
    typo = line[:i] + other + line[i + 1 :]
    verdict = compare_readback(content(value), [line, line, typo, line])
    assert verdict.wrong == [3]
    assert typed_code(typo) != typed_code(line)


def test_typed_code_helpers() -> None:
    assert normalise_typed(" AB CD\tEF ") == "ABCDEF"
    assert typed_code("ABCD EFGH") == check_code("ABCDEFGH")
    assert typed_code("AB0") == "??"


def test_unknown_copy_number_fails_loudly() -> None:
    with pytest.raises(IndexError):
        content().copy_label(3)
