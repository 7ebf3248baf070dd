"""Recorded takes end to end: a season run, the recording script (CSV with BOM, escaped HTML), generated takes of
different lengths with one missing, import, and the re-rendered dub with the takes fitted and the gap flagged."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from localize import media
from localize.asr.source import PictureOptions
from localize.dub.wav import Audio, read_wav, write_wav
from localize.errors import UserError
from localize.ledger import Ledger
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.paths import SeasonPaths
from localize.pipeline import RunSettings, episode_source, market_delivery
from localize.store import ResultStore
from localize.takes import find_takes, parse_take_name, take_name
from localize.translate import engines

ENGINE = "takes-stub"
TEXTS = ("Where are you <going> so early & alone?", "Home.", "I will come with you, wait for me.")


class StubEngine:
    name = ENGINE

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        return [TEXTS[i % len(TEXTS)] for i in range(len(sources))]


def test_take_names_round_trip() -> None:
    assert take_name("ep01", 2) == "ep01_0003.wav"
    for name in ("ep01_0003.wav", "ep01_3.wav", "ep01-3.WAV", "ep01:3.wav"):
        assert parse_take_name(Path(name)) == ("ep01", 2)
    assert parse_take_name(Path("my_show_ep01_0010.wav")) == ("my_show_ep01", 9)
    assert parse_take_name(Path("ep01_0000.wav")) is None and parse_take_name(Path("ep01.wav")) is None
    assert parse_take_name(Path("ep01_0003.mp3")) is None


def test_unknown_and_doubled_takes_are_refused(tmp_path: Path) -> None:
    silent = Audio(np.zeros((100, 1), dtype=np.float32), 16000)
    write_wav(silent, tmp_path / "ep09_0001.wav")
    with pytest.raises(UserError, match="not a take of this season"):
        find_takes(tmp_path, {"ep01": {0}})
    (tmp_path / "ep09_0001.wav").unlink()
    write_wav(silent, tmp_path / "ep01_0001.wav")
    write_wav(silent, tmp_path / "ep01-1.wav")
    with pytest.raises(UserError, match="second take"):
        find_takes(tmp_path, {"ep01": {0}})
    (tmp_path / "ep01-1.wav").unlink()
    write_wav(silent, tmp_path / "ep01_0005.wav")
    found, ignored = find_takes(tmp_path, {"ep01": {0}})
    assert list(found["ep01"]) == [0] and ignored == ["ep01_0005.wav"]


@pytest.fixture(scope="module")
def market() -> Iterator[Market]:
    engines.ENGINES[ENGINE] = lambda spec: StubEngine()
    yield with_engine(get_market("en-US"), EngineSpec(ENGINE, "none"))
    engines.ENGINES.pop(ENGINE, None)


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory, market: Market) -> Path:
    """OUT of a one-episode run: three Mandarin lines with pauses, two voices."""
    from pypinyin import Style, lazy_pinyin

    from localize.dub.espeak import synthesize

    root = tmp_path_factory.mktemp("takes")
    videos = root / "season"
    videos.mkdir()
    parts = []
    lines = (("你这么早要去哪儿？", "+f3"), ("回家。", "+m3"), ("我跟你一起去，等等我。", "+f3"))
    for n, (text, voice) in enumerate(lines):
        pinyin = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
        parts.append(synthesize(pinyin, "cmn-latn-pinyin" + voice, root / f"p{n}.wav", words_per_minute=150))
    silence = ["-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono:d=0.9"]
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x304020:s=270x480:r=25", "-i", str(parts[0]), *silence,
                      "-i", str(parts[1]), *silence, "-i", str(parts[2]),
                      "-filter_complex", "[1:a][2:a][3:a][4:a][5:a]concat=n=5:v=0:a=1,apad=pad_dur=0.6[a]",
                      "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-ar", "48000", "-ac", "2", "-shortest", str(videos / "ep01.mp4")])
    out = root / "out"
    settings = RunSettings(out_dir=out, picture=PictureOptions(enabled=False))
    store, ledger = ResultStore(SeasonPaths(out).results), Ledger(out)
    market_delivery(episode_source(videos / "ep01.mp4", settings, store, ledger), market, settings, store, ledger)
    return out


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("speech recognition or translation ran again")


@pytest.mark.slow
def test_script_then_takes_end_to_end(season: Path, market: Market, tmp_path: Path, stand_ins: Any) -> None:
    from localize.cli import main
    from localize.dub.espeak import synthesize

    assert main(["dub", "script", str(season), "--market", "en-US"]) == 0
    folder = season / "takes" / "en-US"
    raw = (folder / "script.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and {r["id"].split(":")[0] for r in rows} == {"ep01"}
    assert all(r["file"] == take_name("ep01", int(r["id"].split(":")[1]) - 1) for r in rows)
    assert all(float(r["max_seconds"]) > 0 and r["chinese"] and r["character"] for r in rows)
    page = (folder / "script.html").read_text(encoding="utf-8")
    assert "&lt;going&gt;" in page and "<going>" not in page and "&amp; alone" in page
    lines = sorted(rows, key=lambda r: int(r["id"].split(":")[1]))
    assert len(lines) >= 3

    takes = tmp_path / "takes"
    takes.mkdir()
    # line 1: a short take padded with room tone; line 2 missing; line 3: a take far too long for its slot
    short = synthesize("Where to?", "en-us", tmp_path / "a.wav", words_per_minute=170)
    audio = read_wav(short)
    rng = np.random.default_rng(0)
    pad = (rng.standard_normal((audio.sample_rate // 3, 1)) * 0.001).astype(np.float32)
    write_wav(Audio(np.concatenate([pad, audio.samples, pad]), audio.sample_rate), takes / lines[0]["file"])
    long_text = " ".join(["I will come with you, wait for me, I am almost ready now."] * 3)
    shutil.copy(synthesize(long_text, "en-us", tmp_path / "c.wav", words_per_minute=150), takes / lines[2]["file"])

    stand_ins({"transcribe": _refuse, "translate": _refuse})
    assert main(["dub", "import", str(takes), "--out", str(season), "--market", "en-US", "-q"]) == 0

    report = json.loads((season / "en-US" / "ep01.qa.json").read_text(encoding="utf-8"))
    facts = report.get("facts", report)
    details = {d["line"]: d for d in facts["dub_line_details"]}
    first, second, third = (int(r["id"].split(":")[1]) for r in lines[:3])
    assert details[first]["voice"] == "take" and details[third]["voice"] == "take"
    assert details[second]["voice"] != "take"
    assert facts["dub_missing_takes"] == len(lines) - 2
    codes = [f["code"] for f in report["findings"]]
    assert "dub-take-missing" in codes
    assert {"dub-too-fast", "dub-truncated"} & set(codes)  # the long take is flagged, not cut silently
    assert details[first]["speed"] == 1.0 and not details[first]["flagged"]
    assert (season / "en-US" / "ep01.m4a").is_file() and (season / "en-US" / "ep01.mp4").is_file()
