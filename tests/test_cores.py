"""Cores shared among the pieces of a season run: each model library gets its share, not the machine."""

from __future__ import annotations

import pytest
import torch

from localize import cores


@pytest.fixture(autouse=True)
def four_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    for name in cores.ENV:
        monkeypatch.delenv(name, raising=False)


def test_pieces_at_once_divide_the_cores_and_the_share_ends_with_the_block() -> None:
    assert cores.per_piece() == 4
    with cores.shared_by(2):
        assert cores.per_piece() == 2
        with cores.shared_by(8):
            assert cores.per_piece() == 1  # never none
        assert cores.per_piece() == 2
    assert cores.per_piece() == 4


def test_a_person_s_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALIZE_THREADS", "3")
    with cores.shared_by(2):
        assert cores.per_piece() == 3
    monkeypatch.delenv("LOCALIZE_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Dask gives each worker process
    assert cores.per_piece() == 1


def test_torch_takes_the_share() -> None:
    before = torch.get_num_threads()
    try:
        with cores.shared_by(4):
            cores.use_in_torch(torch)
            assert torch.get_num_threads() == 1
        cores.use_in_torch(torch)
        assert torch.get_num_threads() == 4
    finally:
        torch.set_num_threads(before)


def test_a_piece_waiting_for_a_model_leaves_its_cores_to_the_piece_running_it() -> None:
    import threading
    from types import SimpleNamespace

    from localize.translate import hf_adapter

    model = SimpleNamespace(lock=threading.Lock())
    seen: list[int] = []

    def second_piece() -> None:
        with hf_adapter._running(model):  # type: ignore[arg-type]
            seen.append(cores.per_working_piece())

    before = torch.get_num_threads()
    try:
        with cores.shared_by(2):
            with hf_adapter._running(model):  # type: ignore[arg-type]
                assert cores.per_working_piece() == 2
                other = threading.Thread(target=second_piece)
                other.start()
                for _ in range(500):  # until the second piece waits for the model
                    if cores.per_working_piece() == 4:
                        break
                    threading.Event().wait(0.01)
                seen.append(cores.per_working_piece())  # the one running the model may use all four now
                assert cores.per_piece() == 2  # models loaded with fixed threads are found again
            other.join(5)
        assert seen == [4, 2]  # the second ran once the first let go, on its own share again
    finally:
        torch.set_num_threads(before)
