"""Prefect flow for a whole season: the season run (localize.season_run) with its pieces as Prefect tasks.

Work runs concurrently on a bounded pool of threads (`workers`), or on Dask: an episode's source
(ASR, OCR) and every episode x market chain are submitted as tasks, so ffmpeg renders overlap model
work. What a run does and records (skips, failures, journal, summary) is the season run's.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prefect import allow_failure, flow
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner

from flows.episode import RunSettings, market_task, source_task
from localize.errors import UnknownNameError
from localize.ledger import Ledger
from localize.markets import Market
from localize.pipeline import Step
from localize.season_run import (
    Failure,
    SeasonResult,
    default_workers,
    find_episodes,
    preflight,
    run_season,
)
from localize.store import ResultStore

log = logging.getLogger("localize")
# What callers of the flow also use, from the season run.
__all__ = ["Failure", "SeasonResult", "find_episodes", "localize_season", "preflight", "season_flow"]


class PrefectSubmitter:
    """The season's pieces as Prefect tasks on the flow's task runner (threads or Dask).

    `pieces`: the runner's threads when tasks run in this process; 1 when they run in other processes
    (each Dask worker process gets its share of the cores through its environment, see `season_flow`).
    """

    def __init__(self, in_process: bool) -> None:
        context = FlowRunContext.get() if in_process else None
        workers = getattr(context.task_runner, "_max_workers", 1) if context else 1
        self.pieces = max(1, min(int(workers), 64))  # Prefect's default is unbounded (sys.maxsize)

    def source(self, store: ResultStore, video: Path, settings: RunSettings, ledger: Ledger,
               on_step: Step | None, replayed: dict[str, Any]) -> Any:
        # Prefect resolves the futures in `replayed`; a failed one would stop this task, so each is
        # wrapped: its failure leaves that recap read as it is.
        return source_task.submit(store, video, settings, ledger, on_step,
                                  {name: allow_failure(f) for name, f in replayed.items()})

    def market(self, store: ResultStore, source: Any, market: Market, settings: RunSettings, ledger: Ledger,
               on_step: Step | None, after: Sequence[Any]) -> Any:
        waits: Any = [allow_failure(f) for f in after]
        return market_task.submit(store, source, market, settings, ledger, on_step,  # Prefect waits on `source`
                                  wait_for=waits, return_state=False)


@flow(name="localize-season", validate_parameters=False,
      task_runner=ThreadPoolTaskRunner(max_workers=default_workers()))  # type: ignore[arg-type]
def localize_season(season_dir: Path, markets: Sequence[Market], out_dir: Path, settings: RunSettings | None = None,
                    *, episodes: Sequence[Path] | None = None, show_progress: bool = False, force: bool = False,
                    in_process: bool = True) -> SeasonResult:
    """Episodes x markets through the season run (localize.season_run), as Prefect tasks.

    `settings`: the one settings object every stage reads (`Config.run_settings`; default: the built-in
    ones, delivering to `out_dir`). Before any work, runs `preflight` (bad videos, scripts, glossaries,
    unknown engines, and delivery files edited by a person or not written by localize, unless `force`);
    a delivery a reviewer approved is kept as it is, unless `force`;
    a caller that already ran it passes `episodes`. `in_process=False` (Dask workers in other
    processes): no live progress text, which cannot travel to them.
    """
    settings = dataclasses.replace(settings, out_dir=out_dir) if settings else RunSettings(out_dir=out_dir)
    if episodes is None:
        episodes = preflight(season_dir, markets, out_dir, force, settings.glossary_dir)
    return run_season(episodes, markets, settings, PrefectSubmitter(in_process), show_progress=show_progress,
                      in_process=in_process, keep_approved=not force)


RUNNERS = ("threads", "dask", "dask:ADDRESS")


def season_flow(runner: str = "threads", workers: int | None = None) -> tuple[Any, bool]:
    """The season flow on a task runner, and whether its tasks run in this process.

    "threads": this process, `workers` threads. "dask": a temporary Dask LocalCluster of `workers`
    worker processes (one thread each: each loads its models once). "dask:ADDRESS": an existing
    Dask scheduler (tcp://host:8786), whose workers need localize installed.
    """
    count = workers or default_workers()
    if runner == "threads":
        threads: Any = ThreadPoolTaskRunner(max_workers=count)
        return localize_season.with_options(task_runner=threads), True
    if runner == "dask" or runner.startswith("dask:"):
        from prefect_dask import DaskTaskRunner

        address = runner.partition(":")[2]
        if address:
            dask: Any = DaskTaskRunner(address=address)
        else:
            # Dask pins OMP/MKL to 1 thread per worker process; torch, CTranslate2 and onnxruntime
            # should share the cores among the workers instead.
            per_worker = str(max(1, (os.cpu_count() or 1) // count))
            threads_env = {name: per_worker for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
            dask = DaskTaskRunner(cluster_kwargs={"n_workers": count, "threads_per_worker": 1, "processes": True,
                                                  "dashboard_address": None, "env": threads_env})
        return localize_season.with_options(task_runner=dask), False
    raise UnknownNameError("runner", runner, RUNNERS)
