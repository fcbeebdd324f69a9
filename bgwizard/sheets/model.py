"""What a paper credential sheet says, and how a typed read-back is compared with it.

Pure data: ``bgwizard.sheets.pdf`` draws a ``SheetContent``; the read-back compares what
the operator typed from a printed copy line by line, so the app can say which line is wrong
without ever showing the password.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from bgwizard.errors import UnknownCharacter
from bgwizard.profile.model import SecurityKeyRecord, SheetRecord
from bgwizard.secret import Secret
from bgwizard.sheets.checkcode import check_code
from bgwizard.sheets.password import DIGITS, UPPER

LINE_LENGTH: Final = 16
BLOCK_LENGTH: Final = 4
DEFAULT_COPIES: Final = 2
TITLE: Final = "Account credential"
"""Small and neutral on purpose: a sheet seen on a desk must not advertise what it is."""
TEST_MARK: Final = "TEST PAGE — NOT A CREDENTIAL"
NO_LOCATION: Final = "(not recorded)"
DEFAULT_SIGN_IN_URL: Final = "https://entra.microsoft.com"
CUSTODY_FIELDS: Final = ("Sealed by", "Witnessed by", "Date", "Envelope number")
SCAN_RULE: Final = (
    "Never photograph, copy or type the sheet into a file, and never scan it with a phone"
    " or any networked device; only an offline USB scanner may read its square code."
)
"""The one rule about digitising a sheet, printed on every copy and said on every screen."""
NO_QR_RULE: Final = "Never photograph, scan, copy or type this sheet into a file."
"""The same rule for a sheet printed without the square code."""
QR_WARNING: Final = (
    "The square code holds the password: read it only with an offline USB scanner plugged"
    " into the sign-in workstation, never with a phone (camera apps may upload what they scan)."
)
PIN_RULE: Final = "its PIN is on its own PIN sheet, stored apart from the key"
"""Where a security key's PIN is, said the same way on every sheet and screen."""
_SERIAL_ALPHABET: Final = UPPER + DIGITS


def new_serial() -> str:
    """A random sheet serial such as ``S-7KQ4-M2XP`` (about 39 bits, no look-alikes)."""
    chars = "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(8))
    return f"S-{chars[:4]}-{chars[4:]}"


def blocks(text: str, size: int = BLOCK_LENGTH) -> list[str]:
    """``text`` cut into blocks of ``size`` characters, as printed."""
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass(frozen=True)
class SheetContent:
    """Everything printed on one account's credential sheet (every copy alike but its mark)."""

    serial: str
    """Random serial shared by the copies; recorded in the profile."""
    tenant_name: str
    tenant_id: str
    upn: str
    object_id: str
    """Entra object id, or empty before the account exists (a blank to fill in by hand)."""
    generated: dt.date
    password: Secret
    locations: tuple[str, ...]
    """Storage location of each copy; its length is the number of copies."""
    include_qr: bool = True
    sign_in_url: str = DEFAULT_SIGN_IN_URL
    test_page: bool = False
    """A printer and legibility test: marked in large type as not a credential."""
    security_keys: tuple[str, ...] = ()
    """One line per FIDO2 security key on the account (``security_key_line``); never a PIN."""

    @property
    def copies(self) -> int:
        """How many copies (pages) the sheet has."""
        return len(self.locations)

    def copy_label(self, number: int) -> str:
        """The mark of copy ``number`` (1-based), e.g. ``copy 1 of 2 — location: Safe A``."""
        location = self.locations[number - 1] or NO_LOCATION
        return f"copy {number} of {self.copies} — location: {location}"

    def lines(self) -> list[Secret]:
        """The password in lines of 16 characters, in order."""
        return self.password.chunks(LINE_LENGTH)

    def check_codes(self) -> list[str]:
        """The check code printed after each line."""
        return [check_code(line.reveal()) for line in self.lines()]

    def instructions(self) -> list[str]:
        """The short instructions printed on every copy."""
        return [
            SCAN_RULE if self.include_qr else NO_QR_RULE,
            f"Sign in at {self.sign_in_url} as {self.upn or 'the account above'},"
            " from a trusted workstation only.",
            "Type the password line by line; each line's check code finds a typing mistake.",
            f"After any use, rotate the password and retire sheet {self.serial}.",
        ]

    def record(self) -> SheetRecord:
        """The profile's record of this sheet (serial and day, never the password)."""
        return SheetRecord(serial=self.serial, created=self.generated)


def security_key_line(key: SecurityKeyRecord) -> str:
    """The sheet's line for a security key: label, model, AAGUID, and where its PIN is."""
    model = f" — {key.model}" if key.model else ""
    return f"{key.label}{model} (AAGUID {key.aaguid}); {PIN_RULE}"


def normalise_typed(text: str) -> str:
    """What the operator typed for one line, without the spaces between blocks."""
    return "".join(text.split())


def typed_code(text: str) -> str:
    """The check code of a typed line, for live display next to the input; ``??`` if invalid."""
    try:
        return check_code(normalise_typed(text))
    except (UnknownCharacter, ValueError):  # a character no sheet uses, or a line too long
        return "??"


@dataclass(frozen=True)
class LineResult:
    """The read-back verdict for one line."""

    number: int
    """1-based line number, as printed."""
    ok: bool
    message: str
    """One sentence for the operator; never contains the expected characters."""


@dataclass(frozen=True)
class ReadBack:
    """The verdict for a whole read-back."""

    lines: tuple[LineResult, ...]

    @property
    def ok(self) -> bool:
        """Whether every line matched."""
        return all(line.ok for line in self.lines)

    @property
    def wrong(self) -> list[int]:
        """Numbers of the lines that did not match."""
        return [line.number for line in self.lines if not line.ok]


def compare_readback(content: SheetContent, typed: Sequence[str]) -> ReadBack:
    """Compare what the operator typed from a printed copy with the sheet, line by line.

    Args:
        content: the sheet that was printed.
        typed: one string per printed line (spaces between blocks are ignored).

    Returns:
        A verdict per line; the messages point at the line and its check code, never at the
        expected characters.
    """
    expected = content.lines()
    padded = list(typed) + [""] * (len(expected) - len(typed))
    results = [
        _compare_line(number, line, normalise_typed(text))
        for number, (line, text) in enumerate(zip(expected, padded, strict=False), start=1)
    ]
    return ReadBack(tuple(results))


def _compare_line(number: int, expected: Secret, text: str) -> LineResult:
    if expected.matches(text):
        return LineResult(number, True, f"Line {number} matches.")
    if not text:
        return LineResult(number, False, f"Line {number} is empty.")
    if len(text) != len(expected):
        return LineResult(
            number,
            False,
            f"Line {number} has {len(text)} characters; the printed line has {len(expected)}.",
        )
    try:
        code = check_code(text)
    except UnknownCharacter as exc:
        return LineResult(number, False, f"Line {number}: {exc}")
    return LineResult(
        number,
        False,
        f"Line {number} does not match: what you typed has check code {code};"
        " compare it with the code printed after that line.",
    )


# -- printing and rendered sheets (data only; the PDF and the spooler live in pdf.py,
# pin_sheet.py and printing.py) -------------------------------------------------------------

SPOOLERS: Final = ("lp", "lpr")
"""Tried in this order (runbooks). Credential sheets print only through ``lp`` (CUPS): its job
can be followed until it printed and then purged from the spool."""
SHEET_SPOOLERS: Final = ("lp",)
"""Spoolers for credential and PIN sheets."""
NO_LP: Final = "No lp command (CUPS) was found to print with; save the sheet to a file instead."
MEDIA: Final = {"a4": "A4", "letter": "Letter"}
"""CUPS ``media`` names of the paper sizes."""
TIMEOUT_SECONDS: Final = 60.0
SAVE_WARNING: Final = (
    "A saved file is a digital copy of the password. Save only to media you control"
    " (an encrypted USB stick you will wipe), print it, then delete it for good."
)


@dataclass(frozen=True)
class Spooler:
    """A print spooler command that reads a job from standard input."""

    name: str
    """``lp`` or ``lpr``."""
    path: str
    """Absolute path of the executable."""

    def command(
        self, title: str, printer: str | None = None, paper: str | None = None
    ) -> list[str]:
        """The command line for one job titled ``title`` (never a file argument: stdin)."""
        media = ["-o", f"media={MEDIA[paper]}"] if paper in MEDIA else []
        if self.name == "lp":
            return [self.path, "-t", title, *(["-d", printer] if printer else []), *media]
        return [self.path, "-T", title, *(["-P", printer] if printer else []), *media]


PAPER_SIZES: Final = {"a4": (595.2756, 841.8898), "letter": (612.0, 792.0)}
"""Page sizes in points (1/72 inch)."""


class RenderedSheet:
    """PDF bytes of a sheet; prints as a size, never as its contents (tracebacks show locals)."""

    __slots__ = ("_data", "pages", "paper", "serial")

    def __init__(self, data: bytes, serial: str, pages: int, paper: str = "a4") -> None:
        self._data = data
        self.serial = serial
        self.pages = pages
        self.paper = paper
        """``a4`` or ``letter``: the page size drawn, passed on to the printer as its media."""

    @property
    def data(self) -> bytes:
        """The PDF file's bytes."""
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RenderedSheet(serial={self.serial!r}, pages={self.pages}, {len(self._data)} bytes)"


@dataclass(frozen=True)
class PinSheet:
    """What a PIN sheet says."""

    upn: str
    key_label: str
    model: str
    aaguid: str
    pin: Secret = field(repr=False)
    generated: dt.date
    tenant_name: str = ""
    serial: str = field(default_factory=new_serial)

    def instructions(self) -> list[str]:
        """The short instructions printed under the PIN."""
        return [
            "Keep this sheet in a different envelope or safe from the key and its account sheet.",
            f"Sign in as {self.upn}: choose sign-in options, then security key; insert the key,"
            " type this PIN and touch the key.",
            "The key locks after 8 wrong PINs; a locked key must be reset and registered again.",
            "Never photograph, scan or type this PIN into a file.",
        ]
