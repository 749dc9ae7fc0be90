"""A deterministic corpus of realistic digest articles for benchmarks.

    python bench/corpus.py DIR N      # writes DIR/broadsheet.yaml and DIR/content/...

Same N, same bytes: every figure is measured on the same input.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path

SECTIONS = ["world", "europe", "business", "markets", "science", "climate", "technology", "health", "culture", "sport"]
WORDS = [
    "government",
    "minister",
    "talks",
    "agreement",
    "deal",
    "market",
    "prices",
    "energy",
    "oil",
    "gas",
    "report",
    "officials",
    "said",
    "week",
    "year",
    "plan",
    "budget",
    "growth",
    "inflation",
    "rates",
    "bank",
    "central",
    "election",
    "vote",
    "parliament",
    "court",
    "ruling",
    "company",
    "shares",
    "investors",
    "profit",
    "loss",
    "trade",
    "tariffs",
    "exports",
    "imports",
    "climate",
    "emissions",
    "summit",
    "leaders",
    "security",
    "defence",
    "alliance",
    "troops",
    "border",
    "talks",
    "ceasefire",
    "aid",
    "funding",
    "research",
    "study",
    "scientists",
    "data",
    "model",
    "forecast",
    "storm",
    "heat",
    "drought",
    "flood",
    "city",
    "region",
    "country",
    "capital",
    "council",
    "police",
    "inquiry",
    "health",
    "hospital",
    "patients",
    "vaccine",
    "school",
    "students",
    "workers",
    "strike",
    "union",
    "wages",
]
CYRILLIC = [
    "правительство",
    "министр",
    "переговоры",
    "соглашение",
    "рынок",
    "цены",
    "энергия",
    "доклад",
    "неделя",
    "бюджет",
    "рост",
]


def article(rng: random.Random, i: int, start: datetime) -> tuple[str, str]:
    section = SECTIONS[i % len(SECTIONS)]
    when = start + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
    russian = i % 25 == 0
    words = CYRILLIC if russian else WORDS
    title = " ".join(rng.choice(words) for _ in range(rng.randint(5, 10))).capitalize()
    tags = sorted({f"topic {rng.randrange(300)}" for _ in range(rng.randint(2, 4))})
    source = f"Outlet {rng.randrange(40)}"
    lines = [
        "---",
        f'title: "{title} {i}"',
        f"date: {when:%Y-%m-%d %H:%M}",
        f"source: {{name: {source}, url: https://outlet{source.split()[1]}.example.com}}",
        f"url: https://outlet.example.com/news/{i}",
        f"tags: [{', '.join(tags)}]",
        f"authors: [Editor {rng.randrange(12)}]",
        f"summary: {' '.join(rng.choice(words) for _ in range(30)).capitalize()}.",
    ]
    if russian:
        lines.append("lang: ru")
    if i % 50 == 0:
        lines.append("featured: true")
    lines.append("---")
    lines += body(rng, words, rng.randint(500, 900))
    return f"content/{section}/article-{i:05d}.md", "\n".join(lines) + "\n"


def body(rng: random.Random, words: list[str], count: int) -> list[str]:
    out: list[str] = []
    written = 0
    while written < count:
        kind = rng.random()
        if kind < 0.08:
            out += [f"## {' '.join(rng.choice(words) for _ in range(4)).capitalize()}", ""]
        elif kind < 0.16:
            out += [f"- {' '.join(rng.choice(words) for _ in range(8))}" for _ in range(3)] + [""]
            written += 24
        elif kind < 0.22:
            out += [f"> {' '.join(rng.choice(words) for _ in range(20)).capitalize()}.", ""]
            written += 20
        else:
            sentence_words = [rng.choice(words) for _ in range(60)]
            sentence_words[7] = f"[{sentence_words[7]}](https://example.com/{rng.randrange(9999)})"
            out += [" ".join(sentence_words).capitalize() + ".", ""]
            written += 60
    return out


def write_corpus(folder: Path, n: int, seed: int = 2025) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    (folder / "content").mkdir(parents=True, exist_ok=True)
    (folder / "broadsheet.yaml").write_text(
        "title: Bench Digest\nbase_url: https://example.org/\ntimezone: Europe/London\n", encoding="utf-8"
    )
    for i in range(n):
        rel, text = article(rng, i, start)
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="where to write broadsheet.yaml and content/")
    parser.add_argument("articles", type=int, help="how many articles")
    args = parser.parse_args()
    write_corpus(args.folder, args.articles)
