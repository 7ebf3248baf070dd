"""How many cores each model library may use: this process's cores, shared among the pieces of work
that run in it at once.

torch, onnxruntime and CTranslate2 each start a pool of threads as wide as the machine. A season run
works on two or more pieces at once (localize.season_run, flows/season.py), and two such pools on two
cores do not add up: their threads spin while waiting for each other (measured on the sample season,
2 cores, 2 workers: translation took 18 times as long as on 1 worker, and the whole run used 41% more
CPU time). So a run says how many pieces it works on (`shared_by`), and each adapter asks `per_piece`
when it loads a model or runs one.

$LOCALIZE_THREADS (or the older $LOCALIZE_TORCH_THREADS, then $OMP_NUM_THREADS, which Dask sets per
worker process) overrides the share.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENV = ("LOCALIZE_THREADS", "LOCALIZE_TORCH_THREADS", "OMP_NUM_THREADS")
MOST = 8  # more threads than this do not speed up the models used here

_pieces = 1
_lock = threading.Lock()


def available() -> int:
    """The cores this process may run on (at most MOST)."""
    return max(1, min(len(os.sched_getaffinity(0)), MOST))


def per_piece() -> int:
    """Threads one model call may use now: the override, else the cores divided among the pieces."""
    for name in ENV:
        wanted = os.environ.get(name, "")
        if wanted.isdigit() and int(wanted) > 0:
            return int(wanted)
    return max(1, available() // _pieces)


@contextmanager
def shared_by(pieces: int) -> Iterator[None]:
    """While the block runs, `pieces` pieces of work share this process's cores."""
    global _pieces
    with _lock:
        before, _pieces = _pieces, max(1, pieces)
    try:
        yield
    finally:
        with _lock:
            _pieces = before


def use_in_torch(torch: Any) -> None:
    """torch's intra-op threads set to the share (a process-wide setting in torch; cheap when unchanged)."""
    wanted = per_piece()
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
