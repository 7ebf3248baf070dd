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
_waiting = 0  # pieces blocked on a model another piece is running: their share goes to the others
_lock = threading.Lock()


def available() -> int:
    """The cores this process may run on (at most MOST)."""
    return max(1, min(len(os.sched_getaffinity(0)), MOST))


def per_piece() -> int:
    """Threads one piece's model may use: the override, else the cores divided among the pieces. Models
    whose threads are fixed when loaded (CTranslate2, onnxruntime) load with this, so a load is found again."""
    return _override() or max(1, available() // _pieces)


def per_working_piece() -> int:
    """Threads one model call may use now (torch, set per call): the pieces waiting for a model another one
    runs (`waiting`) leave their share to the pieces working."""
    return _override() or max(1, available() // max(1, _pieces - _waiting))


def _override() -> int:
    for name in ENV:
        wanted = os.environ.get(name, "")
        if wanted.isdigit() and int(wanted) > 0:
            return int(wanted)
    return 0


def pieces() -> int:
    """How many pieces of work share this process's cores now (at least 1)."""
    return _pieces


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


@contextmanager
def waiting() -> Iterator[None]:
    """While the block runs, this piece only waits (for a model another piece holds): it leaves its share
    of the cores to the pieces still working. Measured on the sample season, 3 markets, 2 cores: two
    markets translated at once, one waiting on the model's lock, kept one core idle for ~45 s."""
    global _waiting
    with _lock:
        _waiting += 1
    try:
        yield
    finally:
        with _lock:
            _waiting -= 1


def use_in_torch(torch: Any) -> None:
    """torch's intra-op threads set to the share (a process-wide setting in torch; cheap when unchanged)."""
    wanted = per_working_piece()
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
