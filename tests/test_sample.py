"""The built-in sample season: shape of the media, script and references, determinism, ownership."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from localize import media
from localize.errors import LocalizeError, OutputExistsError
from localize.sample import CHARACTERS, NAMES, REFERENCE_LANGUAGES, SampleSeason, generate_season
from localize.sample.script import episode_count, episode_lines, load_story
from localize.sample.speech import MAX_GAP_MS, MIN_GAP_MS, SAMPLE_RATE, Clip, plan_starts, to_pinyin
from localize.sample.video import LINE_CENTRE_Y, MAX_CHARS_PER_LINE, ass_script, display_text
from localize.types import Segment

HANZI = re.compile(r"[\u4e00-\u9fff]")


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleSeason, list[str]]:
    messages: list[str] = []
    made = generate_season(tmp_path_factory.mktemp("sample"), episodes=1, progress=messages.append)
    return made, messages


# --- story data (fast) ---------------------------------------------------------------------------

def test_story_has_episodes_of_everyday_lines() -> None:
    assert episode_count() >= 3
    speakers = {c.speaker for c in CHARACTERS}
    for number in range(1, episode_count() + 1):
        lines = episode_lines(number)
        assert 10 <= len(lines) <= 16
        assert len({line.speaker for line in lines}) >= 2
        for line in lines:
            assert line.speaker in speakers
            assert 4 <= len(HANZI.findall(line.zh)) <= 20, line.zh
            assert not HANZI.search(to_pinyin(line.zh)), line.zh


def test_references_use_the_glossary_renderings() -> None:
    for line, name in itertools.product(load_story(), NAMES):
        if name.zh in line.zh and name.zh != "妈":  # 妈 is also the mother speaking of herself
            for lang in REFERENCE_LANGUAGES:
                assert name.target(lang).lower() in line.reference(lang).lower(), (name.zh, lang, line)


def test_pinyin_has_tone_numbers_and_neutral_five() -> None:
    assert to_pinyin("妈，我们走吧。") == "ma1 , wo3 men5 zou3 ba5 ."


def test_long_lines_are_broken_in_two_rows_at_a_pause() -> None:
    shown = display_text("当初你们赶我走的时候，想过今天吗？")
    rows = shown.split("\\N")
    assert rows == ["当初你们赶我走的时候", "想过今天吗？"]
    assert all(len(row) <= MAX_CHARS_PER_LINE for row in rows)
    assert display_text("好，我跟你回去。") == "好\u3000我跟你回去"


def test_ass_shows_each_line_exactly_while_spoken_in_the_lower_third() -> None:
    segments = [Segment(1200, 3450, "林晓，饭做好了吗？"), Segment(4000, 5010, "好。")]
    text = ass_script(segments, 1, "千金归来", 8000)
    assert "PlayResX: 1080" in text and "PlayResY: 1920" in text
    assert f"Dialogue: 2,0:00:01.20,0:00:03.45,Line,,0,0,0,,{{\\pos(540,{LINE_CENTRE_Y})}}林晓" in text
    assert "0:00:04.00,0:00:05.01" in text
    assert "第1集" in text


def test_pauses_are_natural_and_the_episode_lasts_40_to_60_s() -> None:
    lines = episode_lines(1)
    clips = [Clip(line, np.zeros(SAMPLE_RATE * 2)) for line in lines]  # 2 s each
    starts, total = plan_starts(clips, 1)
    assert starts == plan_starts(clips, 1)[0]  # seeded: same times every run
    gaps = [b - (a + 2000) for a, b in itertools.pairwise(starts)]
    assert all(MIN_GAP_MS <= g <= MAX_GAP_MS for g in gaps)
    assert 40_000 <= total <= 60_000
    long_clips = [Clip(line, np.zeros(SAMPLE_RATE * 7 // 2)) for line in lines]  # pauses squeezed
    starts, total = plan_starts(long_clips, 1)
    assert total <= 60_000
    assert all(b - (a + 3500) >= MIN_GAP_MS for a, b in itertools.pairwise(starts))
    with pytest.raises(ValueError, match="too long"):
        plan_starts([Clip(line, np.zeros(SAMPLE_RATE * 5)) for line in lines], 1)


def test_bad_episode_count_lists_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(LocalizeError, match="accepted: 1, 2, 3"):
        generate_season(tmp_path, episodes=0)


# --- ownership (fast: checked before anything is synthesized) ------------------------------------

def test_foreign_file_in_the_way_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / "ep01.script.tsv"
    mine.write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(OutputExistsError) as caught:
        generate_season(tmp_path, episodes=1)
    assert caught.value.path == mine
    assert mine.read_text(encoding="utf-8") == "my own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep01.script.tsv"]


def test_foreign_season_json_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "season.json").write_text('{"title": "my season"}\n', encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"season\.json"):
        generate_season(tmp_path, episodes=1)
    assert json.loads((tmp_path / "season.json").read_text(encoding="utf-8")) == {"title": "my season"}


# --- one generated episode (slow: ~15-20 s) ------------------------------------------------------

@pytest.mark.slow
def test_episode_video_is_vertical_h264_with_audio(season: tuple[SampleSeason, list[str]]) -> None:
    made, _ = season
    (episode,) = made.episodes
    info = media.probe(episode.video)
    assert (info.width, info.height) == (1080, 1920)
    assert info.fps == pytest.approx(25.0)
    assert info.audio_streams == 1
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert 40_000 <= info.duration_ms <= 60_000
    assert abs(info.duration_ms - episode.duration_ms) <= 100


@pytest.mark.slow
def test_script_times_increase_without_overlap(season: tuple[SampleSeason, list[str]]) -> None:
    made, _ = season
    (episode,) = made.episodes
    rows = read_tsv(episode.script)
    assert list(rows[0]) == ["start_ms", "end_ms", "speaker", "text"]
    assert [r["text"] for r in rows] == [line.zh for line in episode_lines(1)]
    times = [(int(r["start_ms"]), int(r["end_ms"])) for r in rows]
    assert all(start < end for start, end in times)
    assert all(prev_end + MIN_GAP_MS <= start for (_, prev_end), (start, _) in itertools.pairwise(times))
    assert times[-1][1] <= media.probe(episode.video).duration_ms
    assert len({r["speaker"] for r in rows}) >= 2


@pytest.mark.slow
def test_references_have_one_row_per_script_line(season: tuple[SampleSeason, list[str]]) -> None:
    made, _ = season
    (episode,) = made.episodes
    script_rows = read_tsv(episode.script)
    for lang in REFERENCE_LANGUAGES:
        rows = read_tsv(episode.reference(lang))
        assert [int(r["index"]) for r in rows] == list(range(len(script_rows)))
        assert all(r["text"].strip() and not HANZI.search(r["text"]) for r in rows)
    manifest = json.loads(made.manifest.read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True and manifest["episodes"][0]["video"] == "ep01.mp4"


@pytest.mark.slow
def test_second_run_is_deterministic_and_keeps_the_video(season: tuple[SampleSeason, list[str]]) -> None:
    made, messages = season
    assert any("rendering" in m for m in messages)
    texts = {p: p.read_bytes() for p in made.files if p.suffix in (".tsv", ".json")}
    video_mtime = made.episodes[0].video.stat().st_mtime_ns
    again: list[str] = []
    second = generate_season(made.out_dir, episodes=1, progress=again.append)
    assert second == made
    assert {p: p.read_bytes() for p in texts} == texts
    assert made.episodes[0].video.stat().st_mtime_ns == video_mtime
    assert any("up to date" in m for m in again)


@pytest.mark.slow
def test_foreign_file_beside_an_owned_season_is_refused(season: tuple[SampleSeason, list[str]]) -> None:
    made, _ = season
    stranger = made.out_dir / "ep02.mp4"
    stranger.write_bytes(b"someone else's video")
    try:
        with pytest.raises(OutputExistsError) as caught:
            generate_season(made.out_dir, episodes=2)
        assert caught.value.path == stranger
        assert stranger.read_bytes() == b"someone else's video"
        assert not (made.out_dir / "ep02.script.tsv").exists()
    finally:
        stranger.unlink()
