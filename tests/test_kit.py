"""The post-editing round trip: a season run, its kit exported, two lines edited, the kit imported.

The season is two tiny episodes (real ASR, dub and previews; OCR off: the picture has no burned-in
line); translation goes through a counting stub engine registered in the engine registry.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from localize import media
from localize.asr.source import PictureOptions
from localize.errors import InputFormatError, LocalizeError
from localize.fsutil import sha256_file
from localize.kit import build_kit, export_kit, import_kit, read_kit
from localize.ledger import Ledger
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.paths import SeasonPaths
from localize.pipeline import RunSettings, episode_source, market_delivery
from localize.store import ResultStore
from localize.translate import engines
from localize.translate.kit_format import Kit, KitLine, read_csv, write_csv
from localize.translate.memory import TranslationMemory
from localize.translate.xliff_adapter import read_xliff, write_xliff
from localize.translation_io import read_translation_json

pytestmark = pytest.mark.slow
ENGINE = "kit-counting-stub"
CALLS: list[str] = []  # every source line the stub engine was asked to translate


class CountingEngine:
    name = ENGINE

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        CALLS.extend(sources)
        return [f"Line {i + 1} ({len(s)} characters)" for i, s in enumerate(sources)]


@pytest.fixture(scope="module")
def market() -> Iterator[Market]:
    engines.ENGINES[ENGINE] = lambda spec: CountingEngine()
    yield with_engine(get_market("en-US"), EngineSpec(ENGINE, "none"))
    engines.ENGINES.pop(ENGINE, None)


@pytest.fixture(scope="module")
def season(tiny_episode: Path, tmp_path_factory: pytest.TempPathFactory, market: Market) -> Path:
    """OUT of a two-episode season: the tiny episode, and one with two other Mandarin lines."""
    from pypinyin import Style, lazy_pinyin

    from localize.dub.espeak import synthesize

    root = tmp_path_factory.mktemp("kit")
    videos = root / "season"
    videos.mkdir()
    shutil.copy(tiny_episode, videos / "ep01.mp4")
    parts = []
    for n, text in enumerate(("今天天气很好。", "你说什么？")):
        pinyin = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
        parts.append(synthesize(pinyin, "cmn-latn-pinyin", root / f"p{n}.wav", words_per_minute=150))
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x304020:s=270x480:r=25", "-i", str(parts[0]),
                      "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono:d=0.8", "-i", str(parts[1]),
                      "-filter_complex", "[1:a][2:a][3:a]concat=n=3:v=0:a=1,apad=pad_dur=0.5[a]",
                      "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-ar", "48000", "-ac", "2", "-shortest", str(videos / "ep02.mp4")])
    out = root / "out"
    settings = RunSettings(out_dir=out, picture=PictureOptions(enabled=False), memory=root / "memory.sqlite")
    store, ledger = ResultStore(SeasonPaths(out).results), Ledger(out)
    for video in sorted(videos.glob("*.mp4")):
        market_delivery(episode_source(video, settings, store, ledger), market, settings, store, ledger)
    return out


def _delivery(out: Path, episode: str) -> dict[str, Any]:
    folder = out / "en-US"
    return {"srt": (folder / f"{episode}.srt").read_text(encoding="utf-8"),
            "vtt": (folder / f"{episode}.vtt").read_text(encoding="utf-8"),
            "dub": sha256_file(folder / f"{episode}.m4a"), "preview": sha256_file(folder / f"{episode}.mp4")}


def _approved(out: Path) -> int:
    return TranslationMemory(out.parent / "memory.sqlite").stats().approved


def _refuse_asr(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("speech recognition ran again")


def test_kit_round_trip_through_xliff(season: Path, tmp_path: Path, stand_ins: Any) -> None:
    out = season
    kit, files = export_kit(out, "en-US", fmt="xliff", to=tmp_path)
    assert files == (tmp_path / "en-US.xlf",)
    episodes = {line.id.split(":")[0] for line in kit.lines}
    assert episodes == {"ep01", "ep02"} and len(kit.lines) >= 3  # ASR splits ep01 in two lines, ep02 in 1-2
    first = next(line for line in kit.lines if line.id == "ep01:1")
    assert first.machine == first.target and first.max_chars == 84 and first.max_seconds > 0
    before = {ep: _delivery(out, ep) for ep in episodes}
    approved_before = _approved(out)

    # A translator edits two lines (one per episode), markup and quotes included; the rest stays.
    last = [line.id for line in kit.lines if line.id.startswith("ep02:")][-1]
    edits = {"ep01:1": 'Lin Xiao, you\'re "finally" back & <home>!', last: "{\\an8}The weather is fine today."}
    parsed = read_xliff(files[0].read_bytes(), files[0])
    edited = Kit(parsed.market, tuple(_edit(line, edits) for line in parsed.lines), parsed.out_dir)
    files[0].write_bytes(write_xliff(edited))

    stand_ins({"transcribe": _refuse_asr})
    CALLS.clear()
    result = import_kit(files[0], reviewer="anna")

    assert len(result.edits) == 2 and result.unchanged == len(kit.lines) - 2
    assert set(result.episodes) == {"ep01", "ep02"}
    assert "transcribe" not in result.ran and "extract-audio" not in result.ran
    assert result.ran.get("translate") == 2 and result.ran.get("dub") == 2
    assert CALLS == []  # untouched lines came from the memory, not from the engine
    memory = TranslationMemory(out.parent / "memory.sqlite")
    assert _approved(out) == approved_before + 2
    for line_id, target in edits.items():
        source = next(line.source for line in kit.lines if line.id == line_id)
        match = memory.exact(source, "en-US")
        assert match is not None and match.approved and match.target == target
        assert match.entry.engine == "anna"
    for ep in episodes:
        after = _delivery(out, ep)
        assert after["dub"] != before[ep]["dub"] and after["preview"] != before[ep]["preview"]
        translation = read_translation_json(SeasonPaths(out).episode(ep).lines("en-US"))
        for line in translation.lines:
            wanted = edits.get(f"{ep}:{line.index + 1}")
            old = next(k.machine for k in kit.lines if k.id == f"{ep}:{line.index + 1}")
            assert line.target == (wanted or old)
        for text in (after["srt"], after["vtt"]):
            for line_id, target in edits.items():
                if line_id.startswith(ep):
                    assert _words(target) <= _words(text)
            for line in kit.lines:
                if line.id.startswith(ep) and line.id not in edits:
                    assert line.machine and _words(line.machine) <= _words(text)

    # The same kit again: its edits are already in OUT, so nothing is approved or re-rendered.
    again = import_kit(files[0])
    assert again.edits == () and again.episodes == () and again.unchanged == len(kit.lines)


def test_kit_round_trip_through_csv(season: Path, tmp_path: Path, stand_ins: Any) -> None:
    out = season
    _, files = export_kit(out, "en-US", fmt="csv", to=tmp_path / "kit.csv")
    data = files[0].read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    target_row = next(row for row in rows if row["id"] == "ep01:2")
    target_row["target"] = "Lin Xiao, \"you're\" back,\nat last."
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";")  # a spreadsheet in another locale
    writer.writeheader()
    writer.writerows(rows)
    files[0].write_bytes(buffer.getvalue().encode("utf-8-sig"))
    before = _delivery(out, "ep01")

    stand_ins({"transcribe": _refuse_asr})
    CALLS.clear()
    result = import_kit(files[0], out_dir=out, reviewer="ben")

    assert [e.line.id for e in result.edits] == ["ep01:2"] and result.episodes == ("ep01",)
    assert CALLS == [] and "transcribe" not in result.ran
    after = _delivery(out, "ep01")
    assert after["dub"] != before["dub"]
    assert {"Lin", "Xiao", "back", "last"} <= _words(after["srt"])


def test_stale_foreign_and_unknown_kits_are_refused(season: Path, tmp_path: Path) -> None:
    out = season
    kit = build_kit(out, "en-US")
    approved = _approved(out)
    line = kit.lines[0]

    def attempt(lines: tuple[KitLine, ...], name: str, **kwargs: Any) -> str:
        path = tmp_path / name
        changed = Kit(kit.market, lines, kit.out_dir)
        path.write_bytes(write_csv(changed) if name.endswith(".csv") else write_xliff(changed))
        with pytest.raises(LocalizeError) as info:
            import_kit(path, **kwargs)
        assert str(path) in str(info.value)
        return str(info.value)

    edited = _replace(line, target="Edited.")
    stale = _replace(edited, source=line.source + "啊")
    message = attempt((stale, *kit.lines[1:]), "stale.xlf")
    assert line.id in message and "stale" in message
    unknown = _replace(edited, id="ep09:1")
    assert "unknown line id 'ep09:1'" in attempt((unknown, *kit.lines[1:]), "unknown.csv", out_dir=out)
    past_the_end = _replace(edited, id="ep01:99")
    assert "ep01:99" in attempt((past_the_end,), "past.xlf")
    assert "a kit for en-US, not es-419" in attempt((edited,), "foreign.xlf", market="es-419")
    spanish = tuple(_replace(k, market="es-419") for k in (edited, *kit.lines[1:]))
    path = tmp_path / "spanish.xlf"
    path.write_bytes(write_xliff(Kit("es-419", spanish, kit.out_dir)))
    with pytest.raises(LocalizeError, match=r"spanish\.xlf: .*no es-419 translation"):
        import_kit(path)  # exported (or relabelled) for a market this season was not run for
    foreign_rows = (_replace(edited, market="pt-BR"), *kit.lines[1:])
    assert "several markets" in attempt(foreign_rows, "mixed.csv", out_dir=out)
    assert "give --out" in attempt((edited,), "nowhere.csv")  # a CSV does not say where its season is
    assert _approved(out) == approved  # nothing was stored from a refused file

    from localize.cli import main

    assert main(["kit", "export", str(out), "--market", "en-US", "--to", str(tmp_path / "cli")]) == 0
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == ["en-US.csv", "en-US.xlf"]
    assert main(["kit", "export", str(out), "--market", "en-US", "--to", str(tmp_path / "cli")]) == 2  # exists
    assert main(["kit", "import", str(tmp_path / "cli" / "en-US.xlf"), "--market", "pt-BR"]) == 2  # foreign

    garbage = tmp_path / "broken.xlf"
    garbage.write_text("<xliff version='2.0'><file", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"broken\.xlf"):
        read_kit(garbage)


def test_texts_survive_both_formats_exactly() -> None:
    tricky = ("a < b && c > d", "{\\an8}<i>\"quoted\"</i> 'single'", "two\nlines", "  padded  ", "tab\there",
              "&amp; is not &", "]]> <![CDATA[")
    lines = tuple(KitLine(id=f"ep 1:{n + 1}", source=f"源<{n}>&", target=text, machine=text + "!", speaker="林晓",
                          max_chars=84, max_seconds=1.5, flags=("error x: <y>",), market="en-US")
                  for n, text in enumerate(tricky))
    kit = Kit("en-US", lines, "/tmp/out dir")
    for back in (read_xliff(write_xliff(kit), "kit.xlf"), read_csv(write_csv(kit), "kit.csv")):
        assert back.market == "en-US"
        assert [(b.id, b.source, b.target, b.machine) for b in back.lines] == \
            [(a.id, a.source, a.target, a.machine) for a in lines]


def _edit(line: KitLine, edits: dict[str, str]) -> KitLine:
    return _replace(line, target=edits[line.id]) if line.id in edits else line


def _replace(line: KitLine, **changes: Any) -> KitLine:
    import dataclasses

    return dataclasses.replace(line, **changes)


def _words(text: str) -> set[str]:
    """The words of a text (subtitle writers escape or neutralise markup: &lt;, {\\an8})."""
    return set(re.findall(r"[A-Za-z]+", text))


XLIFF_NS = "{urn:oasis:names:tc:xliff:document:2.0}"


def _kit_line(n: int, target: str | None = "Hello") -> KitLine:
    return KitLine(id=f"ep01:{n}", source="你好", target=target, machine="Hello", speaker="林晓", max_chars=42,
                   max_seconds=1.5, flags=("error x",), market="en-US")


def test_xliff_is_written_in_the_order_the_core_schema_wants() -> None:
    from lxml import etree

    root = etree.fromstring(write_xliff(Kit("en-US", (_kit_line(1), _kit_line(2)), "/out")))
    assert root.tag == f"{XLIFF_NS}xliff" and root.get("version") == "2.0"
    assert (root.get("srcLang"), root.get("trgLang")) == ("zh", "en-US")
    (file_node,) = root.iterchildren(f"{XLIFF_NS}file")
    assert file_node.get("original") == "ep01" and file_node.get("id") == "f1"
    units = list(file_node.iterchildren(f"{XLIFF_NS}unit"))
    assert [u.get("id") for u in units] == ["L1", "L2"] and units[0].get("canResegment") == "no"
    assert [etree.QName(child).localname for child in units[0]] == ["metadata", "notes", "segment"]
    segment = units[0].find(f"{XLIFF_NS}segment")
    assert [etree.QName(child).localname for child in segment] == ["source", "target"]


def test_xliff_from_a_cat_tool_reads_inline_markup_as_text_and_never_expands_entities() -> None:
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
            b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="zh" trgLang="en-US">'
            b'<file id="f1" original="ep01"><group id="g"><unit id="L1"><segment><source>\xe4\xbd\xa0\xe5\xa5\xbd'
            b'</source><target>Hi <pc id="1">there</pc><ph id="2"/>&secret;</target></segment></unit></group>'
            b'</file></xliff>')
    kit = read_xliff(data, "cat.xlf")
    (line,) = kit.lines
    assert (line.id, line.source, kit.market) == ("ep01:1", "你好", "en-US")
    assert line.target is not None and line.target.startswith("Hi there") and "root:" not in line.target


def test_xliff_units_split_by_a_cat_tool_or_other_versions_are_refused_by_name() -> None:
    split = (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="zh" trgLang="en-US">'
             b'<file id="f1" original="ep01"><unit id="L4"><segment><source>a</source></segment>'
             b'<segment><source>b</source></segment></unit></file></xliff>')
    with pytest.raises(InputFormatError, match="unit L4 has 2 segments"):
        read_xliff(split, "split.xlf")
    old = b'<xliff version="1.2"><file original="x" source-language="zh" datatype="plaintext"/></xliff>'
    with pytest.raises(InputFormatError, match=r"old\.xlf.*not XLIFF 2\.0"):
        read_xliff(old, "old.xlf")


def test_no_gpl_code_reads_or_writes_the_cat_formats() -> None:
    import localize.translate.tbx_adapter as tbx
    import localize.translate.xliff_adapter as xliff

    for module in (xliff, tbx):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        assert "from translate" not in source and "import translate" not in source
