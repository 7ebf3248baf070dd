"""Dub stage figures on the built-in sample season (written with its M&E stems), side by side in one run.

1. Seconds of dub work per minute of episode, per voice engine (Piper "joe", espeak-ng en-us), on the
   English reference translations: synthesis, fitting, mixing over a ducked bed and loudness (the
   dialogue bed is timed apart: it is made once per episode for every market). Kokoro (ja) and
   espeak-ng ja speak episode 1 in Japanese (`JA_EP01`, our own translation of its 14 lines).
2. Original dialogue left in the bed during the dubbed lines (dB re the original's dialogue there), for
   duck vs DeepFilterNet subtraction vs the M&E stem. Ground truth: the sample's dialogue is exactly
   original - M&E stem, so each mode's operation (ducking gain, spectral mask, replacement) is applied
   to the true dialogue. Also the music kept over the episode (dB) and the model-based figure the QA
   report shows.
3. The time-stretchers at 1.2x on the synthesized lines: seconds per line, the long-term spectrum's
   shape distance to the unstretched line (dB, level removed; a crude timbre proxy: it does not hear
   WSOLA's stutter or the phase vocoder's phasiness, so it cannot rank the two by itself), and the
   median pitch after / before (1.00 = no chipmunk; plain resampling to 1.2x would read 1.20).

    .venv/bin/python bench/dub_bench.py [--season DIR] [--episodes 1]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media  # noqa: E402
from localize.dub.dialogue import (  # noqa: E402
    DialogueBed,
    DialogueOptions,
    apply_mask,
    duck_gain,
    estimate_speech,
    keep_mask,
    residual_db,
    spans_mask,
)
from localize.dub.dub import DubOptions, dub_episode  # noqa: E402
from localize.dub.voices import voice_from_spec  # noqa: E402
from localize.dub.wav import Audio, read_wav  # noqa: E402
from localize.markets import VoiceSpec, get_market  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.sample.season import me_stem_path  # noqa: E402
from localize.types import DubPlacement, Line, Translation  # noqa: E402

VOICES = (("piper", "joe"), ("espeak", "en-us"))
JA_VOICES = (("kokoro", "jf_alpha"), ("espeak", "ja"))
# Episode 1 of the sample season in Japanese (our own translation, for timing the Japanese voices).
JA_EP01 = (
    "リンシャオ、ご飯はまだできないの？",
    "お義母さん、すぐできます。あと五分だけ待ってください。",
    "張家に嫁いで三年、ご飯もまともに作れないなんて。",
    "母さん、もうやめて。話があるんだ。",
    "リンシャオ、離婚しよう。",
    "チャンハオ、今なんて言ったの？",
    "協議書にはもうサインした。君もサインすればいい。",
    "孤児のあんたなんか、うちの息子にふさわしくないのよ。",
    "いいわ、サインする。",
    "この三年、私の目が節穴だったと思うことにする。",
    "お嬢様、外は雨です。早く車へ。",
    "チェンモー？どうしてここに？",
    "会長がお嬢様を家にお連れするようにと。",
    "わかった、一緒に帰る。",
)


def _translation(episode: object, japanese: bool = False) -> Translation:
    script = list(csv.DictReader(episode.script.open(encoding="utf-8"), delimiter="\t"))  # type: ignore[attr-defined]
    if japanese:
        targets = list(JA_EP01)
    else:
        refs = csv.DictReader(episode.reference("en").open(encoding="utf-8"), delimiter="\t")  # type: ignore[attr-defined]
        targets = [r["text"] for r in refs]
    lines = tuple(Line(i, int(s["start_ms"]), int(s["end_ms"]), s["text"], t, s["speaker"])
                  for i, (s, t) in enumerate(zip(script, targets, strict=True)))
    return Translation("ja-JP" if japanese else "en-US", "reference", lines)


def _median_pitch(audio: Audio) -> float | None:
    from localize.dub.wav import resample
    from localize.speakers.pitch import median_f0

    return median_f0(resample(audio, 16000).samples[:, 0].astype(np.float32), 16000)


def _ltas_db(samples: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import welch

    _, power = welch(samples, fs=rate, nperseg=2048)
    return np.asarray(10 * np.log10(power[: 2048 * 8000 // rate] + 1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=REPO / "bench" / ".cache" / "dub-season")
    parser.add_argument("--episodes", type=int, default=1)
    args = parser.parse_args()
    season = generate_season(args.season, episodes=args.episodes, me_stems=True)
    market = get_market("en-US")
    minutes = 0.0
    work = {engine: 0.0 for engine, _ in VOICES}
    bed_seconds = 0.0
    totals: dict[str, list[float]] = {"duck": [], "subtract": [], "me": [], "qa-subtract": [], "music-kept": []}
    stretch: dict[str, list[float]] = {"rubberband": [], "atempo": []}
    stretch_dist: dict[str, list[float]] = {"rubberband": [], "atempo": []}
    stretch_pitch: dict[str, list[float]] = {"rubberband": [], "atempo": []}
    ja_work = {engine: 0.0 for engine, _ in JA_VOICES}
    ja_minutes = 0.0
    with tempfile.TemporaryDirectory(prefix="dub-bench-") as tmp:
        root = Path(tmp)
        for episode in season.episodes:
            name = episode.video.stem
            original_wav = media.extract_audio(episode.video, root / f"{name}.wav", sample_rate=48000, channels=2)
            original = read_wav(original_wav)
            minutes += original.frames / original.sample_rate / 60
            translation = _translation(episode)
            placements: tuple[DubPlacement, ...] = ()
            for engine, voice in VOICES:
                started = time.perf_counter()
                track = dub_episode(translation, original_wav, market, root / f"{name}-{engine}.m4a",
                                    root / f"work-{engine}-{name}", duration_ms=original.frames * 1000 // 48000,
                                    voice=voice_from_spec(VoiceSpec(engine, voice)),
                                    options=DubOptions(write_wav=False), bed=DialogueBed("duck", original_wav))
                work[engine] += time.perf_counter() - started
                placements = track.placements
            if episode.number == 1:
                ja_minutes += original.frames / original.sample_rate / 60
                for engine, voice in JA_VOICES:
                    started = time.perf_counter()
                    dub_episode(_translation(episode, japanese=True), original_wav, get_market("ja-JP"),
                                root / f"{name}-ja-{engine}.m4a", root / f"work-ja-{engine}-{name}",
                                duration_ms=original.frames * 1000 // 48000,
                                voice=voice_from_spec(VoiceSpec(engine, voice)),
                                options=DubOptions(write_wav=False), bed=DialogueBed("duck", original_wav))
                    ja_work[engine] += time.perf_counter() - started
            # residual dialogue, ground truth
            me = read_wav(me_stem_path(episode.video))
            n = min(original.frames, me.frames)
            truth = (original.samples[:n] - me.samples[:n]).mean(axis=1)
            during = spans_mask(placements, n, 48000)
            gain = duck_gain(placements, n, 48000, DialogueOptions())
            totals["duck"].append(residual_db(truth, truth * gain, during))
            started = time.perf_counter()
            estimate = estimate_speech(original)
            keep = keep_mask(original, estimate)
            bed_seconds += time.perf_counter() - started
            light = duck_gain(placements, n, 48000, DialogueOptions(duck_db=DubOptions().subtract_duck_db))
            left = apply_mask(Audio(truth.reshape(-1, 1), 48000), keep).samples[:n, 0] * light
            totals["subtract"].append(residual_db(truth, left, during))
            music = me.samples[:n].mean(axis=1)
            kept = apply_mask(Audio(music.reshape(-1, 1), 48000), keep).samples[:n, 0]
            totals["music-kept"].append(10 * math.log10(np.sum(kept**2) / np.sum(music**2)))
            model_left = apply_mask(estimate, keep).samples[:n, 0] * light
            totals["qa-subtract"].append(residual_db(estimate.samples[:n, 0], model_left, during))
            totals["me"].append(residual_db(truth, np.zeros_like(truth), during))
            # stretchers on the espeak lines
            for speech in sorted((root / f"work-espeak-{name}").glob("line-*.speech.wav"))[:12]:
                source = read_wav(speech)
                for stretcher in stretch:
                    started = time.perf_counter()
                    out = media.change_tempo(speech, root / f"s-{stretcher}.wav", 1.2, source.sample_rate, stretcher)
                    stretch[stretcher].append(time.perf_counter() - started)
                    fitted = read_wav(out)
                    diff = _ltas_db(fitted.samples[:, 0], fitted.sample_rate) - _ltas_db(source.samples[:, 0],
                                                                                       source.sample_rate)
                    diff -= diff.mean()  # the shape, not the level (lines are levelled in the mix anyway)
                    stretch_dist[stretcher].append(float(np.sqrt(np.mean(diff**2))))
                    before, after = _median_pitch(source), _median_pitch(fitted)
                    if before and after:
                        stretch_pitch[stretcher].append(after / before)
    print(f"sample season: {len(season.episodes)} episode(s), {minutes:.2f} min of episode")
    print("\n[dub work] seconds per minute of episode (synthesis + fit + mix + loudness, ducked bed)")
    for engine, voice in VOICES:
        print(f"  {engine:8s} {voice:8s} {work[engine] / minutes:6.1f} s/min")
    for engine, voice in JA_VOICES:
        if ja_minutes:
            print(f"  {engine:8s} {voice:8s} {ja_work[engine] / ja_minutes:6.1f} s/min  (Japanese, episode 1)")
    print(f"  dialogue bed (DeepFilterNet estimate + mask), once per episode: {bed_seconds / minutes:.1f} s/min")
    print("\n[original dialogue left under the dubbed lines] dB re the original dialogue (ground truth)")
    for mode in ("duck", "subtract", "me"):
        print(f"  {mode:9s} {np.mean(totals[mode]):6.1f} dB")
    print(f"  subtract, as the QA report estimates it (model-based): {np.mean(totals['qa-subtract']):.1f} dB")
    print(f"  music kept by the subtraction mask over the episode: {np.mean(totals['music-kept']):.1f} dB")
    print("\n[time-stretch 1.2x] seconds per line, long-term spectrum distance to the unstretched line, "
          "median pitch after/before")
    for stretcher in stretch:
        print(f"  {stretcher:10s} {np.mean(stretch[stretcher]):.3f} s/line  {np.mean(stretch_dist[stretcher]):.2f} dB  "
              f"pitch x{np.median(stretch_pitch[stretcher]):.3f}")


if __name__ == "__main__":
    main()
