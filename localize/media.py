"""The only module that runs ffmpeg and ffprobe."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from localize import cores
from localize.errors import MediaError, MissingDependencyError, ToolError
from localize.fsutil import atomic_path, write_text_atomic
from localize.types import MediaInfo

log = logging.getLogger("localize")

SAMPLE_RATE_ASR = 16000
_APT_HINT = "install it with: sudo apt-get install ffmpeg"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise MissingDependencyError(name, _APT_HINT)
    return found


def _threads(*options: str) -> list[str]:
    """ffmpeg's thread options set to this piece's share of the cores (localize.cores). Left to itself
    ffmpeg starts threads for every core in its decoder, filters and x264, and while the other pieces keep
    those cores busy the threads only cost: 1 thread each took 25-30% less CPU time to decode an episode
    (1080x1920, with the band and the 540x960 frames) and 18% less to render a preview (2 cores)."""
    count = str(cores.per_piece())
    return [part for option in options for part in (option, count)]


def run_ffmpeg(args: Sequence[str], what: Path | str = "") -> None:
    """Run ffmpeg quietly; on failure raise ToolError with the last lines ffmpeg printed."""
    cmd = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    log.debug("ffmpeg %s", " ".join(args))
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        # A tool failure, retried; a file that is not media is caught earlier, by `probe`.
        raise ToolError("ffmpeg", cmd, done.returncode, done.stderr, path=what or None)


def ffmpeg_bytes(args: Sequence[str], what: Path | str = "") -> bytes:
    """Run ffmpeg writing raw output to stdout ("-f ... -" last in `args`) and return that output."""
    cmd = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0:
        raise ToolError("ffmpeg", cmd, done.returncode, done.stderr.decode("utf-8", "replace"), path=what or None)
    return done.stdout


def mute(src: Path | str, dst: Path | str, spans: Sequence[tuple[int, int]]) -> Path:
    """A copy of a WAV with these [start_ms, end_ms) spans silent (same format; written atomically)."""
    between = "+".join(f"between(t,{a / 1000:.3f},{b / 1000:.3f})" for a, b in spans)
    with atomic_path(dst) as tmp:
        run_ffmpeg(["-i", str(src), "-af", f"volume=0:enable='{between}'", "-c:a", "pcm_s16le", str(tmp)], src)
    return Path(dst)


def jpeg_frame(video: Path | str, at_ms: int, width: int, height: int, quality: int = 6) -> bytes:
    """The frame at `at_ms` as a small JPEG (a thumbnail for a report); empty past the end."""
    return ffmpeg_bytes(["-ss", f"{max(0, at_ms) / 1000:.3f}", "-i", str(video), "-frames:v", "1", "-vf",
                         f"scale={width}:{height}", "-c:v", "mjpeg", "-q:v", str(quality), "-f", "image2pipe", "-"],
                        video)


def pcm_samples(src: Path | str, sample_rate: int) -> np.ndarray:
    """The sound of any media file as mono float samples at `sample_rate`."""
    raw = ffmpeg_bytes(["-i", str(src), "-vn", "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-"], src)
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def gray_frame(video: Path | str, at_ms: int, width: int, height: int) -> np.ndarray | None:
    """The frame at `at_ms`, scaled to `width`x`height` grayscale (uint8 rows), or None past the end."""
    raw = ffmpeg_bytes(["-ss", f"{max(0, at_ms) / 1000:.3f}", "-i", str(video), "-frames:v", "1", "-vf",
                        f"scale={width}:{height},format=gray", "-f", "rawvideo", "-"], video)
    if len(raw) != width * height:
        return None
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width)


def _parse_rate(rate: str | None) -> float | None:
    if not rate or rate in ("0/0", "0"):
        return None
    try:
        value = float(Fraction(rate))
    except (ValueError, ZeroDivisionError):
        return None
    return value or None


def probe(path: Path | str) -> MediaInfo:
    """Duration, size, frame rate and audio streams of a media file.

    Raises MediaError naming the file if it is missing, empty or not media.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(path, "no such file")
    if path.stat().st_size == 0:
        raise MediaError(path, "file is empty (0 bytes)")
    cmd = [
        _tool("ffprobe"), "-v", "error", "-print_format", "json",
        "-show_format", "-show_streams", str(path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "unreadable"
        raise MediaError(path, f"not a media file ffmpeg can read ({reason})")
    data = json.loads(done.stdout or "{}")
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    duration = data.get("format", {}).get("duration")
    if duration is None:
        duration = next((s.get("duration") for s in streams if s.get("duration")), None)
    if not streams or duration is None:
        raise MediaError(path, "not a media file (no audio or video streams found)")
    return MediaInfo(
        path=path,
        duration_ms=round(float(duration) * 1000),
        width=int(video["width"]) if video else None,
        height=int(video["height"]) if video else None,
        fps=_parse_rate(video.get("avg_frame_rate") or video.get("r_frame_rate")) if video else None,
        audio_streams=len(audio),
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio[0].get("codec_name") if audio else None,
    )


def require_audio(info: MediaInfo) -> MediaInfo:
    if info.audio_streams == 0:
        raise MediaError(info.path, "has no audio stream; an episode needs its dialogue track")
    return info


def extract_audio(src: Path | str, dst: Path | str, sample_rate: int = SAMPLE_RATE_ASR,
                  channels: int = 1) -> Path:
    """Decode the first audio stream to 16-bit PCM WAV (16 kHz mono for ASR by default)."""
    src, dst = Path(src), Path(dst)
    require_audio(probe(src))
    with atomic_path(dst) as tmp:
        run_ffmpeg(["-i", str(src), "-map", "0:a:0", "-ac", str(channels), "-ar", str(sample_rate),
                    "-c:a", "pcm_s16le", str(tmp)], what=src)
    return dst


def ebur128(path: Path | str) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) by ffmpeg's own EBU R128 meter: an independent check
    of localize.dub.loudness (pyloudnorm and our oversampled peak)."""
    cmd = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
           "-f", "null", "-"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ToolError("ffmpeg", cmd, done.returncode, done.stderr, path=Path(path))
    summary = done.stderr[done.stderr.rfind("Summary:"):]
    values = {}
    for line in summary.splitlines():
        key, _, value = line.strip().partition(":")
        if key in ("I", "Peak") and value.split():
            values[key] = float(value.split()[0])
    if set(values) != {"I", "Peak"}:
        raise ToolError("ffmpeg", cmd, done.returncode, "no ebur128 summary in:\n" + done.stderr[-2000:],
                        path=Path(path))
    return values["I"], values["Peak"]


STRETCHERS = ("auto", "rubberband", "atempo")


@functools.cache
def encode_aac(src: Path | str, dst: Path | str, bitrate: str = "128k") -> Path:
    """A WAV (or any audio ffmpeg reads) as AAC in an MP4 container (.m4a), atomically."""
    with atomic_path(dst) as tmp:
        run_ffmpeg(["-i", str(src), "-c:a", "aac", "-b:a", bitrate, "-movflags", "+faststart", "-f", "mp4",
                    str(tmp)], what=src)
    return Path(dst)


def has_filter(name: str) -> bool:
    """Whether this ffmpeg was built with the audio/video filter `name` (e.g. rubberband)."""
    done = subprocess.run([_tool("ffmpeg"), "-hide_banner", "-filters"], capture_output=True, text=True)
    return any(len(parts) > 1 and parts[1] == name for parts in (line.split() for line in done.stdout.splitlines()))


def change_tempo(src: Path | str, dst: Path | str, speed: float, sample_rate: int | None = None,
                 stretcher: str = "auto") -> Path:
    """Speed speech up (or slow it down) without changing pitch, and resample.

    "rubberband" (phase-vocoder with transient detection, speech-friendly "smoother" formant-keeping
    settings) sounds cleaner than "atempo" (WSOLA); "auto" takes rubberband when this ffmpeg has it.
    """
    return change_tempos([(src, dst, speed)], sample_rate, stretcher)[0]


TEMPO_CLIPS_PER_RUN = 32  # clips one ffmpeg run stretches (a short command line, a few open files)


def change_tempos(clips: Sequence[tuple[Path | str, Path | str, float]], sample_rate: int | None = None,
                  stretcher: str = "auto") -> list[Path]:
    """`change_tempo` for many (source, destination, speed) clips, many to one ffmpeg run: each run
    starts in ~0.1 s of CPU, more than stretching a line of dialogue takes. Every destination is
    written whole or not at all."""
    for _src, _dst, speed in clips:
        if not 0.5 <= speed <= 2.0:
            raise ValueError(f"tempo {speed} outside the range the stretchers accept (0.5-2.0)")
    if stretcher not in STRETCHERS:
        raise ValueError(f"time-stretcher {stretcher!r}: give one of {', '.join(STRETCHERS)}")
    if stretcher == "auto":
        stretcher = "rubberband" if has_filter("rubberband") else "atempo"
    rate = ["-ar", str(sample_rate)] if sample_rate else []
    for start in range(0, len(clips), TEMPO_CLIPS_PER_RUN):
        batch = clips[start:start + TEMPO_CLIPS_PER_RUN]
        inputs = [arg for src, _, _ in batch for arg in ("-i", str(src))]
        graph = ";".join(f"[{i}:a]{_tempo_filter(speed, stretcher)}[out{i}]" for i, (_, _, speed) in enumerate(batch))
        with contextlib.ExitStack() as stack:
            temporaries = [stack.enter_context(atomic_path(dst)) for _, dst, _ in batch]
            outputs = [arg for i, tmp in enumerate(temporaries) for arg in ("-map", f"[out{i}]", *rate, str(tmp))]
            run_ffmpeg([*inputs, "-filter_complex", graph, *outputs], what=batch[0][0])
    return [Path(dst) for _, dst, _ in clips]


def _tempo_filter(speed: float, stretcher: str) -> str:
    if stretcher == "rubberband":
        return f"rubberband=tempo={speed:.4f}:formant=preserved:transients=mixed:detector=soft:window=standard"
    return f"atempo={speed:.4f}"


def shift_pitch(src: Path | str, dst: Path | str, factor: float, sample_rate: int) -> Path:
    """Raise (factor > 1) or lower the voice's pitch and its formants together, keeping its tempo: the
    same speaker sounds like another, smaller or larger, person. rubberband where ffmpeg has it, else
    resampling undone in time by atempo."""
    if not 0.5 <= factor <= 2.0:
        raise ValueError(f"pitch factor {factor} outside the range 0.5-2.0")
    chain = (f"rubberband=pitch={factor:.4f}:transients=mixed:detector=soft" if has_filter("rubberband")
             else f"asetrate={round(sample_rate * factor)},aresample={sample_rate},atempo={1 / factor:.6f}")
    with atomic_path(dst) as tmp:
        run_ffmpeg(["-i", str(src), "-filter:a", chain, "-ar", str(sample_rate), str(tmp)], what=src)
    return Path(dst)


@contextlib.contextmanager
def _ass_filter(ass: Path, fonts_dir: Path | str | None) -> Iterator[str]:
    """`ass=filename=...[:fontsdir=...]` over copies under plain temporary names.

    ffmpeg filter arguments are escaped on two levels; plain names spare paths such as
    "Director's cut: v2" from both.
    """
    with tempfile.TemporaryDirectory(prefix="localize-burn-") as tmp:
        plain = Path(tmp) / "subtitles.ass"
        shutil.copyfile(ass, plain)
        filt = f"ass=filename={_filter_escape(plain)}"
        if fonts_dir:
            fonts = Path(tmp) / "fonts"
            fonts.symlink_to(Path(fonts_dir).resolve(), target_is_directory=True)
            filt += f":fontsdir={_filter_escape(fonts)}"
        yield filt


PREVIEW_HEIGHT = 960  # review resolution: 540x960 for 9:16, a quarter of the pixels of 1080x1920


def preview_size(width: int, height: int, target: int | None = PREVIEW_HEIGHT) -> tuple[int, int]:
    """The size `render_preview` scales a width x height picture to (even width, never enlarged)."""
    if target is None or height <= target:
        return width, height
    return max(2, round(width * target / height / 2) * 2), target


def encode_frames(frames: Iterable[np.ndarray], dst: Path | str, width: int, height: int, fps: float,
                  crf: int = 18, preset: str = "ultrafast", i420: bool = False) -> Path:
    """Encode RGB frames (height, width, 3), or with `i420` the encoder's own planes (height * 3 / 2, width:
    no conversion, half the bytes), to an H.264 video without audio: picture-only work whose sound is
    added later (the preview adds the dub). An intermediate that every market's preview re-encodes: the
    fastest preset, at a quality (crf 18) that leaves nothing to see."""
    dst = Path(dst)
    rate = Fraction(fps).limit_denominator(1001)
    with atomic_path(dst) as out, tempfile.TemporaryFile() as errors:
        cmd = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo",
               "-pix_fmt", "yuv420p" if i420 else "rgb24", "-s", f"{width}x{height}",
               "-r", f"{rate.numerator}/{rate.denominator}",
               "-i", "pipe:0", "-an", "-c:v", "libx264", *_threads("-threads"), "-preset", preset, "-crf", str(crf),
               "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", str(out)]
        with subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errors) as proc:
            assert proc.stdin is not None  # PIPE
            try:
                for frame in frames:
                    proc.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            except BrokenPipeError:
                pass  # ffmpeg stopped early: its status and stderr say why
            finally:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
        if proc.returncode != 0:
            errors.seek(0)
            raise ToolError("ffmpeg", cmd, proc.returncode, errors.read().decode("utf-8", "replace"), path=dst)
    return dst


def render_preview(video: Path | str, audio: Path | str, ass: Path | str, dst: Path | str,
                   fonts_dir: Path | str | None = None, height: int | None = PREVIEW_HEIGHT) -> Path:
    """Burn ASS subtitles into the picture with libass and replace the audio with the dub.

    The picture is first scaled to `height` (width in proportion; never enlarged), then the
    subtitles are drawn at that size, so text stays sharp; None keeps the source size.
    """
    video, audio, ass, dst = Path(video), Path(audio), Path(ass), Path(dst)
    scale = f"scale=-2:'min({height},ih)':flags=lanczos," if height else ""
    # The dub is AAC already (encode_aac): copied as it is, not encoded a second time. x264's fastest
    # preset: measured on the sample season's first episode (540x960, 54 s) it takes 5.3 s of CPU
    # against veryfast's 7.5 s, at an SSIM against the lossless render of 0.998 (veryfast 0.997).
    sound = ["-c:a", "copy"] if probe(audio).audio_codec == "aac" else ["-c:a", "aac", "-b:a", "128k"]
    with _ass_filter(ass, fonts_dir) as filt, atomic_path(dst) as out:
        run_ffmpeg([
            *_threads("-filter_threads", "-threads"), "-i", str(video), "-i", str(audio), "-map", "0:v:0",
            "-map", "1:a:0", "-vf", scale + filt, "-c:v", "libx264", *_threads("-threads"), "-preset", "ultrafast",
            "-crf", "26",
            "-pix_fmt", "yuv420p", *sound, "-shortest",
            "-movflags", "+faststart", str(out),
        ], what=video)
    return dst


def render_still(image: Path | str, audio: Path | str, ass: Path | str, dst: Path | str, *,
                 duration_ms: int, fps: int = 25, fonts_dir: Path | str | None = None) -> Path:
    """A still picture held for `duration_ms` with ASS text burned in, and `audio` muxed (H.264 + AAC).

    The picture is decoded and converted once, then looped inside the filter graph:
    re-reading a 1080x1920 image for every frame takes longer than encoding it.
    Bit-exact flags and no metadata keep repeated renders identical.
    """
    image, audio, ass, dst = Path(image), Path(audio), Path(ass), Path(dst)
    with _ass_filter(ass, fonts_dir) as burn, atomic_path(dst) as tmp:
        filt = f"format=yuv420p,loop=loop=-1:size=1,setpts=N/({fps}*TB),{burn}"
        run_ffmpeg([
            "-i", str(image), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-vf", filt,
            "-t", f"{duration_ms / 1000:.3f}", "-r", str(fps),
            "-c:v", "libx264", "-preset", "superfast", "-crf", "23", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-movflags", "+faststart", str(tmp),
        ], what=image)
    return dst


def _filter_escape(path: Path) -> str:
    """Escape a path for use inside an ffmpeg filter argument."""
    text = str(path.resolve())
    for ch in ("\\", ":", "'", ",", "[", "]", ";"):
        text = text.replace(ch, "\\" + ch)
    return text


def video_frames(video: Path | str, width: int, height: int, *, crop: tuple[int, int, int, int] | None = None,
                 gray: bool = False, i420: bool = False, frame_numbers: Sequence[int] | None = None,
                 size: tuple[int, int] | None = None, start_frame: int = 0,
                 fps: float | None = None, spill: Spill | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Decode a video's frames as numpy arrays, in one ffmpeg pass: `(frame number, pixels)`.

    `width`/`height` are the video's (from `probe`). `size` (width, height) scales the frames
    first (area averaging); `crop` is (x0, y0, x1, y1) in the pixels of the
    (scaled) frame; `gray` gives one channel, `i420` the decoder's own planes (Y, then U and V: height * 3 / 2
    rows; even sizes, no crop), else RGB; `frame_numbers` keeps only those frames
    (sorted, 0-based), otherwise every frame is yielded. Frame n starts at n / fps seconds.
    `start_frame` (with the video's `fps`): begin there, the frames before it not decoded (ffmpeg
    seeks to the key frame before and decodes from there); numbers stay those of the whole video.
    `spill`: every frame of the same decode is also written, at the spill's size, to its file (raw
    I420), for a later pass over the picture that then decodes nothing (`Spill.frames`). The file is
    there only once every frame was read.
    """
    video = Path(video)
    scale = [] if size is None or size == (width, height) else [f"scale={size[0]}:{size[1]}:flags=area"]
    width, height = size or (width, height)
    x0, y0, x1, y1 = crop or (0, 0, width, height)
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise ValueError(f"crop {crop} is outside the {width}x{height} frame of {video}")
    if i420 and (gray or crop is not None or width % 2 or height % 2):
        raise ValueError(f"I420 frames of {video} are whole frames of even size, in colour (not {width}x{height}"
                         f"{', cropped' if crop else ''}{', grey' if gray else ''})")
    pix_fmt = "gray" if gray else "yuv420p" if i420 else "rgb24"
    cut = [] if crop is None else [f"crop={x1 - x0}:{y1 - y0}:{x0}:{y0}:exact=1"]
    # Grey: crop first, then convert only the band (the same pixels, half the work). Colour: convert
    # first, since on subsampled YUV ffmpeg rounds odd crops and the frame size would not match.
    filters = [*scale, *cut, f"format={pix_fmt}"] if gray else [*scale, f"format={pix_fmt}", *cut]
    wanted = sorted(set(frame_numbers)) if frame_numbers is not None else None
    if wanted is not None:
        if not wanted:
            return
        filters.insert(0, "select='" + "+".join(f"eq(n\\,{n})" for n in wanted) + "'")
    channels = 1 if gray else 3
    if start_frame and (wanted is not None or not fps):
        raise ValueError("start_frame needs the video's fps, and no frame_numbers")
    if spill and (start_frame or wanted is not None):
        raise ValueError("a spill holds every frame: no start_frame, no frame_numbers")
    seek = ["-ss", f"{start_frame / fps:.6f}"] if start_frame and fps else []
    outputs = ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-fps_mode", "passthrough", "pipe:1"]
    if spill:
        graph = (f"[0:v:0]split=2[main][side];[main]{','.join(filters)}[out];"
                 f"[side]scale={spill.width}:{spill.height}:flags=area,format=yuv420p[spill]")
        spill.partial.parent.mkdir(parents=True, exist_ok=True)
        choice = ["-filter_complex", graph, "-map", "[out]", *outputs, "-map", "[spill]", "-f", "rawvideo",
                  "-pix_fmt", "yuv420p", "-fps_mode", "passthrough", "-y", str(spill.partial)]
    else:
        choice = ["-map", "0:v:0", "-vf", ",".join(filters), *outputs]
    cmd = [_tool("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error",
           *_threads("-filter_threads", "-filter_complex_threads", "-threads"), *seek, "-i", str(video), *choice]
    shape = (y1 - y0, x1 - x0, channels) if channels > 1 else (y1 - y0, x1 - x0)
    if i420:
        shape = (height * 3 // 2, width)
    nbytes = int(np.prod(shape))
    numbers: Iterator[int] = iter(wanted) if wanted is not None else itertools.count(start_frame)
    count = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None  # both are PIPE
        try:
            while len(data := proc.stdout.read(nbytes)) == nbytes:
                count += 1
                yield next(numbers), np.frombuffer(data, dtype=np.uint8).reshape(shape)
        finally:
            if proc.poll() is None:
                proc.kill()
            stderr = proc.stderr.read().decode("utf-8", "replace")
            proc.wait()
            if spill and proc.returncode != 0:
                spill.partial.unlink(missing_ok=True)
        if proc.returncode not in (0, -9):  # -9: killed above, when the caller stopped reading early
            raise ToolError("ffmpeg", cmd, proc.returncode, stderr, path=video)
    if spill and proc.returncode == 0:
        spill.finish(video, count)


@dataclass(frozen=True)
class Spill:
    """Every frame of one decode of a video, scaled and kept raw (I420) on disk for a second pass.

    `path` holds the frames; `path` + ".json" says which video, what size and how many frames, so a
    spill from another video, size or an interrupted decode is never taken for this one.
    """

    path: Path
    width: int
    height: int

    @property
    def partial(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    @property
    def frame_bytes(self) -> int:
        return self.width * self.height * 3 // 2

    def _label(self, video: Path, frames: int) -> dict[str, object]:
        stat = video.stat()
        return {"video": str(video.resolve()), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                "width": self.width, "height": self.height, "frames": frames}

    def finish(self, video: Path, frames: int) -> None:
        os.replace(self.partial, self.path)
        write_text_atomic(self.path.with_name(self.path.name + ".json"), json.dumps(self._label(video, frames)))

    def frames(self, video: Path) -> Iterator[tuple[int, np.ndarray]] | None:
        """`(frame number, I420 pixels (height * 3 / 2, width))` if this spill holds every frame of
        `video` at its size, else None."""
        try:
            label = json.loads(self.path.with_name(self.path.name + ".json").read_text(encoding="utf-8"))
            frames = int(label["frames"])
            whole = self.path.stat().st_size == frames * self.frame_bytes
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not whole or label != self._label(video, frames):
            return None
        return self._read(frames)

    def _read(self, frames: int) -> Iterator[tuple[int, np.ndarray]]:
        with self.path.open("rb") as handle:
            for number in range(frames):
                data = handle.read(self.frame_bytes)
                yield number, np.frombuffer(data, dtype=np.uint8).reshape(self.height * 3 // 2, self.width)

    def remove(self) -> None:
        for path in (self.path, self.partial, self.path.with_name(self.path.name + ".json")):
            path.unlink(missing_ok=True)


def subtitle_thumbnail(ass: Path | str, dst: Path | str, at_ms: int, *, video: Path | str | None = None,
                       width: int = 270, height: int = 480, fonts_dir: Path | str | None = None) -> Path:
    """One PNG frame at `at_ms` with the ASS subtitles burned in (libass), scaled to `width`x`height`.

    Subtitles are drawn on the frame at its own size, then scaled, so positions match the
    delivered file. Without `video` the frame is black at the ASS script's usual 1080x1920.
    """
    dst = Path(dst)
    seconds = f"{max(0, at_ms) / 1000:.3f}"
    if video is None:
        source = ["-f", "lavfi", "-i", "color=c=black:s=1080x1920:r=25:d=1"]
    else:
        source = ["-ss", seconds, "-i", str(video)]
    with _ass_filter(Path(ass), fonts_dir) as burn, atomic_path(dst) as tmp:
        # Input seeking restarts timestamps at 0: setpts puts the frame back at `at_ms` for libass.
        filt = f"setpts=PTS+{seconds}/TB,{burn},scale={width}:{height}:flags=lanczos"
        run_ffmpeg([*source, "-map", "0:v:0", "-vf", filt, "-frames:v", "1", "-f", "image2", "-c:v", "png",
                    str(tmp)], what=video or ass)
    return dst
