"""The models a season run needs, loaded in the background while Prefect starts.

Before a cold `localize run` does any work, Prefect imports itself and starts its temporary server
(about 12 s on 2 cores, most of it waiting for the server to answer). The first pieces of the season
then load the speech, OCR and translation models one after the other. Loading them on a thread of
their own while Prefect starts does that work in time that is otherwise spent waiting.

Each loader keeps what it loads for the process (they are the same calls the stages make, with the
same settings and share of the cores), so a stage finds its model ready, or waits for the load under
way. A model that fails to load here is not reported: the stage that needs it reports it, as always.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial

from localize.asr.options import AsrOptions
from localize.asr.source import PictureOptions
from localize.markets import Market

log = logging.getLogger("localize")


def loaders(asr: AsrOptions, picture: PictureOptions, markets: Sequence[Market]
            ) -> list[tuple[str, Callable[[], object]]]:
    """What the run will load, slowest to need first: the speech model, the OCR models, each local
    translation model."""
    from localize.asr import whisper
    from localize.asr.source import onnx_device

    found: list[tuple[str, Callable[[], object]]] = [("ASR model", partial(whisper.load_model, asr))]
    if picture.enabled:
        from localize.picture.ocr import load_engine

        found.append(("OCR models", lambda: load_engine(device=onnx_device(picture.device))))
    for spec in dict.fromkeys(market.engine for market in markets if market.engine.name == "causal-lm"):
        from localize.translate import hf_adapter

        found.append((f"translation model {spec.model}",
                      partial(hf_adapter.load_causal_lm, spec.model, spec.device, spec.dtype)))
    return found


def start(asr: AsrOptions, picture: PictureOptions, markets: Sequence[Market]) -> threading.Thread:
    """Load them on a background thread (a daemon: it never keeps the process alive)."""
    def work() -> None:
        for name, load in loaders(asr, picture, markets):
            try:
                load()
            except Exception as exc:  # the stage that needs it reports it
                log.debug("%s not loaded ahead (%s)", name, exc)

    thread = threading.Thread(target=work, name="localize-warmup", daemon=True)
    thread.start()
    return thread
