"""The small Markdown subset runbook templates are written in, parsed into blocks. Pure.

The same Markdown is saved as the ``.md`` output, shown in the app's preview, and drawn into
the PDF from these blocks. Supported: ``#``/``##``/``###`` headings, paragraphs, ``-``/``*``
bullets, ``1.`` numbered items, ``- [ ]`` / ``- [x]`` checkboxes, pipe tables, ``>`` notes,
``---`` rules and ``<!-- page break -->``. Inline: ``**bold**`` and `` `code` ``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

PAGE_BREAK: Final = "<!-- page break -->"
_HEADING: Final = re.compile(r"^(#{1,3})\s+(.*)$")
_ITEM: Final = re.compile(r"^(\s*)(?:[-*]|(\d+)[.)])\s+(?:\[( |x|X)\]\s+)?(.*)$")
_RULE: Final = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_SEPARATOR: Final = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_COMMENT: Final = re.compile(r"^\s*<!--.*-->\s*$")


@dataclass(frozen=True)
class Heading:
    """``#`` to ``###``."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Consecutive text lines, joined with spaces."""

    text: str


@dataclass(frozen=True)
class Item:
    """One list item."""

    text: str
    number: int | None = None
    """Set for ``1.`` items."""
    checkbox: bool | None = None
    """None: a plain item; False: ``[ ]``; True: ``[x]``."""
    indent: int = 0
    """Nesting depth (two spaces per level)."""


@dataclass(frozen=True)
class ItemList:
    """Consecutive list items."""

    items: tuple[Item, ...]


@dataclass(frozen=True)
class Table:
    """A pipe table: a header row and body rows (cells as text)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Note:
    """A ``>`` block: something to read before acting."""

    text: str


@dataclass(frozen=True)
class Rule:
    """``---``: a horizontal line."""


@dataclass(frozen=True)
class PageBreak:
    """``<!-- page break -->``: the PDF starts a new page here."""


Block = Heading | Paragraph | ItemList | Table | Note | Rule | PageBreak


def parse(text: str) -> list[Block]:
    """The blocks of ``text``.

    Args:
        text: Markdown in the supported subset (anything else reads as a paragraph).

    Returns:
        The blocks, in order.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        block, index = _block_at(lines, index)
        if block is not None:
            blocks.append(block)
    return blocks


def _block_at(lines: list[str], index: int) -> tuple[Block | None, int]:
    """The block starting at ``lines[index]`` and the index after it."""
    line = lines[index]
    if not line.strip():
        return None, index + 1
    if line.strip() == PAGE_BREAK:
        return PageBreak(), index + 1
    if _COMMENT.match(line):
        return None, index + 1
    if heading := _HEADING.match(line):
        return Heading(
            len(heading.group(1)), heading.group(2).strip().rstrip("#").strip()
        ), index + 1
    if _RULE.match(line):
        return Rule(), index + 1
    if line.lstrip().startswith("|") and _is_separator(lines, index + 1):
        return _table(lines, index)
    if line.lstrip().startswith(">"):
        taken = list(_run(lines, index, lambda s: s.lstrip().startswith(">")))
        text = " ".join(s.lstrip()[1:].strip() for s in taken)
        return Note(text), index + len(taken)
    if _ITEM.match(line):
        taken = list(_run(lines, index, lambda s: bool(_ITEM.match(s))))
        return ItemList(tuple(_item(s) for s in taken)), index + len(taken)
    taken = list(_run(lines, index, _is_plain))
    return Paragraph(" ".join(s.strip() for s in taken)), index + len(taken)


def _run(lines: list[str], start: int, keep: Callable[[str], bool]) -> Iterator[str]:
    """Lines from ``start`` while ``keep`` holds (the first always)."""
    yield lines[start]
    for line in lines[start + 1 :]:
        if not line.strip() or not keep(line):
            return
        yield line


def _is_plain(line: str) -> bool:
    stripped = line.strip()
    return not (
        _HEADING.match(line)
        or _ITEM.match(line)
        or _RULE.match(line)
        or _COMMENT.match(line)
        or stripped.startswith(("|", ">"))
    )


def _item(line: str) -> Item:
    match = _ITEM.match(line)
    assert match is not None
    spaces, number, box, text = match.groups()
    return Item(
        text=text.strip(),
        number=int(number) if number else None,
        checkbox=None if box is None else box.lower() == "x",
        indent=len(spaces.expandtabs(2)) // 2,
    )


def _is_separator(lines: list[str], index: int) -> bool:
    return index < len(lines) and bool(_TABLE_SEPARATOR.match(lines[index]))


def _table(lines: list[str], index: int) -> tuple[Table, int]:
    header = _cells(lines[index])
    rows: list[tuple[str, ...]] = []
    index += 2
    while index < len(lines) and lines[index].lstrip().startswith("|"):
        cells = _cells(lines[index])
        rows.append((*cells, *[""] * (len(header) - len(cells)))[: len(header)])
        index += 1
    return Table(header, tuple(rows)), index


def _cells(line: str) -> tuple[str, ...]:
    body = line.strip()
    body = body.removeprefix("|")
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return tuple(cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body))


def plain_text(text: str) -> str:
    """``text`` with inline markup removed (``**bold**`` → ``bold``, `` `x` `` → ``x``)."""
    return re.sub(r"\*\*(.+?)\*\*|`([^`]+)`", lambda m: m.group(1) or m.group(2), text)


def inline_spans(text: str) -> list[tuple[str, str]]:
    """``text`` split into (style, text) spans; style is ``""``, ``bold`` or ``code``.

    Args:
        text: one paragraph, cell or item.

    Returns:
        The spans in order; joined, their texts equal ``plain_text(text)``.
    """
    spans: list[tuple[str, str]] = []
    position = 0
    for match in re.finditer(r"\*\*(.+?)\*\*|`([^`]+)`", text):
        if match.start() > position:
            spans.append(("", text[position : match.start()]))
        spans.append(("bold", match.group(1)) if match.group(1) else ("code", match.group(2)))
        position = match.end()
    if position < len(text):
        spans.append(("", text[position:]))
    return spans
