"""The speakers stage as the pipeline runs it: the episode's diarization (kept by the pipeline's store)
assigned to the season's characters, and each market's cast."""

from __future__ import annotations

import logging
from pathlib import Path

from localize.markets import Market
from localize.speakers.assign import assign_speakers
from localize.speakers.diarize import Diarization
from localize.speakers.registry import CharacterRegistry
from localize.types import Transcript

log = logging.getLogger("localize")


def identify_speakers(transcript: Transcript, diarization: Diarization | None, out_dir: Path,
                      episode: str) -> Transcript:
    """Each segment's character (script names first), linked to the season's registry in `out_dir`;
    without a diarization (turned off, or its weights missing) the transcript as it is."""
    if diarization is None or not transcript.segments:
        return transcript
    return assign_speakers(transcript, diarization, CharacterRegistry.in_folder(out_dir), episode)


def market_cast(out_dir: Path, market: Market) -> dict[str, str]:
    """Character name -> voice id for the market, casting characters that have none (empty: no registry)."""
    from localize.dub.voices import cast_voices

    registry = CharacterRegistry.in_folder(out_dir)
    if not registry.path.is_file():
        return {}
    return registry.cast(market.code, lambda characters, current: cast_voices(market, characters, current))
