"""Season benchmark: wall time per stage, ASR real-time factor and CER, translation chrF.

Runs every stage directly (no cache) on the built-in sample season, so the figures are real work.
Side by side in the same run: ASR with beam 5 (the default) and beam 1 (greedy), on the same audio.

    .venv/bin/python bench/season.py [--episodes 3] [--markets en-US,es-419,pt-BR] [--no-preview]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media, qa  # noqa: E402
from localize.asr import AsrOptions, load_model, transcribe  # noqa: E402
from localize.dub import dub_episode, dub_findings  # noqa: E402
from localize.markets import parse_markets  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.scoring import cer, chrf  # noqa: E402
from localize.subtitle import deliver_subtitles  # noqa: E402
from localize.translate import glossary_for_market, translate_texts, translate_transcript  # noqa: E402
from localize.translate.hf_adapter import load_causal_lm  # noqa: E402


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=REPO / "bench" / ".cache" / "sample-season")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--markets", default="en-US,es-419,pt-BR")
    parser.add_argument("--no-preview", action="store_true")
    args = parser.parse_args()
    markets = parse_markets(args.markets)
    times: dict[str, float] = defaultdict(float)

    t0 = time.perf_counter()
    generate_season(args.season, episodes=args.episodes)
    times["sample season (generate or reuse)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    load_model(AsrOptions())
    times["ASR model load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_causal_lm("gemma3-270m")
    times["MT model load"] = time.perf_counter() - t0

    audio_ms = 0
    asr_seconds = {5: 0.0, 1: 0.0}
    asr_cer: dict[int, list[tuple[str, str]]] = {5: [], 1: []}
    mt_pairs: dict[str, tuple[list[str], list[str]]] = {m.code: ([], []) for m in markets}
    qa_errors = 0
    lufs: list[float] = []
    work = Path(tempfile.mkdtemp(prefix="localize-bench-"))
    videos = sorted(args.season.glob("ep*.mp4"))[: args.episodes]
    for video in videos:
        ep = video.stem
        t0 = time.perf_counter()
        info = media.require_audio(media.probe(video))
        asr_wav = media.extract_audio(video, work / f"{ep}.16k.wav")
        mix_wav = media.extract_audio(video, work / f"{ep}.48k.wav", sample_rate=48000, channels=2)
        times["probe + extract audio"] += time.perf_counter() - t0
        audio_ms += info.duration_ms
        script = read_tsv(args.season / f"{ep}.script.tsv")
        reference = "".join(row["text"] for row in script)
        transcript = None
        for beam in (5, 1):
            t0 = time.perf_counter()
            result = transcribe(asr_wav, AsrOptions(beam_size=beam))
            asr_seconds[beam] += time.perf_counter() - t0
            asr_cer[beam].append(("".join(s.text for s in result.segments), reference))
            if beam == 5:
                transcript = result
        assert transcript is not None
        for market in markets:
            out = work / market.code
            t0 = time.perf_counter()
            translation = translate_transcript(transcript, market, glossary=glossary_for_market(market))
            times["translate"] += time.perf_counter() - t0
            # chrF against the sample's own references, script text translated (ASR errors excluded)
            ref_rows = read_tsv(args.season / f"{ep}.ref.{market.language}.tsv")
            t0 = time.perf_counter()
            lines = translate_texts([row["text"] for row in script], market,
                                    glossary=glossary_for_market(market)).lines
            times["translate (script, for chrF)"] += time.perf_counter() - t0
            mt_pairs[market.code][0].extend(line.target for line in lines)
            mt_pairs[market.code][1].extend(row["text"] for row in ref_rows)
            t0 = time.perf_counter()
            findings = deliver_subtitles(translation.lines, market, fps=info.fps or 25.0,
                                         duration_ms=info.duration_ms, out_dir=out, stem=ep).findings
            times["subtitles"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            dub = dub_episode(translation, mix_wav, market, out / f"{ep}.m4a", work / f"dub-{market.code}-{ep}",
                              duration_ms=info.duration_ms)
            times["dub"] += time.perf_counter() - t0
            lufs.append(dub.integrated_lufs)
            if not args.no_preview:
                t0 = time.perf_counter()
                media.render_preview(video, dub.path, out / f"{ep}.ass", out / f"{ep}.mp4")
                times["preview"] += time.perf_counter() - t0
            report = qa.build_report(ep, market.code, findings, qa.translation_findings(translation),
                                     dub_findings(dub, market))
            qa_errors += report.errors

    times["ASR (beam 5)"] = asr_seconds[5]
    stage_total = sum(v for k, v in times.items() if "for chrF" not in k and "ASR (beam 1)" not in k)
    print(f"\nsample season: {len(videos)} episodes, {audio_ms / 1000:.1f} s of audio, "
          f"markets {', '.join(m.code for m in markets)}")
    print(f"{'stage':<36}{'seconds':>9}{'share':>8}")
    for name, seconds in times.items():
        share = "" if "for chrF" in name else f"{seconds / stage_total:7.1%}"
        print(f"{name:<36}{seconds:9.1f}{share:>8}")
    print(f"{'total (pipeline stages)':<36}{stage_total:9.1f}")
    audio_s = audio_ms / 1000
    print("\nASR side by side on the same audio:")
    for beam in (5, 1):
        pairs = asr_cer[beam]
        season_cer = sum(cer(h, r) * len(r) for h, r in pairs) / sum(len(r) for _, r in pairs)
        print(f"  beam {beam}: {asr_seconds[beam]:6.1f} s, real-time factor {asr_seconds[beam] / audio_s:.3f}, "
              f"CER vs script {season_cer:.3f}")
    print(f"  beam 1 / beam 5 time ratio: {asr_seconds[1] / asr_seconds[5]:.2f}")
    print("\nTranslation chrF vs the sample's references (script text in, demo model):")
    for code, (hyps, refs) in mt_pairs.items():
        print(f"  {code}: chrF {chrf(hyps, refs):.1f} over {len(hyps)} lines")
    print(f"\ndub integrated loudness: {min(lufs):.1f} .. {max(lufs):.1f} LUFS; QA errors: {qa_errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
