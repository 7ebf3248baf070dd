"""The sample season's story: characters, glossary names and the lines of each episode.

The lines and their reference translations live in `story.tsv` (package data, one row
per spoken line: episode, speaker, Chinese text, English, Spanish, Portuguese). This
module loads and checks that file and formats the per-episode script and reference
files the season folder receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from localize.errors import InputFormatError, UnknownNameError
from localize.types import Segment

STORY_FILE = "story.tsv"
REFERENCE_LANGUAGES: tuple[str, ...] = ("en", "es", "pt")
SCRIPT_HEADER = "start_ms\tend_ms\tspeaker\ttext"
REFERENCE_HEADER = "index\ttext"

SERIES_TITLE = "千金归来"
SERIES_TITLE_EN = "The Heiress Returns"
SUGGESTED_MARKETS: tuple[str, ...] = ("en-US", "es-419", "pt-BR")


@dataclass(frozen=True)
class Character:
    """One speaking part and the espeak-ng voice that plays it."""

    speaker: str  # the label in the script's speaker column (the character's Chinese name)
    gender: str  # "female" or "male", for dub casting
    voice: str  # espeak-ng voice with variant
    pitch: int  # espeak-ng pitch, 0-99
    words_per_minute: int  # pinyin syllables count as words


CHARACTERS: tuple[Character, ...] = (
    Character("林晓", "female", "cmn-latn-pinyin+f3", 66, 165),
    Character("陈默", "male", "cmn-latn-pinyin+m3", 34, 158),
    Character("王桂芳", "female", "cmn-latn-pinyin+f5", 46, 152),
    Character("张浩", "male", "cmn-latn-pinyin+m7", 56, 172),
)


@dataclass(frozen=True)
class NameRendering:
    """How a name, form of address or slang term of the story is rendered per language."""

    zh: str
    en: str
    es: str
    pt: str
    kind: str  # "name", "address" or "slang"
    note: str = ""

    def target(self, language: str) -> str:
        if language not in REFERENCE_LANGUAGES:
            raise UnknownNameError("reference language", language, REFERENCE_LANGUAGES)
        return str(getattr(self, language))


# The renderings the reference translations use, for the per-market glossaries.
NAMES: tuple[NameRendering, ...] = (
    NameRendering("林晓", "Lin Xiao", "Lin Xiao", "Lin Xiao", "name", "heroine, the Zhangs' daughter-in-law"),
    NameRendering("晓晓", "Xiaoxiao", "Xiaoxiao", "Xiaoxiao", "name", "affectionate form of Lin Xiao"),
    NameRendering("陈默", "Chen Mo", "Chen Mo", "Chen Mo", "name", "CEO of the Lin Group"),
    NameRendering("陈总", "Mr. Chen", "Sr. Chen", "Sr. Chen", "address", "Chen Mo, addressed as CEO"),
    NameRendering("王桂芳", "Wang Guifang", "Wang Guifang", "Wang Guifang", "name", "mother-in-law"),
    NameRendering("张浩", "Zhang Hao", "Zhang Hao", "Zhang Hao", "name", "Lin Xiao's husband"),
    NameRendering("张先生", "Mr. Zhang", "señor Zhang", "senhor Zhang", "address"),
    NameRendering("张家", "Zhang family", "familia Zhang", "família Zhang", "name"),
    NameRendering("陈家", "Chen family", "familia Chen", "família Chen", "name"),
    NameRendering("林氏集团", "Lin Group", "Grupo Lin", "Grupo Lin", "name", "company"),
    NameRendering("大小姐", "Miss", "señorita", "senhorita", "address", "the heiress, said by an employee"),
    NameRendering("少爷", "young master", "joven amo", "jovem mestre", "address"),
    NameRendering("妈", "Mom", "mamá", "mãe", "address"),
    NameRendering("白眼狼", "ungrateful wretch", "malagradecida", "ingrata", "slang", "said of a woman"),
)


@dataclass(frozen=True)
class StoryLine:
    """One spoken line of the story with its reference translations."""

    episode: int
    speaker: str
    zh: str
    en: str
    es: str
    pt: str
    line_no: int = 0  # in story.tsv, for error messages

    def reference(self, language: str) -> str:
        if language not in REFERENCE_LANGUAGES:
            raise UnknownNameError("reference language", language, REFERENCE_LANGUAGES)
        return str(getattr(self, language))


def character(speaker: str) -> Character:
    for cast in CHARACTERS:
        if cast.speaker == speaker:
            return cast
    raise UnknownNameError("sample speaker", speaker, (c.speaker for c in CHARACTERS))


@lru_cache(maxsize=1)
def load_story() -> tuple[StoryLine, ...]:
    """Every line of story.tsv, checked: known speakers, no empty cells, episodes 1..N in order."""
    text = resources.files("localize.sample").joinpath(STORY_FILE).read_text(encoding="utf-8")
    return parse_story(text, STORY_FILE)


def parse_story(text: str, source: str) -> tuple[StoryLine, ...]:
    rows = text.splitlines()
    expected_header = "episode\tspeaker\tzh\ten\tes\tpt"
    if not rows or rows[0] != expected_header:
        raise InputFormatError(source, 1, "bad header", expected_header.replace("\t", " TAB "))
    lines: list[StoryLine] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not row.strip():
            continue
        cells = row.split("\t")
        if len(cells) != 6 or not all(c.strip() for c in cells):
            raise InputFormatError(source, line_no, f"{len(cells)} cells", "6 non-empty tab-separated cells")
        if not cells[0].isdigit():
            raise InputFormatError(source, line_no, f"episode {cells[0]!r}", "an episode number")
        character(cells[1])  # unknown speakers fail here, listing the cast
        episode = int(cells[0])
        previous = lines[-1].episode if lines else 1
        if episode not in (previous, previous + 1):
            raise InputFormatError(source, line_no, f"episode {episode} after {previous}",
                                   "episodes in order")
        lines.append(StoryLine(episode, cells[1], cells[2], cells[3], cells[4], cells[5], line_no))
    return tuple(lines)


def episode_count() -> int:
    story = load_story()
    return story[-1].episode if story else 0


def episode_lines(episode: int) -> tuple[StoryLine, ...]:
    lines = tuple(line for line in load_story() if line.episode == episode)
    if not lines:
        accepted = (str(n) for n in range(1, episode_count() + 1))
        raise UnknownNameError("sample episode", str(episode), accepted)
    return lines


def format_script(segments: Sequence[Segment]) -> str:
    """The episode's timed script: where each line really is in the audio, in milliseconds."""
    rows = [SCRIPT_HEADER]
    rows += [f"{s.start_ms}\t{s.end_ms}\t{s.speaker or ''}\t{s.text}" for s in segments]
    return "\n".join(rows) + "\n"


def format_reference(lines: Sequence[StoryLine], language: str) -> str:
    """Reference translations, one row per script line (index counts from 0, as Line.index does)."""
    rows = [REFERENCE_HEADER]
    rows += [f"{index}\t{line.reference(language)}" for index, line in enumerate(lines)]
    return "\n".join(rows) + "\n"
