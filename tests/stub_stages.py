"""Stand-in stages for fast tests of the season's logic: no model is loaded, every stage answers in
milliseconds with a value of the type the real one returns, and counts its calls.

Put them in the stage table with `localize.stages.replaced(STAND_INS)` (or the `stand_ins` fixture);
extraction of the audio, translation (through a stub engine), subtitles and the QA report stay real.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

from localize import media
from localize.asr.source import PictureText
from localize.dub.dialogue import DialogueBed
from localize.markets import Market
from localize.speakers.diarize import Diarization, SpeakerTurn, Voiceprint
from localize.types import DubTrack, Segment, Transcript, Translation

CALLS: Counter[str] = Counter()
_LOCK = threading.Lock()
LINES = ("林晓，你终于回来了。", "我们一起去公园吧。")
FAIL_FOR: set[str] = set()  # stage names whose stand-in raises (a crash mid-season)


def _count(stage: str) -> None:
    with _LOCK:
        CALLS[stage] += 1
    if stage in FAIL_FOR:
        raise RuntimeError(f"{stage} crashed (a planted failure)")


def transcribe(audio: Path, options: Any = None) -> Transcript:
    _count("transcribe")
    duration = media.probe(audio).duration_ms
    step = max(1, duration // len(LINES))
    segments = tuple(Segment(i * step, (i + 1) * step - 100, text) for i, text in enumerate(LINES))
    return Transcript("zh", segments, duration, source=str(audio), model="stand-in",
                      speech=tuple((s.start_ms, s.end_ms) for s in segments))


def read_picture(info: Any, options: Any, speech: Any = (), skip: Any = (), spill: Any = None) -> PictureText:
    _count("read-picture")
    return PictureText()  # a clean master: no burned-in line


def prepare_bed(audio: Path, work_dir: Path, *, me_stem: Path | None = None, options: Any = None) -> DialogueBed:
    _count("dialogue")
    return DialogueBed("duck", Path(audio))


def dub_episode(translation: Translation, original_audio: Path, market: Market, out_m4a: Path, work_dir: Path,
                **_: Any) -> DubTrack:
    _count("dub")
    media.encode_aac(original_audio, out_m4a)
    return DubTrack(out_m4a, (), integrated_lufs=market.loudness_lufs, true_peak_dbtp=market.true_peak_dbtp - 2)


def render_preview(video: Path, audio: Path, ass: Path, dst: Path, **_: Any) -> Path:
    _count("preview")
    Path(dst).write_bytes(b"preview of " + Path(video).name.encode())
    return Path(dst)


# Each episode's voices, as unit vectors along axes: ep01 and ep02 share the voice on axis 0 (the same
# character), every other voice is its own. A third episode shares axis 1 with ep01.
VOICES = {"ep01": (0, 1), "ep02": (0, 2), "ep03": (1, 3)}


def diarize(audio: Path, options: Any = None) -> Diarization:
    _count("diarize")
    episode = Path(audio).parent.name
    duration = media.probe(audio).duration_ms
    half = duration // 2
    voices = []
    for number, axis in enumerate(VOICES.get(episode, (9,)), start=1):
        embedding = [0.0] * 16
        embedding[axis] = 1.0
        voices.append(Voiceprint(f"S{number}", tuple(embedding), 3000, 120.0 + 90 * (axis % 2)))
    turns = (SpeakerTurn(0, half, "S1"), SpeakerTurn(half, duration, voices[-1].label))
    return Diarization(turns, tuple(voices), model="stand-in")


STAND_INS = {"diarize": diarize, "transcribe": transcribe, "read-picture": read_picture, "dialogue": prepare_bed,
             "dub": dub_episode, "preview": render_preview}
