"""A season run killed with SIGKILL mid-way, then run again: it completes without redoing finished work.

Translation goes through a stub engine registered in the engine registry (it counts its calls in
a file and takes a moment per episode, so the kill lands mid-season); ASR, OCR, dub and previews
are real. The killed run is a separate process, as a crash would be.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localize import media
from localize.journal import read_status
from localize.paths import SeasonPaths

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
MARKETS = ("en-US", "es-419")

RUNNER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from localize.markets import EngineSpec, get_market, with_engine
from localize.translate import engines

class CountingEngine:
    name = "counting-stub"
    def translate(self, sources, market, context=None):
        with open(os.environ["CALLS_FILE"], "a") as handle:
            handle.write(f"{{market.code}} {{len(sources)}}\\n")
        time.sleep(float(os.environ.get("STUB_DELAY", "0")))
        return [f"Line {{i + 1}} of the scene, {{len(s)}} characters" for i, s in enumerate(sources)]

engines.ENGINES["counting-stub"] = lambda spec: CountingEngine()
from flows.season import localize_season
markets = [with_engine(get_market(code), EngineSpec("counting-stub", "none")) for code in {markets!r}]
result = localize_season(Path(sys.argv[1]), markets, Path(sys.argv[2]))
print("RAN", dict(result.ran), "REUSED", dict(result.reused), "FAILED", len(result.failures))
"""


def _season(folder: Path, tiny_episode: Path, episodes: int) -> Path:
    """Episodes that differ in content (the tiny episode's audio, shifted by a different silence)."""
    folder.mkdir()
    for n in range(1, episodes + 1):
        media.run_ffmpeg(["-i", str(tiny_episode), "-af", f"adelay={200 * n}:all=1", "-c:v", "copy",
                          "-c:a", "aac", str(folder / f"ep{n:02d}.mp4")])
    return folder


def _runner(tmp_path: Path) -> Path:
    script = tmp_path / "run_season.py"
    script.write_text(RUNNER.format(repo=str(REPO), markets=MARKETS), encoding="utf-8")
    return script


def _env(calls: Path, delay: float) -> dict[str, str]:
    env = dict(os.environ, CALLS_FILE=str(calls), STUB_DELAY=str(delay))
    env.setdefault("LOCALIZE_PREFECT_HOME", str(REPO / ".prefect-test"))
    return env


def _valid(path: Path) -> None:
    """Each kind of delivery opens as what it claims to be."""
    if path.suffix in (".srt", ".vtt"):
        assert "-->" in path.read_text(encoding="utf-8"), path
    elif path.suffix == ".ass":
        assert "[Events]" in path.read_text(encoding="utf-8"), path
    elif path.suffix == ".json":
        json.loads(path.read_text(encoding="utf-8"))
    elif path.suffix in (".mp4", ".m4a"):
        assert media.probe(path).duration_ms > 0, path


def test_killed_season_resumes_without_redoing_finished_work(tiny_episode: Path, tmp_path: Path) -> None:
    season = _season(tmp_path / "season", tiny_episode, episodes=3)
    out = tmp_path / "out"
    calls = tmp_path / "calls.txt"
    script = _runner(tmp_path)
    journal = SeasonPaths(out).journal
    child = subprocess.Popen([sys.executable, str(script), str(season), str(out)], env=_env(calls, 2.0),
                             cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    status = None
    while time.monotonic() < deadline and child.poll() is None:
        status = read_status(journal)
        if status and any(e.state == "done" for e in status.entries):
            break
        time.sleep(0.2)
    assert child.poll() is None, "the season finished before it could be killed: " + child.stdout.read().decode()
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    first_calls = calls.read_text().splitlines()
    killed = read_status(journal)
    assert killed is not None and killed.finished is None
    finished_before = {(e.episode, e.market) for e in killed.entries if e.state == "done"}
    assert 0 < len(finished_before) < 6
    for path in out.rglob("*"):  # whatever the kill interrupted, no delivery is half-written
        if path.is_file() and not path.name.startswith(".") and ".work" not in path.parts:
            _valid(path)
    stored = len(list(SeasonPaths(out).results.glob("translate-*.pkl")))

    done = subprocess.run([sys.executable, str(script), str(season), str(out)], env=_env(calls, 0.0),
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    second_calls = calls.read_text().splitlines()[len(first_calls):]
    assert len(second_calls) == 3 * len(MARKETS) - stored  # finished translations were not recomputed
    final = read_status(journal)
    assert final is not None and final.finished is not None
    assert all(e.state in ("done", "cached") for e in final.entries)
    assert {(e.episode, e.market) for e in final.entries if e.state == "cached"} >= finished_before
    assert not list(out.rglob(".*.partial-*"))  # leftovers of the kill were cleaned up
    for episode in ("ep01", "ep02", "ep03"):
        for market in MARKETS:
            for path in SeasonPaths(out).episode(episode).market(market).deliveries():
                _valid(path)
