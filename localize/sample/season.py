"""Write the built-in sample season: episodes, timed scripts, reference translations, season.json.

A folder belongs to a sample season when its season.json says so (`generator` below).
Files that season.json lists are ours: they are regenerated when missing or stale and
otherwise left as they are. Any other file in the way is the user's, and is never
overwritten (OutputExistsError), checked before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize.errors import OutputExistsError, UnknownNameError
from localize.fsutil import write_text_atomic
from localize.sample import script, speech, video
from localize.sample.music import mix_stems, music_bed, write_wav
from localize.types import Segment

log = logging.getLogger("localize")

GENERATOR = "localize.sample"
MANIFEST = "season.json"
# Part of each episode's fingerprint: bump it when the picture or the mix changes, so old videos are redone.
RENDER_VERSION = "1"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SampleEpisode:
    number: int
    video: Path
    script: Path
    references: tuple[Path, ...]  # one per script.REFERENCE_LANGUAGES, in that order
    lines: int
    duration_ms: int

    def reference(self, language: str) -> Path:
        if language not in script.REFERENCE_LANGUAGES:
            raise UnknownNameError("reference language", language, script.REFERENCE_LANGUAGES)
        return self.references[script.REFERENCE_LANGUAGES.index(language)]

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.video, self.script, *self.references)


@dataclass(frozen=True)
class SampleSeason:
    out_dir: Path
    manifest: Path
    episodes: tuple[SampleEpisode, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.manifest, *(f for ep in self.episodes for f in ep.files))


def episode_names(number: int) -> tuple[str, ...]:
    """File names of one episode: video, script, then one reference per language."""
    stem = f"ep{number:02d}"
    return (f"{stem}.mp4", f"{stem}.script.tsv",
            *(f"{stem}.ref.{lang}.tsv" for lang in script.REFERENCE_LANGUAGES))


def me_stem_path(video: Path) -> Path:
    """The music-and-effects stem a studio may deliver beside an episode (`epNN.me.wav`)."""
    return video.with_name(f"{video.stem}.me.wav")


def generate_season(out_dir: Path | str, *, episodes: int = 3, progress: Progress | None = None,
                    me_stems: bool = False) -> SampleSeason:
    """Write (or complete) a deterministic synthetic season of `episodes` episodes into `out_dir`.

    Scripts, references and season.json are byte-identical on every run; videos are
    rendered only when missing or when their script changed. Raises OutputExistsError
    before writing anything if a file that is not part of a sample season is in the way.
    `me_stems` also writes each episode's music-and-effects stem (`epNN.me.wav`, 48 kHz stereo,
    the music exactly as mixed under the dialogue), as a studio supplying one would.
    """
    available = script.episode_count()
    if not 1 <= episodes <= available:
        accepted = (str(n) for n in range(1, available + 1))
        raise UnknownNameError("sample episode count", str(episodes), accepted)
    out_dir = Path(out_dir)
    say = progress or (lambda _message: None)
    video.check_font()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(out_dir, "it is a file; the sample season needs a folder")
    previous = _owned_entries(out_dir)
    _refuse_foreign(out_dir, episodes, previous)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Episodes an earlier, longer run left here stay listed (and so stay ours).
    later = [_claim_entry(n, previous[n]) for n in sorted(previous) if n > episodes
             and any((out_dir / name).exists() for name in episode_names(n))]
    # Claim the files first, so a run cut short can be resumed; fingerprints only once a video is done.
    claimed = {n: previous.get(n, {}) for n in range(1, episodes + 1)}
    _write_if_changed(out_dir / MANIFEST, _manifest_text(
        [_claim_entry(n, claimed[n]) for n in range(1, episodes + 1)] + later))
    entries: list[dict[str, object]] = []
    made: list[SampleEpisode] = []
    with tempfile.TemporaryDirectory(prefix="localize-sample-") as work:
        for number in range(1, episodes + 1):
            entry, episode = _episode(out_dir, number, episodes, claimed[number], Path(work), say, me_stems)
            entries.append(entry)
            made.append(episode)
    manifest = _write_if_changed(out_dir / MANIFEST, _manifest_text(entries + later))
    say(f"sample season: {episodes} episode(s) in {out_dir}")
    return SampleSeason(out_dir, manifest, tuple(made))


def _episode(out_dir: Path, number: int, total: int, previous: dict[str, object], work: Path,
             say: Progress, me_stems: bool = False) -> tuple[dict[str, object], SampleEpisode]:
    lines = script.episode_lines(number)
    where = f"episode {number}/{total}"
    say(f"{where}: speaking {len(lines)} lines")
    log.info("sample %s: synthesizing %d lines", where, len(lines))
    clip_dir = work / f"ep{number:02d}"
    clip_dir.mkdir()
    clips = [speech.speak(line, clip_dir, i) for i, line in enumerate(lines)]
    starts, total_ms = speech.plan_starts(clips, number)
    segments = tuple(Segment(start, start + clip.duration_ms, clip.line.zh, speaker=clip.line.speaker)
                     for clip, start in zip(clips, starts, strict=True))
    names = episode_names(number)
    paths = tuple(out_dir / name for name in names)
    script_text = script.format_script(segments)
    _write_if_changed(paths[1], script_text)
    for lang, path in zip(script.REFERENCE_LANGUAGES, paths[2:], strict=True):
        _write_if_changed(path, script.format_reference(lines, lang))
    fingerprint = hashlib.sha256(f"{RENDER_VERSION}\n{script_text}".encode()).hexdigest()
    up_to_date = paths[0].is_file() and previous.get("fingerprint") == fingerprint
    me_path = me_stem_path(paths[0])
    if up_to_date:
        say(f"{where}: {names[0]} is up to date")
    if not up_to_date or (me_stems and not me_path.is_file()):
        dialogue = speech.dialogue_track(clips, starts, total_ms)
        audio, me = mix_stems(dialogue, music_bed(total_ms, number, speech.SAMPLE_RATE), _active_rms(clips))
        if me_stems:
            write_wav(me_path, me, speech.SAMPLE_RATE)
    if not up_to_date:
        say(f"{where}: rendering {names[0]} ({total_ms / 1000:.1f} s)")
        log.info("sample %s: rendering %s", where, paths[0])
        wav = write_wav(clip_dir / "mix.wav", audio, speech.SAMPLE_RATE)
        video.render_episode(segments, number, script.SERIES_TITLE, wav, total_ms, clip_dir, paths[0])
    entry = _claim_entry(number, {"fingerprint": fingerprint, "lines": len(lines), "duration_ms": total_ms})
    episode = SampleEpisode(number, paths[0], paths[1], paths[2:], len(lines), total_ms)
    return entry, episode


def _active_rms(clips: list[speech.Clip]) -> float:
    joined = np.concatenate([c.samples for c in clips])
    return float(np.sqrt(np.mean(joined**2)))


def _claim_entry(number: int, known: dict[str, object]) -> dict[str, object]:
    names = episode_names(number)
    return {
        "number": number,
        "title": f"第{number}集",
        "video": names[0],
        "script": names[1],
        "references": dict(zip(script.REFERENCE_LANGUAGES, names[2:], strict=True)),
        "lines": known.get("lines", 0),
        "duration_ms": known.get("duration_ms", 0),
        "fingerprint": known.get("fingerprint", ""),
    }


def _manifest_text(entries: list[dict[str, object]]) -> str:
    data = {
        "generator": GENERATOR,
        "title": script.SERIES_TITLE,
        "title_en": script.SERIES_TITLE_EN,
        "synthetic": True,
        "note": ("Synthetic sample season written by localize: an original story, Mandarin speech "
                 "synthesized with espeak-ng (pinyin voice), a generated music bed, Chinese lines burned "
                 "into the lower third. Script times are where the speech really is; the reference "
                 "translations were written by hand for scoring."),
        "language": "zh",
        "markets": list(script.SUGGESTED_MARKETS),
        "characters": [{"speaker": c.speaker, "gender": c.gender, "voice": c.voice}
                       for c in script.CHARACTERS],
        "names": [{"zh": n.zh, "en": n.en, "es": n.es, "pt": n.pt, "kind": n.kind, "note": n.note}
                  for n in script.NAMES],
        "episodes": entries,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _owned_entries(out_dir: Path) -> dict[int, dict[str, object]]:
    """Episode entries of an existing sample season in `out_dir`; {} when there is none.

    Raises OutputExistsError when season.json exists but was not written by this generator.
    """
    path = out_dir / MANIFEST
    if not path.exists():
        return {}
    hint = "it is not from a localize sample season; choose an empty folder"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise OutputExistsError(path, hint) from None
    if not isinstance(data, dict) or data.get("generator") != GENERATOR:
        raise OutputExistsError(path, hint)
    owned: dict[int, dict[str, object]] = {}
    for entry in data.get("episodes", []):
        if isinstance(entry, dict) and isinstance(entry.get("number"), int):
            owned[entry["number"]] = entry
    return owned


def _refuse_foreign(out_dir: Path, episodes: int, owned: dict[int, dict[str, object]]) -> None:
    for number in range(1, episodes + 1):
        ours = number in owned
        for name in episode_names(number):
            path = out_dir / name
            if not ours and (path.exists() or path.is_symlink()):
                raise OutputExistsError(path, "it is not part of a localize sample season; "
                                              "move it or choose an empty folder")


def _write_if_changed(path: Path, text: str) -> Path:
    """Write atomically, leaving an identical file (and its modification time) alone."""
    if path.is_file() and not path.is_symlink():
        try:
            if path.read_text(encoding="utf-8") == text:
                return path
        except (OSError, UnicodeDecodeError):
            pass
    return write_text_atomic(path, text)
