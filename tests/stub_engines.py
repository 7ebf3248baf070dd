"""Stub translation engines for flow tests.

Also a Dask preload module: `LocalCluster(preload=[this file])` registers them in every worker
process (`dask_setup`), so a season on Dask uses the same stubs as one on threads.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from localize.markets import Market
from localize.translate import engines


class EchoEngine:
    """Deterministic output that passes the checks: "Line N (K characters)"."""

    name = "echo-stub"

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        return [f"Line {i + 1} ({len(s)} characters)" for i, s in enumerate(sources)]


def echo_factory(spec: Any) -> EchoEngine:
    return EchoEngine()


class ReferenceEngine:
    """Answers with the sample season's hand-written reference translations (realistic lengths), and
    shortens by dropping words from the end (the dub's length-aware request)."""

    name = "sample-reference-stub"

    def __init__(self, references: dict[str, dict[str, str]]) -> None:
        self.references = references

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        table = self.references[market.language.split("-")[0]]
        return [table.get(s.strip(), "") for s in sources]

    def shorten(self, requests: Sequence[Any], market: Market) -> list[str]:
        answers = []
        for request in requests:
            words = request.target.split()
            while words and len(" ".join(words)) > request.max_chars:
                words.pop()
            answers.append(" ".join(words))
        return answers


def sample_references(episodes: Sequence[Any], languages: Sequence[str] = ("en", "es", "pt")
                      ) -> dict[str, dict[str, str]]:
    """language -> Chinese line -> reference translation, over the sample season's `episodes`."""
    def rows(path: Path) -> list[dict[str, str]]:
        with path.open(encoding="utf-8") as f:
            return list(csv.DictReader(f, delimiter="\t"))

    references: dict[str, dict[str, str]] = {lang: {} for lang in languages}
    for episode in episodes:
        script_rows = rows(episode.script)
        for lang in languages:
            references[lang].update({s["text"].strip(): r["text"]
                                     for s, r in zip(script_rows, rows(episode.reference(lang)), strict=True)})
    return references


def register() -> None:
    """The plugin hook (LOCALIZE_PLUGINS=stub_engines): a Prefect worker's flow process registers the stub."""
    engines.ENGINES.setdefault(EchoEngine.name, echo_factory)


def dask_setup(worker: Any) -> None:
    """Dask calls this in each worker process at start."""
    register()
