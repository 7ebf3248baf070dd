"""Prefect flow for one episode: ASR once, then translate, subtitle, dub, preview and QA per market.

Tasks are thin wrappers over library calls. Model steps (ASR, translation) retry and are
cached by content hash across runs; file-producing steps are skipped when unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.settings import configure_prefect

configure_prefect()

from prefect import flow, task  # noqa: E402

from flows.caching import cache_key_fn  # noqa: E402
from flows.reuse import reuse_or_run  # noqa: E402
from localize import media, qa, report  # noqa: E402
from localize.asr import AsrOptions, transcribe  # noqa: E402
from localize.asr.dialects import AUTO  # noqa: E402
from localize.asr.script import Script  # noqa: E402
from localize.asr.source import PictureOptions, PictureText, combine, episode_script, read_picture  # noqa: E402
from localize.dub import DubOptions, dub_episode, dub_findings  # noqa: E402
from localize.errors import LocalizeError  # noqa: E402
from localize.ledger import Ledger  # noqa: E402
from localize.markets import Market  # noqa: E402
from localize.subtitle import CoverBox, SubtitleDelivery, deliver_subtitles  # noqa: E402
from localize.subtitle.layout import DEFAULT_COVER  # noqa: E402
from localize.transcript_io import write_transcript_json  # noqa: E402
from localize.translate import Glossary, load_glossary, translate_transcript  # noqa: E402
from localize.types import DubTrack, MediaInfo, QAReport, TextOrigin, Transcript, Translation  # noqa: E402

log = logging.getLogger("localize")


@dataclass(frozen=True)
class MarketResult:
    episode: str
    market: str
    files: tuple[Path, ...]
    report: QAReport
    dub: DubTrack | None
    seconds: dict[str, float]


@task(name="probe")
def probe_task(video: Path) -> MediaInfo:
    return media.require_audio(media.probe(video))


@task(name="extract-audio")
def extract_audio_task(video: Path, dst: Path, sample_rate: int, channels: int) -> Path:
    # Keyed on the video's content: a re-delivered episode with the same name is extracted again.
    return reuse_or_run("extract-audio", {"video": video, "rate": sample_rate, "channels": channels}, [dst],
                        dst.with_suffix(".record"),
                        lambda: media.extract_audio(video, dst, sample_rate=sample_rate, channels=channels))


def _retry_unless_user_error(_task: Any, _run: Any, state: Any) -> bool:
    """Retry model steps on transient failures, not on a bad model path or a malformed file."""
    try:
        state.result()
    except LocalizeError:
        return False
    except Exception:
        return True
    return True


@task(name="transcribe", retries=2, retry_delay_seconds=1, cache_key_fn=cache_key_fn,
      persist_result=True, retry_condition_fn=_retry_unless_user_error)
def transcribe_task(audio: Path, options: AsrOptions) -> Transcript:
    return transcribe(audio, options)


@task(name="read-picture", retries=1, retry_delay_seconds=1, cache_key_fn=cache_key_fn,
      persist_result=True, retry_condition_fn=_retry_unless_user_error)
def read_picture_task(info: MediaInfo, options: PictureOptions) -> PictureText:
    # `info.path` is hashed by content: a re-delivered episode is read again.
    return read_picture(info, options)


@task(name="fuse-source")
def fuse_source_task(asr: Transcript, picture: PictureText, script: Script | None, options: AsrOptions) -> Transcript:
    return combine(asr, picture, script, detect_dialect=options.dialect == AUTO)


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


@task(name="translate", retries=2, retry_delay_seconds=1, cache_key_fn=cache_key_fn,
      persist_result=True, retry_condition_fn=_retry_unless_user_error)
def translate_task(transcript: Transcript, market: Market, glossary_file: Path | None) -> Translation:
    # The file (not a loaded Glossary) is the parameter, so its content is part of the cache key.
    glossary = load_glossary(glossary_file) if glossary_file else Glossary()
    return translate_transcript(transcript, market, glossary=glossary)


@task(name="subtitles")
def subtitles_task(translation: Translation, market: Market, info: MediaInfo, out_dir: Path,
                   episode: str, cover: CoverBox | None) -> SubtitleDelivery:
    return deliver_subtitles(translation.lines, market, fps=info.fps or 25.0,
                             duration_ms=info.duration_ms, out_dir=out_dir, stem=episode, cover=cover)


@task(name="dub", retries=1, retry_condition_fn=_retry_unless_user_error)
def dub_task(translation: Translation, audio: Path, market: Market, out_dir: Path, work: Path,
             episode: str, duration_ms: int) -> DubTrack:
    out = out_dir / f"{episode}.m4a"
    return reuse_or_run(
        "dub", {"translation": translation, "audio": audio, "market": market}, [out],
        work / f"{episode}.{market.code}.dub.record",
        lambda: dub_episode(translation, audio, market, out, work / f"dub-{market.code}",
                            duration_ms=duration_ms, options=DubOptions(write_wav=False)),
    )


@task(name="preview")
def preview_task(video: Path, dub: Path, ass: Path, out: Path, work: Path, market: Market) -> Path:
    return reuse_or_run(
        "preview", {"video": video, "dub": dub, "ass": ass}, [out],
        work / f"{out.stem}.{market.code}.preview.record",
        lambda: media.render_preview(video, dub, ass, out),
    )


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


@flow(name="localize-episode", validate_parameters=False)
def localize_episode(video: Path, markets: Sequence[Market], out_dir: Path,
                     asr: AsrOptions | None = None, glossary_dir: Path | None = None,
                     preview: bool = True, on_step: Callable[[str], None] | None = None,
                     on_market_done: Callable[[], None] | None = None,
                     ledger: Ledger | None = None, cover: CoverBox | None = DEFAULT_COVER,
                     picture: PictureOptions | None = None, cover_auto: bool = True) -> list[MarketResult]:
    """Everything one episode needs for every market: subtitles, dub, preview, QA.

    The Chinese source fuses the studio's script (epNN.script.tsv/.zh.srt/.script.txt beside the
    video), the burned-in line read from the picture and the speech. `cover_auto`: the box over the
    burned-in line follows the band found in the picture (else `cover` as given).
    `ledger` records what was written so a later run can tell a file a person edited.
    """
    import time

    step = on_step or (lambda _msg: None)
    episode = video.stem
    work = out_dir / ".work" / episode
    work.mkdir(parents=True, exist_ok=True)
    info = probe_task(video)
    asr_wav = extract_audio_task(video, work / "asr16k.wav", 16000, 1)
    mix_wav = extract_audio_task(video, work / "mix48k.wav", 48000, 2)
    picture = picture or PictureOptions()
    script = episode_script(video)
    step(f"{episode}: reading the burned-in subtitles")
    picture_text = read_picture_task(info, picture)
    step(f"{episode}: transcribing")
    asr = asr or AsrOptions()
    heard = transcribe_task(asr_wav, asr)
    transcript = fuse_source_task(heard, picture_text, script, asr)
    cover = cover_for(transcript, cover, picture, cover_auto)
    transcript_file = write_transcript_json(transcript, out_dir / "source" / f"{episode}.transcript.json")
    if ledger:
        ledger.record([transcript_file])
    record = ledger.record if ledger else (lambda _paths: None)
    results = []
    for market in markets:
        seconds: dict[str, float] = {}
        market_dir = out_dir / market.code
        glossary_file = glossary_dir / f"{market.code}.tsv" if glossary_dir else None
        if glossary_file and not glossary_file.is_file():
            log.warning("no glossary for %s at %s: terms are not protected or checked", market.code, glossary_file)
            glossary_file = None
        step(f"{episode} [{market.code}]: translating")
        t0 = time.perf_counter()
        translation = translate_task(transcript, market, glossary_file)
        seconds["translate"] = time.perf_counter() - t0
        step(f"{episode} [{market.code}]: subtitles")
        t0 = time.perf_counter()
        subtitles = subtitles_task(translation, market, info, market_dir, episode, cover)
        record(subtitles.files)  # at once: an interrupted run must not look like hand edits next time
        seconds["subtitles"] = time.perf_counter() - t0
        step(f"{episode} [{market.code}]: dubbing")
        t0 = time.perf_counter()
        dub = dub_task(translation, mix_wav, market, market_dir, work, episode, info.duration_ms)
        record([dub.path])
        seconds["dub"] = time.perf_counter() - t0
        files = [*subtitles.files, dub.path]
        if preview:
            step(f"{episode} [{market.code}]: rendering preview")
            t0 = time.perf_counter()
            files.append(preview_task(video, dub.path, market_dir / f"{episode}.ass",
                                      market_dir / f"{episode}.mp4", work, market))
            record(files[-1:])
            seconds["preview"] = time.perf_counter() - t0
        qa_report = qa.build_report(episode, market.code, qa.source_findings(transcript), subtitles.findings,
                                    qa.translation_findings(translation),
                                    dub_findings(dub, market))
        facts = _qa_facts(translation, dub, transcript)
        files.append(report.write_json(qa_report, market_dir / f"{episode}.qa.json", facts))
        files.append(report.write_html(qa_report, market_dir / f"{episode}.qa.html", facts))
        record(files[-2:])
        results.append(MarketResult(episode, market.code, tuple(files), qa_report, dub, seconds))
        if on_market_done:
            on_market_done()
    return results
