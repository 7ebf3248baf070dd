"""The path a team takes to a cluster: a real Prefect server on 127.0.0.1, the project's
prefect.yaml deployed to a process work pool, a worker that picks the run up, and a season
delivered. Translation is the stub engine, registered in the worker's flow process through
LOCALIZE_PLUGINS; ASR, dub and preview are real.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"prefect server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"prefect server at {url} not healthy after {seconds} s")


def _prefect(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run([PREFECT, "--no-prompt", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


STATE = """
import asyncio, sys
from prefect.client.orchestration import get_client
async def main():
    async with get_client() as client:
        run = await client.read_flow_run(sys.argv[1])
        print(run.state.type.value, run.state.message or "")
asyncio.run(main())
"""


def test_deployment_runs_on_a_process_worker(tmp_path: Path, tiny_episode: Path) -> None:
    season = tmp_path / "season"
    season.mkdir()
    shutil.copy(tiny_episode, season / "ep01.mp4")
    (season / "localize.toml").write_text('[markets.en-US]\nengine = "echo-stub"\n', encoding="utf-8")
    out = tmp_path / "out"

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    server_env = dict(base, PREFECT_HOME=str(tmp_path / "server-home"))
    client_env = dict(base, PREFECT_HOME=str(tmp_path / "client-home"), PREFECT_API_URL=api,
                      LOCALIZE_PREFECT_HOME=str(tmp_path / "client-home"), LOCALIZE_PLUGINS="stub_engines",
                      PYTHONPATH=os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]))
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        _wait_healthy(api, server)
        _prefect(["work-pool", "create", "localize", "--type", "process"], client_env)
        _prefect(["deploy", "--name", "season"], client_env)
        launched = _prefect(["deployment", "run", "localize-launch/season",
                             "--param", f"season={season}", "--param", f"out={out}",
                             "--param", 'markets=["en-US"]', "--param", "no_ocr=true"], client_env)
        run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", launched)
        assert run_id, launched
        # One poll: the worker takes the scheduled run, runs it in a subprocess, and waits for it.
        _prefect(["worker", "start", "--pool", "localize", "--run-once"], client_env, timeout=600)
        state = subprocess.run([sys.executable, "-c", STATE, run_id.group(1)], env=client_env,
                               capture_output=True, text=True, timeout=60)
        assert state.stdout.startswith("COMPLETED"), state.stdout + state.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    srt = (out / "en-US" / "ep01.srt").read_text(encoding="utf-8")
    assert "Line 1 (" in srt  # the stub engine's words: the plugin reached the worker's flow process
    for name in ("ep01.vtt", "ep01.ass", "ep01.m4a", "ep01.mp4", "ep01.qa.json"):
        assert (out / "en-US" / name).stat().st_size > 0, name
    assert (out / "season-summary.html").is_file()
