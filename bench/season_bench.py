"""Season-scale benchmark: the same work run several ways, side by side in one run.

1. direct    the season run on one thread (localize.season_run, no Prefect), one piece at a time
2. prefect-1 the Prefect season flow with 1 worker (same order of work: the overhead ratio 2/1)
3. prefect-N the Prefect season flow with the default workers (concurrency ratio N/1)
4. warm      run 3 again on the same OUT (every stage reused: warm/cold ratio)
5. --dask    a Dask LocalCluster of 1 worker process, then of 2 (each worker loads its own models)
6. cli       `localize run` as a new user runs it: one whole process, cold, timed from outside
             (imports, Prefect's start, model loading and preflight included)
7. --before REV  also `localize run` of the code at git revision REV (a temporary worktree, the same
             venv, models and Prefect home), just before run 6: the before/after figures of one run
8. --rounds N    all of it N times, alternating (before, cli, before, cli...): on a machine whose speed
             drifts by a fifth from minute to minute, the medians and the ratio of each round's pair

Runs 1-5 are each a fresh process on the built-in sample season (3 episodes into 3 markets,
previews on), cold: an empty OUT and an empty translation memory (each run's OUT sits in its own
folder: the memory lives beside OUT, and a shared one would hand every run after the first its
translations), models already assembled and loaded once before timing.
Prints wall seconds, market-seconds of episode per wall second, each process's peak memory, and
each run's stage shares (the seconds each stage took, summed over its pieces, as shares of their sum:
with several workers the pieces overlap, so the sum is larger than the wall time).

    .venv/bin/python bench/season_bench.py [--episodes 3] [--markets en-US,es-419,pt-BR]
        [--modes cli,direct,prefect-1,prefect-N,warm] [--dask | --only-dask] [--before REV [--rounds N]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def run_one(mode: str, season: Path, out: Path, markets: list[str]) -> dict[str, Any]:
    """One configuration in this process; returns its wall seconds, peak memory and stage seconds."""
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
            result = run_season(episodes, chosen, RunSettings(out_dir=out), submit)
        finally:
            submit.close()
    else:
        from flows.settings import configure_prefect

        configure_prefect()  # before Prefect is imported
        from flows.season import season_flow

        runner, workers = {"prefect-1": ("threads", 1), "prefect-N": ("threads", None),
                           "dask-1": ("dask", 1), "dask-2": ("dask", 2)}[mode]
        flow_on_runner, in_process = season_flow(runner, workers)
        result = flow_on_runner(season, chosen, out, force=True, in_process=in_process)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "stages": result.stage_seconds,
            "cpu_s": usage.ru_utime + usage.ru_stime}


def spawn(mode: str, season: Path, out: Path, markets: list[str]) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    if mode == "cli":
        return run_cli(season, out, markets)
    done = subprocess.run([sys.executable, __file__, "--one", mode, "--season", str(season), "--out", str(out),
                           "--markets", ",".join(markets)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_cli(season: Path, out: Path, markets: list[str], code: Path = REPO) -> dict[str, Any]:
    """`localize run` as a whole process (of the code in `code`), timed from outside; its stage seconds
    from the season summary."""
    command = [sys.executable, "-c", "import sys; from localize.cli import main; sys.exit(main())", "run",
               str(season), "--markets", ",".join(markets), "--out", str(out), "--allow-findings", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(code), "LOCALIZE_PREFECT_HOME": str(REPO / ".prefect")}
    with tempfile.TemporaryFile() as said:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=said, stderr=subprocess.STDOUT, cwd=code, env=env)
        # wait4: this process's own peak (with the helpers it waited for), not the largest child so far
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 3):  # 3: delivered, with findings for review
            said.seek(0)
            raise SystemExit(f"localize run failed:\n{said.read().decode(errors='replace')[-6000:]}")
    peak_mb = usage.ru_maxrss / 1024
    summary = json.loads((out / "season-summary.json").read_text(encoding="utf-8"))
    return {"seconds": seconds, "peak_mb": peak_mb, "stages": summary.get("stage_seconds", {}),
            "cpu_s": usage.ru_utime + usage.ru_stime}  # with the helpers it waited for (Prefect's server)


def before(revision: str, season: Path, out: Path, markets: list[str]) -> dict[str, Any]:
    """`localize run` of the code at `revision`, from a temporary git worktree."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="season-bench-code-") as folder:
        code = Path(folder) / "code"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(code), revision], check=True,
                       capture_output=True)
        try:
            return run_cli(season, out, markets, code)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(code)], check=False,
                           capture_output=True)


def print_shares(rows: dict[str, dict[str, Any]]) -> None:
    """Each run's stage seconds as shares of their sum, stages by their share in the first run."""
    runs = [mode for mode, row in rows.items() if row.get("stages") and mode != "warm"]
    if not runs:
        return
    first = rows[runs[0]]["stages"]
    stages = sorted({stage for mode in runs for stage in rows[mode]["stages"]}, key=lambda s: -first.get(s, 0.0))
    print("\nStage shares (seconds summed over the pieces, share of that sum):")
    print(f"{'stage':<15}" + "".join(f"{mode:>20}" for mode in runs))
    for stage in stages:
        cells = []
        for mode in runs:
            got = rows[mode]["stages"]
            total = sum(got.values()) or 1.0
            cells.append(f"{got.get(stage, 0.0):9.1f} s {100 * got.get(stage, 0.0) / total:5.1f}%")
        print(f"{stage:<15}" + "".join(f"{cell:>20}" for cell in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--markets", default="en-US,es-419,pt-BR")
    parser.add_argument("--modes", default="direct,prefect-1,prefect-N,warm",
                        help="runs, in order, from: cli, direct, prefect-1, prefect-N, warm (warm follows prefect-N)")
    parser.add_argument("--dask", action="store_true", help="also a Dask LocalCluster of 1 and of 2 workers")
    parser.add_argument("--before", metavar="REV", help="also `localize run` of the code at this git revision")
    parser.add_argument("--only-dask", action="store_true", help="only the two Dask runs")
    parser.add_argument("--rounds", type=int, default=1, help="run everything this many times, alternating")
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
    rows: dict[str, dict[str, Any]] = {}
    folders = {"cli": "cli", "direct": "direct", "prefect-1": "p1", "prefect-N": "pn", "warm": "pn"}
    unknown = set(args.modes.split(",")) - set(folders)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; known: {', '.join(folders)}")
    modes = [] if args.only_dask else [(mode, folders[mode]) for mode in args.modes.split(",")]
    if args.dask or args.only_dask:
        modes += [("dask-1", "d1"), ("dask-2", "d2")]
    for round_ in range(1, max(1, args.rounds) + 1):
        label = "" if args.rounds <= 1 else f" #{round_}"
        with tempfile.TemporaryDirectory(prefix="season-bench-") as tmp:  # cold: a new OUT every round
            if args.before:
                key = f"before {args.before}{label}"
                rows[key] = before(args.before, args.season, Path(tmp) / "before" / "out", markets)
                print(f"  {key}: {rows[key]['seconds']:.1f} s", flush=True)
            for mode, out in modes:
                rows[mode + label] = spawn("prefect-N" if mode == "warm" else mode, args.season,
                                           Path(tmp) / out / "out", markets)
                print(f"  {mode}{label}: {rows[mode + label]['seconds']:.1f} s", flush=True)
    print(f"\nSample season: {media_seconds:.1f} s of episodes x {len(markets)} markets, previews on")
    print(f"{'run':<12} {'wall s':>8} {'market-s per s':>15} {'peak MB':>8} {'CPU s':>7} {'cores busy':>10}")
    for mode, row in rows.items():
        print(f"{mode:<12} {row['seconds']:8.1f} {work / row['seconds']:15.2f} {row['peak_mb']:8.0f}"
              f" {row['cpu_s']:7.0f} {row['cpu_s'] / row['seconds']:10.2f}")
    first = "" if args.rounds <= 1 else " #1"  # the ratios and shares below: the first round's runs

    def ratio(a: str, b: str) -> str:
        a, b = a + first, b + first
        return f"{rows[a]['seconds'] / rows[b]['seconds']:.3f}" if a in rows and b in rows else "not run"

    print(f"\nPrefect overhead (prefect-1 / direct):        {ratio('prefect-1', 'direct')}   goal <= 1.10")
    print(f"concurrent / sequential (prefect-N / -1):     {ratio('prefect-N', 'prefect-1')}   goal <= 0.70")
    print(f"warm / cold (warm / prefect-N):               {ratio('warm', 'prefect-N')}   goal <= 0.05")
    print(f"Dask LocalCluster 2 workers / 1 worker:       {ratio('dask-2', 'dask-1')}")
    if args.rounds > 1 and args.before and "cli" in args.modes.split(","):
        print_rounds(rows, f"before {args.before}", args.rounds, work)
    print_shares({mode: row for mode, row in rows.items() if mode.endswith(first)})
    return 0


def print_rounds(rows: dict[str, dict[str, Any]], before_key: str, rounds: int, work: float) -> None:
    """The median of each side over the rounds, and each round's after/before ratio."""
    import statistics

    after = [rows[f"cli #{k}"]["seconds"] for k in range(1, rounds + 1)]
    earlier = [rows[f"{before_key} #{k}"]["seconds"] for k in range(1, rounds + 1)]
    print(f"\n{rounds} rounds, alternating:")
    print(f"  {before_key}: median {statistics.median(earlier):.1f} s "
          f"({work / statistics.median(earlier):.2f} market-s per s)")
    print(f"  cli: median {statistics.median(after):.1f} s ({work / statistics.median(after):.2f} market-s per s)")
    print("  cli / before, each round: " + ", ".join(f"{a / b:.3f}" for a, b in zip(after, earlier, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
