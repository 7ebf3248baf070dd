"""Prefect tasks for one episode: its Chinese source once, then each market's deliveries.

Tasks are thin wrappers over library calls; every one that does real work goes through the
ResultStore (flows/store.py), so a re-run in any process skips what is finished. Paths come
from localize.paths. Tool failures (ffmpeg, espeak-ng crashed) are retried; a user's mistake
and a bug are not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.settings import configure_prefect

configure_prefect()

from prefect import task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from flows.store import ResultStore  # noqa: E402
from localize import media, qa, report  # noqa: E402
from localize.asr import AsrOptions, transcribe  # noqa: E402
from localize.asr.dialects import AUTO  # noqa: E402
from localize.asr.source import PictureOptions, PictureText, combine, episode_script, read_picture  # noqa: E402
from localize.dub import DubOptions, dub_episode, dub_findings  # noqa: E402
from localize.errors import is_retryable  # noqa: E402
from localize.ledger import Ledger  # noqa: E402
from localize.markets import Market  # noqa: E402
from localize.paths import EpisodePaths, MarketPaths  # noqa: E402
from localize.subtitle import CoverBox, SubtitleDelivery, deliver_subtitles  # noqa: E402
from localize.subtitle.layout import DEFAULT_COVER  # noqa: E402
from localize.transcript_io import write_transcript_json  # noqa: E402
from localize.translate import Glossary, load_glossary, translate_transcript  # noqa: E402
from localize.types import DubTrack, MediaInfo, QAReport, TextOrigin, Transcript, Translation  # noqa: E402

log = logging.getLogger("localize")


@dataclass(frozen=True)
class RunSettings:
    """What stays the same for every episode of a season run."""

    out_dir: Path
    asr: AsrOptions = field(default_factory=AsrOptions)
    picture: PictureOptions = field(default_factory=PictureOptions)
    glossary_dir: Path | None = None
    preview: bool = True
    cover: CoverBox | None = DEFAULT_COVER
    cover_auto: bool = True  # the box follows the subtitle band found in the picture


@dataclass(frozen=True)
class EpisodeSource:
    """An episode's probe, audio and fused Chinese transcript: what every market starts from."""

    video: Path
    info: MediaInfo
    mix_audio: Path
    transcript: Transcript
    cover: CoverBox | None


@dataclass(frozen=True)
class MarketResult:
    episode: str
    market: str
    files: tuple[Path, ...]
    report: QAReport
    dub: DubTrack | None
    seconds: dict[str, float]
    ran: int = 0  # stages whose work really ran (0: everything was reused from an earlier run)


def _retry(_task: Any, _run: Any, state: Any) -> bool:
    """Retry a tool's failure (ffmpeg, espeak-ng crashed); never a user's mistake or a bug."""
    try:
        state.result()
    except Exception as exc:
        return is_retryable(exc)
    return False


def _stage(name: str, retries: int = 0) -> Any:
    return task(name=name, retries=retries, retry_delay_seconds=1, retry_condition_fn=_retry, cache_policy=NO_CACHE)


@_stage("probe")
def probe_task(video: Path) -> MediaInfo:
    return media.require_audio(media.probe(video))


@_stage("extract-audio", retries=2)
def extract_audio_task(store: ResultStore, video: Path, dst: Path, sample_rate: int, channels: int) -> Path:
    # Keyed on the video's content: a re-delivered episode with the same name is extracted again.
    return store.run("extract-audio", {"video": video, "rate": sample_rate, "channels": channels},
                     lambda: media.extract_audio(video, dst, sample_rate=sample_rate, channels=channels), [dst])


@_stage("read-picture", retries=1)
def read_picture_task(store: ResultStore, info: MediaInfo, options: PictureOptions) -> PictureText:
    return store.run("read-picture", {"info": info, "options": options}, lambda: read_picture(info, options))


@_stage("transcribe", retries=2)
def transcribe_task(store: ResultStore, audio: Path, options: AsrOptions) -> Transcript:
    return store.run("transcribe", {"audio": audio, "options": options}, lambda: transcribe(audio, options))


def cover_for(transcript: Transcript, cover: CoverBox | None, picture: PictureOptions,
              cover_auto: bool) -> CoverBox | None:
    """The box over the burned-in line: where the picture shows it, unless localize.toml [cover] says."""
    if not cover_auto or not picture.enabled:
        return cover
    band = transcript.band
    if band is None:
        return None  # read the picture and found no burned-in line: a clean master needs no box
    scale = 1920 / band.frame_height  # the ASS script is laid out on 1080x1920
    return CoverBox(y0=round(band.box.y0 * scale), y1=round(band.box.y1 * scale))


@_stage("source")
def source_task(store: ResultStore, video: Path, settings: RunSettings, ledger: Ledger | None) -> EpisodeSource:
    """Probe, audio, picture, speech and script, fused into the episode's Chinese transcript."""
    paths = EpisodePaths(settings.out_dir, video.stem)
    info = probe_task(video)
    asr_audio = extract_audio_task(store, video, paths.asr_audio, 16000, 1)
    mix_audio = extract_audio_task(store, video, paths.mix_audio, 48000, 2)
    picture = read_picture_task(store, info, settings.picture)
    heard = transcribe_task(store, asr_audio, settings.asr)
    transcript = combine(heard, picture, episode_script(video), detect_dialect=settings.asr.dialect == AUTO)
    written = write_transcript_json(transcript, paths.transcript)
    if ledger:
        ledger.record([written])
    return EpisodeSource(video, info, mix_audio, transcript,
                         cover_for(transcript, settings.cover, settings.picture, settings.cover_auto))


@_stage("translate", retries=2)
def translate_task(store: ResultStore, transcript: Transcript, market: Market,
                   glossary_file: Path | None) -> Translation:
    # The file (not a loaded Glossary) is the input, so its content is part of the key.
    def work() -> Translation:
        glossary = load_glossary(glossary_file) if glossary_file else Glossary()
        return translate_transcript(transcript, market, glossary=glossary)

    return store.run("translate", {"transcript": transcript, "market": market, "glossary": glossary_file}, work)


@_stage("subtitles")
def subtitles_task(store: ResultStore, translation: Translation, market: Market, source: EpisodeSource,
                   paths: EpisodePaths) -> SubtitleDelivery:
    folder = paths.market(market.code)
    return store.run(
        "subtitles", {"translation": translation, "market": market, "info": source.info, "cover": source.cover,
                      "episode": paths.episode},
        lambda: deliver_subtitles(translation.lines, market, fps=source.info.fps or 25.0,
                                  duration_ms=source.info.duration_ms, out_dir=folder.folder, stem=paths.episode,
                                  cover=source.cover),
        folder.subtitles)


@_stage("dub", retries=1)
def dub_task(store: ResultStore, translation: Translation, market: Market, source: EpisodeSource,
             paths: EpisodePaths) -> DubTrack:
    out = paths.market(market.code).dub
    return store.run(
        "dub", {"translation": translation, "audio": source.mix_audio, "market": market},
        lambda: dub_episode(translation, source.mix_audio, market, out, paths.dub_work(market.code),
                            duration_ms=source.info.duration_ms, options=DubOptions(write_wav=False)),
        [out])


@_stage("preview", retries=2)
def preview_task(store: ResultStore, video: Path, folder_paths: MarketPaths) -> Path:
    dub, ass, out = folder_paths.dub, folder_paths.ass, folder_paths.preview
    return store.run("preview", {"video": video, "dub": dub, "ass": ass},
                     lambda: media.render_preview(video, dub, ass, out), [out])


def _qa_facts(translation: Translation, dub: DubTrack | None, transcript: Transcript) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "asr_model": transcript.model, "translation_engine": translation.engine,
        "source_dialect": transcript.dialect or "mandarin",
        "source_lines_by_origin": {str(o): sum(1 for s in transcript.segments if s.origin is o) for o in TextOrigin},
        "lines": len(translation.lines),
        "flagged_lines": sum(1 for line in translation.lines if line.flags),
        "glossary_misses": len(translation.glossary_misses),
    }
    if dub:
        facts.update(dub_lufs=round(dub.integrated_lufs, 1), dub_true_peak_dbtp=round(dub.true_peak_dbtp, 1),
                     dub_lines_sped_up=sum(1 for p in dub.placements if p.speed > 1.0))
    return facts


def glossary_file(settings: RunSettings, market: Market) -> Path | None:
    path = settings.glossary_dir / f"{market.code}.tsv" if settings.glossary_dir else None
    if path and not path.is_file():
        log.warning("no glossary for %s at %s: terms are not protected or checked", market.code, path)
        return None
    return path


@_stage("market")
def market_task(store: ResultStore, source: EpisodeSource, market: Market, settings: RunSettings,
                ledger: Ledger | None, on_step: Callable[[str], None] | None = None) -> MarketResult:
    """One market's subtitles, dub, preview and QA report for one episode."""
    season_store, store = store, store.scoped()
    paths = EpisodePaths(settings.out_dir, source.video.stem)
    folder = paths.market(market.code)
    step = on_step or (lambda _msg: None)
    record = ledger.record if ledger else (lambda _paths: None)
    seconds: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        step(f"{paths.episode} [{market.code}]: {name}")
        started = time.perf_counter()
        value = work()
        seconds[name] = time.perf_counter() - started
        return value

    translation = timed("translate", lambda: translate_task(store, source.transcript, market,
                                                            glossary_file(settings, market)))
    subtitles = timed("subtitles", lambda: subtitles_task(store, translation, market, source, paths))
    record(subtitles.files)  # at once: an interrupted run must not look like hand edits next time
    dub = timed("dub", lambda: dub_task(store, translation, market, source, paths))
    record([dub.path])
    files = [*subtitles.files, dub.path]
    if settings.preview:
        files.append(timed("preview", lambda: preview_task(store, source.video, folder)))
        record(files[-1:])
    qa_report = qa.build_report(paths.episode, market.code, qa.source_findings(source.transcript),
                                subtitles.findings, qa.translation_findings(translation), dub_findings(dub, market))
    facts = _qa_facts(translation, dub, source.transcript)
    files.append(report.write_json(qa_report, folder.qa_json, facts))
    files.append(report.write_html(qa_report, folder.qa_html, facts))
    record(files[-2:])
    season_store.merge(store)
    return MarketResult(paths.episode, market.code, tuple(files), qa_report, dub, seconds, sum(store.ran.values()))
