"""The release gate: a delivery breaking each rule in turn is held with that reason, an approved one is
released, a held one never reaches the release folder; rules from localize.toml."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import review_season
from stub_engines import EchoEngine

from localize.cli import main
from localize.config import load_config
from localize.decisions import Decisions
from localize.errors import InputFormatError
from localize.markets import get_market
from localize.paths import SeasonPaths
from localize.release import ReleaseRules, ReleaseSettings, check_delivery, pack, write_manifests
from localize.translate import engines

MARKET = review_season.MARKET


@pytest.fixture(scope="module")
def clean_season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return review_season.make_season(tmp_path_factory.mktemp("release-season"), forbid=False)


@pytest.fixture
def out(clean_season: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    folder = tmp_path / "out"
    result = review_season.deliver(clean_season, folder)
    assert not result.failures
    assert [v.released for v in result.released[MARKET]] == [True, True]  # the stub season passes as it is
    yield folder


def with_facts(out: Path, episode: str, **facts: Any) -> None:
    """Change what the run's QA report says of a delivery (as a worse delivery would have it)."""
    path = SeasonPaths(out).episode(episode).market(MARKET).qa_json
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(facts)
    path.write_text(json.dumps(data), encoding="utf-8")


RULES = [  # (rules, facts of the QA report, words the reason starts with)
    (ReleaseRules(max_cps=2.0), {}, "reading speed"),
    (ReleaseRules(max_chars_per_line=6), {}, "line length"),
    (ReleaseRules(forbidden_words=("line",)), {}, "forbidden words: 'line'"),
    (ReleaseRules(), {"dub_line_details": [{"line": 2, "speed": 1.4}]}, "dub speed"),
    (ReleaseRules(), {"dub_lufs": -23.0}, "loudness"),
    (ReleaseRules(), {"dub_true_peak_dbtp": -0.2}, "true peak"),
    (ReleaseRules(), {"glossary_compliance": 0.75}, "glossary"),
    (ReleaseRules(), {"residual_chinese_share": 0.2}, "burned-in text"),
    (ReleaseRules(), {"lines_with_errors": 1}, "flagged lines"),
    (ReleaseRules(), {"findings": [{"code": "glossary-forbidden", "message": "line 1: forbidden word 'x'"}]},
     "forbidden words"),
]


@pytest.mark.parametrize(("rules", "facts", "reason"), RULES, ids=[r for _, _, r in RULES])
def test_a_delivery_breaking_a_rule_is_held_with_that_reason(out: Path, rules: ReleaseRules, facts: dict[str, Any],
                                                             reason: str) -> None:
    market = get_market(MARKET)
    with_facts(out, "ep01", **facts)
    held = check_delivery(out, "ep01", market, rules.for_market(market))
    assert len(held) == 1 and held[0].startswith(reason), held
    if facts:
        assert check_delivery(out, "ep02", market, rules.for_market(market)) == []  # the others still pass


def test_held_deliveries_never_reach_the_release_folder_and_an_approved_one_does(out: Path) -> None:
    market = get_market(MARKET)
    with_facts(out, "ep01", dub_lufs=-30.0)
    with_facts(out, "ep02", dub_lufs=-30.0)
    Decisions(out).decide("ep02", MARKET, "approved", reviewer="Anna")
    verdicts = write_manifests(out, [market], ReleaseSettings())[MARKET]
    assert [(v.episode, v.released, v.approved_by) for v in verdicts] == [("ep01", False, ""), ("ep02", True, "Anna")]
    folder, packed = pack(out, MARKET)
    assert packed == ["ep02"] and folder == out / "release" / MARKET
    names = sorted(p.name for p in folder.iterdir())
    assert "ep02.srt" in names and not any(n.startswith("ep01") for n in names)
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    Decisions(out).decide("ep02", MARKET, "sent back", "no", "Anna")
    write_manifests(out, [market], ReleaseSettings())
    folder, packed = pack(out, MARKET)
    assert packed == [] and sorted(p.name for p in folder.iterdir()) == ["SHA256SUMS"]  # the old pack is gone


def test_a_run_writes_the_manifest_and_localize_release_packs_it(out: Path, clean_season: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    strict = ReleaseSettings(markets={MARKET: ReleaseRules(max_cps=2.0)})
    result = review_season.deliver(clean_season, out, release=strict)
    assert [v.released for v in result.released[MARKET]] == [False, False]
    manifest = json.loads((out / "release" / f"{MARKET}.json").read_text(encoding="utf-8"))
    assert manifest["released"] == [] and all(r["reasons"][0].startswith("reading speed") for r in manifest["held"])
    assert main(["release", str(out), "--market", MARKET]) == 0
    printed = capsys.readouterr().out
    assert "packed 0 deliveries" in printed and "held ep01: reading speed" in printed


def test_rules_come_from_localize_toml(tmp_path: Path) -> None:
    config = tmp_path / "localize.toml"
    config.write_text('[release]\nmin_glossary_compliance = 0.9\nforbidden_words = ["damn"]\n'
                      '[release.es-419]\nmax_cps = 15\n', encoding="utf-8")
    release = load_config(config).release
    spanish = release.rules(get_market("es-419"))
    assert spanish.max_cps == 15.0 and spanish.min_glossary_compliance == 0.9 and spanish.forbidden_words == ("damn",)
    english = release.rules(get_market("en-US"))
    assert english.max_cps == get_market("en-US").rules.max_cps and english.max_dub_speed == 1.2
    config.write_text("[release]\nmax_cps = 'fast'\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"release\.max_cps"):
        load_config(config)
    config.write_text("[release.xx-XX]\nmax_cps = 3\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"release\.xx-XX"):
        load_config(config)
