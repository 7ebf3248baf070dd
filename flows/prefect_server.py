"""Prefect's temporary API server for one run: the one place this project starts a server process.

Started by `localize run` before Prefect is imported (flows.settings applies the other settings first);
`flows.launch.execute` waits for it with `ready`.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from localize.errors import UserError


class TemporaryServer:
    """Prefect's API server for this process, started before Prefect is imported.

    Without PREFECT_API_URL, Prefect starts the same server (uvicorn serving
    prefect.server.api.server:create_app, UI off) at the first flow, and the run waits for it: ~5 s on
    an idle 2-core machine, ~13 s while the models load, after importing the server's modules in this
    process too (5.6 s there, measured with py-spy on a one-episode run). Started here, it comes up
    while the run imports its flows and loads its models; PREFECT_API_URL points Prefect (and any Dask
    worker started from this process) at it. `ready` waits until it answers; it stops with the process.
    """

    STARTUP_S = 90.0

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._start()
        atexit.register(self.stop)

    @classmethod
    def wanted(cls) -> bool:
        """Whether Prefect, imported now, would start a temporary server: no server configured, none
        refused. Once Prefect is imported its settings are fixed, and it would not use this one."""
        allowed = os.environ.get("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "true").lower() not in ("0", "false")
        return not os.environ.get("PREFECT_API_URL") and allowed and "prefect" not in sys.modules

    def _start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        # a file, not a pipe: a full pipe would stall the server; closed with this object
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdout=subprocess.DEVNULL, stderr=self._errors)
        self.url = f"http://127.0.0.1:{port}/api"
        os.environ["PREFECT_API_URL"] = self.url

    def ready(self) -> None:
        """Wait until the server answers (once more on a new port if another process took this one)."""
        deadline = time.monotonic() + self.STARTUP_S
        restarted = False
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                if restarted:
                    break
                restarted = True
                self._start()
                continue
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:  # loopback only
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self._errors.seek(0)
        said = self._errors.read().decode(errors="replace").strip()[-800:]
        self.stop()
        raise UserError(f"Prefect's temporary server at {self.url} did not start in {self.STARTUP_S:.0f} s"
                        f"{': ' + said if said else ''} (or set PREFECT_API_URL to a running Prefect server)")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
