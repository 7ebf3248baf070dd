"""The models a run needs load in the background while Prefect starts: the stages' own loaders, each
model once, a failure left for the stage to report."""

from __future__ import annotations

from pathlib import Path

import pytest

from localize import warmup
from localize.asr import whisper
from localize.markets import EngineSpec, get_market, with_engine
from localize.picture import ocr
from localize.pipeline import RunSettings
from localize.translate import hf_adapter


def test_the_run_s_models_load_in_the_background_and_a_failure_is_left_to_the_stage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    monkeypatch.setattr(whisper, "load_model", lambda options: loaded.append(f"asr {options.model}"))
    monkeypatch.setattr(ocr, "load_engine", lambda device="cpu": loaded.append(f"ocr {device}"))

    def causal(model: str, device: str = "cpu", dtype: str = "auto") -> None:
        loaded.append(f"lm {model}")
        if model == "broken":
            raise OSError("no such model")

    monkeypatch.setattr(hf_adapter, "load_causal_lm", causal)
    markets = [get_market("en-US"), get_market("es-419"),  # the same model: loaded once
               with_engine(get_market("pt-BR"), EngineSpec("causal-lm", "broken")),
               with_engine(get_market("ja-JP"), EngineSpec("openai", "qwen"))]  # a server: nothing to load
    settings = RunSettings(out_dir=tmp_path)
    warmup.start(settings.asr, settings.picture, markets).join(timeout=60)
    assert loaded == ["asr base", "ocr cpu", "lm gemma3-270m", "lm broken"]
