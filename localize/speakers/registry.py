"""The season's characters: voiceprints, names, pitch hints and the voice cast per market.

`OUT/characters.json` is meant to be edited by a person (or with `localize cast`): names,
gender, age and voices they set are never changed by a run. A run only adds characters,
counts lines per episode, refines a voiceprint with an episode it has not heard yet, and casts
voices for characters that have none. Every change re-reads the file under a lock and writes
it atomically, so an edit saved while a season runs is merged, not lost; a file that no longer
parses stops the run with the line to fix, and is never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from localize.errors import InputFormatError, UnknownNameError, UserError
from localize.fsutil import file_lock, write_text_atomic
from localize.speakers.diarize import Voiceprint, voice_distance
from localize.speakers.pitch import age_hint, gender_hint

REGISTRY_NAME = "characters.json"
VERSION = 1
AUTO_PREFIX = "Speaker "
GENDERS = ("female", "male", "unknown")
AGES = ("child", "adult", "unknown")


@dataclass(frozen=True)
class Character:
    """One recurring voice of the season."""

    name: str
    named_by: str = "auto"  # "script" (the studio's script), "person" or "auto" ("Speaker 3")
    gender: str = "unknown"  # hint from pitch unless a person set it
    age: str = "unknown"
    f0_hz: float | None = None
    speech_ms: int = 0
    lines: dict[str, int] = field(default_factory=dict)  # episode -> lines spoken
    voices: dict[str, str] = field(default_factory=dict)  # market code -> voice id (localize.dub.voices)
    aliases: tuple[str, ...] = ()  # earlier names: transcripts made before a rename still find the character
    voiceprint: tuple[float, ...] = ()

    def answers_to(self, name: str) -> bool:
        return name == self.name or name in self.aliases


@dataclass(frozen=True)
class Match:
    """The character an episode's voice was linked to, and how sure the link is."""

    name: str
    distance: float  # voice distance to the character's voiceprint (0 for script names and new characters)
    confident: bool
    new: bool = False


@dataclass(frozen=True)
class LinkOptions:
    """How an episode's voices are linked to the season's characters (same distance as clustering).

    Measured between the sample season's episode voiceprints (13 clusters, 3 episodes): one
    character's are 0.13-0.21 apart, two characters' 0.33 or more (bench/speaker_eval.py).

    match_below: a voice this close to a character is that character; farther, a new character.
    confident_below: closer than this is a sure match; between the two the lines are flagged.
    min_speech_ms: a voice heard for less has too weak a voiceprint to refine a character's.
    """

    match_below: float = 0.3
    confident_below: float = 0.25
    pitch_weight: float = 0.5
    min_speech_ms: int = 1500


class CharacterRegistry:
    """The registry file of one season's output folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_folder(cls, out_dir: Path) -> CharacterRegistry:
        return cls(Path(out_dir) / REGISTRY_NAME)

    def characters(self) -> list[Character]:
        return _parse(self.path, self.path.read_text(encoding="utf-8")) if self.path.is_file() else []

    def find(self, name: str) -> Character:
        characters = self.characters()
        found = next((c for c in characters if c.answers_to(name)), None)
        if found is None:
            raise UnknownNameError(f"character in {self.path}", name, (c.name for c in characters))
        return found

    def update(self, change: Callable[[list[Character]], list[Character]]) -> list[Character]:
        """Apply `change` to the file's current characters and save, under a lock (re-read inside it)."""
        with file_lock(self.path.with_name(f".{self.path.name}.lock")):
            changed = change(self.characters())
            write_text_atomic(self.path, _dump(changed))
            return changed

    def link(self, episode: str, voices: list[tuple[Voiceprint, str | None]],
             options: LinkOptions | None = None) -> dict[str, Match]:
        """Episode voice label -> character, for each (voiceprint, name the script gives it or None)."""
        options = options or LinkOptions()
        result: dict[str, Match] = {}

        def change(characters: list[Character]) -> list[Character]:
            for voice, script_name in voices:
                match, characters = _link_one(characters, episode, voice, script_name, options)
                result[voice.label] = match
            return characters

        self.update(change)
        return result

    def count_lines(self, episode: str, counts: dict[str, int]) -> None:
        """Lines each character speaks in `episode` (characters absent from `counts` speak none there)."""
        def change(characters: list[Character]) -> list[Character]:
            out = []
            for c in characters:
                lines = {k: v for k, v in c.lines.items() if k != episode}
                if counts.get(c.name):
                    lines[episode] = counts[c.name]
                out.append(replace(c, lines=dict(sorted(lines.items()))))
            return out

        self.update(change)

    def cast(self, market_code: str,
             caster: Callable[[list[tuple[str, str, float | None]], dict[str, str]], dict[str, str]]
             ) -> dict[str, str]:
        """Character name -> voice id for a market; characters without one are cast now and kept."""
        chosen: dict[str, str] = {}

        def change(characters: list[Character]) -> list[Character]:
            current = {c.name: c.voices[market_code] for c in characters if market_code in c.voices}
            ordered = sorted(characters, key=lambda c: (-c.speech_ms, c.name))  # leads pick first
            chosen.update(caster([(c.name, c.gender, c.f0_hz) for c in ordered], current))
            return [replace(c, voices={**c.voices, market_code: chosen[c.name]}) for c in characters]

        self.update(change)
        cast = {}
        for c in self.characters():
            for name in (c.name, *c.aliases):
                cast[name] = chosen.get(c.name, c.voices.get(market_code, ""))
        return {k: v for k, v in cast.items() if v}

    def rename(self, old: str, new: str) -> None:
        def change(characters: list[Character]) -> list[Character]:
            target = next((c for c in characters if c.answers_to(old)), None)
            if target is None:
                raise UnknownNameError(f"character in {self.path}", old, (c.name for c in characters))
            if any(c.answers_to(new) and c is not target for c in characters):
                raise UserError(f"{self.path}: a character is already called {new!r}")
            aliases = tuple(a for a in (*target.aliases, target.name) if a != new)
            renamed = replace(target, name=new, named_by="person", aliases=aliases)
            return [renamed if c is target else c for c in characters]

        self.update(change)

    def set_voice(self, name: str, market_code: str, voice_id: str) -> None:
        def change(characters: list[Character]) -> list[Character]:
            target = next((c for c in characters if c.answers_to(name)), None)
            if target is None:
                raise UnknownNameError(f"character in {self.path}", name, (c.name for c in characters))
            return [replace(c, voices={**c.voices, market_code: voice_id}) if c is target else c for c in characters]

        self.update(change)


def _link_one(characters: list[Character], episode: str, voice: Voiceprint, script_name: str | None,
              options: LinkOptions) -> tuple[Match, list[Character]]:
    if script_name:
        known = next((c for c in characters if c.answers_to(script_name)), None)
        if known is None:
            return Match(script_name, 0.0, True, new=True), [*characters, _new(script_name, "script", episode, voice)]
        return Match(known.name, 0.0, True), _refined(characters, known, episode, voice, options)
    heard = [c for c in characters if c.voiceprint]
    if heard:
        vector = np.asarray(voice.embedding)
        scored = [(voice_distance(vector, voice.f0_hz, np.asarray(c.voiceprint), c.f0_hz, options.pitch_weight), c)
                  for c in heard]
        distance, best = min(scored, key=lambda pair: pair[0])
        if distance < options.match_below:
            confident = distance < options.confident_below and voice.speech_ms >= options.min_speech_ms
            return (Match(best.name, round(distance, 3), confident),
                    _refined(characters, best, episode, voice, options))
    name = _next_auto_name(characters)
    return Match(name, 0.0, True, new=True), [*characters, _new(name, "auto", episode, voice)]


def _new(name: str, named_by: str, episode: str, voice: Voiceprint) -> Character:
    return Character(name=name, named_by=named_by, gender=gender_hint(voice.f0_hz), age=age_hint(voice.f0_hz),
                     f0_hz=voice.f0_hz, speech_ms=voice.speech_ms, lines={episode: 0}, voiceprint=voice.embedding)


def _refined(characters: list[Character], known: Character, episode: str, voice: Voiceprint,
             options: LinkOptions) -> list[Character]:
    """Fold an episode not heard before into the character's voiceprint and pitch (speech-weighted)."""
    if episode in known.lines or voice.speech_ms < options.min_speech_ms or not voice.embedding:
        updated = replace(known, lines={**known.lines, episode: known.lines.get(episode, 0)})
    else:
        weight_old = min(known.speech_ms, 120_000) if known.voiceprint else 0  # recent episodes still count
        merged = np.asarray(voice.embedding) * voice.speech_ms
        if known.voiceprint:
            merged = merged + np.asarray(known.voiceprint) * weight_old
        merged = merged / max(float(np.linalg.norm(merged)), 1e-9)
        f0 = known.f0_hz
        if voice.f0_hz:
            f0 = voice.f0_hz if not f0 else (f0 * weight_old + voice.f0_hz * voice.speech_ms) / (
                weight_old + voice.speech_ms)
        updated = replace(known, voiceprint=tuple(round(float(x), 6) for x in merged),
                          f0_hz=round(f0, 1) if f0 else None, speech_ms=known.speech_ms + voice.speech_ms,
                          lines={**known.lines, episode: 0},
                          gender=known.gender if known.gender != "unknown" else gender_hint(f0),
                          age=known.age if known.age != "unknown" else age_hint(f0))
    return [updated if c is known else c for c in characters]


def _next_auto_name(characters: list[Character]) -> str:
    taken = {n for c in characters for n in (c.name, *c.aliases)}
    number = 1
    while f"{AUTO_PREFIX}{number}" in taken:
        number += 1
    return f"{AUTO_PREFIX}{number}"


def _dump(characters: list[Character]) -> str:
    rows = []
    for c in characters:
        row = asdict(c)
        row["aliases"] = list(c.aliases)
        row["voiceprint"] = list(c.voiceprint)  # last: the long one
        rows.append(row)
    body = json.dumps({"version": VERSION, "characters": rows}, ensure_ascii=False, indent=1)
    return body + "\n"


_FIELDS = {f for f in Character.__dataclass_fields__}


def _parse(path: Path, text: str) -> list[Character]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, exc.lineno, f"not valid JSON ({exc.msg}); fix the edit, then run again",
                               "the JSON localize wrote") from exc
    rows = data.get("characters") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputFormatError(path, 0, "no list of characters", '{"version": 1, "characters": [...]}')
    characters = []
    for number, row in enumerate(rows, start=1):
        characters.append(_character(path, number, row))
    names = [n for c in characters for n in (c.name, *c.aliases)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputFormatError(path, 0, f"two characters answer to {duplicated[0]!r}", "names unique in the season")
    return characters


def _character(path: Path, number: int, row: Any) -> Character:
    where = f"character {number}"
    if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"].strip():
        raise InputFormatError(path, 0, f"{where} has no name", "a non-empty \"name\"")
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        raise InputFormatError(path, 0, f"{where} ({row['name']}): unknown field {unknown[0]!r}",
                               f"fields among {', '.join(sorted(_FIELDS))}")
    for key, allowed in (("gender", GENDERS), ("age", AGES)):
        if key in row and row[key] not in allowed:
            raise InputFormatError(path, 0, f"{where} ({row['name']}): {key} {row[key]!r}", " or ".join(allowed))
    try:
        return Character(
            name=row["name"].strip(), named_by=str(row.get("named_by", "person")),
            gender=row.get("gender", "unknown"), age=row.get("age", "unknown"),
            f0_hz=float(row["f0_hz"]) if row.get("f0_hz") is not None else None,
            speech_ms=int(row.get("speech_ms", 0)),
            lines={str(k): int(v) for k, v in dict(row.get("lines", {})).items()},
            voices={str(k): str(v) for k, v in dict(row.get("voices", {})).items()},
            aliases=tuple(str(a) for a in row.get("aliases", [])),
            voiceprint=tuple(float(x) for x in row.get("voiceprint", [])))
    except (TypeError, ValueError) as exc:
        raise InputFormatError(path, 0, f"{where} ({row['name']}): {exc}", "the types localize wrote") from exc

