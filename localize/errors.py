"""One base error, and specific subclasses that keep the bad value and say what is accepted."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class LocalizeError(Exception):
    """Base class: every error a user can cause derives from this one."""


class MediaError(LocalizeError):
    """A file that is not usable media (not media, empty, no audio stream...)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownNameError(LocalizeError):
    """A name (market, engine, format, voice...) that is not in its registry."""

    def __init__(self, what: str, value: str, accepted: Iterable[str]) -> None:
        self.what = what
        self.value = value
        self.accepted = sorted(accepted)
        super().__init__(f"unknown {what} {value!r}; accepted: {', '.join(self.accepted)}")


class UnknownMarketError(UnknownNameError):
    def __init__(self, value: str, accepted: Iterable[str]) -> None:
        super().__init__("market", value, accepted)


class InputFormatError(LocalizeError):
    """A malformed line in a file a person wrote (glossary, script, config)."""

    def __init__(self, path: Path | str, line_no: int, problem: str, expected: str = "") -> None:
        self.path = Path(path)
        self.line_no = line_no
        self.problem = problem
        self.expected = expected
        where = f"{self.path}:{line_no}" if line_no else str(self.path)
        tail = f" (expected {expected})" if expected else ""
        super().__init__(f"{where}: {problem}{tail}")


class ModelError(LocalizeError):
    """A model that cannot be found, assembled, verified or loaded."""


class MissingDependencyError(LocalizeError):
    """An optional heavy library or system program that is not installed."""

    def __init__(self, name: str, install_hint: str) -> None:
        self.name = name
        self.install_hint = install_hint
        super().__init__(f"{name} is not installed; {install_hint}")


class OutputExistsError(LocalizeError):
    """Refuse to overwrite something the user made without being asked to."""

    def __init__(self, path: Path | str, hint: str = "pass --force to overwrite") -> None:
        self.path = Path(path)
        super().__init__(f"{self.path} already exists; {hint}")
