"""The release gate: what a market's platform accepts, checked on each delivery; what passes is released.

A market's rules (`ReleaseRules`) start from the market's own (reading speed, line length, dub speed,
loudness, true peak) and are set per market in localize.toml (`[release]` for every market,
`[release.<code>]` for one). After every run and re-render, `write_manifests` checks each delivery
of the season against its market's rules and writes `OUT/release/<market>.json`: exactly the
deliveries that pass, or that a reviewer approved, with their files and SHA-256; the rest held with
their reasons. A held delivery never blocks the others. `localize release OUT --market M` packs what
the manifest releases (the files plus `SHA256SUMS`) for hand-off, and nothing else.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localize.decisions import Decisions
from localize.errors import UserError
from localize.fsutil import sha256_file, write_text_atomic
from localize.markets import Market, get_market
from localize.paths import SeasonPaths
from localize.subtitle.measure import text_length
from localize.subtitle.textsubs import decode, parse_srt

RELEASE = "release"
SPEED_EPSILON = 1e-3


@dataclass(frozen=True)
class ReleaseRules:
    """What a delivery must meet to be released; None: the market's own figure."""

    max_cps: float | None = None  # reading speed of every cue, characters per second
    max_chars_per_line: int | None = None
    max_dub_speed: float | None = None  # how much faster than natural a dub line may be spoken
    loudness_lufs: float | None = None  # integrated loudness of the dub
    loudness_tolerance_lu: float = 1.0
    max_true_peak_dbtp: float | None = None
    min_glossary_compliance: float = 1.0  # share of the glossary's terms rendered as approved
    forbidden_words: tuple[str, ...] = ()  # never in the subtitles (besides the glossary's forbidden words)
    max_residual_chinese: float = 0.02  # share of the burned-in Chinese still readable in the picture
    max_flagged_lines: int = 0  # lines still carrying an error finding

    def for_market(self, market: Market) -> ReleaseRules:
        """These rules with the market's figures where none is set."""
        return ReleaseRules(
            max_cps=self.max_cps if self.max_cps is not None else market.rules.max_cps,
            max_chars_per_line=(self.max_chars_per_line if self.max_chars_per_line is not None
                                else market.rules.max_chars_per_line),
            max_dub_speed=self.max_dub_speed if self.max_dub_speed is not None else market.max_dub_speed,
            loudness_lufs=self.loudness_lufs if self.loudness_lufs is not None else market.loudness_lufs,
            loudness_tolerance_lu=self.loudness_tolerance_lu,
            max_true_peak_dbtp=(self.max_true_peak_dbtp if self.max_true_peak_dbtp is not None
                                else market.true_peak_dbtp),
            min_glossary_compliance=self.min_glossary_compliance, forbidden_words=self.forbidden_words,
            max_residual_chinese=self.max_residual_chinese, max_flagged_lines=self.max_flagged_lines)


@dataclass(frozen=True)
class ReleaseSettings:
    """`[release]` (every market) and `[release.<code>]` (one market) of localize.toml."""

    every: ReleaseRules = field(default_factory=ReleaseRules)
    markets: dict[str, ReleaseRules] = field(default_factory=dict)

    def rules(self, market: Market) -> ReleaseRules:
        return self.markets.get(market.code, self.every).for_market(market)


@dataclass(frozen=True)
class Verdict:
    episode: str
    market: str
    released: bool
    reasons: tuple[str, ...]  # why it is held (or, approved, what the reviewer accepted)
    approved_by: str = ""


def check_delivery(out: Path, episode: str, market: Market, rules: ReleaseRules) -> list[str]:
    """Every rule the delivery breaks, in words (empty: it passes)."""
    paths = SeasonPaths(out).episode(episode).market(market.code)
    try:
        qa: dict[str, Any] = json.loads(paths.qa_json.read_text(encoding="utf-8"))
        srt_text = decode(paths.subtitle("srt"), paths.subtitle("srt").read_bytes())
    except (OSError, ValueError):
        return ["not delivered: its QA report or subtitles are missing (the run failed or is running)"]
    reasons = _subtitle_reasons(paths.subtitle("srt"), srt_text, market, rules)
    speeds = [(row.get("line"), float(row["speed"])) for row in qa.get("dub_line_details", [])
              if isinstance(row, dict) and row.get("speed") is not None]
    fast = [(line, speed) for line, speed in speeds if speed > (rules.max_dub_speed or 0) + SPEED_EPSILON]
    if fast:
        line, speed = max(fast, key=lambda pair: pair[1])
        reasons.append(f"dub speed: {len(fast)} line(s) faster than {rules.max_dub_speed:.2f}x "
                       f"(line {line} at {speed:.2f}x)")
    lufs, peak = qa.get("dub_lufs"), qa.get("dub_true_peak_dbtp")
    if lufs is not None and rules.loudness_lufs is not None and abs(lufs - rules.loudness_lufs) > \
            rules.loudness_tolerance_lu:
        reasons.append(f"loudness: {lufs:.1f} LUFS, expected {rules.loudness_lufs:.1f} "
                       f"± {rules.loudness_tolerance_lu:.1f} LU")
    if peak is not None and rules.max_true_peak_dbtp is not None and peak > rules.max_true_peak_dbtp:
        reasons.append(f"true peak: {peak:.1f} dBTP, at most {rules.max_true_peak_dbtp:.1f}")
    compliance = qa.get("glossary_compliance")
    if compliance is not None and compliance < rules.min_glossary_compliance:
        reasons.append(f"glossary: {compliance:.0%} of the terms as approved, at least "
                       f"{rules.min_glossary_compliance:.0%} needed")
    forbidden = [f for f in qa.get("findings", []) if isinstance(f, dict) and f.get("code") == "glossary-forbidden"]
    if forbidden:
        reasons.append(f"forbidden words: {len(forbidden)} ({forbidden[0].get('message', '')})")
    residual = qa.get("residual_chinese_share")
    if residual is not None and residual > rules.max_residual_chinese:
        reasons.append(f"burned-in text: {residual:.1%} of the Chinese still readable, at most "
                       f"{rules.max_residual_chinese:.1%}")
    flagged = int(qa.get("lines_with_errors") or 0)
    if flagged > rules.max_flagged_lines:
        reasons.append(f"flagged lines: {flagged} translation(s) still carrying an error, at most "
                       f"{rules.max_flagged_lines}")
    return reasons


def _subtitle_reasons(path: Path, text: str, market: Market, rules: ReleaseRules) -> list[str]:
    reasons = []
    cues = parse_srt(path, text)
    fast = [(c, text_length(c.text, market.language) / max((c.end_ms - c.start_ms) / 1000, 0.001)) for c in cues]
    fast = [(c, cps) for c, cps in fast if rules.max_cps is not None and cps > rules.max_cps + 0.05]
    if fast:
        cue, cps = max(fast, key=lambda pair: pair[1])
        reasons.append(f"reading speed: {len(fast)} cue(s) over {rules.max_cps:g} characters/s "
                       f"({cps:.1f} at {cue.start_ms / 1000:.1f} s)")
    long = [(c, text_length(line, market.language)) for c in cues for line in c.lines]
    long = [(c, n) for c, n in long if rules.max_chars_per_line is not None and n > rules.max_chars_per_line]
    if long:
        cue, n = max(long, key=lambda pair: pair[1])
        reasons.append(f"line length: {len(long)} line(s) over {rules.max_chars_per_line} characters "
                       f"({n:g} at {cue.start_ms / 1000:.1f} s)")
    said = " ".join(c.text for c in cues)
    words = [w for w in rules.forbidden_words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", said, re.IGNORECASE)]
    if words:
        reasons.append(f"forbidden words: {', '.join(repr(w) for w in words)} in the subtitles")
    return reasons


def verdicts(out: Path, market: Market, rules: ReleaseRules, episodes: list[str]) -> list[Verdict]:
    decided = Decisions(out).all()
    found = []
    for episode in episodes:
        reasons = check_delivery(out, episode, market, rules)
        decision = decided.get((episode, market.code))
        approved = decision is not None and decision.decision == "approved"
        delivered = not any(r.startswith("not delivered") for r in reasons)
        found.append(Verdict(episode, market.code, (not reasons) or (approved and delivered), tuple(reasons),
                             (decision.reviewer or "a reviewer") if approved and decision else ""))
    return found


def write_manifests(out: Path, markets: list[Market], settings: ReleaseSettings) -> dict[str, list[Verdict]]:
    """`OUT/release/<market>.json` for each market: the deliveries released (with files and SHA-256) and
    those held, with their reasons."""
    season = SeasonPaths(out)
    episodes = season.episodes()
    found = {}
    for market in markets:
        listed = verdicts(out, market, settings.rules(market), episodes)
        rows = []
        for verdict in listed:
            row: dict[str, Any] = asdict(verdict)
            row["reasons"] = list(verdict.reasons)
            if verdict.released:
                row["files"] = {p.name: sha256_file(p) for p in _release_files(out, verdict.episode, market.code)}
            rows.append(row)
        body = {"market": market.code, "rules": asdict(settings.rules(market)),
                "released": [r for r in rows if r["released"]], "held": [r for r in rows if not r["released"]]}
        write_text_atomic(out / RELEASE / f"{market.code}.json", json.dumps(body, ensure_ascii=False, indent=1) + "\n")
        found[market.code] = listed
    return found


def _release_files(out: Path, episode: str, market: str) -> list[Path]:
    at = SeasonPaths(out).episode(episode).market(market)
    return [p for p in (*at.subtitles, at.dub, at.preview) if p.is_file()]


def pack(out: Path, market_code: str, to: Path | None = None) -> tuple[Path, list[str]]:
    """Copy what the market's manifest releases into `to` (default OUT/release/<market>/) with SHA256SUMS;
    the folder is made whole in a temporary place and then put there, so it never holds a held file."""
    market = get_market(market_code)
    manifest_path = out / RELEASE / f"{market.code}.json"
    if not manifest_path.is_file():
        raise UserError(f"{manifest_path}: no release manifest (run `localize run` for {market.code} first)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    target = to or out / RELEASE / market.code
    staging = target.with_name(f".{target.name}.packing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sums = []
    for row in manifest["released"]:
        for name, digest in sorted(row["files"].items()):
            source = SeasonPaths(out).episode(row["episode"]).market(market.code).folder / name
            if not source.is_file() or sha256_file(source) != digest:
                shutil.rmtree(staging, ignore_errors=True)
                raise UserError(f"{source}: changed since the manifest was written; run `localize run` again")
            shutil.copy2(source, staging / name)
            sums.append(f"{digest}  {name}")
    (staging / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target, [row["episode"] for row in manifest["released"]]
