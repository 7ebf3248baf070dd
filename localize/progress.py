"""A progress bar for long work (rich), silent when disabled or not on a terminal."""

from __future__ import annotations

from types import TracebackType
from typing import Any


class Progress:
    """`with Progress(total=n, enabled=True) as p: p.describe("..."); p.advance()`."""

    def __init__(self, total: int, enabled: bool = True, label: str = "localizing") -> None:
        self.total = total
        self.enabled = enabled
        self.label = label
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description:<44}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, steps)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description="done" if exc is None else "stopped")
            self._bar.__exit__(exc_type, exc, tb)
