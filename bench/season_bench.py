"""Season-scale benchmark: the same work run four ways, side by side in one run.

1. direct    the season run on one thread (localize.season_run, no Prefect), one piece at a time
2. prefect-1 the Prefect season flow with 1 worker (same order of work: the overhead ratio 2/1)
3. prefect-N the Prefect season flow with the default workers (concurrency ratio N/1)
4. warm      run 3 again on the same OUT (every stage reused: warm/cold ratio)
5. --dask    a Dask LocalCluster of 1 worker process, then of 2 (each worker loads its own models)

Each run is a fresh process on the built-in sample season (3 episodes into 3 markets, previews
on), cold: an empty OUT, models already assembled and loaded once before timing. Prints wall
seconds, market-seconds of episode per wall second, and each process's peak memory.

    .venv/bin/python bench/season_bench.py [--episodes 3] [--markets en-US,es-419,pt-BR] [--dask | --only-dask]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CACHE = REPO / "bench" / ".cache"


def warm_models(markets: list[str]) -> None:
    from localize.asr import AsrOptions, load_model
    from localize.markets import parse_markets
    from localize.picture.ocr import load_engine
    from localize.translate.hf_adapter import load_causal_lm

    load_model(AsrOptions())
    load_engine()
    for market in parse_markets(",".join(markets)):
        load_causal_lm(market.engine.model)


def run_one(mode: str, season: Path, out: Path, markets: list[str]) -> dict[str, float]:
    """One configuration in this process; returns its wall seconds and peak memory."""
    from localize.markets import parse_markets
    from localize.pipeline import RunSettings
    from localize.season_run import ThreadSubmitter, run_season

    chosen = parse_markets(",".join(markets))
    episodes = sorted(season.glob("ep*.mp4"))
    warm_models(markets)
    started = time.perf_counter()
    if mode == "direct":
        submit = ThreadSubmitter(workers=1)
        try:
            run_season(episodes, chosen, RunSettings(out_dir=out), submit)
        finally:
            submit.close()
    else:
        from flows.settings import configure_prefect

        configure_prefect()  # before Prefect is imported
        from flows.season import season_flow

        runner, workers = {"prefect-1": ("threads", 1), "prefect-N": ("threads", None),
                           "dask-1": ("dask", 1), "dask-2": ("dask", 2)}[mode]
        flow_on_runner, in_process = season_flow(runner, workers)
        flow_on_runner(season, chosen, out, force=True, in_process=in_process)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb}


def spawn(mode: str, season: Path, out: Path, markets: list[str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--one", mode, "--season", str(season), "--out", str(out),
                           "--markets", ",".join(markets)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--markets", default="en-US,es-419,pt-BR")
    parser.add_argument("--dask", action="store_true", help="also a Dask LocalCluster of 1 and of 2 workers")
    parser.add_argument("--only-dask", action="store_true", help="only the two Dask runs")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--season", type=Path, default=CACHE / "sample-season")
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    markets = args.markets.split(",")
    if args.one:
        print(json.dumps(run_one(args.one, args.season, args.out, markets)))
        return 0
    from localize import media
    from localize.sample import generate_season

    generate_season(args.season, episodes=args.episodes)
    media_seconds = sum(media.probe(v).duration_ms for v in sorted(args.season.glob("ep*.mp4"))) / 1000
    work = media_seconds * len(markets)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="season-bench-") as tmp:
        modes = [] if args.only_dask else [("direct", "direct"), ("prefect-1", "p1"), ("prefect-N", "pn"),
                                           ("warm", "pn")]
        if args.dask or args.only_dask:
            modes += [("dask-1", "d1"), ("dask-2", "d2")]
        for mode, out in modes:
            rows[mode] = spawn("prefect-N" if mode == "warm" else mode, args.season, Path(tmp) / out, markets)
            print(f"  {mode}: {rows[mode]['seconds']:.1f} s", flush=True)
    print(f"\nSample season: {media_seconds:.1f} s of episodes x {len(markets)} markets, previews on")
    print(f"{'run':<12} {'wall s':>8} {'market-s per s':>15} {'peak MB':>8}")
    for mode, row in rows.items():
        print(f"{mode:<12} {row['seconds']:8.1f} {work / row['seconds']:15.2f} {row['peak_mb']:8.0f}")
    def ratio(a: str, b: str) -> str:
        return f"{rows[a]['seconds'] / rows[b]['seconds']:.3f}" if a in rows and b in rows else "not run"

    print(f"\nPrefect overhead (prefect-1 / direct):        {ratio('prefect-1', 'direct')}   goal <= 1.10")
    print(f"concurrent / sequential (prefect-N / -1):     {ratio('prefect-N', 'prefect-1')}   goal <= 0.70")
    print(f"warm / cold (warm / prefect-N):               {ratio('warm', 'prefect-N')}   goal <= 0.05")
    print(f"Dask LocalCluster 2 workers / 1 worker:       {ratio('dask-2', 'dask-1')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
