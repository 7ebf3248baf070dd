"""The pipeline, defined once: an episode's Chinese source, then each market's deliveries.

Two plain functions over typed values. The Prefect flows wrap each in a task (flows/), the
benchmarks call them directly, and the CLI's single-stage commands call the library stages
they are made of. Every stage that does real work goes through the ResultStore, so any
re-run, in any process, skips what is finished; paths come from localize.paths.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import pickle
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from localize import media, qa, report
from localize.asr import AsrOptions
from localize.asr.dialects import AUTO
from localize.asr.source import PictureOptions, PictureText, combine, episode_script, onnx_device
from localize.dub import DubOptions, dub_findings
from localize.dub.dialogue import DialogueBed, DialogueOptions, me_stem_for
from localize.dub.dub import Shorten, dub_facts
from localize.dub.voices import voice_for
from localize.errors import MissingDependencyError, ModelError, ToolError, UserError
from localize.fsutil import write_bytes_atomic
from localize.ledger import Ledger
from localize.markets import Market, get_market
from localize.paths import WORK, EpisodePaths, season_videos
from localize.picture.remove import CleanPicture, RemovalOptions
from localize.recaps import Fingerprint, Recap, RecapOptions, recap_cues, with_recaps
from localize.release import ReleaseSettings
from localize.speakers.diarize import Diarization, DiarizeOptions, model_identity
from localize.speakers.stage import identify_speakers, market_cast
from localize.stages import call, code_version
from localize.store import ResultStore
from localize.subtitle import CoverBox
from localize.subtitle.layout import DEFAULT_COVER
from localize.subtitle.platforms import DEFAULT_PLATFORM
from localize.transcript_io import write_transcript_json
from localize.translate.glossary import Glossary, compliance, glossary_files, load_glossaries
from localize.translate.memory import TranslationMemory
from localize.translation_io import write_translation_json
from localize.types import DubTrack, LineOrigin, MediaInfo, OcrCue, QAReport, TextOrigin, Transcript, Translation

log = logging.getLogger("localize")
Step = Callable[[str], None]


@dataclass(frozen=True)
class RunSettings:
    """What stays the same for every episode of a season run."""

    out_dir: Path
    asr: AsrOptions = field(default_factory=AsrOptions)
    picture: PictureOptions = field(default_factory=PictureOptions)
    glossary_dir: Path | None = None
    memory: Path | None = None  # translation memory file (localize.translate.memory); None: no memory
    preview: bool = True
    cover: CoverBox | None = DEFAULT_COVER
    cover_auto: bool = True  # the box follows the subtitle band found in the picture
    removal: RemovalOptions = field(default_factory=RemovalOptions)  # localize.toml [picture] removal
    speakers: DiarizeOptions = field(default_factory=DiarizeOptions)  # who speaks each line (localize.speakers)
    platform: str = DEFAULT_PLATFORM  # safe-area preset (localize.toml [layout] platform, --platform)
    release: ReleaseSettings = field(default_factory=ReleaseSettings)  # the gate per market ([release])
    recaps: RecapOptions = field(default_factory=RecapOptions)  # spans replaying an earlier episode, reused


@dataclass(frozen=True)
class EpisodeSource:
    """An episode's probe, audio and fused Chinese transcript: what every market starts from."""

    video: Path
    info: MediaInfo
    mix_audio: Path
    transcript: Transcript
    cover: CoverBox | None
    seconds: dict[str, float] = field(default_factory=dict)
    clean: CleanPicture | None = None  # the picture without its burned-in line: what previews show
    recaps: tuple[Recap, ...] = ()  # spans replaying an earlier episode whose text was reused
    cues: tuple[OcrCue, ...] = ()  # the burned-in lines taken out of the picture (recaps take them from here)


@dataclass(frozen=True)
class MarketResult:
    episode: str
    market: str
    files: tuple[Path, ...]
    report: QAReport
    dub: DubTrack | None
    seconds: dict[str, float]
    ran: int = 0  # stages whose work really ran (0: everything was reused from an earlier run)


@dataclass(frozen=True)
class DeliveryInputs:
    """What one episode's delivery for one market is made from: kept so `localize kit import` can redo
    the delivery after post-edits exactly as the run did (same source, market settings, memory)."""

    source: EpisodeSource
    market: Market
    settings: RunSettings


def save_delivery_inputs(inputs: DeliveryInputs, path: Path) -> Path:
    """Pickled, with paths made absolute (an import may run from another folder)."""
    given = inputs.settings
    settings = dataclasses.replace(given, glossary_dir=given.glossary_dir and given.glossary_dir.resolve(),
                                   memory=given.memory and given.memory.resolve())
    clean = inputs.source.clean
    if clean is not None and clean.path is not None:
        clean = dataclasses.replace(clean, path=clean.path.resolve())
    source = dataclasses.replace(inputs.source, video=inputs.source.video.resolve(), clean=clean)
    return write_bytes_atomic(path, pickle.dumps(DeliveryInputs(source, inputs.market, settings)))


def load_delivery_inputs(path: Path) -> DeliveryInputs:
    """The inputs a delivery saved; missing or written by other code: a message saying to run the season."""
    try:
        inputs = pickle.loads(path.read_bytes())
    except (FileNotFoundError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        inputs = None  # never written, or by other code
    if not isinstance(inputs, DeliveryInputs):
        raise UserError(f"{path}: no record of how this delivery was made (missing, or written by another "
                        "version of localize); run the season again for this market, then import")
    return inputs


def cover_for(transcript: Transcript, cover: CoverBox | None, picture: PictureOptions,
              cover_auto: bool, removal: str = "box") -> CoverBox | None:
    """The box over the burned-in line: where the picture shows it, unless localize.toml [cover] says.

    Only removal "box" draws one when the picture is read: the other modes take the line out of
    the picture or keep clear of it. Without OCR a box is all that can hide the line.
    """
    if removal != "box" and picture.enabled:
        return None
    if not cover_auto or not picture.enabled:
        return cover
    band = transcript.band
    if band is None:
        return None  # read the picture and found no burned-in line: a clean master needs no box
    scale = 1920 / band.frame_height  # the ASS script is laid out on 1080x1920
    return CoverBox(y0=round(band.box.y0 * scale), y1=round(band.box.y1 * scale))


def band_rows(transcript: Transcript) -> tuple[int, int] | None:
    """The burned-in band's rows on the 1080x1920 ASS canvas (removal "avoid" keeps the new lines clear)."""
    band = transcript.band
    if band is None:
        return None
    scale = 1920 / band.frame_height
    return round(band.box.y0 * scale), round(band.box.y1 * scale)


def clean_episode_picture(store: ResultStore, info: MediaInfo, picture: PictureText, settings: RunSettings,
                          paths: EpisodePaths, spill: media.Spill | None = None) -> CleanPicture:
    """The episode's picture without its burned-in line, made once for every market (from the frames
    the reading of the picture kept in `spill`, when it did)."""
    options = settings.removal
    if not options.rewrites_picture or picture.band is None or not picture.cues:
        return CleanPicture(options.mode)
    band = picture.band

    def work() -> CleanPicture:
        from localize.picture.ocr import load_engine

        engine = load_engine(device=onnx_device(settings.picture.device))
        return call("clean-picture", info, band, picture.cues, paths.clean_picture, options, engine, spill=spill)

    return store.run("clean-picture", {"video": info.path, "band": band, "cues": picture.cues, "options": options},
                     work, [paths.clean_picture])


class _Clock:
    """Seconds per stage, and the progress line, for one piece of work."""

    def __init__(self, label: str, on_step: Step | None) -> None:
        self.label = label
        self.on_step = on_step
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, work: Callable[[], Any]) -> Any:
        if self.on_step:
            self.on_step(f"{self.label}: {name}")
        started = time.perf_counter()
        value = work()
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return value


def episode_source(video: Path, settings: RunSettings, store: ResultStore, ledger: Ledger | None = None,
                   on_step: Step | None = None, replayed: Mapping[str, EpisodeSource] | None = None
                   ) -> EpisodeSource:
    """Probe, audio, picture, speech and script, fused into the episode's Chinese transcript.

    `replayed`: the sources of earlier episodes this one replays (its recaps, `episode_recaps`): their
    lines are taken as they are, and those spans are neither transcribed nor read from the picture."""
    paths = EpisodePaths(settings.out_dir, video.stem)
    timed = _Clock(paths.episode, on_step)
    info = media.require_audio(media.probe(video))
    asr_audio = timed("extract-audio", lambda: store.run(
        "extract-audio", {"video": video, "rate": 16000, "channels": 1},
        lambda: call("extract-audio", video, paths.asr_audio, sample_rate=16000, channels=1), [paths.asr_audio]))
    mix_audio = timed("extract-audio", lambda: store.run(
        "extract-audio", {"video": video, "rate": 48000, "channels": 2},
        lambda: call("extract-audio", video, paths.mix_audio, sample_rate=48000, channels=2), [paths.mix_audio]))
    recaps = timed("find-recaps", lambda: episode_recaps(video, settings, store))
    earlier = {name: given.transcript for name, given in (replayed or {}).items()}
    reused = tuple(r for r in recaps if r.episode in earlier)  # an episode not in this run: read as it is
    spans = tuple((r.start_ms, r.end_ms) for r in reused)
    heard_audio = media.mute(asr_audio, paths.work / "asr16k-recaps-muted.wav", spans) if spans else asr_audio
    heard = timed("transcribe", lambda: store.run(
        "transcribe", {"audio": heard_audio, "options": settings.asr},
        lambda: call("transcribe", heard_audio, settings.asr)))
    spill = picture_spill(info, settings, paths)  # the frames the removal stage needs, from the same decode
    try:
        picture = timed("read-picture", lambda: store.run(  # the voice is evidence for where the dialogue is
            "read-picture", {"info": info, "options": settings.picture, "speech": heard.speech, "skip": spans},
            lambda: call("read-picture", info, settings.picture, speech=heard.speech, skip=spans, spill=spill)))
        transcript = combine(heard, picture, episode_script(video), detect_dialect=settings.asr.dialect == AUTO)
        transcript = with_recaps(transcript, reused, earlier)
        fused = transcript  # characters from the season's registry (OUT/characters.json); script names win
        transcript = timed("diarize", lambda: identify_speakers(
            fused, diarized(store, asr_audio, fused, settings.speakers, paths.episode), settings.out_dir,
            paths.episode))
        # A picture set aside against the speech (transcript.band is then None) is not cleaned either.
        # Recap spans were not read: their lines come out as the episode they replay read them.
        replayed_cues = recap_cues(reused, {name: given.cues for name, given in (replayed or {}).items()},
                                   info.fps or 25.0)
        shown = PictureText(picture.band, tuple(sorted(picture.cues + replayed_cues, key=lambda c: c.first_frame))
                            ) if transcript.band is not None else PictureText()
        clean = timed("clean-picture", lambda: clean_episode_picture(store, info, shown, settings, paths, spill))
    finally:
        if spill:
            spill.remove()
    written = write_transcript_json(transcript, paths.transcript)
    if ledger:
        ledger.record([written])
    return EpisodeSource(video, info, mix_audio, transcript,
                         cover_for(transcript, settings.cover, settings.picture, settings.cover_auto,
                                   settings.removal.mode),
                         timed.seconds, clean, reused, shown.cues)


def picture_spill(info: MediaInfo, settings: RunSettings, paths: EpisodePaths) -> media.Spill | None:
    """Where the reading of the picture keeps its frames for the removal stage (None: nothing to remove)."""
    if not settings.removal.rewrites_picture or not settings.picture.enabled or not info.width or not info.height:
        return None
    width, height = media.preview_size(info.width, info.height, settings.removal.height)
    return media.Spill(paths.work / f"frames-{width}x{height}.i420", width, height)


def episode_recaps(video: Path, settings: RunSettings, store: ResultStore) -> tuple[Recap, ...]:
    """The spans of `video` replaying an earlier episode of its season folder (fingerprints kept per video)."""
    earlier = [v for v in season_videos(video.parent) if v.stem < video.stem]
    if not settings.recaps.enabled or not earlier:
        return ()
    prints: dict[Path, Fingerprint] = {}
    for v in [video, *earlier]:
        prints[v] = store.run("fingerprint", {"video": v}, partial(call, "fingerprint", v))
    return tuple(store.run(
        "find-recaps", {"video": video, "earlier": [(v.stem, v) for v in earlier], "options": settings.recaps},
        lambda: call("find-recaps", video, prints[video], [(v.stem, v, prints[v]) for v in earlier],
                     settings.recaps)))


MAX_FRAMES = 40  # thumbnails in one QA report


def line_frames(video: Path | None, translation: Translation, qa_report: QAReport) -> dict[int, str]:
    """A 9:16 thumbnail (a JPEG data URI, so the page stays one file the ledger already knows) of each
    flagged line, from a video the run already has: one ffmpeg call per flagged line, none without one."""
    if video is None or not video.is_file():
        return {}
    by_index = {line.index: line for line in translation.lines}
    frames = {}
    for index in report.flagged_lines(qa_report, translation)[:MAX_FRAMES]:
        line = by_index[index]
        try:
            data = media.jpeg_frame(video, (line.start_ms + line.end_ms) // 2, 135, 240)
        except ToolError as exc:  # a picture for the report, not the delivery: it goes without
            log.warning("%s: no frames for the QA report (%s)", video.name, exc)
            break
        if data:
            frames[index] = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
    return frames


def recap_facts(source: EpisodeSource) -> dict[str, Any]:
    """What the episode's recaps saved: seconds not transcribed nor read, lines taken as they were."""
    lines = sum(1 for s in source.transcript.segments if any(f.code == "recap" for f in s.flags))
    return {"recap_seconds": round(sum(r.seconds for r in source.recaps), 1), "recap_lines_reused": lines,
            "recaps": [f"{r.start_ms / 1000:.1f}-{r.end_ms / 1000:.1f} s replays {r.episode} from "
                       f"{r.source_start_ms / 1000:.1f} s" for r in source.recaps]}


def diarized(store: ResultStore, audio_16k: Path, transcript: Transcript, options: DiarizeOptions,
             episode: str) -> Diarization | None:
    """Who speaks when (the diarize stage), or None: turned off, nothing said, or its weights missing."""
    if not options.enabled or not transcript.segments:
        return None
    try:
        return store.run("diarize", {"audio": audio_16k, "options": options, "model": model_identity()},
                         lambda: call("diarize", audio_16k, options))
    except (MissingDependencyError, ModelError) as exc:
        log.warning("%s: speakers not identified (%s); lines keep the script's speakers", episode, exc)
        return None


def glossary_paths(settings: RunSettings, market: Market, season_dir: Path) -> tuple[Path, ...]:
    """The market's glossary file, then the series' (SEASON/glossaries/<market>.tsv) layered over it."""
    files = glossary_files(market.code, settings.glossary_dir, season_dir)
    if settings.glossary_dir and not files:
        log.warning("no glossary for %s in %s or %s: terms are not protected or checked", market.code,
                    settings.glossary_dir, season_dir / "glossaries")
    return files


def memory_digest(memory: Path | None, transcript: Transcript, market: Market) -> str | None:
    """What the translate stage's key holds of the memory: its approved entries for the episode's lines.

    A translator's approval of one of them redoes the translation. The machine entries every run adds,
    and approvals of other lines (they only change the examples an engine sees), do not.
    """
    if memory is None:
        return None
    return TranslationMemory(memory).approved_digest((s.text for s in transcript.segments), market.code)


def memory_facts(translation: Translation) -> dict[str, Any]:
    """The share of lines reused from the translation memory, and how many of each kind."""
    origins = [line.origin for line in translation.lines]
    return {"memory_reuse": round(translation.memory_reuse, 3),
            "memory_lines_approved": origins.count(LineOrigin.MEMORY_APPROVED),
            "memory_lines_machine": origins.count(LineOrigin.MEMORY_MACHINE)}


def _translate(store: ResultStore, transcript: Transcript, market: Market, glossaries: tuple[Path, ...],
               memory: Path | None = None) -> Translation:
    # The files (not a loaded Glossary) are the input, so the content of each layer is part of the key;
    # of the memory, the key holds its approved entries for these lines (see memory_digest).
    def work() -> Translation:
        return call("translate", transcript, market, glossary=load_glossaries(glossaries),
                    memory=TranslationMemory(memory) if memory else None)

    inputs = {"transcript": transcript, "market": market, "glossary": glossaries,
              "memory": memory_digest(memory, transcript, market)}
    return store.run("translate", inputs, work)


def glossary_facts(translation: Translation, glossary: Glossary) -> dict[str, Any]:
    """Term occurrences the episode's Chinese lines hold, and the share the translation renders."""
    rate = compliance(glossary, ((line.source, line.target) for line in translation.lines))
    return {"glossary_terms": rate.terms, "glossary_compliance": round(rate.rate, 3)}


def picture_facts(clean: CleanPicture | None) -> dict[str, Any]:
    """How the burned-in line was handled, and the share of its characters OCR still reads (None: not
    measured, as for box and avoid, which leave the picture as it was)."""
    if clean is None:
        return {}
    return {"picture_removal": clean.mode, "residual_chinese_share": clean.residual_share}


def _qa_facts(translation: Translation, dub: DubTrack | None, transcript: Transcript,
              glossary: Glossary | None = None, clean: CleanPicture | None = None,
              market: Market | None = None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "asr_model": transcript.model, "translation_engine": translation.engine,
        "source_dialect": transcript.dialect or "mandarin",
        "source_lines_by_origin": {str(o): sum(1 for s in transcript.segments if s.origin is o) for o in TextOrigin},
        "lines": len(translation.lines),
        "flagged_lines": sum(1 for line in translation.lines if line.flags),
        "lines_with_errors": translation.flagged,  # delivered for review, each with its flag
        "lines_retried": translation.retried,
        "lines_shortened": translation.shortened,
        "glossary_misses": len(translation.glossary_misses),
        **memory_facts(translation),
        **glossary_facts(translation, glossary or Glossary()),
        **picture_facts(clean),
    }
    if dub:
        facts.update(dub_facts(dub, market or get_market(translation.market)))
    return facts


def dialogue_bed(store: ResultStore, source: EpisodeSource, paths: EpisodePaths) -> DialogueBed:
    """What every market's dub of the episode is laid over: the studio's M&E stem beside the video, else
    the original with its dialogue subtracted (else ducked). Made once per episode."""
    me_stem = me_stem_for(source.video)
    options = DialogueOptions()

    def work() -> DialogueBed:
        return call("dialogue", source.mix_audio, paths.work / "dialogue", me_stem=me_stem, options=options)

    bed = store.run("dialogue", {"audio": source.mix_audio, "me": me_stem, "options": options}, work)
    return bed if all(p.is_file() for p in bed.files) else work()  # its files were removed since


def speech_cache(out_dir: Path) -> Path:
    """The season's synthesized speech, kept per version of the dub stage's code (a new voice engine,
    a new cache)."""
    return out_dir / WORK / f"speech-{code_version('dub')[:12]}"


def dub_shortener(translation: Translation, market: Market, glossaries: tuple[Path, ...]) -> Shorten:
    """The dub's length-aware request: the market's translation engine, loaded only if a line needs it."""
    def ask(budgets: dict[int, int]) -> Translation:
        from localize.translate.engines import get_engine
        from localize.translate.shorten import shorten_lines

        return shorten_lines(translation, market, get_engine(market.engine), budgets, load_glossaries(glossaries))

    return ask


def market_delivery(source: EpisodeSource, market: Market, settings: RunSettings, season_store: ResultStore,
                    ledger: Ledger | None = None, on_step: Step | None = None,
                    takes: dict[int, Path] | None = None) -> MarketResult:
    """One market's subtitles, dub, preview and QA report for one episode (`takes`: line index -> a
    voice actor's WAV, localize.takes; the other lines are synthetic)."""
    store = season_store.scoped()
    paths = EpisodePaths(settings.out_dir, source.video.stem)
    folder = paths.market(market.code)
    record = ledger.record if ledger else (lambda _paths: None)
    timed = _Clock(f"{paths.episode} [{market.code}]", on_step)
    info = source.info
    glossaries = glossary_paths(settings, market, source.video.parent)
    save_delivery_inputs(DeliveryInputs(source, market, settings), paths.delivery_inputs(market.code))
    translation = timed("translate", lambda: _translate(store, source.transcript, market, glossaries, settings.memory))
    write_translation_json(translation, paths.episode, paths.lines(market.code))  # for `localize kit export`
    clear_of = band_rows(source.transcript) if source.clean and source.clean.mode == "avoid" else None
    subtitles = timed("subtitles", lambda: store.run(
        "subtitles", {"translation": translation, "market": market, "info": info, "cover": source.cover,
                      "episode": paths.episode, "clear_of": clear_of, "platform": settings.platform},
        lambda: call("subtitles", translation.lines, market, fps=info.fps or 25.0, duration_ms=info.duration_ms,
                     out_dir=folder.folder, stem=paths.episode, cover=source.cover,
                     clear_of=clear_of, platform=settings.platform,
                     frame=(info.width, info.height) if info.width and info.height else None),
        folder.subtitles))
    record(subtitles.files)  # at once: an interrupted run must not look like hand edits next time
    bed = timed("dialogue", lambda: dialogue_bed(store, source, paths))
    cast = market_cast(settings.out_dir, market)  # character -> voice id, the same in every episode
    dub = timed("dub", lambda: store.run(
        "dub", {"translation": translation, "audio": source.mix_audio, "market": market, "bed": bed,
                "glossary": glossaries, "takes": takes, "cast": cast},
        lambda: call("dub", translation, source.mix_audio, market, folder.dub, paths.dub_work(market.code),
                     voice=voice_for(market, cast) if cast else None,
                     duration_ms=info.duration_ms, options=DubOptions(write_wav=False, speech_cache=speech_cache(
                         settings.out_dir)), bed=bed,
                     shorten=dub_shortener(translation, market, glossaries), takes=takes),
        [folder.dub]))
    record([dub.path])
    files = [*subtitles.files, dub.path]
    if settings.preview:
        picture = source.clean.path if source.clean and source.clean.path else source.video
        files.append(timed("preview", lambda: store.run(
            "preview", {"video": picture, "dub": folder.dub, "ass": folder.ass},
            lambda: call("preview", picture, folder.dub, folder.ass, folder.preview), [folder.preview])))
        record(files[-1:])
    qa_report = qa.build_report(paths.episode, market.code, qa.source_findings(source.transcript),
                                subtitles.findings, qa.translation_findings(translation), dub_findings(dub, market))
    facts = {**_qa_facts(translation, dub, source.transcript, load_glossaries(glossaries), source.clean, market),
             **recap_facts(source)}
    files.append(report.write_json(qa_report, folder.qa_json, facts))
    # The preview shows each line as delivered; without one, the clean picture made for every market.
    clean = source.clean.path if source.clean else None
    frames = line_frames(folder.preview if settings.preview else clean, translation, qa_report)
    files.append(report.write_html(qa_report, folder.qa_html, facts, translation, frames))
    record(files[-2:])
    season_store.merge(store)
    return MarketResult(paths.episode, market.code, tuple(files), qa_report, dub, timed.seconds,
                        sum(store.ran.values()))
