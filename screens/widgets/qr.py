"""A QR code drawn in the terminal with half blocks, in explicit black and white.

Each terminal cell shows two QR modules stacked: ``▀`` with the upper module as the foreground
colour and the lower one as the background colour. Explicit colours (never the theme's) keep
the code scannable in light and dark themes, and from a screenshot.
"""

from __future__ import annotations

from typing import ClassVar, Final

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

UPPER_HALF: Final = "▀"
DARK: Final = "#000000"
LIGHT: Final = "#ffffff"
QUIET_ZONE: Final = 2
"""Light modules around the code; 2 keeps it small and still decodes (4 is the spec's ideal)."""

Matrix = tuple[tuple[bool, ...], ...]
"""Rows of modules, True = dark, quiet zone included."""


def qr_matrix(data: str, border: int = QUIET_ZONE) -> Matrix:
    """The modules of a QR code for ``data``, with a light border of ``border`` modules.

    Args:
        data: the text to encode (a URL).
        border: width of the quiet zone in modules.

    Returns:
        The matrix, row by row; True is a dark module.
    """
    import segno  # ~50 ms to import; only the sign-in screen needs it

    code = segno.make(data, error="m", micro=False)
    return tuple(tuple(bool(m) for m in row) for row in code.matrix_iter(scale=1, border=border))


def _cell(top: bool, bottom: bool) -> Segment:
    return Segment(
        UPPER_HALF,
        Style(color=DARK if top else LIGHT, bgcolor=DARK if bottom else LIGHT),
    )


def matrix_to_strips(matrix: Matrix) -> list[Strip]:
    """Turn a QR matrix into terminal lines of half blocks, two module rows per line.

    Args:
        matrix: the modules (an odd last row is paired with a light row).

    Returns:
        One ``Strip`` per terminal line.
    """
    rows = list(matrix)
    if len(rows) % 2:
        rows.append(tuple(False for _ in rows[0]))
    return [
        Strip([_cell(top, bottom) for top, bottom in zip(rows[i], rows[i + 1], strict=True)])
        for i in range(0, len(rows), 2)
    ]


class QrCode(Widget):
    """Shows ``data`` as a QR code, sized exactly to the code."""

    DEFAULT_CSS: ClassVar[str] = """
    QrCode {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        data: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Draw ``data`` as a QR code.

        Args:
            data: the text to encode.
            name: Textual widget name.
            id: Textual widget id.
            classes: Textual CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._data = data
        self._matrix = qr_matrix(data)
        self._strips = matrix_to_strips(self._matrix)

    @property
    def data(self) -> str:
        """The encoded text."""
        return self._data

    @property
    def matrix(self) -> Matrix:
        """The modules this widget draws (quiet zone included)."""
        return self._matrix

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """One cell per module column."""
        return len(self._matrix[0])

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line per two module rows."""
        return len(self._strips)

    def render_line(self, y: int) -> Strip:
        """The ``y``-th line of half blocks (blank below the code)."""
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)
