"""Terms that cannot be lost: a line whose translation misses a glossary term is repaired before delivery.

Writing the approved target into the Chinese (`Glossary.protect`) keeps most terms, but a small
model still drops a name now and then. Per line still missing a term, in this order:

1. The engine places it, by what works best for its kind:
   - engines that can decode from a forced prefix (`PrefixDecoder`: the transformers and
     CTranslate2 engines) try the term at every word boundary of their first answer: the answer up
     to the boundary, then the term, then the model's own continuation; among the candidates that
     still say at least half of the first answer's words and do not say it twice (at most 1.3
     times as long as the answer and the term), the one the model itself scores best (mean
     log-probability per token of the whole line, given the source) is kept.
     Prefix-constrained decoding: the term is in every candidate by construction.
   - chat engines (`TermAsker`: the OpenAI-compatible ones) are asked again, naming the missing
     terms and their approved forms, to correct their answer.
2. What is still missing is repaired without a model where the language allows it
   (`fix_without_model`): the Chinese term copied into the output is replaced; a word spelled
   almost like the term ("Zhanghao", "Zhang hao") is respelled; a name or form of address that
   opens or closes the Chinese line as a vocative ("张浩，…", "…，张先生！") is written at the same
   end of the translation, in languages that separate words with spaces.
3. Only then is it flagged: the GlossaryMiss says which term and why it could not be placed.

One occurrence of one term is placed per round, at most `MAX_ROUNDS` rounds a line; a candidate
never loses a term the line already held. Each placement is recorded on the Line (`terms_placed`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from localize.markets import Market
from localize.translate.checks import error_count
from localize.translate.glossary import FORBIDDEN, Glossary
from localize.types import GlossaryEntry

log = logging.getLogger("localize")

MAX_ROUNDS = 4  # terms placed in one line at most (a line naming five people is rare)
KEEP_WORDS = 0.5  # a candidate keeping fewer of the first answer's words loses to one that keeps them (chosen)
LONGER_AT_MOST = 1.3  # ... and so does one longer than this times the answer and the term (it says it twice)
NEAR_SPELLING = 0.85  # share of letters a word group must share with the term to be respelled (chosen, not tuned)
VOCATIVE_KINDS = frozenset({"name", "address"})
# Scripts whose words are separated by spaces: a term can be written at either end of the line.
SPACED_SCRIPTS = frozenset({"latin", "arabic", "cyrillic", "hangul"})
_VOCATIVE_MARKS = "，,！!？?、：:"
_END_MARKS = "。.！!？?…~～"
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")

CONSTRAINED = "constrained decoding"
ASKED_AGAIN = "asked again"
COPIED_TERM = "Chinese term replaced"
RESPELLED = "respelled"
VOCATIVE = "vocative"


@dataclass(frozen=True)
class TermRequest:
    """One line missing at least one term: what the engine saw, what it answered, what is missing."""

    source: str  # the Chinese line as the engine saw it (terms already written in, see Glossary.protect)
    target: str
    missing: tuple[GlossaryEntry, ...]  # the first is the one to place now


@dataclass(frozen=True)
class Scored:
    """A translation and the model's mean log-probability per token for it (higher is likelier)."""

    text: str
    log_prob: float
    complete: bool = True  # False: cut at its length budget (longer than a candidate may be, see place_by_prefix)


@runtime_checkable
class PrefixDecoder(Protocol):
    """An engine that continues a forced start of the translation, and scores what it wrote."""

    def continue_prefixes(self, sources: Sequence[str], prefixes: Sequence[str], market: Market,
                          max_chars: Sequence[int] | None = None) -> list[Scored]:
        """`max_chars`: per line, the length past which it loses anyway: an engine may stop writing it
        there (its Scored then says `complete=False`)."""


@runtime_checkable
class TermAsker(Protocol):
    """An engine that can be asked to correct its translation so it holds the named terms ("" if it cannot)."""

    def ask_terms(self, requests: Sequence[TermRequest], market: Market) -> list[str]: ...


@dataclass(frozen=True)
class Repaired:
    """A line's translation after repair, what was placed (term and how), and why the rest was not."""

    target: str
    placed: tuple[str, ...] = ()  # "Zhang Hao (constrained decoding)"
    unplaced: dict[str, str] = field(default_factory=dict)  # source term -> why it could not be placed


def repair_lines(engine: object, glossary: Glossary, market: Market, sources: Sequence[str],
                 targets: Sequence[str]) -> list[Repaired]:
    """Every line's translation with its missing terms placed where possible (see the module docstring).

    `sources` are the Chinese lines as written (not protected); lines with nothing missing come back
    unchanged.
    """
    current = list(targets)
    placed: list[list[str]] = [[] for _ in sources]
    how = _engine_way(engine)
    for _ in range(MAX_ROUNDS if how else 0):
        todo = [(i, missing) for i, missing in enumerate(_missing(glossary, s, t) for s, t in zip(sources, current,
                                                                                                   strict=True))
                if missing]
        if not todo:
            break
        requests = [TermRequest(glossary.protect(sources[i]), current[i], missing) for i, missing in todo]
        answers = _engine_repair(engine, requests, market, sources=[sources[i] for i, _ in todo], glossary=glossary)
        changed = False
        for (i, missing), answer in zip(todo, answers, strict=True):
            if answer and _better(glossary, sources[i], answer, current[i], market):
                still = _missing(glossary, sources[i], answer)
                placed[i] += [f"{entry.target} ({how})" for entry in missing if entry not in still] or [
                    f"{missing[0].target} ({how})"]  # a second occurrence of a term the line already held
                current[i] = answer
                changed = True
        if not changed:
            break
    results = []
    for i, source in enumerate(sources):
        target, fixed = fix_without_model(glossary, source, current[i], market)
        reasons = {entry.source: why_unplaced(entry, how, market) for entry in _missing(glossary, source, target)}
        results.append(Repaired(target, tuple(placed[i] + fixed), reasons))
    return results


def _engine_way(engine: object) -> str:
    if isinstance(engine, PrefixDecoder):
        return CONSTRAINED
    if isinstance(engine, TermAsker):
        return ASKED_AGAIN
    return ""


def _engine_repair(engine: object, requests: Sequence[TermRequest], market: Market, *, sources: Sequence[str],
                   glossary: Glossary) -> list[str]:
    if isinstance(engine, PrefixDecoder):
        return place_by_prefix(engine, requests, market, sources, glossary)
    if isinstance(engine, TermAsker):
        return engine.ask_terms(requests, market)
    return [""] * len(requests)


def _missing(glossary: Glossary, source: str, target: str) -> tuple[GlossaryEntry, ...]:
    """Terms of `source` the translation renders fewer times than the source holds them."""
    misses = glossary.verify(0, source, target)
    by_source = {entry.source: entry for entry in glossary.matches(source)}
    return tuple(dict.fromkeys(by_source[m.source_term] for m in misses
                               if m.kind != FORBIDDEN and m.source_term in by_source))


def _better(glossary: Glossary, source: str, answer: str, before: str, market: Market) -> bool:
    """The answer holds more of the line's terms and no more check errors than before."""
    if glossary.honoured(source, answer)[1] <= glossary.honoured(source, before)[1]:
        return False
    return error_count(source, answer, market) <= error_count(source, before, market)


def place_by_prefix(decoder: PrefixDecoder, requests: Sequence[TermRequest], market: Market,
                    sources: Sequence[str], glossary: Glossary) -> list[str]:
    """Per request, its first missing term forced at the word boundary the model scores best."""
    candidates: list[tuple[int, str]] = []
    for index, request in enumerate(requests):
        term = request.missing[0].target
        candidates += [(index, prefix) for prefix in term_prefixes(request.target, term, market)]
    longest = [int(LONGER_AT_MOST * (len(r.target) + len(r.missing[0].target))) for r in requests]
    scored = decoder.continue_prefixes([requests[i].source for i, _ in candidates], [p for _, p in candidates], market,
                                       max_chars=[longest[i] for i, _ in candidates])
    best: dict[int, tuple[tuple[int, bool, int, float], str]] = {}
    for (index, _), answer in zip(candidates, scored, strict=True):
        source = sources[index]
        first = requests[index].target
        keeps = kept_share(first, answer.text, market) >= KEEP_WORDS
        fits = answer.complete and len(answer.text) <= longest[index]
        rank = (glossary.honoured(source, answer.text)[1], keeps and fits, -error_count(source, answer.text, market),
                answer.log_prob)
        if index not in best or rank > best[index][0]:
            best[index] = (rank, answer.text)
    return [best[i][1] if i in best else "" for i in range(len(requests))]


def term_prefixes(target: str, term: str, market: Market) -> list[str]:
    """Starts of a translation that end with `term`: the answer cut at each word boundary, then the term
    (capitalised where it starts a sentence: "mamá" -> "Mamá")."""
    spaced = market.script in SPACED_SCRIPTS
    cuts = {0, len(target)}
    cuts |= {m.end() for m in re.finditer(r"\s+" if spaced else r"[\s、。，,！!？?…]+", target)}
    prefixes = []
    for cut in sorted(cuts):
        head = target[:cut].rstrip() if spaced else target[:cut]
        written = term[:1].upper() + term[1:] if not head or head.endswith((".", "!", "?")) else term
        prefixes.append(f"{head} {written}" if head and spaced else head + written)
    return list(dict.fromkeys(prefixes))


def kept_share(answer: str, candidate: str, market: Market) -> float:
    """The share of the first answer's words (pairs of letters where words are not spaced) the candidate
    still says: a forced term must not cut the rest of the line."""
    before, after = _units(answer, market), _units(candidate, market)
    if not before:
        return 1.0
    return sum((before & after).values()) / sum(before.values())


def _units(text: str, market: Market) -> Counter[str]:
    if market.script in SPACED_SCRIPTS:
        return Counter(word.casefold() for word in _WORD.findall(text))
    letters = "".join(ch for ch in text if ch.isalnum())
    return Counter(letters[i:i + 2] for i in range(len(letters) - 1))


def fix_without_model(glossary: Glossary, source: str, target: str, market: Market) -> tuple[str, list[str]]:
    """`target` with what can be repaired without a model (see the module docstring), and what was placed."""
    placed: list[str] = []
    for entry in _missing(glossary, source, target):
        fixed, how = _fix_one(entry, source, target, market)
        if fixed != target and glossary.honoured(source, fixed)[1] > glossary.honoured(source, target)[1]:
            target = fixed
            placed.append(f"{entry.target} ({how})")
    return target, placed


def _fix_one(entry: GlossaryEntry, source: str, target: str, market: Market) -> tuple[str, str]:
    if entry.source in target:
        return target.replace(entry.source, entry.target, 1), COPIED_TERM
    spelled = _near_spelling(target, entry.target)
    if spelled is not None:
        return target[:spelled[0]] + entry.target + target[spelled[1]:], RESPELLED
    if entry.kind in VOCATIVE_KINDS and market.script in SPACED_SCRIPTS:
        comma = "، " if market.script == "arabic" else ", "
        if _opens(source, entry.source):
            return f"{entry.target}{comma}{_lower_first(target)}", VOCATIVE
        if _closes(source, entry.source):
            body = target.rstrip()
            end = len(body.rstrip(_END_MARKS))
            return f"{body[:end]}{comma}{entry.target}{body[end:]}", VOCATIVE
    return target, ""


def _opens(source: str, term: str) -> bool:
    text = source.strip()
    return text.startswith(term) and text[len(term):len(term) + 1] in tuple(_VOCATIVE_MARKS)


def _closes(source: str, term: str) -> bool:
    text = source.strip().rstrip(_END_MARKS)
    return text.endswith(term) and text[:-len(term)].rstrip()[-1:] in tuple(_VOCATIVE_MARKS)


def _lower_first(text: str) -> str:
    """'You came.' -> 'you came.' after a name; a capital of a name ('I', 'Lin') is kept."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[:1].isupper() and first[1:].islower() and first not in {"I", "I'm"}:
        return first[0].lower() + text[1:]
    return text


def _fold(text: str) -> str:
    """Letters only, case-folded, accents removed: 'Zhang-Hào' -> 'zhanghao'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def _near_spelling(target: str, term: str) -> tuple[int, int] | None:
    """Where a run of 1-3 words of `target` is spelled almost like `term` (span), else None."""
    from rapidfuzz import fuzz

    wanted = _fold(term)
    if len(wanted) < 3:
        return None
    words = list(_WORD.finditer(target))
    best: tuple[float, tuple[int, int]] | None = None
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            span = (words[start].start(), words[start + size - 1].end())
            score = fuzz.ratio(_fold(target[span[0]:span[1]]), wanted) / 100
            if score >= NEAR_SPELLING and (best is None or score > best[0]):
                best = (score, span)
    return best[1] if best else None


def why_unplaced(entry: GlossaryEntry, how: str, market: Market) -> str:
    """Why a term is still missing after every repair, in words for the flag."""
    tried = {CONSTRAINED: "the engine's constrained decoding found no line holding it without new errors",
             ASKED_AGAIN: "the engine was asked again, naming it, and still left it out",
             "": "the engine cannot be constrained or asked again"}[how]
    if entry.kind not in VOCATIVE_KINDS:
        rest = f"no word of the translation is spelled like it, and a {entry.kind} is not placed without a model"
    elif market.script not in SPACED_SCRIPTS:
        rest = f"nothing is spelled like it, and {market.language_name} lines are not repaired without a model"
    else:
        rest = "nothing is spelled like it, and it is not said to someone at the start or end of the line"
    return f"{tried}; {rest}"


def with_reasons(message: str, reason: str) -> str:
    """A GlossaryMiss message with why the term could not be placed."""
    return f"{message}; not placed: {reason}" if reason else message

