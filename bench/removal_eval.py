"""Removal of the burned-in Chinese line, the four modes side by side on the built-in sample season.

Per mode: the share of the burned-in Chinese characters OCR still reads in the band (the middle
frame of every line, read as localize.picture.cues reads it), the seconds of removal per second
of video, the preview render's seconds (from the original 1080x1920 picture for box and avoid,
from the cleaned 540x960 picture for inpaint and blur), and one preview frame per mode saved as PNG.
"original" is the same check on the untouched picture: it shows that the check can read the lines.

    .venv/bin/python bench/removal_eval.py [--season DIR] [--episodes 3] [--out bench/.cache/removal]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media  # noqa: E402
from localize.asr.source import PictureOptions, PictureText, read_picture  # noqa: E402
from localize.picture.ocr import OcrEngine, load_engine  # noqa: E402
from localize.picture.remove import REMOVAL_MODES, RemovalOptions, remove_lines, residual  # noqa: E402
from localize.pipeline import band_rows, cover_for  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.store import ResultStore  # noqa: E402
from localize.subtitle import CoverBox, VerticalLayout, write_subtitles  # noqa: E402
from localize.types import Cue, MediaInfo, Transcript  # noqa: E402


@dataclass
class Tally:
    characters: int = 0
    readable: int = 0
    video_s: float = 0.0
    removal_s: float = 0.0
    check_s: float = 0.0
    preview_s: float = 0.0
    frames: list[Path] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.readable / self.characters if self.characters else 0.0


def english_cues(picture: PictureText, reference: Path) -> list[Cue]:
    """One English cue per burned-in line, from the season's hand-written reference when it lines up."""
    rows = list(csv.DictReader(reference.open(encoding="utf-8"), delimiter="\t")) if reference.is_file() else []
    texts = [row["text"] for row in rows] if len(rows) == len(picture.cues) else []
    return [Cue(cue.start_ms, cue.end_ms, (texts[i] if texts else f"(English line {i + 1})",))
            for i, cue in enumerate(picture.cues)]


def preview(mode: str, info: MediaInfo, picture: PictureText, clean: Path | None, work: Path,
            reference: Path) -> tuple[Path, float]:
    """The market preview as the pipeline renders it for `mode`, and its seconds."""
    transcript = Transcript(language="zh", segments=(), duration_ms=info.duration_ms, band=picture.band)
    cover = cover_for(transcript, CoverBox(), PictureOptions(), cover_auto=True, removal=mode)
    layout = VerticalLayout()
    rows = band_rows(transcript)
    if mode == "avoid" and rows:
        layout = layout.clear_of(*rows)
    ass = write_subtitles(english_cues(picture, reference), work / f"{info.path.stem}-{mode}.ass", "ass",
                          layout=layout, cover=cover, episode_duration_ms=info.duration_ms)
    started = time.perf_counter()
    # The episode's own sound stands in for the dub: the render does the same work.
    out = media.render_preview(clean or info.path, info.path, ass, work / f"{info.path.stem}-{mode}.mp4")
    return out, time.perf_counter() - started


def save_frame(video: Path, frame: int, dst: Path) -> Path:
    media.run_ffmpeg(["-i", str(video), "-vf", f"select=eq(n\\,{frame})", "-frames:v", "1", str(dst)], what=video)
    return dst


def evaluate(video: Path, picture: PictureText, engine: OcrEngine, work: Path, tallies: dict[str, Tally]) -> None:
    info = media.probe(video)
    band = picture.band
    if band is None or not picture.cues:
        print(f"{video.name}: no burned-in line found", file=sys.stderr)
        return
    middle = picture.cues[len(picture.cues) // 2]
    shown = (middle.first_frame + middle.last_frame) // 2
    reference = video.with_name(f"{video.stem}.ref.en.tsv")
    original = residual(video, picture.cues, band, engine)
    tallies["original"].characters += original.characters
    tallies["original"].readable += original.readable
    for mode in REMOVAL_MODES:
        tally = tallies[mode]
        tally.video_s += info.duration_ms / 1000
        clean = None
        if RemovalOptions(mode=mode).rewrites_picture:
            started = time.perf_counter()
            clean = work / f"{video.stem}-{mode}-clean.mp4"
            remove_lines(info, picture.cues, clean, RemovalOptions(mode=mode))
            tally.removal_s += time.perf_counter() - started
        rendered, seconds = preview(mode, info, picture, clean, work, reference)
        tally.preview_s += seconds
        started = time.perf_counter()
        # The check reads what a viewer sees: the rendered preview (the box is drawn there).
        left = residual(rendered, picture.cues, band, engine)
        tally.check_s += time.perf_counter() - started
        tally.characters += left.characters
        tally.readable += left.readable
        tally.frames.append(save_frame(rendered, shown, work / f"{video.stem}-{mode}-frame{shown}.png"))
        print(f"{video.name} {mode}: {left.readable}/{left.characters} characters readable", file=sys.stderr)


def report(tallies: dict[str, Tally]) -> None:
    print(f"{'mode':<9} {'residual':>9} {'chars':>11} {'removal s/s':>12} {'check s/s':>10} {'preview s':>10}  frames")
    for mode, t in tallies.items():
        rate = f"{t.removal_s / t.video_s:.3f}" if t.video_s else "-"
        check = f"{t.check_s / t.video_s:.3f}" if t.video_s else "-"
        shown = f"{t.preview_s:.1f}" if t.video_s else "-"
        print(f"{mode:<9} {t.share:>9.1%} {f'{t.readable}/{t.characters}':>11} {rate:>12} {check:>10} {shown:>10}  "
              + " ".join(str(p) for p in t.frames))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, help="a season folder (default: the built-in sample, generated)")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / ".cache" / "removal")
    args = parser.parse_args(argv)
    work = args.out.resolve()
    work.mkdir(parents=True, exist_ok=True)
    season = args.season or generate_season(work / "season", episodes=args.episodes).out_dir
    videos = sorted(Path(season).glob("*.mp4"))[:args.episodes]
    store = ResultStore(work / "results")  # the OCR reading is reused between runs
    engine = load_engine()
    tallies = {mode: Tally() for mode in ("original", *REMOVAL_MODES)}
    for video in videos:
        info = media.probe(video)
        picture = store.run("read-picture", {"info": info, "options": PictureOptions(), "speech": (), "skip": ()},
                            lambda info=info: read_picture(info, PictureOptions()))  # type: ignore[misc]
        evaluate(video, picture, engine, work, tallies)
    print(f"{len(videos)} episodes, {sum(media.probe(v).duration_ms for v in videos) / 1000:.1f} s of video "
          "(removal s/s: seconds of removal per second of video; check: the OCR read-back; preview: render seconds)")
    report(tallies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
