"""Glossary tools: encodings a spreadsheet saves, `localize glossary check`, series layers, TBX, compliance."""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from localize.cli import main
from localize.errors import InputFormatError
from localize.markets import EngineSpec, Market, get_market, market_codes, with_engine
from localize.store import content_key
from localize.translate import engines, translate_transcript
from localize.translate.glossary import (
    Glossary,
    glossary_files,
    layer,
    load_glossaries,
    load_glossary,
    overrides,
)
from localize.translate.glossary_check import check_paths
from localize.types import Segment, Transcript

EN = get_market("en-US")
HEADER = "source\ttarget\tkind\tnote\n"
ROWS = (
    "林晓\tLin Xiao\tname\theroine\n"
    "陈总\tMr. Chen\taddress\n"
    "白眼狼\tungrateful wretch\tslang\tsaid of a woman\n"
    "\tmum\tforbidden\tBritish spelling\n"
)
GOOD = "# test glossary\n" + HEADER + ROWS
# What Excel, LibreOffice and Notepad write on Chinese and Windows machines.
ENCODINGS = [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"),
    ("utf-16-le", b"\xff\xfe", "UTF-16 LE with BOM"),
    ("utf-16-be", b"\xfe\xff", "UTF-16 BE with BOM"),
    ("utf-16-le", b"", "UTF-16 LE (no BOM)"),
    ("utf-16-be", b"", "UTF-16 BE (no BOM)"),
    ("gbk", b"", "GB18030"),
    ("gb18030", b"", "GB18030"),
]


def write(folder: Path, text: str, name: str = "en-US.tsv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def essence(glossary: Glossary) -> list[tuple[str, str, str, str]]:
    return [(e.source, e.target, e.kind, e.note) for e in glossary.entries]


# Encodings


@pytest.mark.parametrize(("codec", "bom", "name"), ENCODINGS)
def test_each_spreadsheet_encoding_is_read(tmp_path: Path, codec: str, bom: bytes, name: str) -> None:
    path = tmp_path / "en-US.tsv"
    path.write_bytes(bom + GOOD.encode(codec))
    glossary = load_glossary(path)
    assert essence(glossary) == essence(load_glossary(write(tmp_path / "utf8", GOOD)))
    assert glossary.encoding == name


def test_gb18030_keeps_latin_letters_gbk_lacks(tmp_path: Path) -> None:
    path = tmp_path / "es-419.tsv"
    path.write_bytes((HEADER + "少爷\tjoven señor\taddress\n").encode("gb18030"))
    assert load_glossary(path).entries[0].target == "joven señor"


TRADITIONAL = HEADER + (
    "林曉\tLin Xiao\tname\n陳總\tMr. Chen\taddress\n"
    "張家\tZhang family\tname\n婆婆\tmother-in-law\tterm\n"
)
REFUSED = [
    ("big5", TRADITIONAL.encode("big5"), "not plausible Chinese"),  # reads as 狶惧, 朝羆... in GB18030
    ("latin-1", (HEADER + "??\tNiño\tname\n??\tSeñora\taddress\n").encode("latin-1"), "not plausible Chinese"),
    ("shift-jis", (HEADER + "林暁\tLin Akira\tname\n社長さん\tPresident\taddress\n").encode("shift_jis"), "not"),
    ("xlsx", b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel workbook (.xlsx)"),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "Excel 97-2003"),
    ("binary", random.Random(7).randbytes(1000), "binary data"),
    ("nul pairs", bytes(range(256)) * 4, "binary data"),
    ("utf-8 bom, then not", b"\xef\xbb\xbf" + TRADITIONAL.encode("big5"), "not valid UTF-8 with BOM"),
]


@pytest.mark.parametrize(("what", "data", "problem"), REFUSED, ids=[r[0] for r in REFUSED])
def test_other_encodings_are_refused_naming_the_file(tmp_path: Path, what: str, data: bytes, problem: str) -> None:
    path = tmp_path / "en-US.tsv"
    path.write_bytes(data)
    with pytest.raises(InputFormatError) as info:
        load_glossary(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "UTF-8, UTF-16" in message and "GB18030" in message  # what is accepted
    assert "\n" not in message


def test_utf16_without_bom_still_needs_the_header(tmp_path: Path) -> None:
    path = tmp_path / "en-US.tsv"
    path.write_bytes("林晓\tLin Xiao\tname\n".encode("utf-16-le"))
    with pytest.raises(InputFormatError, match="UTF-16 LE"):
        load_glossary(path)


def test_preflight_stops_a_season_on_a_bad_series_glossary_in_one_line(tmp_path: Path) -> None:
    from flows.season import preflight

    season = tmp_path / "season"
    season.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=90x160:d=0.5", "-f", "lavfi",
                    "-i", "sine=d=0.5", "-shortest", str(season / "ep01.mp4")], check=True)
    write(tmp_path / "market", GOOD)
    assert preflight(season, [EN], tmp_path / "out", glossary_dir=tmp_path / "market") == [season / "ep01.mp4"]
    bad = season / "glossaries" / "en-US.tsv"
    bad.parent.mkdir()
    bad.write_bytes(TRADITIONAL.encode("big5"))
    with pytest.raises(InputFormatError) as info:
        preflight(season, [EN], tmp_path / "out", glossary_dir=tmp_path / "market")
    assert str(info.value).startswith(f"{bad}: not UTF-8") and "\n" not in str(info.value)


# localize glossary check

MESSY = HEADER + (
    "林晓\tLin Xiao\tname\n"  # 2
    "林晓\tLin Xiao\tname\n"  # 3 duplicate
    "林晓\tLittle Lin\tname\n"  # 4 conflict
    "陈总\t\taddress\n"  # 5 empty target
    "\tmum\tforbidden\n"  # 6 fine: a forbidden word needs no source
    "少爷\tyoung master\tnickname\n"  # 7 unknown kind
    "婆婆\tmother-in-law\n"  # 8 two columns
    "Mr. Chen\t陈总\taddress\n"  # 9 swapped: no Chinese source, CJK target
    "大小姐\tMiss，\taddress\n"  # 10 full-width comma in the target
    "ReelShort\tReelShort\tlocked\n"  # 11 fine: brands are written in Latin letters
)


def test_check_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, MESSY)
    report = check_paths([path])
    found = [(f.line_no, f.code, f.severity) for f in report.findings]
    assert found == [
        (3, "duplicate", "warning"), (4, "conflict", "error"), (5, "empty-target", "error"),
        (7, "unknown-kind", "error"), (8, "columns", "error"), (9, "no-chinese", "warning"),
        (9, "cjk-target", "warning"), (10, "cjk-target", "warning"),
    ]
    unknown = next(f for f in report.findings if f.code == "unknown-kind")
    assert str(unknown).startswith(f"{path}:7: error: unknown kind 'nickname'")
    assert "name, address, slang, term, locked, forbidden" in str(unknown)
    assert report.exit_code == 1
    assert report.summary() == "1 file, 5 entries: 4 errors, 4 warnings, 0 notes"


def test_check_headers_and_file_names(tmp_path: Path) -> None:
    folder = tmp_path / "glossaries"
    write(folder, "林晓\tLin Xiao\tname\n", "en-US.tsv")
    write(folder, GOOD, "en_US.tsv")
    codes = [(f.path.name, f.line_no, f.code) for f in check_paths([folder]).findings]
    assert codes == [("en-US.tsv", 1, "header"), ("en_US.tsv", 0, "file-name")]


def test_check_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = write(tmp_path / "clean", GOOD)
    assert main(["glossary", "check", str(clean)]) == 0
    assert capsys.readouterr().out.strip() == "1 file, 4 entries: 0 errors, 0 warnings, 0 notes"
    messy = write(tmp_path / "messy", MESSY)
    assert main(["glossary", "check", str(clean), str(messy)]) == 1
    out = capsys.readouterr().out
    assert f"{messy}:4: error: 林晓 -> 'Little Lin', but line 2 says 'Lin Xiao'" in out
    big5 = tmp_path / "big5" / "en-US.tsv"
    big5.parent.mkdir()
    big5.write_bytes(TRADITIONAL.encode("big5"))
    assert main(["glossary", "check", str(messy), str(big5)]) == 2
    assert f"{big5}: error: not UTF-8" in capsys.readouterr().out
    assert main(["glossary", "check", str(tmp_path / "missing.tsv")]) == 2


def test_check_notes_the_encoding_without_failing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "en-US.tsv"
    path.write_bytes(GOOD.encode("utf-16"))
    assert main(["glossary", "check", str(path)]) == 0
    assert f"{path}: info: read as UTF-16 LE with BOM" in capsys.readouterr().out


def test_check_default_is_the_project_glossaries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "check"]) == 0
    assert capsys.readouterr().out.startswith(f"{len(market_codes())} files")


# Series glossaries layered over the market's

SERIES = HEADER + (
    "林晓\tXiao Lin\tname\tthis series keeps the Chinese order\n"  # overrides the market's Lin Xiao
    "霸总\tbig boss\tslang\n"  # only in this series
    "\tmum\tforbidden\tBritish spelling\n"  # the market bans it too: one ban
    "\tmummy\tforbidden\n"
)


@pytest.fixture
def layers(tmp_path: Path) -> tuple[Path, Path, Path]:
    market_dir = tmp_path / "glossaries"
    season = tmp_path / "season"
    write(market_dir, GOOD)
    write(season / "glossaries", SERIES)
    return market_dir, season, season / "glossaries" / "en-US.tsv"


def test_series_rows_override_the_markets(layers: tuple[Path, Path, Path]) -> None:
    market_dir, season, series = layers
    files = glossary_files("en-US", market_dir, season)
    assert files == (market_dir / "en-US.tsv", series)
    glossary = load_glossaries(files)
    targets = {e.source: e.target for e in glossary.terms}
    assert targets == {"林晓": "Xiao Lin", "陈总": "Mr. Chen", "白眼狼": "ungrateful wretch", "霸总": "big boss"}
    assert sorted(e.target for e in glossary.forbidden) == ["mum", "mummy"]
    assert glossary.layers == files
    assert glossary.protect("林晓，陈总是霸总。") == "Xiao Lin，Mr. Chen是big boss。"


def test_where_layers_are_found(layers: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    market_dir, season, series = layers
    monkeypatch.setenv("LOCALIZE_GLOSSARIES_DIR", str(market_dir))
    # The season's own folder given as the glossaries folder is still the series layer, over the project's.
    assert glossary_files("en-US", season / "glossaries", season) == (market_dir / "en-US.tsv", series)
    assert glossary_files("en-US", None, season) == (series,)
    assert glossary_files("pt-BR", market_dir, season) == ()
    assert glossary_files("en-US", market_dir, None) == (market_dir / "en-US.tsv",)
    assert load_glossaries(()) == Glossary()


def test_overrides_and_check_notes(layers: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    market_dir, _, series = layers
    base, top = load_glossary(market_dir / "en-US.tsv"), load_glossary(series)
    assert [(old.target, new.target) for old, new in overrides(base, top)] == [("Lin Xiao", "Xiao Lin")]
    assert layer(Glossary(), top).entries == top.entries
    assert main(["glossary", "check", str(series.parent), "--over", str(market_dir)]) == 0  # info only
    out = capsys.readouterr().out
    assert f"{series}:2: info: 林晓 -> 'Xiao Lin' (name) overrides {market_dir / 'en-US.tsv'}:3 'Lin Xiao'" in out


def test_the_translation_key_holds_every_layer(layers: tuple[Path, Path, Path]) -> None:
    market_dir, season, series = layers
    files = glossary_files("en-US", market_dir, season)
    def key(glossary: tuple[Path, ...]) -> str:
        return content_key("translate", {"transcript": None, "market": "en-US", "memory": None, "glossary": glossary})

    before = key(files)
    assert before != key(files[:1])
    series.write_text(SERIES + "霸道总裁\tdomineering CEO\tslang\n", encoding="utf-8")
    assert key(files) != before  # the series file's content is in the key


# TBX

MARKUP = HEADER + ROWS + "标签\t<b>&amp; {\\an8}</b>\tterm\tnote  with <x> & \"y\"\n" + "\tchink\tforbidden\n"


def test_tbx_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = write(tmp_path, MARKUP)
    tbx, back = tmp_path / "en-US.tbx", tmp_path / "back" / "en-US.tsv"
    assert main(["glossary", "export-tbx", str(tsv), str(tbx)]) == 0
    xml = tbx.read_text(encoding="utf-8")
    assert "&lt;b&gt;&amp;amp; {\\an8}&lt;/b&gt;" in xml and 'xml:lang="en-US"' in xml
    assert '<descrip type="kind">slang</descrip>' in xml and "deprecatedTerm-admn-sts" in xml
    assert main(["glossary", "import-tbx", str(tbx), str(back)]) == 0
    assert essence(load_glossary(back)) == essence(load_glossary(tsv))
    assert "wrote" in capsys.readouterr().err


def test_tbx_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tsv = write(tmp_path, GOOD)
    tbx = tmp_path / "out.tbx"
    tbx.write_text("mine", encoding="utf-8")
    assert main(["glossary", "export-tbx", str(tsv), str(tbx)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert tbx.read_text(encoding="utf-8") == "mine"
    assert main(["glossary", "export-tbx", str(tsv), str(tbx), "--force"]) == 0
    assert main(["glossary", "import-tbx", str(tbx), str(tsv)]) == 2
    assert main(["glossary", "import-tbx", str(tbx), str(tsv), "--force", "--market", "en-US"]) == 0
    assert not [p for p in os.listdir(tmp_path) if "partial" in p]
    assert main(["glossary", "export-tbx", str(tsv), str(tmp_path / "x.tbx"), "--market", "xx-XX"]) == 2
    assert "unknown market 'xx-XX'" in capsys.readouterr().err


FOREIGN_TBX = """<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX" xml:lang="zh-CN"><text><body>
<termEntry id="t1">
  <descrip type="definition">CEO of the Chen Group</descrip>
  <langSet xml:lang="zh-CN"><tig><term>陈总</term></tig><tig><term>陈总裁</term></tig></langSet>
  <langSet xml:lang="en"><tig><term>Mr. Chen</term></tig>
    <tig><term>Boss Chen</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></tig></langSet>
  <langSet xml:lang="es"><tig><term>señor Chen</term></tig></langSet>
</termEntry>
<termEntry id="t2"><langSet xml:lang="en"><tig><term>orphan</term></tig></langSet></termEntry>
</body></text></martif>
"""


def test_import_of_another_tools_tbx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tbx = tmp_path / "memoq.tbx"
    tbx.write_text(FOREIGN_TBX, encoding="utf-8")
    out = tmp_path / "en-US.tsv"
    assert main(["glossary", "import-tbx", str(tbx), str(out)]) == 2  # en and es: which one?
    assert "--market" in capsys.readouterr().err
    assert main(["glossary", "import-tbx", str(tbx), str(out), "--market", "en-US"]) == 0
    assert essence(load_glossary(out)) == [
        ("陈总", "Mr. Chen", "term", "CEO of the Chen Group"),
        ("陈总裁", "Mr. Chen", "term", "CEO of the Chen Group"),
        ("陈总", "Boss Chen", "forbidden", "CEO of the Chen Group"),
        ("陈总裁", "Boss Chen", "forbidden", "CEO of the Chen Group"),
    ]
    assert "note: concept t2: no Chinese term, left out" in capsys.readouterr().err


def test_import_of_broken_xml_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tbx = tmp_path / "broken.tbx"
    tbx.write_text("<martif>\n<text><body>\n<termEntry>\n</body></martif>\n", encoding="utf-8")
    assert main(["glossary", "import-tbx", str(tbx), str(tmp_path / "x.tsv")]) == 2
    assert f"{tbx}:" in capsys.readouterr().err
    assert not (tmp_path / "x.tsv").exists()


TBX_V3 = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-model href="TBXcoreStructV03_TBX-Basic_integrated.rng" type="application/xml"?>
<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic" style="dca" xml:lang="en">
  <tbxHeader><fileDesc><sourceDesc><p>a CAT tool</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="v1">
      <descrip type="definition">heroine</descrip>
      <langSec xml:lang="zh-Hans"><termSec><term>林晓</term></termSec></langSec>
      <langSec xml:lang="en-GB">
        <termSec><term>Lin Xiao</term><termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></termSec>
        <termSec><term>Xiao Lin</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></termSec>
      </langSec>
    </conceptEntry>
    <!-- a comment between concepts -->
    <conceptEntry id="v2">
      <descrip type="kind">slang</descrip>
      <langSec xml:lang="zh-Hans"><termSec><term>白眼狼</term></termSec></langSec>
      <langSec xml:lang="en-GB"><termSec><term>ungrateful wretch</term></termSec></langSec>
    </conceptEntry>
  </body></text>
</tbx>
"""


def test_import_of_a_tbx_v3_file() -> None:
    from localize.translate.tbx_adapter import import_tbx

    imported = import_tbx(TBX_V3.encode(), "v3.tbx", "en-US")  # en-GB is the file's only English
    assert imported.language == "en-GB" and imported.notes == ()
    assert [(e.source, e.target, e.kind, e.note) for e in imported.entries] == [
        ("林晓", "Lin Xiao", "term", "heroine"),
        ("林晓", "Xiao Lin", "forbidden", "heroine"),
        ("白眼狼", "ungrateful wretch", "slang", ""),
    ]


def test_import_of_ntig_terms() -> None:
    from localize.translate.tbx_adapter import import_tbx

    ntig = ('<martif type="TBX"><text><body><termEntry id="n1">'
            '<langSet xml:lang="zh"><ntig><termGrp><term>陈总</term></termGrp></ntig></langSet>'
            '<langSet xml:lang="en"><ntig><termGrp><term>Mr. Chen</term></termGrp></ntig>'
            '<ntig><termGrp><term>Boss Chen</term>'
            '<termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></termGrp></ntig></langSet>'
            '</termEntry></body></text></martif>')
    imported = import_tbx(ntig.encode(), "ntig.tbx")
    assert [(e.source, e.target, e.kind) for e in imported.entries] == [
        ("陈总", "Mr. Chen", "term"), ("陈总", "Boss Chen", "forbidden")]


def test_tbx_keeps_markup_characters_literally() -> None:
    from localize.translate.tbx_adapter import export_tbx, import_tbx
    from localize.types import GlossaryEntry

    entries = (GlossaryEntry("<标签>&\"'", "a < b & \"c\" 'd' &amp; ]]>", "term", "x<y & 'q' \"z\""),
               GlossaryEntry("", "<i>&</i>", "forbidden", ""))
    xml = export_tbx(entries, "en-US")
    assert b"a &lt; b &amp; \"c\" 'd' &amp;amp; ]]&gt;" in xml and b"<!DOCTYPE martif" in xml
    imported = import_tbx(xml, "out.tbx")
    assert imported.language == "en-US" and imported.entries == entries and imported.notes == ()


def test_tbx_import_fetches_nothing_and_expands_no_entity(tmp_path: Path) -> None:
    import http.server
    import threading

    from localize.translate.tbx_adapter import import_tbx

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER root:x:0:0", encoding="utf-8")
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "FETCHED-MARKER">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        data = (f'<?xml version="1.0"?>\n<!DOCTYPE martif SYSTEM "{url}/TBXcoreStructV02.dtd" [\n'
                f'  <!ENTITY x SYSTEM "{secret.as_uri()}">\n  <!ENTITY passwd SYSTEM "file:///etc/passwd">\n'
                f'  <!ENTITY % remote SYSTEM "{url}/evil.dtd"> %remote;\n]>\n'
                '<martif type="TBX"><text><body><termEntry id="c1"><note>&passwd;</note>'
                '<langSet xml:lang="zh"><tig><term>秘密&x;</term></tig></langSet>'
                '<langSet xml:lang="en"><tig><term>secret&x;&passwd;</term></tig></langSet>'
                '</termEntry></body></text></martif>\n').encode()
        imported = import_tbx(data, "evil.tbx")
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []
    text = repr(imported)
    assert "SECRET-MARKER" not in text and "root:" not in text and "FETCHED-MARKER" not in text
    assert [e.target for e in imported.entries] and all(e.target.startswith("secret") for e in imported.entries)


def test_tbx_import_refuses_another_xml_document() -> None:
    from localize.translate.tbx_adapter import import_tbx

    with pytest.raises(InputFormatError, match=r"kit\.xlf:2: the document is <xliff>, not <martif> or <tbx>"):
        import_tbx(b'<?xml version="1.0"?>\n<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0"/>', "kit.xlf")


def test_tbx_adapter_needs_no_gpl_code() -> None:
    import re
    import sys

    import localize.translate.tbx_adapter as tbx

    source = Path(str(tbx.__file__)).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+translate\b", source, re.MULTILINE)
    assert "translate." not in re.sub(r"localize\.translate\.", "", source)
    probe = ("import sys; from localize.translate.tbx_adapter import export_tbx, import_tbx; "
             "from localize.types import GlossaryEntry; "
             "import_tbx(export_tbx([GlossaryEntry('陈总', 'Mr. Chen', 'term', '')], 'en-US'), 'x.tbx'); "
             "print(sorted(m for m in sys.modules if m == 'translate' or m.startswith('translate.')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=Path(str(tbx.__file__)).parents[2])
    assert result.stdout.strip() == "[]"


# Compliance per episode and market


class TableEngine:
    """Translates the protected lines from a table, as an engine that honours the glossary would."""

    def __init__(self, name: str, answers: dict[str, str]) -> None:
        self.name = name
        self.answers = answers

    def translate(self, sources: Sequence[str], market: Market, context: object = None) -> list[str]:
        return [self.answers[s] for s in sources]


HONOURED = {
    "Lin Xiao，你回来了。": "Lin Xiao, you're back.",
    "Mr. Chen说她是ungrateful wretch。": "Mr. Chen says she is an ungrateful wretch.",
    "Lin Xiao！Lin Xiao！": "Lin Xiao! Lin Xiao!",
    "今天天气很好。": "Nice weather today.",
}


def _episode() -> Transcript:
    texts = ["林晓，你回来了。", "陈总说她是白眼狼。", "林晓！林晓！", "今天天气很好。"]
    return Transcript("zh", tuple(Segment(i * 2000, i * 2000 + 1500, t) for i, t in enumerate(texts)), 8000)


@pytest.mark.parametrize(("dropped", "compliance", "misses"), [(None, 1.0, 0), ("Lin Xiao! Lin Xiao!", 0.8, 1)])
def test_glossary_compliance_in_the_qa_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dropped: str | None,
                                             compliance: float, misses: int) -> None:
    from localize import qa
    from localize.pipeline import _qa_facts

    answers = dict(HONOURED)
    if dropped:  # the engine drops the second Lin Xiao
        answers["Lin Xiao！Lin Xiao！"] = "Lin Xiao! Xiao!"
    monkeypatch.setitem(engines.ENGINES, "table-stub", lambda spec: TableEngine("table-stub", answers))
    glossary = load_glossary(write(tmp_path, GOOD))
    transcript = _episode()
    translation = translate_transcript(transcript, with_engine(EN, EngineSpec(name="table-stub")), glossary=glossary)
    facts = _qa_facts(translation, None, transcript, glossary)
    assert facts["glossary_terms"] == 5  # 林晓, 陈总, 白眼狼, 林晓 x2
    assert facts["glossary_compliance"] == compliance
    assert facts["glossary_misses"] == misses
    findings = qa.translation_findings(translation)
    assert len([f for f in findings if "Lin Xiao" in f.message]) == misses
    assert _qa_facts(translation, None, transcript)["glossary_compliance"] == 1.0  # no glossary: nothing expected
