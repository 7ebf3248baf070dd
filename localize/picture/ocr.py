"""The only module that imports rapidocr_onnxruntime: read Chinese text in a picture (OpenCV: localize.picture.cv).

The PP-OCRv4 detection and recognition ONNX models ship inside the rapidocr-onnxruntime
wheel (Apache-2.0); their sha256 is pinned here like the other bundled models.
Burned-in subtitles are upright, so the orientation classifier is never run.

Detection is the expensive half (seconds on a full 1080x1920 frame): callers pass a
`scale` so it runs on a reduced copy; recognition always reads the full-resolution crop.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from localize import cores
from localize.errors import MissingDependencyError, ModelError
from localize.fsutil import sha256_file
from localize.types import Box

log = logging.getLogger("localize")

PACKAGE = "rapidocr_onnxruntime"
MODEL_SHA256 = {
    "ch_PP-OCRv4_det_infer.onnx": "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
    "ch_PP-OCRv4_rec_infer.onnx": "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
}
_INSTALL_HINT = "pip install rapidocr-onnxruntime==1.4.4 (it is in localize's dependencies)"
_PAD = 8  # pixels around a detected box for recognition: strokes touch the detector's edge
_REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"


@dataclass(frozen=True)
class TextLine:
    """One text line found in an image: where, what, and how sure the recogniser was."""

    box: Box
    text: str
    confidence: float


def models_folder() -> Path:
    try:
        return Path(str(files(PACKAGE).joinpath("models")))
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("rapidocr-onnxruntime", _INSTALL_HINT) from exc


def verify_models() -> Path:
    """Check the bundled OCR models against their pinned sha256; return their folder."""
    folder = models_folder()
    for name, expected in MODEL_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"OCR model {path} is missing; reinstall: {_INSTALL_HINT}")
        if sha256_file(path) != expected:
            raise ModelError(f"OCR model {path} does not match its pinned sha256; reinstall: {_INSTALL_HINT}")
    return folder


class OcrEngine:
    """PP-OCRv4 through rapidocr: `detect` boxes on a scaled copy, `recognize` a full-resolution crop.

    Images are numpy arrays, RGB (height, width, 3) or grey (height, width), as localize.media decodes them.
    """

    def __init__(self, threads: int = 0, device: str = "cpu") -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise MissingDependencyError("rapidocr-onnxruntime", _INSTALL_HINT) from exc
        verify_models()
        use_cuda = device == "cuda"
        self.device = device
        self._dictionary: frozenset[str] | None = None
        # limit_type "max": never upscale the (already reduced) image before detection.
        self._ocr = RapidOCR(det_limit_type="max", det_limit_side_len=960, det_use_cuda=use_cuda,
                             rec_use_cuda=use_cuda, intra_op_num_threads=threads,
                             inter_op_num_threads=1)

    def detect(self, image: np.ndarray, scale: float = 1.0) -> list[Box]:
        """Text boxes in `image` coordinates, found on a copy resized by `scale` (0 < scale <= 1)."""
        from localize.picture import cv

        small = image if scale >= 1.0 else cv.resize(image, scale)
        found, _ = self._ocr(_bgr(small), use_det=True, use_cls=False, use_rec=False)
        height, width = image.shape[:2]
        boxes = []
        for quad in found or ():
            points = np.asarray(quad, dtype=np.float64) / scale
            x0, y0 = np.floor(points.min(axis=0)).astype(int)
            x1, y1 = np.ceil(points.max(axis=0)).astype(int)
            box = Box(max(0, int(x0)), max(0, int(y0)), min(width, int(x1)), min(height, int(y1)))
            if box.width > 2 and box.height > 2:
                boxes.append(box)
        return boxes

    def recognize(self, image: np.ndarray, box: Box) -> tuple[str, float]:
        """The text of one line's box, read at full resolution, and its score (0-1).

        Characters the recogniser's dictionary lacks (written Cantonese) are recovered from
        the glyphs' shapes (localize.picture.glyphs).
        """
        from localize.picture.glyphs import complete

        height, width = image.shape[:2]
        crop = image[max(0, box.y0 - _PAD):min(height, box.y1 + _PAD), max(0, box.x0 - _PAD):min(width, box.x1 + _PAD)]
        found, _ = self._ocr(_bgr(crop), use_det=True, use_cls=False, use_rec=True, return_word_box=True)
        if not found:
            return "", 0.0
        grey = crop if crop.ndim == 2 else crop.mean(axis=2)
        parts, scores = [], []
        for quad, text, score, *rest in sorted(found, key=lambda item: min(p[0] for p in item[0])):
            left, right = round(min(p[0] for p in quad)), round(max(p[0] for p in quad))  # this part only
            spans = [(round(min(p[0] for p in w)) - left, round(max(p[0] for p in w)) - left)
                     for w in (rest[0] if rest else [])]
            parts.append(complete(grey[:, left:right], str(text).strip(), spans, self.dictionary,
                                  read_part=self.read_glyph))
            scores.append(float(score))
        return "".join(parts), sum(scores) / len(scores)

    def read_glyph(self, image: np.ndarray, min_score: float = 0.5) -> str:
        """What the recogniser reads in a small image holding one glyph or part of one ("" if unsure)."""
        padded = np.pad(np.asarray(image, dtype=np.uint8), ((4, 4), (6, 6)) + ((0, 0),) * (image.ndim - 2))
        found, _ = self._ocr(_bgr(padded), use_det=False, use_cls=False, use_rec=True)
        if not found:
            return ""
        text, score = found[0][0], float(found[0][1])
        return str(text).strip() if score >= min_score else ""

    @property
    def dictionary(self) -> frozenset[str]:
        """Every character the recogniser can write (stored in the model's metadata)."""
        if self._dictionary is None:
            import onnxruntime

            session = onnxruntime.InferenceSession(str(models_folder() / _REC_MODEL),
                                                   providers=["CPUExecutionProvider"])
            self._dictionary = frozenset(session.get_modelmeta().custom_metadata_map["character"].splitlines())
        return self._dictionary

    def read(self, image: np.ndarray, scale: float = 1.0, min_confidence: float = 0.5) -> list[TextLine]:
        """Detect then recognise: every readable line, top to bottom, left to right."""
        lines = []
        for box in self.detect(image, scale):
            text, score = self.recognize(image, box)
            if text and score >= min_confidence:
                lines.append(TextLine(box, text, score))
        lines.sort(key=lambda line: (line.box.y0 // max(1, line.box.height // 2), line.box.x0))
        return lines


def _bgr(image: np.ndarray) -> np.ndarray:
    """Our frames are RGB or grey (localize.media); the models were trained on OpenCV's BGR."""
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    return np.ascontiguousarray(image[:, :, ::-1])


_engines: dict[tuple[int, str], OcrEngine] = {}
_lock = threading.Lock()


def load_engine(threads: int = 0, device: str = "cpu") -> OcrEngine:
    """One engine per process and settings (the ONNX sessions take a second to build)."""
    threads = threads or cores.per_piece()  # 0: this process's share of the cores (localize.cores)
    with _lock:
        key = (threads, device)
        if key not in _engines:
            log.info("loading OCR models from %s", models_folder())
            _engines[key] = OcrEngine(threads=threads, device=device)
        return _engines[key]


def engine_info() -> dict[str, Any]:
    """What the QA report and `localize models` say about the OCR models."""
    return {"package": PACKAGE, "models": sorted(MODEL_SHA256), "folder": str(models_folder())}
