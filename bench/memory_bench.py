"""Translation memory: fuzzy lookup time with 1k, 10k and 100k entries, side by side.

Synthetic Chinese lines (random phrases of everyday words); each query is a stored line with one
phrase swapped, so a real fuzzy match exists. For each size: time to fill the memory, exact
lookup time, the first fuzzy lookup of a freshly opened memory (it reads the market's normalized
sources once), later fuzzy lookups (`TranslationMemory.fuzzy`: those sources kept in memory,
scored by rapidfuzz), and for comparison a stateless lookup that reads every entry from SQLite
and scores it ("sql scan"); recall: how often `fuzzy` found the scan's best score.

    .venv/bin/python bench/memory_bench.py [--sizes 1000,10000,100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localize.translate.memory import Entry, TranslationMemory, normalize

EVERYDAY_WORDS = (
    "我 你 他 她 我们 你们 他们 今天 明天 昨天 现在 晚上 早上 公司 医院 学校 家里 老板 妈妈 爸爸 哥哥 "
    "妹妹 老公 老婆 总裁 秘书 医生 警察 朋友 孩子 不会 不要 一定 已经 还是 真的 为什么 怎么 什么 哪里 "
    "离婚 结婚 喜欢 讨厌 相信 知道 告诉 回来 离开 等着 帮忙 原谅 答应 签字 合同 钱 房子 车 饭 "
    "电话 消息 秘密 真相 孩子 生日 婚礼 会议 项目 股份 的 了 吗 吧 呢 啊 就 都 也 又 再 很 太 最"
)
WORDS = tuple(EVERYDAY_WORDS.split())
PUNCT = ("。", "！", "？", "，", "…")
MARKET = "en-US"


def line(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(3, 9))
    return "".join(words) + rng.choice(PUNCT)


def variant(text: str, rng: random.Random) -> str:
    words = [w for w in WORDS if w in text]
    old = rng.choice(words) if words else text[:1]
    return text.replace(old, rng.choice(WORDS), 1)


def ms(seconds: list[float]) -> str:
    return f"{1000 * statistics.median(seconds):.2f}"


def run(size: int, queries: int, folder: Path) -> dict[str, str]:
    rng = random.Random(size)
    sources = list(dict.fromkeys(line(rng) for _ in range(size * 2)))[:size]
    memory = TranslationMemory(folder / f"memory-{size}.sqlite")
    started = time.perf_counter()
    memory.add(Entry(s, f"Line {i}", MARKET, "approved" if i % 10 == 0 else "machine", "bench")
               for i, s in enumerate(sources))
    fill = time.perf_counter() - started
    asked = [variant(rng.choice(sources), rng) for _ in range(queries)]
    memory.close()
    memory = TranslationMemory(memory.path)
    t0 = time.perf_counter()
    memory.fuzzy(asked[0], MARKET)
    first = time.perf_counter() - t0
    exact_t, fuzzy_t, scan_t, found = [], [], [], 0
    for query in asked:
        t0 = time.perf_counter()
        memory.exact(query, MARKET)
        t1 = time.perf_counter()
        matches = memory.fuzzy(query, MARKET, limit=4, min_score=60)
        t2 = time.perf_counter()
        # Full scan: read every entry of the market and score them all (no prefilter).
        rows = memory._conn().execute("SELECT norm FROM entries WHERE market = ?", (MARKET,)).fetchall()
        best = process.extractOne(normalize(query), [r[0] for r in rows], scorer=fuzz.ratio, score_cutoff=60)
        t3 = time.perf_counter()
        exact_t.append(t1 - t0)
        fuzzy_t.append(t2 - t1)
        scan_t.append(t3 - t2)
        if best is None or (matches and round(best[1], 1) == matches[0].score):
            found += 1
    memory.close()
    speed_up = statistics.median(scan_t) / statistics.median(fuzzy_t)
    return {"entries": f"{size:,}", "fill s": f"{fill:.1f}", "exact ms": ms(exact_t),
            "first ms": f"{1000 * first:.1f}", "fuzzy ms": ms(fuzzy_t), "sql scan ms": ms(scan_t),
            "speed-up": f"{speed_up:.1f}x", "recall": f"{found / len(asked):.0%}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(int(size), args.queries, Path(tmp)) for size in args.sizes.split(",")]
    columns = list(rows[0])
    print("translation memory lookups (median ms per query; sql scan: every entry read and scored)")
    print("  ".join(f"{c:>11}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]:>11}" for c in columns))


if __name__ == "__main__":
    main()
