"""Prefect flow for a whole season: every episode for every market, then a season summary.

Work runs concurrently on a bounded pool of threads (`workers`): an episode's source (ASR, OCR)
and every episode x market chain are submitted as tasks, so ffmpeg renders overlap model work.
A market that fails is journalled with its error and the others go on; the season then
reports the failures. Finished stages are reused from OUT/.work/results by content.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.settings import configure_prefect

configure_prefect()

from prefect import flow  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from flows.episode import MarketResult, RunSettings, market_task, source_task  # noqa: E402
from localize import media  # noqa: E402
from localize.asr import AsrOptions  # noqa: E402
from localize.asr.source import PictureOptions, episode_script  # noqa: E402
from localize.errors import UnknownNameError, UserError, whose_fault  # noqa: E402
from localize.fsutil import remove_partials  # noqa: E402
from localize.journal import Entry, Journal  # noqa: E402
from localize.ledger import Ledger  # noqa: E402
from localize.market_check import require_markets  # noqa: E402
from localize.markets import Market  # noqa: E402
from localize.paths import SeasonPaths  # noqa: E402
from localize.picture.remove import RemovalOptions  # noqa: E402
from localize.progress import Progress  # noqa: E402
from localize.report import write_season_summary  # noqa: E402
from localize.store import ResultStore  # noqa: E402
from localize.subtitle import CoverBox  # noqa: E402
from localize.subtitle.layout import DEFAULT_COVER  # noqa: E402
from localize.subtitle.platforms import DEFAULT_PLATFORM  # noqa: E402
from localize.translate import engine_names  # noqa: E402
from localize.translate.consistency import Inconsistency, inconsistencies  # noqa: E402
from localize.translate.glossary import glossary_files, load_glossaries  # noqa: E402
from localize.translation_io import read_translation_json  # noqa: E402

log = logging.getLogger("localize")

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".m4v")


def default_workers() -> int:
    """Concurrent tasks: the cores, at least 2 (ffmpeg waits overlap model work), at most 4 (memory)."""
    return max(2, min(os.cpu_count() or 2, 4))


def find_episodes(season_dir: Path) -> list[Path]:
    """Episode videos in a season folder, in name order (ep01.mp4, ep02.mp4...)."""
    if not season_dir.is_dir():
        raise UserError(f"{season_dir}: not a folder (a season is a folder of episode videos)")
    found = sorted(p for p in season_dir.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if not found:
        raise UserError(f"{season_dir}: no episode videos ({', '.join(VIDEO_SUFFIXES)}) found")
    stems = [p.stem for p in found]
    twins = sorted({p.name for p in found if stems.count(p.stem) > 1})
    if twins:
        raise UserError(f"{season_dir}: {', '.join(twins)} would write the same deliveries; keep one per episode")
    return found


def preflight(season_dir: Path, markets: Sequence[Market], out_dir: Path, force: bool = False,
              glossary_dir: Path | None = None) -> list[Path]:
    """Everything that can be checked in seconds, before hours of work: videos, scripts, glossaries,
    engines, delivery files edited by a person."""
    require_markets(markets)  # a font, voice, examples or segmenter missing: named now, before any work
    episodes = find_episodes(season_dir)
    for video in episodes:
        media.require_audio(media.probe(video))
        episode_script(video)  # a malformed script stops the run here, naming file and line
    for market in markets:
        if market.engine.name not in engine_names():
            raise UnknownNameError(f"translation engine for {market.code}", market.engine.name, engine_names())
        # A malformed glossary (the market's or the series' own) fails now, not after hours of ASR.
        load_glossaries(glossary_files(market.code, glossary_dir, season_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: --out must be a folder")
    if not force:
        Ledger(out_dir).check(SeasonPaths(out_dir).planned([v.stem for v in episodes], [m.code for m in markets]))
    return episodes


@dataclass(frozen=True)
class Failure:
    episode: str
    market: str
    error: str
    fault: str  # "user", "tool" or "bug"


@dataclass(frozen=True)
class SeasonResult:
    out_dir: Path
    results: tuple[MarketResult, ...]
    seconds: float
    failures: tuple[Failure, ...] = ()
    ran: dict[str, int] = field(default_factory=dict)  # stage -> times its work really ran
    reused: dict[str, int] = field(default_factory=dict)  # stage -> times a finished result was reused

    @property
    def errors(self) -> int:
        return sum(r.report.errors for r in self.results)

    @property
    def needs_review(self) -> tuple[MarketResult, ...]:
        """Deliveries written with error findings (a flagged line, a broken rule): for a person first."""
        return tuple(r for r in self.results if r.report.errors)


def _summary_row(r: MarketResult) -> dict[str, Any]:
    return {
        "episode": r.episode, "market": r.market, "status": "passed" if r.report.errors == 0 else "needs review",
        "passed": r.report.errors == 0,
        "errors": r.report.errors, "findings": len(r.report.findings),
        "dub_lufs": round(r.dub.integrated_lufs, 1) if r.dub else None,
        "qa": f"{r.market}/{r.episode}.qa.html",
    }


def _failure_row(f: Failure) -> dict[str, Any]:
    return {"episode": f.episode, "market": f.market, "status": "failed", "passed": False, "errors": None,
            "findings": None,
            "dub_lufs": None, "qa": f"failed ({f.fault}): {f.error}"}


@flow(name="localize-season", validate_parameters=False,
      task_runner=ThreadPoolTaskRunner(max_workers=default_workers()))  # type: ignore[arg-type]
def localize_season(season_dir: Path, markets: Sequence[Market], out_dir: Path,
                    asr: AsrOptions | None = None, glossary_dir: Path | None = None,
                    preview: bool = True, show_progress: bool = False, force: bool = False,
                    cover: CoverBox | None = DEFAULT_COVER, cover_auto: bool = True,
                    picture: PictureOptions | None = None, memory: Path | None = None,
                    episodes: Sequence[Path] | None = None, in_process: bool = True,
                    removal: RemovalOptions | None = None, platform: str = DEFAULT_PLATFORM) -> SeasonResult:
    """Episodes x markets; writes OUT/<market>/<episode>.* and OUT/season-summary.{json,html}.

    Before any work, runs `preflight` (bad videos, scripts, glossaries, unknown engines, and delivery
    files edited by a person or not written by localize, unless `force`); a caller that already ran
    it passes `episodes`. `in_process=False` (Dask workers in other processes): no live progress text,
    which cannot travel to them. `memory`: the translation memory file (None: none; `localize run`
    passes localize.toml's [memory] or the default beside OUT).
    """
    started = time.perf_counter()
    if episodes is None:
        episodes = preflight(season_dir, markets, out_dir, force, glossary_dir)
    paths = SeasonPaths(out_dir)
    settings = RunSettings(out_dir=out_dir, asr=asr or AsrOptions(), picture=picture or PictureOptions(),
                           glossary_dir=glossary_dir, preview=preview, cover=cover, cover_auto=cover_auto,
                           memory=memory, removal=removal or RemovalOptions(), platform=platform)
    if removed := remove_partials(out_dir):
        log.info("%s: removed %d half-written files a stopped run left", out_dir, removed)
    ledger = Ledger(out_dir)
    store = ResultStore(paths.results)
    journal = Journal(paths.journal)
    journal.start([v.stem for v in episodes], [m.code for m in markets])
    sources = {video.stem: source_task.submit(store, video, settings, ledger) for video in episodes}
    results: list[MarketResult] = []
    failures: list[Failure] = []
    stage_seconds: Counter[str] = Counter()
    with Progress(total=len(episodes) * len(markets), enabled=show_progress) as progress:
        upstream: dict[str, Any] = dict(sources)  # a future stands in for its EpisodeSource
        describe = progress.describe if in_process else None
        chains = [(video.stem, market, market_task.submit(store, upstream[video.stem], market, settings, ledger,
                                                          describe))
                  for video in episodes for market in markets]
        for episode, market, future in chains:
            try:
                sources[episode].result()  # an episode whose source failed: report the source's own error
                result = future.result()
            except Exception as exc:
                failure = Failure(episode, market.code, str(exc) or type(exc).__name__, whose_fault(exc))
                failures.append(failure)
                journal.record(Entry(episode, market.code, "failed", error=failure.error, fault=failure.fault))
                log.error("%s [%s] failed (%s): %s", episode, market.code, failure.fault, failure.error)
            else:
                results.append(result)
                stage_seconds.update(result.seconds)
                state = "done" if result.ran else "cached"
                journal.record(Entry(episode, market.code, state, round(sum(result.seconds.values()), 1),
                                     stages={k: round(v, 2) for k, v in result.seconds.items()}))
            progress.advance()
    for source in sources.values():
        if source.state.is_completed():
            stage_seconds.update(source.result().seconds)
    rows = [_summary_row(r) for r in results] + [_failure_row(f) for f in failures]
    differing = season_inconsistencies(paths, results)
    for found in differing:
        log.warning("[%s] the same line translated differently: %s", found.market, found.message)
    ledger.record(write_season_summary(rows, out_dir, stage_seconds=dict(stage_seconds), inconsistent=differing))
    seconds = time.perf_counter() - started
    journal.finish(seconds, dict(stage_seconds))
    return SeasonResult(out_dir, tuple(results), seconds, tuple(failures), dict(store.ran), dict(store.reused))


def season_inconsistencies(paths: SeasonPaths, results: Sequence[MarketResult]) -> list[Inconsistency]:
    """Per market, the lines of this run's deliveries said the same way but translated differently."""
    episodes: dict[str, list[str]] = {}
    for result in results:
        episodes.setdefault(result.market, []).append(result.episode)
    found: list[Inconsistency] = []
    for market, names in sorted(episodes.items()):
        translations = {name: read_translation_json(paths.episode(name).lines(market)) for name in names
                        if paths.episode(name).lines(market).is_file()}
        found += inconsistencies(market, translations)
    return found


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
