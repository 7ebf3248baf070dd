"""Errors that say whose fault it is, and keep the bad value and what is accepted.

Three kinds of failure, told apart by class (DESIGN.md section 4, rules 6 and 11):

- the user's: `UserError` and its subclasses (a bad file, an unknown market, a missing
  install). A clear message, never retried: running again gives the same answer.
- a tool's: `ToolError` (ffmpeg or espeak-ng exited non-zero). Retried; keeps the tool,
  a short command line, the exit code and the tail of its stderr.
- a bug: any other exception. Not retried, shown with its traceback.

A `LocalizeError` raised directly (neither subclass) is a message for a person and counts as
the user's. Every class here pickles with its message and attributes (workers raise them in
other processes), through one `__reduce__` in the base class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

Fault = Literal["user", "tool", "bug"]

_STDERR_LINES = 20
_STDERR_CHARS = 4000
_ARG_CHARS = 120


def _rebuild(cls: type[LocalizeError], args: tuple[Any, ...], state: dict[str, Any]) -> LocalizeError:
    """Unpickle without calling `cls.__init__`, whose signature is not `cls(*args)`."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class LocalizeError(Exception):
    """Base class of every error localize raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's own __reduce__ rebuilds with cls(*self.args), which fails for
        # subclasses whose __init__ takes other arguments than the message.
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class UserError(LocalizeError):
    """The user's input or installation is wrong: a person must act, so it is never retried."""


class ToolError(LocalizeError):
    """An external program (ffmpeg, espeak-ng) failed: retried, its stderr kept.

    Keeps `tool`, `command` (shortened: program name, long arguments cut), `returncode`,
    `stderr` (its last lines) and `path` (the file being worked on, if any).
    """

    def __init__(self, tool: str, command: Sequence[str], returncode: int, stderr: str = "",
                 path: Path | str | None = None) -> None:
        self.tool = tool
        self.command = _short_command(command)
        self.returncode = returncode
        self.stderr = _tail(stderr)
        self.path = Path(path) if path is not None else None
        where = f" on {self.path}" if self.path is not None else ""
        last = "\n".join(self.stderr.splitlines()[-5:]) or "no error output"
        super().__init__(f"{tool} failed{where} (exit {returncode}): {last}")


def _short_command(command: Sequence[str]) -> list[str]:
    if not command:
        return []
    program, *args = (str(part) for part in command)
    return [Path(program).name, *(a if len(a) <= _ARG_CHARS else a[:_ARG_CHARS] + "..." for a in args)]


def _tail(stderr: str) -> str:
    text = "\n".join(stderr.strip().splitlines()[-_STDERR_LINES:])
    return text[-_STDERR_CHARS:]


class MediaError(UserError):
    """A file that is not usable media (not media, empty, no audio stream...)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnknownNameError(UserError):
    """A name (market, engine, format, voice...) that is not in its registry."""

    def __init__(self, what: str, value: str, accepted: Iterable[str]) -> None:
        self.what = what
        self.value = value
        self.accepted = sorted(accepted)
        super().__init__(f"unknown {what} {value!r}; accepted: {', '.join(self.accepted)}")


class UnknownMarketError(UnknownNameError):
    def __init__(self, value: str, accepted: Iterable[str]) -> None:
        super().__init__("market", value, accepted)


class InputFormatError(UserError):
    """A malformed line in a file a person wrote (glossary, script, config)."""

    def __init__(self, path: Path | str, line_no: int, problem: str, expected: str = "") -> None:
        self.path = Path(path)
        self.line_no = line_no
        self.problem = problem
        self.expected = expected
        where = f"{self.path}:{line_no}" if line_no else str(self.path)
        tail = f" (expected {expected})" if expected else ""
        super().__init__(f"{where}: {problem}{tail}")


class ModelError(UserError):
    """A model that cannot be found, assembled, verified or loaded.

    A user's error: a wrong name or path, a damaged or mismatched file. Loading the same
    file again fails the same way, so it is not retried.
    """


class MissingDependencyError(UserError):
    """An optional heavy library or system program that is not installed (a person must install it)."""

    def __init__(self, name: str, install_hint: str) -> None:
        self.name = name
        self.install_hint = install_hint
        super().__init__(f"{name} is not installed; {install_hint}")


class OutputExistsError(UserError):
    """Refuse to overwrite something the user made without being asked to."""

    def __init__(self, path: Path | str, hint: str = "pass --force to overwrite") -> None:
        self.path = Path(path)
        super().__init__(f"{self.path} already exists; {hint}")


def whose_fault(exc: BaseException) -> Fault:
    """"tool" for a ToolError, "user" for any other LocalizeError, "bug" for everything else."""
    if isinstance(exc, ToolError):
        return "tool"
    if isinstance(exc, LocalizeError):
        return "user"
    return "bug"


def is_retryable(exc: BaseException) -> bool:
    """Only a tool's failure is worth another try; the user's and bugs fail the same way again."""
    return whose_fault(exc) == "tool"
