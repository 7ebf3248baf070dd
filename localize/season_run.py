"""The season run: every episode's source, then every episode x market delivery, then the summary.

The one place that owns a run's bookkeeping in OUT: the result store (finished stages), the ledger
(files written, so a person's edit is never overwritten), the journal (`localize status`) and the
season summary. How the work is spread is the caller's: a `Submitter` runs each piece and hands back
something with `.result()`. `ThreadSubmitter` (here) uses a pool of threads and retries a tool's
failure; the Prefect flow (flows/season.py) submits the same pieces as Prefect tasks, on threads or
on Dask. Tests run whole seasons through `ThreadSubmitter` with stand-in stages (localize.stages).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from localize import cores, media
from localize.asr.source import episode_script
from localize.decisions import Decisions
from localize.errors import UnknownNameError, UserError, is_retryable, whose_fault
from localize.fsutil import remove_partials
from localize.journal import Entry, Journal
from localize.ledger import Ledger
from localize.market_check import require_markets
from localize.markets import Market
from localize.paths import VIDEO_SUFFIXES, SeasonPaths, season_videos
from localize.pipeline import (
    DeliveryInputs,
    EpisodeSource,
    MarketResult,
    RunSettings,
    Step,
    episode_recaps,
    episode_source,
    load_delivery_inputs,
    market_delivery,
)
from localize.progress import Progress
from localize.release import Verdict, write_manifests
from localize.report import write_season_summary
from localize.store import ResultStore
from localize.translate import engine_names
from localize.translate.consistency import Inconsistency, inconsistencies
from localize.translate.glossary import glossary_files, load_glossaries
from localize.translation_io import read_translation_json
from localize.types import Translation

log = logging.getLogger("localize")
T = TypeVar("T")

TOOL_RETRIES = 2  # a tool's failure (ffmpeg, espeak-ng crashed) is tried again this many times


class Handle(Protocol[T]):  # type: ignore[misc]
    def result(self) -> T: ...


class Submitter(Protocol):
    """How a season's pieces of work are run: each call returns at once with a handle to its result.

    `replayed`: the sources of the earlier episodes an episode replays (recaps), which its source waits
    for and takes lines from; `after`: pieces a market's delivery waits for (the same market's delivery
    of those episodes, so their translations and dub lines are there to reuse), failed or not.
    `pieces`: how many pieces run at once in this process; they share its cores (localize.cores).
    """

    pieces: int

    def source(self, store: ResultStore, video: Path, settings: RunSettings, ledger: Ledger,
               on_step: Step | None, replayed: dict[str, Handle[EpisodeSource]]) -> Handle[EpisodeSource]: ...

    def market(self, store: ResultStore, source: Handle[EpisodeSource], market: Market, settings: RunSettings,
               ledger: Ledger, on_step: Step | None, after: Sequence[Handle[MarketResult]]
               ) -> Handle[MarketResult]: ...


class ThreadSubmitter:
    """Pieces on a pool of `workers` threads in this process; a tool's failure is tried again.

    Sources are submitted before the markets that wait on them, so a market's thread only ever waits
    for a source already running or done.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.pieces = workers or default_workers()
        self.pool = ThreadPoolExecutor(max_workers=self.pieces, thread_name_prefix="localize")

    def source(self, store: ResultStore, video: Path, settings: RunSettings, ledger: Ledger,
               on_step: Step | None, replayed: dict[str, Handle[EpisodeSource]]) -> Future[EpisodeSource]:
        return self.pool.submit(_retried, lambda: episode_source(video, settings, store, ledger, on_step,
                                                                 finished(replayed)))

    def market(self, store: ResultStore, source: Handle[EpisodeSource], market: Market, settings: RunSettings,
               ledger: Ledger, on_step: Step | None, after: Sequence[Handle[MarketResult]]
               ) -> Future[MarketResult]:
        def work() -> MarketResult:
            finished(dict(enumerate(after)))
            return market_delivery(source.result(), market, settings, store, ledger, on_step)

        return self.pool.submit(_retried, work)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def finished(handles: dict[Any, Handle[T]]) -> dict[Any, T]:
    """Wait for these pieces; those that failed are left out (their own failure is reported with them)."""
    done = {}
    for key, handle in handles.items():
        try:
            done[key] = handle.result()
        except Exception:  # reported where that piece is collected
            continue
    return done


def _retried(work: Callable[[], T]) -> T:
    for attempt in range(TOOL_RETRIES + 1):
        try:
            return work()
        except Exception as exc:
            if attempt == TOOL_RETRIES or not is_retryable(exc):
                raise
            log.warning("%s; trying again (%d of %d)", exc, attempt + 1, TOOL_RETRIES)
    raise AssertionError("unreachable")


def default_workers() -> int:
    """Concurrent pieces: the cores, at least 2 (ffmpeg waits overlap model work), at most 4 (memory)."""
    return max(2, min(os.cpu_count() or 2, 4))


def find_episodes(season_dir: Path) -> list[Path]:
    """Episode videos in a season folder, in name order (ep01.mp4, ep02.mp4...)."""
    if not season_dir.is_dir():
        raise UserError(f"{season_dir}: not a folder (a season is a folder of episode videos)")
    found = season_videos(season_dir)
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
    released: dict[str, list[Verdict]] = field(default_factory=dict)  # market -> its deliveries' gate verdicts
    stage_seconds: dict[str, float] = field(default_factory=dict)  # stage -> seconds, all pieces together

    @property
    def errors(self) -> int:
        return sum(r.report.errors for r in self.results)

    @property
    def needs_review(self) -> tuple[MarketResult, ...]:
        """Deliveries written with error findings (a flagged line, a broken rule): for a person first."""
        return tuple(r for r in self.results if r.report.errors)


def run_season(episodes: Sequence[Path], markets: Sequence[Market], settings: RunSettings, submit: Submitter,
               *, show_progress: bool = False, in_process: bool = True, keep_approved: bool = True) -> SeasonResult:
    """Every episode for every market, through `submit`; a piece that fails is journalled with its error
    and the others go on. Writes OUT/<market>/<episode>.*, the journal and OUT/season-summary.{json,html}.

    A delivery a reviewer approved (OUT/review.json) is kept as it is, unless `keep_approved` is False
    (`localize run --force`).

    `in_process=False` (workers in other processes): no live progress text, which cannot travel to them.
    """
    started = time.perf_counter()
    out_dir = settings.out_dir
    paths = SeasonPaths(out_dir)
    if removed := remove_partials(out_dir):
        log.info("%s: removed %d half-written files a stopped run left", out_dir, removed)
    ledger = Ledger(out_dir)
    store = ResultStore(paths.results)
    journal = Journal(paths.journal)
    journal.start([v.stem for v in episodes], [m.code for m in markets])
    kept = Decisions(out_dir).approved() if keep_approved else set()
    todo = [(video, market) for video in episodes for market in markets if (video.stem, market.code) not in kept]
    for video, market in ((v, m) for v in episodes for m in markets if (v.stem, m.code) in kept):
        journal.record(Entry(video.stem, market.code, "approved"))
        log.info("%s [%s]: approved by a reviewer, kept as it is (--force makes it again)", video.stem, market.code)
    results: list[MarketResult] = []
    failures: list[Failure] = []
    stage_seconds: Counter[str] = Counter()
    # Recaps first (fingerprints, seconds per episode): an episode's source waits for the ones it replays.
    replays = {video.stem: {r.episode for r in episode_recaps(video, settings, store)} for video in episodes}
    pieces = min(submit.pieces, max(1, len(todo)))  # run at once, sharing the cores (localize.cores)
    with cores.shared_by(pieces), Progress(total=len(todo), enabled=show_progress) as progress:
        describe = progress.describe if in_process else None
        sources: dict[str, Handle[EpisodeSource]] = {}
        for video in dict.fromkeys(video for video, _ in todo):
            sources[video.stem] = submit.source(store, video, settings, ledger, None, {
                name: sources[name] for name in sorted(replays[video.stem]) if name in sources})
        handles: dict[tuple[str, str], Handle[MarketResult]] = {}
        for video, market in todo:
            after = [handles[(name, market.code)] for name in sorted(replays[video.stem])
                     if (name, market.code) in handles]
            handles[(video.stem, market.code)] = submit.market(store, sources[video.stem], market, settings, ledger,
                                                               describe, after)
        chains = [(video.stem, market, handles[(video.stem, market.code)]) for video, market in todo]
        for episode, market, handle in chains:
            try:
                sources[episode].result()  # an episode whose source failed: report the source's own error
                result = handle.result()
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
        done = _finished(source)
        if done is not None:
            stage_seconds.update(done.seconds)
    rows = [_summary_row(r) for r in results] + [_failure_row(f) for f in failures]
    rows += _kept_rows(out_dir, [(v.stem, m.code) for v in episodes for m in markets if (v.stem, m.code) in kept])
    differing = season_inconsistencies(out_dir, [(str(row["episode"]), str(row["market"])) for row in rows
                                                 if row.get("status") != "failed"])
    for found in differing:
        log.warning("[%s] the same line translated differently: %s", found.market, found.message)
    ledger.record(write_season_summary(rows, out_dir, stage_seconds=dict(stage_seconds), inconsistent=differing))
    released = write_manifests(out_dir, list(markets), settings.release)  # held ones never block the others
    seconds = time.perf_counter() - started
    journal.finish(seconds, dict(stage_seconds))
    return SeasonResult(out_dir, tuple(results), seconds, tuple(failures), dict(store.ran), dict(store.reused),
                        released, dict(stage_seconds))


def _finished(handle: Handle[EpisodeSource]) -> EpisodeSource | None:
    try:
        return handle.result()
    except Exception:
        return None  # already reported with each of its markets


def _summary_row(r: MarketResult) -> dict[str, Any]:
    return {
        "episode": r.episode, "market": r.market, "status": "passed" if r.report.errors == 0 else "needs review",
        "passed": r.report.errors == 0,
        "errors": r.report.errors, "findings": len(r.report.findings),
        "dub_lufs": round(r.dub.integrated_lufs, 1) if r.dub else None,
        "qa": f"{r.market}/{r.episode}.qa.html",
    }


def _kept_rows(out_dir: Path, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The summary rows of approved deliveries this run kept: as the last summary had them, now approved."""
    if not pairs:
        return []
    try:
        previous = json.loads((out_dir / "season-summary.json").read_text(encoding="utf-8"))["deliveries"]
    except (OSError, ValueError, KeyError, TypeError):
        previous = []
    by_pair = {(row.get("episode"), row.get("market")): row for row in previous if isinstance(row, dict)}
    return [{**by_pair.get(pair, {"episode": pair[0], "market": pair[1], "qa": f"{pair[1]}/{pair[0]}.qa.html"}),
             "status": "approved"} for pair in pairs]


def _failure_row(f: Failure) -> dict[str, Any]:
    return {"episode": f.episode, "market": f.market, "status": "failed", "passed": False, "errors": None,
            "findings": None,
            "dub_lufs": None, "qa": f"failed ({f.fault}): {f.error}"}


def season_inconsistencies(out_dir: Path, delivered: Iterable[tuple[str, str]]) -> list[Inconsistency]:
    """Per market, the lines of these (episode, market) deliveries said the same way but translated differently."""
    translations: dict[str, dict[str, Translation]] = {}
    for episode, market in sorted(set(delivered)):
        lines = SeasonPaths(out_dir).episode(episode).lines(market)
        if lines.is_file():
            translations.setdefault(market, {})[episode] = read_translation_json(lines)
    return [found for market, by_episode in sorted(translations.items())
            for found in inconsistencies(market, by_episode)]


# -- re-rendering deliveries after the run (kit import, recorded takes, the review page) -----------


def delivery_inputs(out_dir: Path, market: str, episodes: Sequence[str]) -> dict[str, DeliveryInputs]:
    """What each episode's delivery for `market` was made from (saved by the run), with OUT's paths
    where OUT is now (the folder may have moved since the run)."""
    paths = SeasonPaths(out_dir)
    found = {}
    for episode in episodes:
        given = load_delivery_inputs(paths.episode(episode).delivery_inputs(market))
        settings = dataclasses.replace(given.settings, out_dir=out_dir)
        source = dataclasses.replace(given.source, mix_audio=paths.episode(episode).mix_audio)
        found[episode] = dataclasses.replace(given, source=source, settings=settings)
    return found


def check_unedited(out_dir: Path, market: str, inputs: dict[str, DeliveryInputs]) -> None:
    """Refuse (naming the file) when a person edited a delivery that re-rendering would overwrite."""
    paths, ledger = SeasonPaths(out_dir), Ledger(out_dir)
    for episode, given in inputs.items():
        ledger.check(paths.episode(episode).market(market).deliveries(given.settings.preview))


@dataclass(frozen=True)
class Redelivery:
    results: tuple[MarketResult, ...]
    ran: dict[str, int]  # stage -> times its work ran (the rest was reused)

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(f for r in self.results for f in r.files)


def redeliver(out_dir: Path, inputs: dict[str, DeliveryInputs], *, takes: dict[str, dict[int, Path]] | None = None,
              on_step: Step | None = None, all_or_nothing: bool = False) -> Redelivery:
    """Make these episodes' deliveries again from their saved inputs (finished stages are reused: a post-edit
    redoes translation onwards, a take the dub onwards), and record them in the journal and the summary.

    `all_or_nothing`: if any of it fails, every file it may have replaced is put back as it was (the
    review page: a reviewer never sees half a re-render)."""
    if all_or_nothing:
        markets = {given.market.code for given in inputs.values()}
        with _put_back_on_failure(out_dir, markets):
            return redeliver(out_dir, inputs, takes=takes, on_step=on_step)
    paths = SeasonPaths(out_dir)
    ledger, store, journal = Ledger(out_dir), ResultStore(paths.results), Journal(paths.journal)
    results = []
    for episode in sorted(inputs):
        given = inputs[episode]
        result = market_delivery(given.source, given.market, given.settings, store, ledger, on_step,
                                 takes=(takes or {}).get(episode))
        journal.record(Entry(episode, result.market, "done" if result.ran else "cached",
                             round(sum(result.seconds.values()), 1),
                             stages={k: round(v, 2) for k, v in result.seconds.items()}))
        results.append(result)
    _update_summary(out_dir, results, ledger)
    for given in {i.market.code: i for i in inputs.values()}.values():
        write_manifests(out_dir, [given.market], given.settings.release)
    return Redelivery(tuple(results), dict(store.ran))


def refresh_release(out_dir: Path, market: str) -> list[Verdict]:
    """The market's release manifest again (after a reviewer's decision), with the rules its run used."""
    episodes = [e for e in SeasonPaths(out_dir).episodes()
                if SeasonPaths(out_dir).episode(e).delivery_inputs(market).is_file()]
    if not episodes:
        return []
    given = delivery_inputs(out_dir, market, episodes[:1])[episodes[0]]
    return write_manifests(out_dir, [given.market], given.settings.release)[given.market.code]


def _update_summary(out_dir: Path, results: Sequence[MarketResult], ledger: Ledger) -> None:
    """The season summary with these deliveries' rows replaced (the others as the run left them)."""
    path = out_dir / "season-summary.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    fresh = {(r.episode, r.market): _summary_row(r) for r in results}
    rows = [fresh.pop((row.get("episode"), row.get("market")), row) for row in previous.get("deliveries", [])]
    rows += list(fresh.values())
    differing = season_inconsistencies(out_dir, [(str(row["episode"]), str(row["market"])) for row in rows
                                                 if row.get("status") != "failed"])
    ledger.record(write_season_summary(rows, out_dir, stage_seconds=previous.get("stage_seconds", {}),
                                       inconsistent=differing))


@contextmanager
def _put_back_on_failure(out_dir: Path, markets: set[str]) -> Iterator[None]:
    """Link aside each file a re-render of these markets may replace (every write replaces a file, so the
    link keeps the old one); if the block fails, put them back, remove what it added, tell the ledger."""
    paths = SeasonPaths(out_dir)
    at_stake = [paths.summary_json, paths.summary_html]
    for episode in paths.episodes():
        for market in sorted(markets):
            at = paths.episode(episode)
            at_stake += [at.lines(market), *at.market(market).deliveries()]
    backup = paths.results.parent / f"put-back-{uuid.uuid4().hex[:12]}"
    existed = {}
    for path in at_stake:
        existed[path] = path.is_file()
        if existed[path]:
            kept = backup / path.relative_to(out_dir)
            kept.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, kept)
            except OSError:
                shutil.copy2(path, kept)
    try:
        yield
    except BaseException:
        for path, was in existed.items():
            if was:
                os.replace(backup / path.relative_to(out_dir), path)
            elif path.is_file():
                path.unlink()  # made by the failed re-render
        Ledger(out_dir).record([path for path, was in existed.items() if was])
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
