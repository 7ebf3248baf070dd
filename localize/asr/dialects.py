"""Dialect profiles: how to recognise a dialect and how to bring its spellings to standard written Chinese.

Whisper base has no Cantonese token (``<|yue|>`` is absent from its vocabulary, so every profile
recognises with "zh"), and on Cantonese audio it mostly writes standard Chinese already (我们, 的, 他们,
not 我哋, 嘅, 佢哋). The lexicon matters for text that does carry dialect spellings: a prompt that steers
the model, burned-in subtitles, a studio script. bench/dialect_eval.py measures prompts and lexicons.

Lexicons are written in simplified characters and applied to simplified text (after OpenCC t2s, which
turns 係 into 系 and 嗰 into 𠮶), longest match first. Entries that map a word to itself protect Mandarin
words that contain a dialect word (点解决 keeps 点解 from becoming 为什么). A wrong replacement is
worse than none: an ambiguous word is left out, or only its unambiguous compounds are listed.

Adding a profile:
1. Append a ``DialectProfile`` to ``_PROFILES`` below: name, description, Whisper language code (one the
   model's vocabulary has), lexicon (dialect spelling -> standard written Chinese, simplified) and markers
   (words that seldom occur in Mandarin text; they drive ``detect_dialect``).
2. Give it an ``initial_prompt`` only if ``python bench/dialect_eval.py`` shows it lowers CER on clips of
   that dialect without raising it on Mandarin clips.
3. Add normalization and detection cases to tests/test_asr_dialects.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from localize.asr.chinese import to_simplified
from localize.errors import UnknownNameError

DEFAULT = "mandarin"
AUTO = "auto"  # AsrOptions.dialect: detect from a first, Mandarin pass


@dataclass(frozen=True)
class DialectProfile:
    """One dialect the dialogue may be spoken in.

    language: Whisper language code used to recognise it.
    initial_prompt: kept only where measured to help (bench/dialect_eval.py); None for all bundled ones.
    lexicon: (dialect spelling, standard written Chinese) pairs, simplified characters.
    markers: words that betray the dialect in written text, for detect_dialect.
    """

    name: str
    description: str
    language: str = "zh"
    initial_prompt: str | None = None
    lexicon: tuple[tuple[str, str], ...] = ()
    markers: tuple[str, ...] = ()


# Cantonese: 咁 alone (这么 / 那么 / 这样), 咩 (什么 / question particle), 边个, 食, 仲 and 唔得 (不行 /
# 跑唔得快) are ambiguous and left as they are; only their unambiguous compounds are listed.
_CANTONESE_LEXICON = {
    # pronouns, particles, verbs written with Cantonese-only characters
    "佢哋": "他们", "我哋": "我们", "你哋": "你们", "佢": "他", "嘅": "的", "咗": "了", "冇": "没有",
    "冇得": "没得", "喺": "在", "喺度": "在", "嚟": "来", "返嚟": "回来", "翻嚟": "回来", "睇": "看",
    "揾": "找", "谂": "想", "瞓": "睡", "攰": "累", "嬲": "生气", "俾": "给", "畀": "给", "啲": "些",
    "嘢": "东西", "做嘢": "做事", "食嘢": "吃东西", "食饭": "吃饭", "啱啱": "刚刚", "啱": "对",
    # question words; identity entries keep Mandarin words that contain them (重点解决)
    "乜嘢": "什么", "咩嘢": "什么", "做咩": "干什么", "点解": "为什么", "点样": "怎样", "点算": "怎么办",
    "点解决": "点解决", "点解释": "点解释", "点解读": "点解读", "点解析": "点解析", "点解答": "点解答",
    "点样本": "点样本", "点样式": "点样式", "边度": "哪里", "几多": "多少",
    # demonstratives (t2s writes 嗰 as 𠮶)
    "呢个": "这个", "呢啲": "这些", "呢度": "这里", "呢到": "这里", "呢部": "这部", "呢间": "这间",
    "呢次": "这次", "呢种": "这种", "呢位": "这位", "呢件": "这件", "呢本": "这本", "呢条": "这条",
    "呢样": "这样", "嗰": "那", "嗰度": "那里", "𠮶": "那", "𠮶度": "那里", "咁样": "这样",
    "噉样": "这样", "咁多": "这么多",
    # negation: 唔 + verb is 不 + verb; compounds whose 不 form differs come first (longest match)
    "唔": "不", "唔好": "不要", "唔好意思": "不好意思", "好唔好": "好不好", "唔好彩": "不走运",
    "唔系": "不是", "唔知": "不知道", "唔该": "谢谢", "唔使": "不用", "唔驶": "不用", "唔识": "不会",
    "唔明": "不明白", "唔紧要": "没关系", "唔啱": "不对", "识唔识": "会不会", "使唔使": "用不用",
    # 系 (t2s of the copula 係) only in compounds: bare 系 is Mandarin's 关系, 系统
    "系咪": "是不是", "系唔系": "是不是", "系咁": "是这样", "但系": "但是", "就系": "就是",
    "都系": "都是", "即系": "就是", "真系": "真是", "净系": "只是", "梗系": "当然是", "先系": "才是",
    "仲系": "还是", "佢系": "他是",
    # 仲 only in compounds: bare 仲 is Mandarin's 仲裁, 伯仲
    "仲有": "还有", "仲未": "还没", "仲要": "还要", "仲喺": "还在",
    "同埋": "和", "好似": "好像", "钟意": "喜欢", "锺意": "喜欢",
    "而家": "现在", "依家": "现在", "而家人": "而家人", "而家庭": "而家庭",
    "听日": "明天", "琴日": "昨天", "寻日": "昨天", "寻晚": "昨晚", "琴晚": "昨晚",
}
_CANTONESE_MARKERS = (
    "佢哋", "我哋", "你哋", "嘅", "哋", "咗", "冇", "喺", "嚟", "睇", "乜嘢", "啲", "唔", "嘢", "嗰", "𠮶",
    "噉", "揾", "啱", "佢", "畀", "咁", "喎", "㖞", "㗎", "嘞", "啩", "噃", "攰", "瞓", "嬲", "系咪", "但系",
    "点解", "而家", "同埋", "琴日", "听日", "依家", "谂", "钟意", "边度",
)

# Sichuanese: 要得 (要得到, 需要得多) and bare 耍 (耍赖, 玩耍) collide with Mandarin; 晓得 already means 知道.
_SICHUANESE_LEXICON = {
    "啥子": "什么", "莫得": "没有", "晓得": "知道", "晓不得": "不知道", "晓不晓得": "知不知道",
    "咋个": "怎么", "啷个": "怎么", "巴适": "舒服", "巴适得板": "很舒服", "好耍": "好玩", "去耍": "去玩",
    "耍一下": "玩一下", "耍朋友": "谈恋爱", "勒个": "这个", "瓜娃子": "傻子", "老汉儿": "爸爸", "摆龙门阵": "聊天",
}
_SICHUANESE_MARKERS = (
    "啥子", "莫得", "咋个", "啷个", "巴适", "勒个", "晓不得", "瓜娃子", "老汉儿", "摆龙门阵", "耍朋友",
    "好耍", "噻", "哦豁",
)

# No profile has a prompt. Measured with bench/dialect_eval.py (Whisper base, beam 5, 9 Mandarin + 9 Cantonese
# clips, CER %): 以下是普通话的句子。 raised Mandarin CER 23.3 -> 25.9; the written-Cantonese prompt
# 以下係廣東話，佢哋講嘢好快。 made Whisper write Cantonese (CER against the written-Cantonese references
# 38.7 -> 30.5) but, after the lexicon, standard-Chinese CER stayed 29.2 and it added invented tails on short
# clips (要求。请问问). No Sichuanese audio to measure: no prompt.
_PROFILES = (
    DialectProfile(DEFAULT, "Mandarin (Putonghua), the default"),
    DialectProfile("cantonese", "Cantonese (Yue); Whisper base has no yue token and hears it as zh",
                   lexicon=tuple(_CANTONESE_LEXICON.items()), markers=_CANTONESE_MARKERS),
    DialectProfile("sichuanese", "Sichuanese (Southwestern Mandarin)",
                   lexicon=tuple(_SICHUANESE_LEXICON.items()), markers=_SICHUANESE_MARKERS),
)
PROFILES: dict[str, DialectProfile] = {p.name: p for p in _PROFILES}

# detect_dialect names a dialect when its markers reach both limits; one stray 唔 in Mandarin does not.
MIN_MARKERS = 2
MIN_MARKERS_PER_100_CHARS = 2.0


def profile_names() -> tuple[str, ...]:
    return tuple(PROFILES)


def get_profile(name: str) -> DialectProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownNameError("dialect", name, PROFILES) from None


@lru_cache(maxsize=32)
def check_dialect(name: str) -> str:
    """A profile name or "auto"; anything else is a clear error listing both (before any work)."""
    if name != AUTO and name not in PROFILES:
        raise UnknownNameError("dialect", name, (*profile_names(), AUTO))
    return name


def _alternation(words: tuple[str, ...]) -> re.Pattern[str]:
    """Leftmost-longest matcher: Python tries alternatives in order, so the longest go first."""
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)))


def normalize(text: str, profile: DialectProfile) -> str:
    """Replace the profile's dialect spellings with standard written Chinese (longest match first)."""
    if not profile.lexicon or not text:
        return text
    table = dict(profile.lexicon)
    return _alternation(tuple(table)).sub(lambda m: table[m.group(0)], text)


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def count_markers(text: str, profile: DialectProfile) -> Counter[str]:
    """How often each of the profile's markers occurs (non-overlapping, longest first)."""
    if not profile.markers:
        return Counter()
    return Counter(_alternation(profile.markers).findall(text))


def _summary(counts: Counter[str], limit: int = 5) -> str:
    return ", ".join(f"{word} x{n}" for word, n in counts.most_common(limit))


def detect_dialect(texts: Sequence[str]) -> tuple[str, str]:
    """The profile whose markers the texts carry most, and a reason a person can read.

    Texts may be traditional (Hong Kong subtitles) or simplified. Falls back to Mandarin unless a dialect
    has at least MIN_MARKERS markers and MIN_MARKERS_PER_100_CHARS of them per hundred letters.
    """
    text = to_simplified("".join(texts))
    chars = _letters(text)
    best: tuple[int, DialectProfile, Counter[str]] | None = None
    for profile in _PROFILES:
        counts = count_markers(text, profile)
        total = sum(counts.values())
        if total and (best is None or total > best[0]):
            best = (total, profile, counts)
    if best is None:
        return DEFAULT, f"{DEFAULT}: no dialect markers in {chars} characters"
    total, profile, counts = best
    found = f"{total} {profile.name} marker{'s' if total != 1 else ''} ({_summary(counts)}) in {chars} characters"
    if total >= MIN_MARKERS and total * 100 >= MIN_MARKERS_PER_100_CHARS * chars:
        return profile.name, f"{profile.name}: {found}"
    limits = f"{MIN_MARKERS} and {MIN_MARKERS_PER_100_CHARS:g} per 100 characters"
    return DEFAULT, f"{DEFAULT}: only {found}, below the limit ({limits})"
