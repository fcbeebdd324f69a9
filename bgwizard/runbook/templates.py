"""``TemplateStore``: the runbook's Jinja2 templates, packaged and the user's own.

The packaged templates are read through ``importlib.resources`` (they live in
``bgwizard.runbook_templates``, which works in wheels and editable installs alike). A user's
template directory (the profile's ``runbook_templates_dir``) is searched first, so a file there
with a packaged name overrides it and any other ``*.md.j2`` file adds a section to the runbook.
Templates run in Jinja2's sandbox with undefined names as errors. Every failure becomes a
``TemplateError`` that names the file and, where Jinja2 knows it, the line.

jinja2 is imported on first use, so importing this module costs nothing at start-up.
"""

from __future__ import annotations

import datetime as dt
import os
import traceback
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bgwizard.errors import TemplateError
from bgwizard.inputs import MiB, read_text_input

if TYPE_CHECKING:
    from bgwizard.runbook.sandbox import BudgetSandbox

PACKAGE: Final = "bgwizard.runbook_templates"
SUFFIX: Final = ".md.j2"
"""Templates that make a runbook section; others (``.j2``) can only be included."""
NOT_RECORDED: Final = "(not recorded)"
PACKAGED: Final = "packaged"
USER: Final = "user"
TEMPLATE_LIMIT: Final = 1 * MiB
"""The largest user template read."""


def format_date(value: object) -> str:
    """A date as ``YYYY-MM-DD``; ``(not recorded)`` for None (the templates' ``date`` filter)."""
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class TemplateStore:
    """Finds and renders runbook templates: the user's directory first, then the packaged ones."""

    def __init__(self, user_dir: str | Path | None = None) -> None:
        """Use the packaged templates, overridden and extended by ``user_dir``.

        Args:
            user_dir: the user's template directory (``~`` expanded); None or empty for none.

        Raises:
            TemplateError: ``user_dir`` is set but is not a directory.
        """
        self.user_dir = Path(user_dir).expanduser() if user_dir else None
        if self.user_dir is not None and not self.user_dir.is_dir():
            problem = "is not a folder" if self.user_dir.exists() else "does not exist"
            raise TemplateError(
                f"The runbook template directory {self.user_dir} {problem}.",
                filename=str(self.user_dir),
            )
        self._env: BudgetSandbox | None = None

    def names(self) -> list[str]:
        """Every section template name (``*.md.j2``), packaged and user, sorted."""
        found = {n for n in self._packaged_names() if not n.startswith("_")}
        found |= {n for n in self._user_names() if not n.startswith("_")}
        return sorted(n for n in found if n.endswith(SUFFIX))

    def user_additions(self, known: Iterable[str]) -> list[str]:
        """The user's section templates that are not in ``known`` (added sections), sorted."""
        known_names = set(known)
        return sorted(
            n
            for n in self._user_names()
            if n.endswith(SUFFIX) and not n.startswith("_") and n not in known_names
        )

    def origin(self, name: str) -> str:
        """``user`` when the user's directory provides ``name``, else ``packaged``."""
        return USER if name in self._user_names() else PACKAGED

    def filename(self, name: str) -> str:
        """Where ``name`` is read from: a path for user files, a package location otherwise."""
        if self.user_dir is not None and name in self._user_names():
            return str(self.user_dir / name)
        return f"{PACKAGE}/{name}"

    def render(self, name: str, variables: Mapping[str, Any]) -> str:
        """Render template ``name`` with ``variables``.

        Args:
            name: the template's file name, e.g. ``contacts.md.j2``.
            variables: the names the template sees.

        Returns:
            The rendered text (Markdown), ending with one newline.

        Raises:
            TemplateError: the template is missing, has a syntax error (file and line named),
                uses an unknown name, or is refused by the sandbox.
        """
        import jinja2
        from jinja2.exceptions import SecurityError

        failure: TemplateError | None = None
        try:
            return self._render_capped(name, variables)
        except TemplateError:
            raise
        except jinja2.TemplateSyntaxError as exc:
            failure = _syntax_error(exc, self)
        except jinja2.TemplateNotFound as exc:
            failure = TemplateError(
                f"No runbook template named {exc.name}"
                f" in {self.user_dir or 'your template directory'} or the packaged templates.",
                filename=str(exc.name),
            )
        except (jinja2.UndefinedError, SecurityError) as exc:
            failure = _render_error(exc, name, self)
        except Exception as exc:  # a user template can fail in any way (1/0, bad filter args)
            failure = _render_error(exc, name, self)
        raise failure

    def _render_capped(self, name: str, variables: Mapping[str, Any]) -> str:
        """Render within ``RENDER_SECONDS`` and ``OUTPUT_LIMIT`` characters.

        Raises:
            TemplateError: the output grew past the cap.
        """
        from bgwizard.runbook.sandbox import OUTPUT_LIMIT

        env = self._environment()
        template = env.get_template(name)
        env.start()
        size, chunks = 0, []
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > OUTPUT_LIMIT:
                raise TemplateError(
                    f"The runbook template {self.filename(name)} wrote more than "
                    f"{OUTPUT_LIMIT // 1024} KiB and was stopped.",
                    filename=self.filename(name),
                )
            chunks.append(chunk)
        return "".join(chunks).strip() + "\n"

    def check(self, names: Iterable[str] | None = None) -> None:
        """Compile every template (or ``names``) so a syntax error shows before printing.

        Raises:
            TemplateError: the first template that does not compile.
        """
        import jinja2

        env = self._environment()
        for name in names if names is not None else self.names():
            try:
                env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise _syntax_error(exc, self) from None

    # -- internals ---------------------------------------------------------------------

    def _environment(self) -> BudgetSandbox:
        if self._env is None:
            self._env = _make_environment(self._load)
        return self._env

    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        """Jinja2 loader function: (source, filename, up-to-date check), user file first."""
        if self.user_dir is not None and os.path.lexists(self.user_dir / name):
            path = self.user_dir / name
            if not path.resolve().is_relative_to(self.user_dir.resolve()):
                raise TemplateError(
                    f"The runbook template {path} leads out of the template directory "
                    f"{self.user_dir}; it was not read.",
                    filename=str(path),
                )
            text = read_text_input(
                path, what="runbook template", limit=TEMPLATE_LIMIT, error=TemplateError
            )
            mtime = path.stat().st_mtime
            return text, str(path), lambda: path.is_file() and path.stat().st_mtime == mtime
        entry = _packaged_dir().joinpath(name)
        if "/" in name or not entry.is_file():
            return None
        return entry.read_text(encoding="utf-8"), f"{PACKAGE}/{name}", lambda: True

    def _packaged_names(self) -> set[str]:
        return {e.name for e in _packaged_dir().iterdir() if e.name.endswith(".j2")}

    def _user_names(self) -> set[str]:
        if self.user_dir is None or not self.user_dir.is_dir():
            return set()
        return {p.name for p in self.user_dir.iterdir() if p.is_file() and p.name.endswith(".j2")}


def _packaged_dir() -> Traversable:
    return resources.files(PACKAGE)


def _make_environment(
    load: Callable[[str], tuple[str, str, Callable[[], bool]] | None],
) -> BudgetSandbox:
    import jinja2

    from bgwizard.runbook.sandbox import BudgetSandbox

    env = BudgetSandbox(
        loader=jinja2.FunctionLoader(load),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = format_date
    return env


def _syntax_error(exc: Any, store: TemplateStore) -> TemplateError:
    filename = str(exc.filename or (store.filename(exc.name) if exc.name else "a template"))
    return TemplateError(
        f"The runbook template {filename} has a syntax error on line {exc.lineno}:"
        f" {str(exc.message).rstrip('.')}.",
        filename=filename,
        line=exc.lineno,
    )


def _render_error(exc: Exception, name: str, store: TemplateStore) -> TemplateError:
    """A render-time failure, located by the template frame Jinja2 puts in the traceback."""
    filename, line = store.filename(name), None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            filename, line = frame.filename, frame.lineno
            break
    where = f" on line {line}" if line is not None else ""
    return TemplateError(
        f"The runbook template {filename} failed{where}: {str(exc).rstrip('.')}.",
        filename=filename,
        line=line,
    )
