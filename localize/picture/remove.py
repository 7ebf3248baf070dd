"""Take the burned-in Chinese line out of the picture, and measure how much of it OCR can still read.

Modes (`REMOVAL_MODES`), chosen per series in localize.toml `[picture] removal`:

    inpaint  the text's pixels are filled from their surroundings (OpenCV Telea / Navier-Stokes),
             frame by frame, only while an OCR cue is on screen, only inside its box
    blur     the line's box is blurred beyond reading while it is on screen
    box      the picture is left alone; the ASS draws an opaque box over the band (localize.subtitle)
    avoid    the picture is left alone; the new subtitles are placed clear of the band, above it

`inpaint` and `blur` rewrite the picture once per episode, whatever the markets: every frame is
taken at the preview's size (localize.media.preview_size) as the decoder's I420 planes, the few rows
of a shown line go to RGB, are changed and go back, and the planes are encoded without sound (each
market's preview adds its dub). Frames where no line is shown pass through unchanged, never converted.
The frames come from the decode that read the lines (a `media.Spill`), so the episode is decoded
once; without one (a reading kept from an earlier run), they are decoded here.

The check (`residual`): the middle frame of each cue is read again with the OCR models, the band
enlarged back to the size OCR first read it at, and the characters of the cue's text that the
reading still contains are counted. `clean_picture` reads the cleaned frames as they are written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize import media
from localize.errors import MediaError, UnknownNameError
from localize.picture import cv
from localize.picture.band import is_static
from localize.picture.cues import subtitle_mask
from localize.picture.ocr import OcrEngine, TextLine
from localize.types import Box, MediaInfo, OcrCue, TextBand

log = logging.getLogger("localize")

REMOVAL_MODES = ("inpaint", "blur", "box", "avoid")
PICTURE_MODES = ("inpaint", "blur")  # the modes that rewrite the picture
INPAINT_METHODS = ("telea", "ns")


@dataclass(frozen=True)
class RemovalOptions:
    """How the burned-in line is removed (sizes in pixels of the original frame).

    mode: one of REMOVAL_MODES.
    method: inpainting algorithm, "telea" (fast marching) or "ns" (Navier-Stokes).
    pad_px: strokes are looked for this far around the line's OCR box (outlines reach past it).
    grow_px: the stroke mask grows this much, to take the outline, shadow and antialiasing too.
    radius_px: the neighbourhood inpainting fills each pixel from.
    blur_share: blur strength (Gaussian sigma) as a share of the line's height.
    height: the cleaned picture's height (never enlarged); media.PREVIEW_HEIGHT so previews decode it as is.
    check_cues: at most this many cues, spread over the episode, are read again for the residual share.
    """

    mode: str = "inpaint"
    method: str = "telea"
    pad_px: int = 12
    grow_px: int = 10
    radius_px: int = 6
    blur_share: float = 0.35
    height: int | None = media.PREVIEW_HEIGHT
    check_cues: int = 30

    def __post_init__(self) -> None:
        if self.mode not in REMOVAL_MODES:
            raise UnknownNameError("removal mode", self.mode, REMOVAL_MODES)
        if self.method not in INPAINT_METHODS:
            raise UnknownNameError("inpainting method", self.method, INPAINT_METHODS)

    @property
    def rewrites_picture(self) -> bool:
        return self.mode in PICTURE_MODES


@dataclass(frozen=True)
class Residual:
    """Characters of the burned-in lines, and how many of them OCR still reads in the picture."""

    characters: int
    readable: int
    cues_read: int

    @property
    def share(self) -> float:
        return self.readable / self.characters if self.characters else 0.0


@dataclass(frozen=True)
class CleanPicture:
    """An episode's picture without its burned-in line, or a note that it was left alone.

    path: the cleaned picture (H.264, no sound, at the preview's size); None when the mode keeps
        the original (box, avoid) or the episode has no burned-in line.
    residual_share: share of the burned-in Chinese characters OCR still reads after removal;
        None when not measured (box and avoid do not change the picture).
    """

    mode: str
    path: Path | None = None
    residual_share: float | None = None


def _scaled(box: Box, sx: float, sy: float, pad: int, width: int, height: int) -> Box:
    return Box(max(0, int(box.x0 * sx) - pad), max(0, int(box.y0 * sy) - pad),
               min(width, int(np.ceil(box.x1 * sx)) + pad), min(height, int(np.ceil(box.y1 * sy)) + pad))


def _luma(rgb: np.ndarray) -> np.ndarray:
    """Grey as ffmpeg's `gray` decodes it (BT.601 luma), which subtitle_mask's thresholds expect."""
    return (rgb @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)


def _inpaint(frame: np.ndarray, box: Box, grow: int, radius: int, method: str) -> None:
    """Fill the strokes inside `box` (in place), reading context from a margin around it."""
    mask = cv.dilate(subtitle_mask(_luma(frame[box.y0:box.y1, box.x0:box.x1]), step=1), grow)
    if not mask.any():
        return
    height, width = frame.shape[:2]
    margin = radius + 2
    y0, x0 = max(0, box.y0 - margin), max(0, box.x0 - margin)
    y1, x1 = min(height, box.y1 + margin), min(width, box.x1 + margin)
    context = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    context[box.y0 - y0:box.y1 - y0, box.x0 - x0:box.x1 - x0] = mask
    frame[y0:y1, x0:x1] = cv.inpaint(frame[y0:y1, x0:x1], context, radius, "ns" if method == "ns" else "telea")


def clean_frame(frame: np.ndarray, boxes: Sequence[Box], options: RemovalOptions, scale: float) -> np.ndarray:
    """`frame` (RGB, at `scale` of the original) with the lines in `boxes` (original pixels) removed."""
    if not boxes or not options.rewrites_picture:
        return frame
    out = frame.copy()
    height, width = out.shape[:2]
    _clean_rows(out, _placed(boxes, options, scale, width, height), 0, options, scale)
    return out


def clean_i420(frame: np.ndarray, boxes: Sequence[Box], options: RemovalOptions, scale: float) -> np.ndarray:
    """`frame` as I420 planes (height * 3 / 2 rows, even sizes) with the lines in `boxes` removed, as
    `clean_frame` removes them: only the rows around the lines go to RGB and back, the rest is untouched."""
    height, width = frame.shape[0] * 2 // 3, frame.shape[1]
    placed = _placed(boxes, options, scale, width, height) if options.rewrites_picture else []
    if not placed:
        return frame
    reach = max(1, round(options.radius_px * scale)) + 2  # the context _inpaint reads around a box
    top = max(0, min(box.y0 for _, box in placed) - reach) // 2 * 2
    bottom = min(height, (max(box.y1 for _, box in placed) + reach + 1) // 2 * 2)
    out = frame.copy()
    planes = _planes(out, width, height)
    rows = [(top, bottom), (top // 2, bottom // 2), (top // 2, bottom // 2)]
    strip = np.concatenate([plane[a:b].ravel() for plane, (a, b) in zip(planes, rows, strict=True)])
    rgb = cv.i420_to_rgb(strip.reshape((bottom - top) * 3 // 2, width))
    _clean_rows(rgb, placed, top, options, scale)
    cleaned = cv.rgb_to_i420(rgb).ravel()
    start = 0
    for plane, (a, b) in zip(planes, rows, strict=True):
        size = (b - a) * plane.shape[1]
        plane[a:b] = cleaned[start:start + size].reshape(b - a, plane.shape[1])
        start += size
    return out


def _planes(i420: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """Views of the Y, U and V planes of an I420 frame."""
    flat = i420.reshape(-1)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return [flat[:luma].reshape(height, width), flat[luma:luma + chroma].reshape(height // 2, width // 2),
            flat[luma + chroma:luma + 2 * chroma].reshape(height // 2, width // 2)]


def _placed(boxes: Sequence[Box], options: RemovalOptions, scale: float, width: int,
            height: int) -> list[tuple[Box, Box]]:
    """Each line's box (original pixels) with where it is cleaned in the frame's pixels, padded (lines the
    frame's edges leave empty dropped)."""
    scaled = [(line, _scaled(line, scale, scale, round(options.pad_px * scale), width, height)) for line in boxes]
    return [(line, box) for line, box in scaled if box.width > 0 and box.height > 0]


def _clean_rows(rgb: np.ndarray, placed: Sequence[tuple[Box, Box]], top: int, options: RemovalOptions,
                scale: float) -> None:
    """Remove the `placed` lines from `rgb`, the frame's rows from `top` on (in place)."""
    for line, frame_box in placed:
        box = Box(frame_box.x0, frame_box.y0 - top, frame_box.x1, frame_box.y1 - top)
        if options.mode == "inpaint":
            _inpaint(rgb, box, max(1, round(options.grow_px * scale)), max(1, round(options.radius_px * scale)),
                     options.method)
        else:
            sigma = max(2.0, options.blur_share * line.height * scale)
            rgb[box.y0:box.y1, box.x0:box.x1] = cv.blur(rgb[box.y0:box.y1, box.x0:box.x1], sigma)


def shown_boxes(cues: Sequence[OcrCue]) -> dict[int, list[Box]]:
    """Frame number -> boxes of the lines on screen in that frame (frames without a line are absent)."""
    shown: dict[int, list[Box]] = {}
    for cue in cues:
        for number in range(cue.first_frame, cue.last_frame + 1):
            shown.setdefault(number, []).append(cue.box)
    return shown


def removal_size(info: MediaInfo, options: RemovalOptions) -> tuple[int, int]:
    """The size the cleaned picture is made at (the preview's)."""
    if not info.width or not info.height:
        raise ValueError(f"{info.path} has no picture")  # callers check: a bug if reached
    return media.preview_size(info.width, info.height, options.height)


def remove_lines(info: MediaInfo, cues: Sequence[OcrCue], dst: Path, options: RemovalOptions,
                 spill: media.Spill | None = None, keep: Iterable[int] = ()) -> dict[int, np.ndarray]:
    """Write the episode's picture without its burned-in lines (no sound) to `dst`, at `options.height`;
    returns the cleaned frames numbered in `keep`. `spill`: the frames, if it holds this video's."""
    size = removal_size(info, options)
    if size[0] % 2 or size[1] % 2:
        raise MediaError(info.path, f"its picture would be cleaned at {size[0]}x{size[1]}, and H.264 (the cleaned "
                         "picture, the previews) needs an even width and height: re-encode it at an even size, "
                         "e.g. ffmpeg -i IN -vf scale=trunc(iw/2)*2:trunc(ih/2)*2 OUT")
    scale = size[1] / (info.height or size[1])
    kept = spill.frames(info.path) if spill and (spill.width, spill.height) == size else None
    frames = kept if kept is not None else media.video_frames(info.path, info.width or 0, info.height or 0,
                                                              size=size, i420=True)
    shown, wanted, seen = shown_boxes(cues), set(keep), {}

    def cleaned() -> Iterator[np.ndarray]:
        for number, frame in frames:
            out = clean_i420(frame, shown.get(number, ()), options, scale)
            if number in wanted:
                seen[number] = cv.i420_to_rgb(out)
            yield out

    media.encode_frames(cleaned(), dst, size[0], size[1], info.fps or 25.0, i420=True)
    log.info("%s: burned-in lines removed (%s, %d lines%s) -> %s", info.path.name, options.mode, len(cues),
             "" if kept is None else ", frames from the reading's decode", dst)
    return seen


def _characters(text: str) -> Counter[str]:
    return Counter(ch for ch in text if ch.isalnum())


def _spread(cues: Sequence[OcrCue], count: int) -> list[OcrCue]:
    if len(cues) <= count:
        return list(cues)
    return [cues[(len(cues) * (2 * i + 1)) // (2 * count)] for i in range(count)]


def checked_frames(cues: Sequence[OcrCue], max_cues: int = RemovalOptions.check_cues) -> dict[int, list[OcrCue]]:
    """The frames `residual` reads (the middle one of each of up to `max_cues` cues, spread), with their cues."""
    at: dict[int, list[OcrCue]] = {}
    for cue in _spread([cue for cue in cues if _characters(cue.text)], max_cues):
        at.setdefault((cue.first_frame + cue.last_frame) // 2, []).append(cue)
    return at


def residual(video: Path, cues: Sequence[OcrCue], band: TextBand, engine: OcrEngine,
             max_cues: int = RemovalOptions.check_cues, frames: dict[int, np.ndarray] | None = None) -> Residual:
    """How many of the cues' characters OCR reads in `video`'s band, in the middle frame of each cue.

    `video` may be the original, a cleaned picture or a preview, at any size of the same aspect:
    its band is enlarged back to the original frame's size, then read as localize.picture.cues does.
    `frames`: those middle frames (RGB, `checked_frames`) as they were written to `video`, not decoded again.
    """
    at = checked_frames(cues, max_cues)
    if not at:
        return Residual(0, 0, 0)
    if frames is not None and set(at) <= set(frames):
        height, width = next(iter(frames.values())).shape[:2]
    else:
        frames = None
        info = media.probe(video)
        if not info.width or not info.height:
            raise ValueError(f"{video} has no picture")
        width, height = info.width, info.height
    sx, sy = width / band.frame_width, height / band.frame_height
    crop = _scaled(band.box, sx, sy, 0, width, height)
    if frames is None:
        greys: Iterable[tuple[int, np.ndarray]] = media.video_frames(
            video, width, height, gray=True, frame_numbers=sorted(at), crop=(crop.x0, crop.y0, crop.x1, crop.y1))
    else:
        greys = ((n, _luma(frames[n][crop.y0:crop.y1, crop.x0:crop.x1])) for n in sorted(at))
    characters = readable = 0
    for number, grey in greys:
        image = grey if sy >= 1.0 else cv.resize(grey, 1.0 / sy)
        offset = round(crop.y0 / sy)
        lines = [TextLine(Box(line.box.x0, line.box.y0 + offset, line.box.x1, line.box.y1 + offset), line.text,
                          line.confidence) for line in engine.read(image, scale=0.5, min_confidence=0.5)]
        seen = _characters("".join(line.text for line in lines if not is_static(line, band.static)))
        for cue in at[number]:
            wanted = _characters(cue.text)
            characters += sum(wanted.values())
            readable += sum((wanted & seen).values())
    return Residual(characters, readable, sum(len(listed) for listed in at.values()))


def clean_picture(info: MediaInfo, band: TextBand | None, cues: Sequence[OcrCue], dst: Path,
                  options: RemovalOptions, engine: OcrEngine | None = None,
                  spill: media.Spill | None = None) -> CleanPicture:
    """The removal stage: rewrite the picture (inpaint, blur) and measure what OCR still reads in it.

    Nothing is written for box and avoid, or when the episode shows no burned-in line. `spill`: the
    frames the reading of the lines kept (read instead of decoding the episode again).
    """
    if not options.rewrites_picture or band is None or not cues:
        return CleanPicture(options.mode)
    written = remove_lines(info, cues, dst, options, spill, keep=checked_frames(cues, options.check_cues))
    if engine is None:
        from localize.picture.ocr import load_engine

        engine = load_engine()
    left = residual(dst, cues, band, engine, options.check_cues, frames=written)
    log.info("%s: OCR still reads %d of %d burned-in characters (%.1f%%) after %s", info.path.name,
             left.readable, left.characters, 100 * left.share, options.mode)
    return CleanPicture(options.mode, dst, round(left.share, 4))
