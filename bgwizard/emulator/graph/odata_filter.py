"""A small OData ``$filter`` parser: the subset Graph supports on the emulated collections.

Supported: ``eq ne gt ge lt le``, ``in (…)``, ``and``, ``or``, ``not``, parentheses,
``startswith(p,'x')``/``endswith``, and lambda ``coll/any(t: t/prop eq 'x')``. Each collection
lists the property paths it can filter on; anything else is a 400, as in Graph.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from bgwizard.emulator.errors import FilterError

Predicate = Callable[[Any], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')"
    r"|(?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)"
    r"|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_$@][\w.$@-]*)"
    r"|(?P<punct>[(),:/]))"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains"}


def parse_filter(text: str, allowed: set[str], resource: str) -> Predicate:
    """Compile ``text`` into a predicate over Graph JSON dicts.

    Args:
        text: The ``$filter`` value.
        allowed: Property paths (``a/b``; lambda paths as ``coll/prop``) that may be used.
        resource: The resource name for error messages (e.g. ``User``).

    Raises:
        FilterError: Malformed, or a property outside ``allowed``.
    """
    parser = _Parser(_tokenize(text), allowed, resource)
    predicate = parser.expression({})
    if parser.pos != len(parser.tokens):
        raise FilterError(f"Invalid filter clause: unexpected '{parser.tokens[parser.pos][1]}'.")
    return predicate


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"Invalid filter clause: cannot read '{text[pos : pos + 12]}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _literal(kind: str, value: str) -> Any:
    if kind == "str":
        return value[1:-1].replace("''", "'")
    if kind == "dt":
        return _as_datetime(value)
    if kind == "num":
        return float(value) if "." in value else int(value)
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    raise FilterError(f"Invalid filter clause: '{value}' is not a literal.")


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _get(item: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(right, dt.datetime):
        left = _as_datetime(left)
    elif isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool(
            {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
        )
    except TypeError:
        return False


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], allowed: set[str], resource: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.allowed = allowed
        self.resource = resource

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1].lower() != value):
            raise FilterError(f"Invalid filter clause: expected '{value or 'more'}'.")
        self.pos += 1
        return token

    def expression(self, scope: dict[str, str]) -> Predicate:
        left = self.conjunction(scope)
        while self.peek()[1].lower() == "or":
            self.take()
            right = self.conjunction(scope)
            left = (lambda a, b: lambda i: a(i) or b(i))(left, right)
        return left

    def conjunction(self, scope: dict[str, str]) -> Predicate:
        left = self.unary(scope)
        while self.peek()[1].lower() == "and":
            self.take()
            right = self.unary(scope)
            left = (lambda a, b: lambda i: a(i) and b(i))(left, right)
        return left

    def unary(self, scope: dict[str, str]) -> Predicate:
        if self.peek()[1].lower() == "not":
            self.take()
            inner = self.unary(scope)
            return lambda i: not inner(i)
        if self.peek()[1] == "(":
            self.take("(")
            inner = self.expression(scope)
            self.take(")")
            return inner
        if self.peek()[1].lower() in _FUNCTIONS:
            return self.function(scope)
        return self.comparison(scope)

    def function(self, scope: dict[str, str]) -> Predicate:
        name = self.take()[1].lower()
        self.take("(")
        _, getter = self.path(scope)
        self.take(",")
        value = _literal(*self.take())
        self.take(")")
        if not isinstance(value, str):
            raise FilterError(f"Invalid filter clause: {name} needs a string.")
        needle = value.lower()
        tests: dict[str, Callable[[str], bool]] = {
            "startswith": lambda s: s.startswith(needle),
            "endswith": lambda s: s.endswith(needle),
            "contains": lambda s: needle in s,
        }
        test = tests[name]
        return lambda i: isinstance(getter(i), str) and test(str(getter(i)).lower())

    def path(self, scope: dict[str, str]) -> tuple[str, Callable[[Any], Any]]:
        parts = [self.take()[1]]
        while self.peek()[1] == "/" and self.tokens[self.pos + 1][1].lower() != "any":
            self.take("/")
            parts.append(self.take()[1])
        if parts[0] in scope:
            full = f"{scope[parts[0]]}/{'/'.join(parts[1:])}"
            rel = parts[1:]
            getter: Callable[[Any], Any] = lambda i: _get(i, rel)  # noqa: E731
        else:
            full = "/".join(parts)
            getter = lambda i: _get(i, parts)  # noqa: E731
        if self.peek()[1] != "/" and full not in self.allowed:
            raise FilterError(
                f"Unsupported or invalid query filter clause specified for property "
                f"'{full}' of resource '{self.resource}'."
            )
        return full, getter

    def comparison(self, scope: dict[str, str]) -> Predicate:
        full, getter = self.path(scope)
        if self.peek()[1] == "/":
            return self.lambda_any(full, getter, scope)
        op = self.take()[1].lower()
        if op == "in":
            self.take("(")
            values = [_literal(*self.take())]
            while self.peek()[1] == ",":
                self.take(",")
                values.append(_literal(*self.take()))
            self.take(")")
            return lambda i: any(_compare("eq", getter(i), v) for v in values)
        if op not in _COMPARE:
            raise FilterError(f"Invalid filter clause: unknown operator '{op}'.")
        value = _literal(*self.take())
        return lambda i: _compare(op, getter(i), value)

    def lambda_any(
        self, collection: str, getter: Callable[[Any], Any], scope: dict[str, str]
    ) -> Predicate:
        self.take("/")
        self.take("any")
        self.take("(")
        var = self.take()[1]
        self.take(":")
        inner = self.expression({**scope, var: collection})
        self.take(")")
        return lambda i: any(inner(e) for e in (getter(i) or []))
