"""Few-shot prompts for base (non-chat) language models.

A small base model echoes instructions back, so the prompt is nothing but example
pairs in a fixed "Chinese: ...\\n<Language>: ..." pattern; the model continues the
pattern for the last line and stops at the newline.

To add a target language: add 3-4 short, everyday pairs to `EXAMPLES` under its ISO
639-1 code. Keep them unlike real dialogue: an output equal to an example's target is
reported as drift (`localize.translate.checks`).

When the translation memory holds approved pairs close to a line, they take the place of
built-in examples in that line's prompt (at most `MAX_SHOTS` pairs in all, the closest
last, right before the line): a translator's rendering of a similar line teaches the
model the series' names and tone better than a generic pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from localize.errors import UnknownNameError
from localize.markets import Market


@dataclass(frozen=True)
class Example:
    source: str
    target: str
    origin: str = ""  # from the translation memory: "approved" or "machine"; "" for the built-in pairs


MAX_SHOTS = 4  # example pairs in one prompt
APPROVED = "approved"


def _pairs(*rows: tuple[str, str]) -> tuple[Example, ...]:
    return tuple(Example(source, target) for source, target in rows)


# Written for this project. One example carries a Latin name inside the Chinese, the
# way glossary protection writes names, so the model learns to keep it.
EXAMPLES: dict[str, tuple[Example, ...]] = {
    "en": _pairs(
        ("我不会放弃的。", "I won't give up."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, why didn't you come to work yesterday?"),
        ("谢谢你救了我。", "Thank you for saving me."),
        ("这条裙子太贵了。", "This dress is too expensive."),
    ),
    "es": _pairs(
        ("我不会放弃的。", "No me voy a rendir."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, ¿por qué no viniste a trabajar ayer?"),
        ("谢谢你救了我。", "Gracias por salvarme."),
        ("这条裙子太贵了。", "Este vestido es demasiado caro."),
    ),
    "pt": _pairs(
        ("我不会放弃的。", "Eu não vou desistir."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, por que você não veio trabalhar ontem?"),
        ("谢谢你救了我。", "Obrigado por me salvar."),
        ("这条裙子太贵了。", "Este vestido é caro demais."),
    ),
}

# Long and short renderings of one line, in each language: the pattern the model continues when a
# line is too long for its cue (localize.translate.shorten). Written for this project.
SHORTER: dict[str, tuple[Example, ...]] = {
    "en": _pairs(
        ("I really don't understand what it is that you are trying to tell me right now.",
         "I don't get what you mean."),
        ("Please don't worry about me, I will definitely be able to take care of myself.", "Don't worry, I'll manage."),
        ("Why didn't you come to work yesterday, and why didn't you call anyone?",
         "Why weren't you at work yesterday?"),
    ),
    "es": _pairs(
        ("De verdad no entiendo qué es lo que me estás intentando decir ahora mismo.",
         "No entiendo qué quieres decir."),
        ("Por favor, no te preocupes por mí, seguro que puedo cuidarme solo.", "Tranquilo, puedo solo."),
        ("¿Por qué no viniste a trabajar ayer y por qué no llamaste a nadie?", "¿Por qué faltaste ayer?"),
    ),
    "pt": _pairs(
        ("Eu realmente não entendo o que você está tentando me dizer agora.", "Não entendi o que você quer dizer."),
        ("Por favor, não se preocupe comigo, com certeza eu consigo me cuidar sozinho.", "Relaxa, eu me viro."),
        ("Por que você não veio trabalhar ontem e por que não ligou para ninguém?", "Por que faltou ontem?"),
    ),
}


def build_shorter_prompt(target: str, market: Market) -> str | None:
    """A few-shot prompt asking for a shorter rendering of `target`, or None without examples for
    the market's language."""
    pairs = SHORTER.get(market.language)
    if not pairs:
        return None
    shots = "".join(f"Long: {ex.source}\nShort: {ex.target}\n" for ex in pairs)
    return f"{shots}Long: {_one_line(target)}\nShort:"


# Full-width punctuation in the line to translate becomes ASCII. Measured on the 42
# sample lines (chrF en/es/pt): 34.6/22.5/28.7 with it, 36.4/18.8/26.3 without, and
# fewer glossary misses (22 against 26): the model copies Chinese less often.
_ASCII_PUNCTUATION = str.maketrans({"，": ", ", "。": ". ", "！": "! ", "？": "? ", "：": ": ", "；": "; "})


def examples_for(market: Market) -> tuple[Example, ...]:
    """The example pairs for a market's language; unknown languages list the known ones."""
    try:
        return EXAMPLES[market.language]
    except KeyError:
        raise UnknownNameError("few-shot language", market.language, EXAMPLES) from None


def build_prompt(source: str, market: Market, examples: Sequence[Example] = (), rotate: bool = False) -> str:
    """The examples, then the source line, ending where the model should start writing.

    `examples`: pairs close to this line, best first (LineContext.examples). The approved ones
    (machine pairs may be wrong, and the model would copy their mistakes) replace built-in
    examples; built-in ones fill the remaining places up to `MAX_SHOTS`. `rotate`: the built-in
    ones in reverse order, another prompt for a line whose first answers failed the checks.
    """
    label = market.language_name
    close = [ex for ex in examples if ex.origin == APPROVED][:MAX_SHOTS]
    built_in = examples_for(market)[:MAX_SHOTS - len(close)] if len(close) < MAX_SHOTS else ()
    if rotate:
        built_in = tuple(reversed(built_in))
    shots = "".join(f"Chinese: {ex.source}\n{label}: {ex.target}\n" for ex in built_in)
    shots += "".join(f"Chinese: {_one_line(ex.source)}\n{label}: {_one_line(ex.target)}\n" for ex in reversed(close))
    return f"{shots}Chinese: {_one_line(source)}\n{label}:"


def _one_line(text: str) -> str:
    # A newline inside the source would end the pattern early.
    return " ".join(text.translate(_ASCII_PUNCTUATION).split())
