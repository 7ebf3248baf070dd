"""How good a place between two words is for a line break or a cue split.

The style guides (Netflix, BBC) say: break after punctuation, or before a
conjunction or preposition; never between an article and its noun, a preposition
and its object, a pronoun and its verb, or a first and last name. Without a
parser we approximate this with small word lists per language; languages without
a list still get the punctuation rules and balanced lines.

Costs are in "characters of imbalance": a bonus of 12 means the segmenter will
accept lines about 12 characters less balanced to break after a comma.
To add a language: add a `WordLists(...)` to `WORD_LISTS` under its ISO 639-1 code.
"""

from __future__ import annotations

from dataclasses import dataclass

from localize.subtitle.measure import base_language

SENTENCE_END_BONUS = -20.0
CLAUSE_END_BONUS = -12.0
BEFORE_CONJUNCTION_BONUS = -8.0
BEFORE_PREPOSITION_BONUS = -6.0
AFTER_ARTICLE_PENALTY = 30.0
AFTER_TITLE_PENALTY = 30.0
INSIDE_NAME_PENALTY = 25.0
AFTER_PREPOSITION_PENALTY = 25.0
AFTER_PRONOUN_PENALTY = 20.0
AFTER_CONJUNCTION_PENALTY = 15.0
AFTER_NUMBER_PENALTY = 10.0
FORBIDDEN_PENALTY = 1000.0  # a line must not start with closing punctuation

_QUOTES = "\"'“”‘’«»„‚¿¡([{"
_CLOSERS = "\"'“”‘’»)]}"
_SENTENCE_END = ".!?…。！？"
_CLAUSE_END = ",;:，、；：—–"
_DASHES = ("-", "—", "–", "--")
_NO_LINE_START = ".!?…,;:。！？，、；：)]}」』》"


@dataclass(frozen=True)
class WordLists:
    """Lower-case function words of one language (a word may sit in several lists)."""

    articles: frozenset[str]  # articles, determiners, possessives: stay with their noun
    prepositions: frozenset[str]
    conjunctions: frozenset[str]
    pronouns: frozenset[str]  # subject pronouns and clitics: stay with the verb after them
    titles: frozenset[str]  # "mr.", "dr.": stay with the name, and do not end a sentence


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


WORD_LISTS: dict[str, WordLists] = {
    "en": WordLists(
        articles=_words("a an the my your his her its our their this that these those some any no every"),
        prepositions=_words("to of in on at for with from by about into onto over after before under "
                            "without through between against during until like near behind"),
        conjunctions=_words("and but or nor so because if when while that although though unless "
                            "until since than whether where"),
        pronouns=_words("i he she we they you it"),
        titles=_words("mr. mrs. ms. dr. mr mrs ms dr miss sir madam"),
    ),
    "es": WordLists(
        articles=_words("el la los las un una unos unas lo mi mis tu tus su sus nuestro nuestra "
                        "nuestros nuestras este esta estos estas ese esa esos esas aquel aquella"),
        prepositions=_words("a de en con por para sin sobre entre hasta desde hacia contra según tras "
                            "al del ante bajo"),
        conjunctions=_words("y e o u pero porque si cuando que aunque mientras ni sino pues como"),
        pronouns=_words("yo tú él ella nosotros nosotras vosotros vosotras ellos ellas usted ustedes "
                        "me te se nos os le les"),
        titles=_words("sr. sra. srta. dr. dra. don doña señor señora señorita"),
    ),
    "pt": WordLists(
        articles=_words("o a os as um uma uns umas meu minha meus minhas teu tua seu sua seus suas "
                        "nosso nossa este esta estes estas esse essa esses essas aquele aquela"),
        prepositions=_words("de em com por para sem sobre entre até desde contra no na nos nas do da "
                            "dos das ao à aos às pelo pela pelos pelas num numa"),
        conjunctions=_words("e ou mas porque se quando que embora enquanto nem pois como"),
        pronouns=_words("eu tu ele ela nós vós eles elas você vocês me te se lhe lhes vos"),
        titles=_words("sr. sra. srta. dr. dra. dom dona senhor senhora"),
    ),
}
_NO_LISTS = WordLists(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


def word_lists(language: str) -> WordLists:
    return WORD_LISTS.get(base_language(language), _NO_LISTS)


def _core(word: str) -> str:
    """The word without surrounding quotes/brackets, lower-cased, for list look-ups."""
    return word.strip(_QUOTES + _CLOSERS).lower()


def _ends_with(word: str, marks: str) -> bool:
    stripped = word.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in marks


def _is_capitalised(word: str) -> bool:
    core = word.strip(_QUOTES + _CLOSERS)
    return bool(core) and core[0].isupper()


def _is_number(word: str) -> bool:
    core = word.strip(_QUOTES + _CLOSERS)
    return bool(core) and core.replace(",", "").replace(".", "").isdigit()


def break_cost(left: str, right: str, lists: WordLists) -> float:
    """Cost of ending a line (or a cue) after `left` and starting the next with `right`.

    Negative is a good place, positive a bad one, 0 neutral. `left`/`right` are
    whole tokens as they appear in the text (with their punctuation).
    """
    if right and right[0] in _NO_LINE_START:
        return FORBIDDEN_PENALTY  # "，" or "?" alone at the start of a line
    left_core, right_core = _core(left), _core(right)
    if _ends_with(left, _SENTENCE_END) and left_core not in lists.titles:
        return SENTENCE_END_BONUS
    if _ends_with(left, _CLAUSE_END) or left in _DASHES or right.startswith(_DASHES):
        return CLAUSE_END_BONUS
    if left_core in lists.titles:
        return AFTER_TITLE_PENALTY
    if left_core in lists.articles:
        return AFTER_ARTICLE_PENALTY
    if left_core in lists.prepositions:
        return AFTER_PREPOSITION_PENALTY
    if left_core in lists.pronouns:
        return AFTER_PRONOUN_PENALTY if left_core not in ("you", "it") else AFTER_PRONOUN_PENALTY / 2
    if left_core in lists.conjunctions:
        return AFTER_CONJUNCTION_PENALTY
    if _is_capitalised(left) and _is_capitalised(right) and left_core != "i":
        return INSIDE_NAME_PENALTY
    if _is_number(left):
        return AFTER_NUMBER_PENALTY
    if right_core in lists.conjunctions:
        return BEFORE_CONJUNCTION_BONUS
    if right_core in lists.prepositions:
        return BEFORE_PREPOSITION_BONUS
    return 0.0
