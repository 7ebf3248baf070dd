"""localize.toml: a market pointed at another model; mistakes named with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from localize.config import load_config
from localize.errors import InputFormatError
from localize.markets import get_market


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "localize.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_market_engine_and_asr_options(tmp_path: Path) -> None:
    (tmp_path / "opus-mt-zh-en").mkdir()
    config = load_config(write(tmp_path, '[asr]\nbeam_size = 1\n[markets.en-US]\nengine = "seq2seq"\n'
                                         'model = "opus-mt-zh-en"\n'))
    assert config.asr.beam_size == 1
    market = config.market(get_market("en-US"))
    assert market.engine.name == "seq2seq"
    assert market.engine.model == str(tmp_path / "opus-mt-zh-en")  # relative to the config file
    assert config.market(get_market("es-419")).engine.model == "gemma3-270m"


def test_cover_box_moves_or_goes(tmp_path: Path) -> None:
    moved = load_config(write(tmp_path, "[cover]\ntop = 1500\nbottom = 1700\n")).cover
    assert moved is not None and (moved.y0, moved.y1) == (1500, 1700)
    assert load_config(write(tmp_path, "[cover]\nenabled = false\n")).cover is None
    assert load_config(None).cover is not None  # on by default


def test_cover_follows_the_picture_unless_set_by_hand(tmp_path: Path) -> None:
    assert load_config(None).cover_auto
    assert not load_config(write(tmp_path, "[cover]\ntop = 1500\nbottom = 1700\n")).cover_auto
    assert not load_config(write(tmp_path, "[cover]\nenabled = false\n")).cover_auto


def test_picture_and_dialect_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[picture]\nenabled = false\n[asr]\ndialect = "cantonese"\n'))
    assert not config.picture.enabled and config.asr.dialect == "cantonese"
    assert load_config(write(tmp_path, '[picture]\ndevice = "auto"\nsamples = 12\n')).picture.samples == 12


@pytest.mark.parametrize(("text", "message"), [
    ("[cover]\ntop = 1700\nbottom = 1500\n", "cover"),
    ('[picture]\ndevice = "tpu"\n', "picture.device"),
    ("[picture]\nenabled = 1\n", "picture.enabled"),
    ('[asr]\nbeam_size = "5"\n', "asr.beam_size"),
    ("markets = 3\n", "markets must be a table"),
    ('[markets.xx-YY]\nengine = "seq2seq"\n', "unknown market"),
    ('[markets.en-US]\nengin = "seq2seq"\n', "unknown key"),
    ("[asr\n", "not valid TOML"),
])
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFormatError, match=message) as caught:
        load_config(write(tmp_path, text))
    assert "localize.toml" in str(caught.value)


def test_who_speaks_is_set_in_the_speakers_table_and_reaches_the_run_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[speakers]\nenabled = false\nthreshold = 1\n"))
    settings = config.run_settings(tmp_path / "out")
    assert settings.speakers.enabled is False and settings.speakers.threshold == 1.0
    assert settings.memory == config.memory_for(tmp_path / "out") and settings.platform == config.platform
    with pytest.raises(InputFormatError, match=r"unknown key speakers\.'voices'"):
        load_config(write(tmp_path, "[speakers]\nvoices = 3\n"))
    with pytest.raises(InputFormatError, match=r"speakers\.enabled = 'no'"):
        load_config(write(tmp_path, '[speakers]\nenabled = "no"\n'))
