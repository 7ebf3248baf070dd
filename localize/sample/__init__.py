"""The built-in sample season: a short synthetic micro-drama to try the pipeline on.

    from localize.sample import generate_season
    season = generate_season(Path("sample-season"))   # ep01.mp4 ... + scripts + references

Three episodes of an original story (林晓, the mistreated daughter-in-law who turns out
to be an heiress), 40-60 s each, 1080x1920 at 25 fps, Mandarin dialogue spoken by
espeak-ng with the Chinese line burned into the lower third, a quiet music bed, a timed
script per episode and hand-written English, Spanish and Portuguese references.
`NAMES` lists the story's names and forms of address with their renderings, for glossaries.
"""

from localize.sample.script import CHARACTERS, NAMES, REFERENCE_LANGUAGES, Character, NameRendering
from localize.sample.season import SampleEpisode, SampleSeason, generate_season

__all__ = [
    "CHARACTERS",
    "NAMES",
    "REFERENCE_LANGUAGES",
    "Character",
    "NameRendering",
    "SampleEpisode",
    "SampleSeason",
    "generate_season",
]
