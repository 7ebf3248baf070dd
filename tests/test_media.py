"""probe/extract_audio on generated media, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from localize import media
from localize.errors import MediaError


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=navy:s=108x192:r=25:d=2", "-f", "lavfi",
                      "-i", "sine=frequency=440:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-shortest", str(out)])
    return out


def test_probe_reads_size_fps_duration_audio(clip: Path) -> None:
    info = media.probe(clip)
    assert (info.width, info.height) == (108, 192)
    assert info.fps == pytest.approx(25.0)
    assert 1900 <= info.duration_ms <= 2200
    assert info.audio_streams == 1


def test_extract_audio_gives_16k_mono_wav(clip: Path, tmp_path: Path) -> None:
    wav = media.extract_audio(clip, tmp_path / "a.wav")
    info = media.probe(wav)
    assert info.audio_streams == 1 and info.audio_codec == "pcm_s16le"


def test_non_media_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    with pytest.raises(MediaError, match=r"notes\.mp4.*not a media file"):
        media.probe(bad)


def test_zero_length_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(MediaError, match="empty"):
        media.probe(empty)


def test_missing_audio_stream_is_rejected_and_leaves_no_output(tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64:r=10:d=1", "-c:v", "libx264",
                      "-pix_fmt", "yuv420p", str(silent)])
    with pytest.raises(MediaError, match=r"silent\.mp4.*no audio stream"):
        media.extract_audio(silent, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["silent.mp4"]


def test_preview_burns_subtitles_from_a_folder_with_awkward_characters(clip: Path, tmp_path: Path) -> None:
    from localize.subtitle import write_subtitles
    from localize.types import Cue

    folder = tmp_path / "Director's cut: v2, [final]"
    ass = write_subtitles((Cue(100, 1500, ("Hello",)),), folder / "ep01.ass", "ass", episode_duration_ms=2000)
    out = media.render_preview(clip, clip, ass, folder / "ep01.mp4")
    info = media.probe(out)
    assert (info.width, info.height) == (108, 192) and info.audio_streams == 1


@pytest.mark.parametrize("rubberband", [True, False])
def test_shift_pitch_moves_the_tone_and_keeps_the_length(tmp_path: Path, rubberband: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from localize.dub.wav import Audio, read_wav, write_wav

    if rubberband and not media.has_filter("rubberband"):
        pytest.skip("this ffmpeg has no rubberband filter")
    monkeypatch.setattr(media, "has_filter", lambda name: rubberband)
    rate = 24000
    t = np.arange(rate * 2) / rate
    src = write_wav(Audio((0.3 * np.sin(2 * np.pi * 200 * t)).reshape(-1, 1), rate), tmp_path / "tone.wav")
    for factor, expected_hz in ((0.84, 168.0), (1.19, 238.0)):
        out = read_wav(media.shift_pitch(src, tmp_path / f"{factor}.wav", factor, rate))
        assert out.sample_rate == rate and abs(out.frames / (2 * rate) - 1) < 0.03
        middle = out.samples[rate // 2: rate * 3 // 2, 0]
        spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle))))
        peak_hz = float(np.argmax(spectrum)) * rate / len(middle)
        assert abs(peak_hz - expected_hz) < 4.0, (factor, peak_hz)
    with pytest.raises(ValueError, match="pitch factor"):  # a bug in the caller
        media.shift_pitch(src, tmp_path / "x.wav", 3.0, rate)


@pytest.mark.parametrize("stretcher", ["rubberband", "atempo"])
def test_many_clips_stretch_in_one_ffmpeg_run_as_each_alone(tmp_path: Path, stretcher: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from localize.dub.wav import Audio, read_wav, write_wav

    if stretcher == "rubberband" and not media.has_filter("rubberband"):
        pytest.skip("this ffmpeg has no rubberband filter")
    rate = 22050
    t = np.arange(rate) / rate
    sources = [write_wav(Audio((0.3 * np.sin(2 * np.pi * hz * t)).reshape(-1, 1), rate), tmp_path / f"{hz}.wav")
               for hz in (180, 240, 300)]
    alone = [read_wav(media.change_tempo(src, tmp_path / f"alone-{i}.wav", speed, 48000, stretcher))
             for i, (src, speed) in enumerate(zip(sources, (1.2, 1.5, 1.9), strict=True))]
    runs: list[list[str]] = []
    real = media.run_ffmpeg
    monkeypatch.setattr(media, "run_ffmpeg", lambda args, what="": runs.append(list(args)) or real(args, what))
    monkeypatch.setattr(media, "TEMPO_CLIPS_PER_RUN", 2)
    together = media.change_tempos([(src, tmp_path / f"together-{i}.wav", speed) for i, (src, speed)
                                    in enumerate(zip(sources, (1.2, 1.5, 1.9), strict=True))], 48000, stretcher)
    assert len(runs) == 2  # three clips, two to a run
    for one, path, speed in zip(alone, together, (1.2, 1.5, 1.9), strict=True):
        both = read_wav(path)
        assert both.sample_rate == 48000 and abs(both.frames / 48000 - 1 / speed) < 0.05
        assert np.array_equal(both.samples, one.samples)
    assert not list(tmp_path.glob(".*"))  # no temporaries left
    with pytest.raises(ValueError, match=r"tempo 2\.5"):
        media.change_tempos([(sources[0], tmp_path / "x.wav", 2.5)])


def test_decoding_from_a_frame_on_gives_the_same_frames_with_their_numbers(tmp_path: Path) -> None:
    import numpy as np

    video = tmp_path / "counter.mp4"  # a picture that changes every frame, key frames 2 s apart
    media.run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x288:r=25:d=4", "-c:v", "libx264", "-g", "50",
                      "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(video)])
    whole = dict(media.video_frames(video, 160, 288, gray=True))
    later = list(media.video_frames(video, 160, 288, gray=True, start_frame=37, fps=25.0))
    assert [n for n, _ in later] == list(range(37, 100))
    assert all(np.array_equal(frame, whole[n]) for n, frame in later)
    with pytest.raises(ValueError, match="fps"):
        next(media.video_frames(video, 160, 288, start_frame=5))


def test_frames_go_through_as_the_decoder_s_planes_and_back_unchanged(tmp_path: Path) -> None:
    """The cleaning's path: I420 frames decoded, encoded from I420 without a colour conversion, and
    decoded again give the same picture (x264 at crf 18: about a level on average)."""
    import numpy as np

    video = tmp_path / "pattern.mp4"
    media.run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x288:r=25:d=1", "-c:v", "libx264",
                      "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(video)])
    planes = dict(media.video_frames(video, 160, 288, i420=True))
    assert len(planes) == 25 and planes[0].shape == (288 * 3 // 2, 160)
    again = tmp_path / "again.mp4"
    media.encode_frames((planes[n] for n in sorted(planes)), again, 160, 288, 25.0, i420=True)
    decoded = dict(media.video_frames(again, 160, 288, i420=True))
    assert sorted(decoded) == sorted(planes)
    assert max(int(np.abs(decoded[n].astype(int) - planes[n]).mean() * 100) for n in planes) <= 100
    with pytest.raises(ValueError, match="even size"):
        next(media.video_frames(video, 160, 288, i420=True, crop=(0, 0, 80, 80)))


def test_ffmpeg_takes_the_piece_s_share_of_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoder, filters and x264 get as many threads as the models of the piece may use (localize.cores)."""
    from localize import cores

    for name in cores.ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cores, "available", lambda: 4)
    with cores.shared_by(2):
        assert media._threads("-filter_threads", "-threads") == ["-filter_threads", "2", "-threads", "2"]
    monkeypatch.setenv("LOCALIZE_THREADS", "1")
    assert media._threads("-threads") == ["-threads", "1"]
