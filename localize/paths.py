"""Where every output of a season run lives: one definition, read by the flows, the CLI and the benchmarks.

    OUT/season-summary.{json,html}
    OUT/source/<episode>.transcript.json
    OUT/<market>/<episode>.{srt,vtt,ass,m4a,mp4,qa.json,qa.html}
    OUT/.work/<episode>/...            intermediate files (audio for ASR and mixing, dub stems)
    OUT/.work/<episode>/picture-clean.mp4         the picture without its burned-in line, at preview size
    OUT/.work/<episode>/lines-<market>.json       the market's translation, line by line (read by `kit export`)
    OUT/.work/<episode>/delivery-<market>.pkl     what the market's delivery was made from (`kit import` redoes it)
    OUT/kit/<market>.{xlf,csv}         post-editing kits (`localize kit export`)
    OUT/.work/results/...              finished stage results, keyed by the content of their inputs
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localize.subtitle.deliver import DELIVERY_FORMATS

WORK = ".work"
SOURCE = "source"
TRANSCRIPT_SUFFIX = ".transcript.json"
KIT = "kit"
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".m4v")  # what counts as an episode in a season folder


def season_videos(season_dir: Path) -> list[Path]:
    """The episode videos of a season folder, in name order (ep01.mp4, ep02.mp4...)."""
    return sorted(p for p in season_dir.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())


@dataclass(frozen=True)
class MarketPaths:
    """One episode's deliveries for one market."""

    folder: Path
    episode: str

    def subtitle(self, fmt: str) -> Path:
        return self.folder / f"{self.episode}.{fmt}"

    @property
    def subtitles(self) -> tuple[Path, ...]:
        return tuple(self.subtitle(fmt) for fmt in DELIVERY_FORMATS)

    @property
    def ass(self) -> Path:
        return self.subtitle("ass")

    @property
    def dub(self) -> Path:
        return self.folder / f"{self.episode}.m4a"

    @property
    def preview(self) -> Path:
        return self.folder / f"{self.episode}.mp4"

    @property
    def qa_json(self) -> Path:
        return self.folder / f"{self.episode}.qa.json"

    @property
    def qa_html(self) -> Path:
        return self.folder / f"{self.episode}.qa.html"

    def deliveries(self, preview: bool = True) -> tuple[Path, ...]:
        """Every file a finished delivery has, in the order the run writes them."""
        return (*self.subtitles, self.dub, *((self.preview,) if preview else ()), self.qa_json, self.qa_html)


@dataclass(frozen=True)
class EpisodePaths:
    """One episode's files under OUT: its source transcript, intermediate work, and per-market deliveries."""

    out_dir: Path
    episode: str

    @property
    def work(self) -> Path:
        return self.out_dir / WORK / self.episode

    @property
    def asr_audio(self) -> Path:
        return self.work / "asr16k.wav"

    @property
    def mix_audio(self) -> Path:
        return self.work / "mix48k.wav"

    @property
    def clean_picture(self) -> Path:
        """The picture with the burned-in line removed (no sound; localize.picture.remove)."""
        return self.work / "picture-clean.mp4"

    @property
    def transcript(self) -> Path:
        return self.out_dir / SOURCE / f"{self.episode}{TRANSCRIPT_SUFFIX}"

    def dub_work(self, market: str) -> Path:
        return self.work / f"dub-{market}"

    def lines(self, market: str) -> Path:
        """The market's translation of the episode, line by line (JSON), as the last run made it."""
        return self.work / f"lines-{market}.json"

    def delivery_inputs(self, market: str) -> Path:
        """The episode's source, market and run settings the market's delivery was made from (pickle)."""
        return self.work / f"delivery-{market}.pkl"

    def market(self, code: str) -> MarketPaths:
        return MarketPaths(self.out_dir / code, self.episode)


@dataclass(frozen=True)
class SeasonPaths:
    out_dir: Path

    @property
    def summary_json(self) -> Path:
        return self.out_dir / "season-summary.json"

    @property
    def summary_html(self) -> Path:
        return self.out_dir / "season-summary.html"

    @property
    def results(self) -> Path:
        return self.out_dir / WORK / "results"

    @property
    def journal(self) -> Path:
        """What the last run did per episode and market (read by `localize status`)."""
        return self.out_dir / WORK / "journal.jsonl"

    def episode(self, name: str) -> EpisodePaths:
        return EpisodePaths(self.out_dir, name)

    def episodes(self) -> list[str]:
        """Episodes whose source transcript a run wrote here, in name order."""
        folder = self.out_dir / SOURCE
        found = folder.glob(f"*{TRANSCRIPT_SUFFIX}") if folder.is_dir() else ()
        return sorted(p.name[: -len(TRANSCRIPT_SUFFIX)] for p in found if p.is_file())

    def kit(self, market: str, suffix: str) -> Path:
        """The default post-editing kit file of a market (`suffix`: xlf or csv)."""
        return self.out_dir / KIT / f"{market}.{suffix}"

    def planned(self, episodes: list[str], markets: list[str], preview: bool = True) -> list[Path]:
        """Every delivery a run of these episodes and markets writes (checked against the ledger first)."""
        planned = [self.summary_json, self.summary_html]
        for name in episodes:
            paths = self.episode(name)
            planned.append(paths.transcript)
            planned += [p for code in markets for p in paths.market(code).deliveries(preview)]
        return planned
