"""Prefect's temporary server started ahead of the first flow (flows.prefect_server.TemporaryServer): the flow
runs against it, Prefect starts no second one, and it is gone when the process ends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A fresh process: Prefect reads its settings once, when first imported, so the server must be up
# (and PREFECT_API_URL set) before that, as in `localize run`.
SCRIPT = r"""
import json, sys
from flows.prefect_server import TemporaryServer
from flows.settings import configure_prefect
configure_prefect()
assert TemporaryServer.wanted()
server = TemporaryServer()
server.ready()
from prefect import flow, get_client
from prefect.server.api.server import SubprocessASGIServer

@flow(name="ahead-of-time")
def tiny() -> int:
    return 41 + 1

answer = tiny()
with get_client(sync_client=True) as client:
    runs = client.read_flow_runs()
    api = str(client.api_url)
print(json.dumps({"answer": answer, "url": server.url, "api": api, "pid": server.process.pid,
                  "states": [run.state_type.value for run in runs], "own": len(SubprocessASGIServer._instances)}))
"""


@pytest.mark.slow
def test_the_flow_runs_on_the_server_started_before_prefect_was_imported(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(LOCALIZE_PREFECT_HOME=str(tmp_path / "prefect"), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["answer"] == 42
    assert got["api"].rstrip("/") == got["url"] and got["url"].startswith("http://127.0.0.1:")
    assert got["states"] == ["COMPLETED"]  # the run is recorded on this server
    assert got["own"] == 0  # Prefect did not start a temporary server of its own
    assert not Path(f"/proc/{got['pid']}").exists() or _is_zombie(got["pid"])  # stopped with the process


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_a_server_that_does_not_answer_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.prefect_server import TemporaryServer
    from localize.errors import UserError

    monkeypatch.setattr(TemporaryServer, "STARTUP_S", 0.0)
    monkeypatch.setenv("PREFECT_API_URL", "")  # the constructor sets it; monkeypatch puts it back
    server = TemporaryServer()
    with pytest.raises(UserError, match=r"temporary server at http://127\.0\.0\.1:\d+/api did not start"):
        server.ready()
    assert server.process is None  # stopped, not left running


def test_prefect_already_imported_or_a_server_configured_starts_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import prefect  # noqa: F401  (as in this test process: its settings are fixed now)

    from flows.prefect_server import TemporaryServer

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert not TemporaryServer.wanted()
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:4200/api", "PYTHONPATH": str(REPO)}
    code = "from flows.prefect_server import TemporaryServer; print(TemporaryServer.wanted())"

    def wanted() -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.strip()

    assert wanted() == "False"
    env.pop("PREFECT_API_URL")
    assert wanted() == "True"
