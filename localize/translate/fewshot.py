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
    "fr": _pairs(
        ("我不会放弃的。", "Je n'abandonnerai pas."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, pourquoi tu n'es pas venu travailler hier ?"),
        ("谢谢你救了我。", "Merci de m'avoir sauvé."),
        ("这条裙子太贵了。", "Cette robe est trop chère."),
    ),
    "de": _pairs(
        ("我不会放弃的。", "Ich gebe nicht auf."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, warum warst du gestern nicht bei der Arbeit?"),
        ("谢谢你救了我。", "Danke, dass du mich gerettet hast."),
        ("这条裙子太贵了。", "Dieses Kleid ist zu teuer."),
    ),
    "id": _pairs(
        ("我不会放弃的。", "Aku tidak akan menyerah."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, kenapa kemarin kamu tidak masuk kerja?"),
        ("谢谢你救了我。", "Terima kasih sudah menyelamatkanku."),
        ("这条裙子太贵了。", "Gaun ini terlalu mahal."),
    ),
    "vi": _pairs(
        ("我不会放弃的。", "Tôi sẽ không bỏ cuộc đâu."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, sao hôm qua anh không đi làm?"),
        ("谢谢你救了我。", "Cảm ơn anh đã cứu tôi."),
        ("这条裙子太贵了。", "Chiếc váy này đắt quá."),
    ),
    "tr": _pairs(
        ("我不会放弃的。", "Pes etmeyeceğim."),
        ("Wang Wei，你昨天为什么没来上班？", "Wang Wei, dün neden işe gelmedin?"),
        ("谢谢你救了我。", "Beni kurtardığın için teşekkürler."),
        ("这条裙子太贵了。", "Bu elbise çok pahalı."),
    ),
    # Markets in other scripts: glossary names arrive in the market's own script.
    "th": _pairs(
        ("我不会放弃的。", "ฉันจะไม่ยอมแพ้"),
        ("หวังเหว่ย，你昨天为什么没来上班？", "หวังเหว่ย ทำไมเมื่อวานคุณไม่มาทำงาน"),
        ("谢谢你救了我。", "ขอบคุณที่ช่วยชีวิตฉันไว้"),
        ("这条裙子太贵了。", "ชุดนี้แพงเกินไป"),
    ),
    "ar": _pairs(
        ("我不会放弃的。", "لن أستسلم."),
        ("وانغ وي，你昨天为什么没来上班？", "وانغ وي، لماذا لم تأتِ إلى العمل أمس؟"),
        ("谢谢你救了我。", "شكرًا لأنك أنقذتني."),
        ("这条裙子太贵了。", "هذا الفستان غالٍ جدًا."),
    ),
    "ja": _pairs(
        ("我不会放弃的。", "私は諦めない。"),
        ("ワン・ウェイ，你昨天为什么没来上班？", "ワン・ウェイ、昨日はなぜ仕事に来なかったの？"),
        ("谢谢你救了我。", "助けてくれてありがとう。"),
        ("这条裙子太贵了。", "このドレスは高すぎる。"),
    ),
    "ko": _pairs(
        ("我不会放弃的。", "난 포기 안 해."),
        ("왕웨이，你昨天为什么没来上班？", "왕웨이, 어제 왜 출근 안 했어?"),
        ("谢谢你救了我。", "구해 줘서 고마워."),
        ("这条裙子太贵了。", "이 드레스는 너무 비싸."),
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
    "fr": _pairs(
        ("Je ne comprends vraiment pas ce que tu essaies de me dire en ce moment.",
         "Je ne vois pas ce que tu veux dire."),
        ("S'il te plaît, ne t'inquiète pas pour moi, je saurai très bien me débrouiller seul.",
         "T'inquiète, je me débrouille."),
        ("Pourquoi tu n'es pas venu travailler hier, et pourquoi tu n'as appelé personne ?",
         "Pourquoi t'étais pas là hier ?"),
    ),
    "de": _pairs(
        ("Ich verstehe wirklich nicht, was du mir gerade eigentlich sagen willst.",
         "Ich versteh nicht, was du meinst."),
        ("Bitte mach dir keine Sorgen um mich, ich komme ganz bestimmt allein zurecht.",
         "Keine Sorge, ich schaff das."),
        ("Warum bist du gestern nicht zur Arbeit gekommen, und warum hast du niemanden angerufen?",
         "Warum warst du gestern nicht da?"),
    ),
    "id": _pairs(
        ("Aku benar-benar tidak mengerti apa yang sedang kamu coba katakan padaku sekarang.",
         "Aku tidak paham maksudmu."),
        ("Tolong jangan khawatirkan aku, aku pasti bisa menjaga diriku sendiri.", "Tenang, aku bisa sendiri."),
        ("Kenapa kemarin kamu tidak masuk kerja, dan kenapa kamu tidak menelepon siapa pun?",
         "Kenapa kemarin tidak masuk?"),
    ),
    "vi": _pairs(
        ("Tôi thật sự không hiểu rốt cuộc bây giờ anh đang muốn nói với tôi điều gì.", "Tôi không hiểu ý anh."),
        ("Xin anh đừng lo lắng cho tôi, tôi chắc chắn có thể tự chăm sóc bản thân mình.", "Đừng lo, tôi tự lo được."),
        ("Tại sao hôm qua anh không đi làm, và tại sao anh không gọi cho ai cả?", "Sao hôm qua anh nghỉ làm?"),
    ),
    "tr": _pairs(
        ("Şu anda bana ne söylemeye çalıştığını gerçekten hiç anlamıyorum.", "Ne demek istediğini anlamadım."),
        ("Lütfen benim için endişelenme, kendi başımın çaresine kesinlikle bakabilirim.", "Merak etme, hallederim."),
        ("Dün neden işe gelmedin ve neden kimseyi aramadın?", "Dün neden gelmedin?"),
    ),
    "th": _pairs(
        ("ฉันไม่เข้าใจจริงๆ ว่าตอนนี้คุณกำลังพยายามจะบอกอะไรฉันกันแน่", "ฉันไม่เข้าใจที่คุณพูด"),
        ("ได้โปรดอย่าเป็นห่วงฉันเลย ฉันดูแลตัวเองได้แน่นอนอยู่แล้ว", "ไม่ต้องห่วง ฉันไหว"),
        ("ทำไมเมื่อวานคุณไม่มาทำงาน แล้วทำไมไม่โทรบอกใครเลย", "ทำไมเมื่อวานไม่มา"),
    ),
    "ar": _pairs(
        ("أنا حقًا لا أفهم ما الذي تحاول أن تقوله لي الآن.", "لا أفهم ما تقصده."),
        ("أرجوك لا تقلق بشأني، أنا بالتأكيد قادر على الاعتناء بنفسي.", "لا تقلق، سأتدبر أمري."),
        ("لماذا لم تأتِ إلى العمل أمس، ولماذا لم تتصل بأحد؟", "لماذا غبت أمس؟"),
    ),
    "ja": _pairs(
        ("今あなたが私に何を言おうとしているのか、本当によく分からないんだけど。", "何が言いたいの？"),
        ("私のことは心配しないでください、自分のことはちゃんと自分でできますから。", "心配しないで。平気だから"),
        ("昨日はどうして仕事に来なかったの？それにどうして誰にも連絡しなかったの？", "昨日はなぜ休んだの？"),
    ),
    "ko": _pairs(
        ("지금 네가 나한테 무슨 말을 하려는 건지 정말 하나도 모르겠어.", "무슨 말인지 모르겠어."),
        ("제발 내 걱정은 하지 마, 나는 분명히 혼자서도 잘 해낼 수 있어.", "걱정 마, 혼자 할 수 있어."),
        ("어제 왜 출근 안 했어? 그리고 왜 아무한테도 연락 안 했어?", "어제 왜 결근했어?"),
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
