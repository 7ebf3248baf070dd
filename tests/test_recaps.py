"""Recaps: a span replaying an earlier episode is found by its sound and confirmed by its picture, even
re-encoded; unrelated material is not; its lines are taken from the earlier episode."""

from __future__ import annotations

from pathlib import Path

import pytest

from localize import media
from localize.recaps import Recap, RecapOptions, find_recaps, fingerprint, with_recaps
from localize.types import Segment, Transcript


def clip(path: Path, seconds: float, seed: int, picture: str) -> Path:
    media.run_ffmpeg(["-f", "lavfi", "-i", f"{picture}=s=180x320:r=25:d={seconds}", "-f", "lavfi", "-i",
                      f"anoisesrc=d={seconds}:c=pink:a=0.3:seed={seed}", "-f", "lavfi", "-i",
                      f"sine=frequency={300 + seed * 40}:duration={seconds}", "-filter_complex",
                      "[1][2]amix=inputs=2,volume=2[a]", "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset",
                      "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "44100", str(path)])
    return path


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("recaps")
    first = clip(folder / "ep01.mp4", 14, 1, "testsrc")
    fresh = clip(folder / "fresh.mp4", 8, 2, "testsrc2")
    second = folder / "ep02.mp4"  # the last 6 s of ep01, then its own 8 s; re-encoded at another bitrate
    media.run_ffmpeg(["-ss", "8", "-i", str(first), "-i", str(fresh), "-filter_complex",
                      "[0:v]setpts=PTS-STARTPTS[a];[0:a]asetpts=PTS-STARTPTS[b];[a][b][1:v][1:a]concat=n=2:v=1:a=1"
                      "[v][s]", "-map", "[v]", "-map", "[s]", "-c:v", "libx264", "-crf", "32", "-preset", "ultrafast",
                      "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "48k", str(second)])
    other = clip(folder / "ep03.mp4", 10, 5, "rgbtestsrc")
    return first, second, other


def test_a_replayed_span_is_found_where_it_is_in_both_episodes(episodes: tuple[Path, Path, Path]) -> None:
    first, second, _ = episodes
    found = find_recaps(second, fingerprint(second), [("ep01", first, fingerprint(first))])
    assert len(found) == 1
    recap = found[0]
    assert recap.episode == "ep01" and recap.start_ms < 400 and 5600 <= recap.end_ms <= 6400
    assert abs(recap.source_start_ms - (8000 + recap.start_ms)) < 100


def test_unrelated_material_and_a_disabled_search_find_nothing(episodes: tuple[Path, Path, Path]) -> None:
    first, second, other = episodes
    assert find_recaps(other, fingerprint(other), [("ep01", first, fingerprint(first)),
                                                   ("ep02", second, fingerprint(second))]) == ()
    assert find_recaps(second, fingerprint(second), [("ep01", first, fingerprint(first))],
                       RecapOptions(enabled=False)) == ()


def test_the_same_sound_over_another_picture_is_not_a_recap(episodes: tuple[Path, Path, Path],
                                                            tmp_path: Path) -> None:
    first, second, _ = episodes
    dubbed = tmp_path / "ep02.mp4"  # ep02's sound over a picture of its own: a shared music bed, say
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=180x320:r=25:d=14", "-i", str(second), "-map", "0:v",
                      "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", "-shortest",
                      str(dubbed)])
    assert find_recaps(dubbed, fingerprint(dubbed), [("ep01", first, fingerprint(first))]) == ()


def test_a_recaps_lines_come_from_the_episode_it_replays() -> None:
    earlier = Transcript("zh", (Segment(1000, 2000, "早"), Segment(9000, 11000, "你回来了"),
                                Segment(12000, 13500, "我等你")), 14000)
    mine = Transcript("zh", (Segment(500, 1500, "你回来啦"), Segment(7000, 8000, "新的一句")), 10000)
    out = with_recaps(mine, [Recap(0, 6000, "ep01", 8000)], {"ep01": earlier})
    assert [(s.start_ms, s.end_ms, s.text) for s in out.segments] == [
        (1000, 3000, "你回来了"), (4000, 5500, "我等你"), (7000, 8000, "新的一句")]
    assert [f.code for f in out.segments[0].flags] == ["recap"] and not out.segments[2].flags
    assert with_recaps(mine, [Recap(0, 6000, "ep09", 8000)], {"ep01": earlier}) == mine  # not replayed here


def test_a_recap_s_burned_in_lines_are_taken_out_where_the_replayed_episode_read_them() -> None:
    """The recap was not read: the removal gets the earlier episode's lines, moved to this episode's frames
    and cut to the recap (a line running past the replayed part is cut at the recap's end)."""
    from localize.recaps import recap_cues
    from localize.types import Box, OcrCue

    box = Box(0, 1500, 1080, 1600)
    earlier = (OcrCue(30000, 31000, "太早了", box, 0.9, 750, 774),  # before the replayed part
               OcrCue(40000, 42000, "你回来了", box, 0.9, 1000, 1049),
               OcrCue(54000, 56000, "别走", box, 0.9, 1350, 1399))
    recap = Recap(start_ms=0, end_ms=15000, episode="ep01", source_start_ms=40000)
    moved = recap_cues([recap], {"ep01": earlier}, 25.0)
    assert [(c.text, c.first_frame, c.last_frame, c.start_ms, c.end_ms) for c in moved] == [
        ("你回来了", 0, 49, 0, 2000), ("别走", 350, 374, 14000, 15000)]
    assert all(c.box == box for c in moved)
    assert recap_cues([recap], {}, 25.0) == ()  # an episode not in this run: nothing to move
