"""The read-back panel: type a printed copy line by line, masked, with live check codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from bgwizard.sheets.model import ReadBack, SheetContent, normalise_typed, typed_code

Checker = Callable[[SheetContent, Sequence[str]], ReadBack]
INTRO = (
    "Take one printed copy and type each line (spaces optional). What you type stays hidden;"
    " once a line is complete, the check code beside it must equal the code printed after"
    " that line on the paper."
)


class ReadBackPanel(Vertical):
    """One masked input per printed line; posts ``Matched`` when every line is right."""

    class Matched(Message):
        """Every typed line matched the sheet."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        """Create an empty panel; ``prepare`` fills it for a sheet."""
        super().__init__(id=id, classes=classes)
        self._content: SheetContent | None = None
        self._checker: Checker | None = None

    def compose(self) -> ComposeResult:
        yield Static(INTRO, id="readback-intro")
        yield Vertical(id="readback-lines")
        yield Button("Check the read-back", id="check", variant="primary")
        yield Static("", id="readback-result")

    def prepare(self, content: SheetContent, checker: Checker) -> None:
        """Show one input per line of ``content`` (clearing anything typed before)."""
        self._content = content
        self._checker = checker
        lines = self.query_one("#readback-lines", Vertical)
        lines.remove_children()
        lines.mount_all(
            Horizontal(
                Label(f"Line {n}", classes="label"),
                Input(password=True, id=f"line-{n}", max_length=32, classes="line"),
                Static("check --", id=f"code-{n}", classes="code"),
                classes="row",
            )
            for n in range(1, len(content.lines()) + 1)
        )
        self.query_one("#readback-result", Static).update("")
        self.disabled = False

    def typed(self) -> list[str]:
        """What was typed, one string per line."""
        return [field.value for field in self.query("Input.line").results(Input)]

    @on(Input.Changed, "Input.line")
    def show_code(self, event: Input.Changed) -> None:
        """Show the check code of what was typed on that line."""
        number = int((event.input.id or "line-0").removeprefix("line-"))
        if self._content is None or number < 1:
            return
        wanted = len(self._content.lines()[number - 1])
        have = len(normalise_typed(event.value))
        text = f"check {typed_code(event.value)}" if have == wanted else f"{have}/{wanted}"
        self.query_one(f"#code-{number}", Static).update(text)

    @on(Input.Submitted, "Input.line")
    def next_line(self, event: Input.Submitted) -> None:
        """Enter moves to the next line; on the last line it checks."""
        fields = list(self.query("Input.line").results(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.check()

    @on(Button.Pressed, "#check")
    def check(self) -> None:
        """Compare the typed lines with the sheet and say which lines are wrong."""
        if self._content is None or self._checker is None:
            return
        verdict = self._checker(self._content, self.typed())
        result = self.query_one("#readback-result", Static)
        result.set_class(not verdict.ok, "wrong")
        if verdict.ok:
            result.update("Every line matches the sheet.")
            for field in self.query("Input.line").results(Input):
                field.clear()
            self.disabled = True
            self.post_message(self.Matched())
            return
        wrong = [line.message for line in verdict.lines if not line.ok]
        result.update("\n".join(wrong))
        self.query_one(f"#line-{verdict.wrong[0]}", Input).focus()
