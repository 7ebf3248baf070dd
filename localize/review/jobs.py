"""A reviewer's edit made real in the background: approved in the translation memory, the delivery made again.

One worker thread takes the edits in the order they came, so two quick edits of one line end with
the second everywhere. Before a re-render, every file it may replace (the market's deliveries, the
line files, the season summary) is linked aside; if the re-render fails, they are put back and the
ledger told, so the delivery is exactly the one before the edit. The approval stays in the memory
(the reviewer's work is not lost) and the page says what failed.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from localize.decisions import Decisions
from localize.errors import UserError
from localize.kit import Approval, approve_lines, season_translations
from localize.ledger import Ledger
from localize.paths import SeasonPaths

log = logging.getLogger("localize")
BACKUP = "review-backup"


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
        backup = self.out / ".work" / BACKUP / job.id
        saved = _set_aside(self.out, job.market, backup)
        try:
            def step(text: str) -> None:
                job.step = text

            applied = approve_lines(self.out, job.market, [approval], season_translations(self.out, job.market),
                                    reviewer=reviewer or "review page", on_step=step)
        except Exception as exc:  # any failure: the delivery goes back to what it was
            _put_back(self.out, saved, backup)
            job.state, job.message = "failed", (f"{exc or type(exc).__name__}; the delivery is as it was, and the "
                                                "approved line is kept for the next run")
            log.error("review edit of %s [%s] line %d failed: %s", job.episode, job.market, approval.index + 1, exc)
        else:
            shutil.rmtree(backup, ignore_errors=True)
            decisions = Decisions(self.out)
            for episode in applied.episodes:
                decisions.clear(episode, job.market, f"line {approval.index + 1} of {job.episode} edited")
            job.episodes, job.state, job.step = applied.episodes, "done", ""
        job.seconds = round(time.perf_counter() - started, 2)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _files_at_stake(out: Path, market: str) -> list[Path]:
    paths = SeasonPaths(out)
    found = [paths.summary_json, paths.summary_html]
    for episode in paths.episodes():
        at = paths.episode(episode)
        found += [at.lines(market), *at.market(market).deliveries()]
    return found


def _set_aside(out: Path, market: str, backup: Path) -> dict[Path, bool]:
    """Link each file a re-render may replace into `backup` (writes replace files, so the link keeps the
    old one); path -> whether it existed."""
    saved = {}
    for path in _files_at_stake(out, market):
        saved[path] = path.is_file()
        if saved[path]:
            kept = backup / path.relative_to(out)
            kept.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, kept)
            except OSError:
                shutil.copy2(path, kept)
    return saved


def _put_back(out: Path, saved: dict[Path, bool], backup: Path) -> None:
    restored = []
    for path, existed in saved.items():
        if existed:
            os.replace(backup / path.relative_to(out), path)
            restored.append(path)
        elif path.is_file():
            path.unlink()  # made by the failed re-render: not part of the delivery before
    Ledger(out).record(restored)  # the files are localize's again, as they were
    shutil.rmtree(backup, ignore_errors=True)
