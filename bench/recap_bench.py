"""Recaps: how well the replayed openings of a season are found, and what reusing them saves.

The test season is the built-in sample season with recaps planted as studios cut them: every episode
after the first opens with the last 15 s of the one before, and the whole episode is then re-encoded at
another bitrate (so the recap's sound and picture are not the bytes of the original). Episode 1 has
none. Truth: episode k, 0-15 s, replays episode k-1's last 15 s.

Detection (localize.recaps) is scored in seconds: precision = found seconds that are truly a recap /
found seconds; recall = true recap seconds found / true recap seconds. A found recap must also name
the right episode and the right place in it (within 0.5 s). The thresholds (RecapOptions) were set
before this benchmark from the fingerprint's published figures (Haitsma and Kalker: a bit error rate
under 0.35 is the same sound), not tuned on it: every figure below is a reporting figure.

Then, with --run, the season run over the planted season, recaps reused and not, side by side.

    .venv/bin/python bench/recap_bench.py [--episodes 3] [--recap-seconds 15] [--run]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media  # noqa: E402
from localize.recaps import Recap, find_recaps, fingerprint  # noqa: E402
from localize.sample import generate_season  # noqa: E402


def plant(season: Path, out: Path, seconds: float, episodes: int) -> dict[str, tuple[float, float, str, float]]:
    """The planted season in `out` and its truth: episode -> (start s, end s, replayed episode, from s)."""
    out.mkdir(parents=True, exist_ok=True)
    videos = sorted(season.glob("ep*.mp4"))[:episodes]
    truth = {}
    prefix = 0.0  # the recap planted at the start of the episode before: where its own material begins
    for number, video in enumerate(videos):
        target = out / video.name
        if number == 0:
            media.run_ffmpeg(["-i", str(video), "-c:v", "libx264", "-crf", "30", "-preset", "veryfast",
                              "-c:a", "aac", "-b:a", "64k", str(target)])
            continue
        before = videos[number - 1]
        length = media.probe(before).duration_ms / 1000
        start = max(0.0, length - seconds)
        media.run_ffmpeg(["-ss", f"{start:.3f}", "-i", str(before), "-i", str(video), "-filter_complex",
                          "[0:v]setpts=PTS-STARTPTS[a];[0:a]asetpts=PTS-STARTPTS[b];"
                          "[a][b][1:v][1:a]concat=n=2:v=1:a=1[v][s]", "-map", "[v]", "-map", "[s]",
                          "-c:v", "libx264", "-crf", "30", "-preset", "veryfast", "-c:a", "aac", "-b:a", "64k",
                          str(target)])
        truth[video.stem] = (0.0, length - start, before.stem, prefix + start)  # where it is in the planted file
        prefix = length - start
    return truth


def score(found: dict[str, tuple[Recap, ...]], truth: dict[str, tuple[float, float, str, float]]
          ) -> tuple[float, float, list[str]]:
    found_s = right_s = 0.0
    lines = []
    for episode, recaps in sorted(found.items()):
        for recap in recaps:
            start, end = recap.start_ms / 1000, recap.end_ms / 1000
            found_s += end - start
            true = truth.get(episode)
            overlap = 0.0
            if true and true[2] == recap.episode and abs(recap.source_ms(recap.start_ms) / 1000 - (
                    true[3] + start - true[0])) < 0.5:
                overlap = max(0.0, min(end, true[1]) - max(start, true[0]))
            right_s += overlap
            lines.append(f"  {episode}: {start:5.1f}-{end:5.1f} s replays {recap.episode} from "
                         f"{recap.source_start_ms / 1000:.1f} s ({overlap:.1f} s right)")
    true_s = sum(end - start for start, end, _, _ in truth.values())
    precision = right_s / found_s if found_s else 1.0
    recall = right_s / true_s if true_s else 1.0
    return precision, recall, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=REPO / "bench" / ".cache" / "sample-season")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--recap-seconds", type=float, default=15.0)
    parser.add_argument("--run", action="store_true", help="also time the season run, recaps reused and not")
    args = parser.parse_args()
    generate_season(args.season, episodes=args.episodes)
    with tempfile.TemporaryDirectory(prefix="localize-recaps-") as tmp:
        planted = Path(tmp) / "season"
        truth = plant(args.season, planted, args.recap_seconds, args.episodes)
        videos = sorted(planted.glob("ep*.mp4"))
        started = time.perf_counter()
        prints = {v.stem: fingerprint(v) for v in videos}
        fingerprint_s = time.perf_counter() - started
        started = time.perf_counter()
        found = {}
        for k, video in enumerate(videos):
            earlier = [(v.stem, v, prints[v.stem]) for v in videos[:k]]
            found[video.stem] = find_recaps(video, prints[video.stem], earlier)
        find_s = time.perf_counter() - started
        precision, recall, lines = score(found, truth)
        audio_s = sum(media.probe(v).duration_ms for v in videos) / 1000
        print(f"planted season: {len(videos)} episodes, {audio_s:.0f} s, recaps of {args.recap_seconds:.0f} s "
              f"in {len(truth)} of them (re-encoded: x264 crf 30, AAC 64k)")
        print("\n".join(lines) or "  nothing found")
        print(f"recap seconds: precision {precision:.3f}, recall {recall:.3f} (reporting figures; nothing tuned here)")
        print(f"cost: fingerprints {fingerprint_s:.1f} s, matching and picture checks {find_s:.1f} s "
              f"({(fingerprint_s + find_s) / audio_s * 100:.1f}% of the season's duration)")
        if args.run:
            run_both(planted, Path(tmp))
    return 0


def run_both(planted: Path, tmp: Path) -> None:
    from localize.markets import parse_markets
    from localize.pipeline import RunSettings
    from localize.recaps import RecapOptions
    from localize.season_run import ThreadSubmitter, run_season

    markets = parse_markets("en-US")
    videos = sorted(planted.glob("ep*.mp4"))
    walls = {}
    for mode in ("recaps off", "recaps reused"):
        out = tmp / mode.replace(" ", "-")
        settings = RunSettings(out_dir=out, memory=tmp / f"{out.name}.sqlite",
                               recaps=RecapOptions(enabled=mode == "recaps reused"))
        submit = ThreadSubmitter(workers=1)
        started = time.perf_counter()
        try:
            result = run_season(videos, markets, settings, submit)
        finally:
            submit.close()
        walls[mode] = time.perf_counter() - started
        for video in videos:
            qa = json.loads((out / "en-US" / f"{video.stem}.qa.json").read_text(encoding="utf-8"))
            print(f"  {mode} {video.stem}: recap {qa.get('recap_seconds', 0)} s, {qa.get('recap_lines_reused', 0)} "
                  f"lines reused; translation memory lines {qa.get('memory_lines_machine', 0)}, retried "
                  f"{qa.get('lines_retried', 0)} of {qa.get('lines', 0)}")
        shutil.rmtree(out / ".work" / "results", ignore_errors=True)
        print(f"{mode}: {walls[mode]:.1f} s wall, {len(result.results)} deliveries, {len(result.failures)} failed; "
              f"stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.stage_seconds.items()))
    print(f"wall time reused / off: {walls['recaps reused'] / walls['recaps off']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
