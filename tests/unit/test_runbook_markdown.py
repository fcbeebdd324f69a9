"""The Markdown subset the runbook templates are written in."""

from __future__ import annotations

from bgwizard.runbook import markdown as md


def test_headings_paragraphs_and_rules() -> None:
    blocks = md.parse("# Title\nfirst line\nsecond line\n\n## Sub ##\n---\n### Small")
    assert blocks == [
        md.Heading(1, "Title"),
        md.Paragraph("first line second line"),
        md.Heading(2, "Sub"),
        md.Rule(),
        md.Heading(3, "Small"),
    ]


def test_lists_numbers_checkboxes_and_nesting() -> None:
    (items,) = md.parse("1. one\n   - nested\n- [ ] open\n- [x] done\n* star")
    assert isinstance(items, md.ItemList)
    assert items.items == (
        md.Item("one", number=1),
        md.Item("nested", indent=1),
        md.Item("open", checkbox=False),
        md.Item("done", checkbox=True),
        md.Item("star"),
    )


def test_tables_pad_short_rows_and_keep_escaped_pipes() -> None:
    (table,) = md.parse("| A | B |\n|---|:--:|\n| x |\n| a \\| b | c |")
    assert table == md.Table(("A", "B"), (("x", ""), ("a | b", "c")))


def test_a_pipe_line_without_separator_is_text() -> None:
    assert md.parse("| not a table") == [md.Paragraph("| not a table")]


def test_notes_page_breaks_and_comments() -> None:
    text = "> read this\n> first\n\n<!-- page break -->\n<!-- a comment -->\nafter"
    assert md.parse(text) == [md.Note("read this first"), md.PageBreak(), md.Paragraph("after")]


def test_inline_spans_and_plain_text() -> None:
    text = "Sign in as `bg@x.com` **now**, then rest."
    assert md.inline_spans(text) == [
        ("", "Sign in as "),
        ("code", "bg@x.com"),
        ("", " "),
        ("bold", "now"),
        ("", ", then rest."),
    ]
    assert md.plain_text(text) == "Sign in as bg@x.com now, then rest."
    assert "".join(t for _, t in md.inline_spans(text)) == md.plain_text(text)
