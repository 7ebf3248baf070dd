"""Without -v, `localize` prints warnings only: the INFO lines Prefect and Dask's distributed log for
themselves (a dozen as a LocalCluster and its worker processes start and stop) stay out of the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import logging, sys
from localize.cli import configure_logging
configure_logging(verbose=sys.argv[1] == "-v")
from distributed import Client, LocalCluster
with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                  host="127.0.0.1") as cluster, Client(cluster) as client:
    assert client.submit(sum, [1, 2]).result() == 3
logging.getLogger("localize").warning("a warning of ours")
"""


def _stderr(flag: str) -> str:
    # without the setting an earlier `localize` call in this test process may have left for its workers
    env = {k: v for k, v in os.environ.items() if k != "DASK_LOGGING__DISTRIBUTED"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, flag], cwd=REPO, capture_output=True, text=True,
                          timeout=180, check=True, env=env)
    return done.stderr


def test_dask_cluster_logs_nothing_below_warning_unless_verbose() -> None:
    quiet = _stderr("")
    assert "a warning of ours" in quiet
    assert not [line for line in quiet.splitlines() if line.startswith("INFO")], quiet
    verbose = _stderr("-v")
    assert any(line.startswith("INFO") and "Worker" in line for line in verbose.splitlines()), verbose
