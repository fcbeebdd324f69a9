"""Every error class bgwizard defines lives in one home and hangs from one tree.

The walk imports every module of the installed package (``bgwizard.screens`` too), so an
error class defined anywhere else fails here, whoever adds it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Final

import pytest

from bgwizard.emulator.errors import EmulatorError, KeySignInRefused, TenantFileError
from bgwizard.errors import BgWizardError, SetupError, TemplateError, summary

HOMES: Final = ("bgwizard.errors", "bgwizard.emulator.errors")
"""The client's tree, and the emulator's (a model of Microsoft's service, kept apart)."""

CONTROL_FLOW: Final = {
    "bgwizard.emulator.http.core.HttpError": "carries the ready Response a handler answers with",
}
"""Public exceptions that are control flow, not errors anyone is shown; each with its reason."""

PACKAGES: Final = ("bgwizard", "bgwizard.screens")
"""Walked from the top; ``bgwizard.screens`` is mapped from ``screens/``, so walk it too."""


def _modules() -> Iterator[ModuleType]:
    seen: set[str] = set()
    for top in PACKAGES:
        package = importlib.import_module(top)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{top}."):
            # ``__main__`` runs the CLI when imported; it defines no classes.
            if info.name in seen or info.name.endswith("__main__"):
                continue
            seen.add(info.name)
            yield importlib.import_module(info.name)


MODULES: Final = list(_modules())


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in MODULES:
        for obj in vars(module).values():
            defined_here = inspect.isclass(obj) and obj.__module__ == module.__name__
            if defined_here and issubclass(obj, BaseException):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


EXCEPTIONS: Final = _exception_classes()


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _public(cls: type) -> bool:
    return not cls.__name__.startswith("_") and _qualified(cls) not in CONTROL_FLOW


def test_the_walk_reaches_both_homes_the_emulator_and_the_screens() -> None:
    names = {module.__name__ for module in MODULES}
    assert {*HOMES, "bgwizard.emulator.http.core", "bgwizard.screens.home"} <= names


@pytest.mark.parametrize("cls", [c for c in EXCEPTIONS if _public(c)], ids=_qualified)
def test_every_public_error_is_defined_in_an_errors_module(cls: type[BaseException]) -> None:
    assert cls.__module__ in HOMES, f"move {cls.__name__} into bgwizard/errors.py"


@pytest.mark.parametrize("cls", [c for c in EXCEPTIONS if _public(c)], ids=_qualified)
def test_every_public_error_hangs_from_bgwizard_error_alone(cls: type[BaseException]) -> None:
    assert issubclass(cls, BgWizardError)
    foreign = [b for b in cls.__mro__ if not b.__module__.startswith("bgwizard")]
    # One tree: no builtin base such as ValueError, so ``except ValueError`` never catches
    # (and hides) one of ours by accident.
    assert foreign == [Exception, BaseException, object]


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=_qualified)
def test_every_exception_class_has_a_docstring(cls: type[BaseException]) -> None:
    assert (cls.__dict__.get("__doc__") or "").strip(), f"{_qualified(cls)} has no docstring"


@pytest.mark.parametrize("cls", [c for c in EXCEPTIONS if c.__module__ in HOMES], ids=_qualified)
def test_every_error_summary_is_one_sentence(cls: type[BaseException]) -> None:
    sentence = summary(cls)
    assert sentence.endswith(".") and ". " not in sentence, sentence


def test_a_bare_error_shows_its_sentence_and_a_message_wins() -> None:
    assert str(SetupError()) == summary(SetupError)
    assert str(SetupError("Choose an account.")) == "Choose an account."
    assert str(TemplateError("", filename="x.md")) == summary(TemplateError)


def test_the_emulator_tree_is_its_own_but_shown_like_the_client_s() -> None:
    assert issubclass(KeySignInRefused, EmulatorError)
    assert issubclass(TenantFileError, EmulatorError)
    assert issubclass(EmulatorError, BgWizardError)
