"""The only module that imports OpenCV: the few image operations localize needs, on numpy arrays.

OpenCV comes with rapidocr (its image library), so it is always there when OCR is;
it is imported lazily all the same, with a message saying what to install.
Images are RGB (height, width, 3) or grey (height, width) uint8 arrays, as localize.media decodes them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Literal

import numpy as np

from localize.errors import MissingDependencyError

_INSTALL_HINT = "pip install opencv-python==5.0.0.93 (it is in localize's dependencies)"
InpaintMethod = Literal["telea", "ns"]


def _cv2() -> ModuleType:
    try:
        import cv2
    except ImportError as exc:
        raise MissingDependencyError("opencv-python", _INSTALL_HINT) from exc
    return cv2


def resize(image: np.ndarray, scale: float) -> np.ndarray:
    """`image` resized by `scale`: area averaging to shrink, cubic to enlarge."""
    cv2 = _cv2()
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
    resized: np.ndarray = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    return resized


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """A boolean mask grown by `radius` pixels in every direction (a disc)."""
    if radius <= 0:
        return mask.astype(bool)
    cv2 = _cv2()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    grown: np.ndarray = cv2.dilate(mask.astype(np.uint8), kernel)
    return grown.astype(bool)


def inpaint(image: np.ndarray, mask: np.ndarray, radius: int = 3, method: InpaintMethod = "telea") -> np.ndarray:
    """`image` with the pixels under `mask` filled from their surroundings (Telea's or Navier-Stokes')."""
    cv2 = _cv2()
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    filled: np.ndarray = cv2.inpaint(np.ascontiguousarray(image), mask.astype(np.uint8) * 255, radius, flag)
    return filled


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A strong Gaussian blur of `image` (sigma in pixels)."""
    cv2 = _cv2()
    blurred: np.ndarray = cv2.GaussianBlur(np.ascontiguousarray(image), (0, 0), sigmaX=sigma, sigmaY=sigma,
                                           borderType=cv2.BORDER_REFLECT)
    return blurred


def i420_to_rgb(frame: np.ndarray) -> np.ndarray:
    """An I420 frame (height * 3 / 2 rows: Y, then U and V) as RGB, limited range BT.601 as ffmpeg decodes."""
    rgb: np.ndarray = _cv2().cvtColor(frame, _cv2().COLOR_YUV2RGB_I420)
    return rgb


def rgb_to_i420(rgb: np.ndarray) -> np.ndarray:
    """RGB (even height and width) as I420, the inverse of `i420_to_rgb` (a round trip changes almost no pixel)."""
    i420: np.ndarray = _cv2().cvtColor(np.ascontiguousarray(rgb), _cv2().COLOR_RGB2YUV_I420)
    return i420
