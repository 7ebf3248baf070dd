"""A reviewer's edit made real in the background: approved in the translation memory, the delivery made again.

One worker thread takes the edits in the order they came, so two quick edits of one line end with
the second everywhere. A re-render is all or nothing (localize.season_run.redeliver): if it fails,
every delivery is exactly the one before the edit. The approval stays in the memory (the reviewer's
work is not lost) and the page says what failed.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from localize.decisions import Decisions
from localize.errors import UserError
from localize.kit import Approval, approve_lines, season_translations

log = logging.getLogger("localize")


@dataclass
class Job:
    id: str
    episode: str
    market: str
    state: str = "queued"  # queued, running, done, failed
    step: str = ""
    message: str = ""
    seconds: float = 0.0
    episodes: tuple[str, ...] = field(default_factory=tuple)  # re-rendered


class Rerenders:
    """The edits of one OUT folder, applied one at a time on a worker thread."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.jobs: dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="review")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def edit(self, episode: str, market: str, index: int, target: str, reviewer: str) -> Job:
        """Check the edit now (a clear error for a line that does not exist) and queue it."""
        translations = season_translations(self.out, market)
        translation = translations.get(episode)
        if translation is None:
            raise UserError(f"{episode}: no {market} delivery in {self.out}")
        if not 0 <= index < len(translation.lines):
            raise UserError(f"{episode} [{market}]: no line {index + 1} (it has {len(translation.lines)})")
        if not target.strip():
            raise UserError("an empty translation: write the line, or leave it as it is")
        with self._lock:
            job = Job(str(next(self._ids)), episode, market)
            self.jobs[job.id] = job
        line = translation.lines[index]
        approval = Approval(episode, index, line.source, target.strip())
        self._pool.submit(self._run, job, approval, reviewer)
        return job

    def _run(self, job: Job, approval: Approval, reviewer: str) -> None:
        started = time.perf_counter()
        job.state = "running"
        try:
            def step(text: str) -> None:
                job.step = text

            applied = approve_lines(self.out, job.market, [approval], season_translations(self.out, job.market),
                                    reviewer=reviewer or "review page", on_step=step, all_or_nothing=True)
        except Exception as exc:  # any failure: the deliveries are as they were
            job.state, job.message = "failed", (f"{exc or type(exc).__name__}; the delivery is as it was, and the "
                                                "approved line is kept for the next run")
            log.error("review edit of %s [%s] line %d failed: %s", job.episode, job.market, approval.index + 1, exc)
        else:
            decisions = Decisions(self.out)
            for episode in applied.episodes:
                decisions.clear(episode, job.market, f"line {approval.index + 1} of {job.episode} edited")
            job.episodes, job.state, job.step = applied.episodes, "done", ""
        job.seconds = round(time.perf_counter() - started, 2)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
