"""Typographic quotes, timed: one long document converted with Python-Markdown's `smarty`,
with our typography pass in its place, and with neither (the other default extensions the same).

    python bench/typography.py [--kb 30] [--repeat 7]

The document is ~30 KB of prose dense with quotes, apostrophes, dashes, ellipses, inline
markup and links (generated, the same bytes every run). Prints the median of --repeat
conversions each way, and what the quotes cost over converting without them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import markdown

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadsheet.build import typography
from broadsheet.build.markdown_settings import DEFAULT_EXTENSIONS

SENTENCES = [
    '"It\'s not over," the mayor said -- and she meant it.',
    'The \'90s plan, *"temporary"* at the time, is still in force...',
    "Residents' groups call it \"the [harbour deal](https://example.org/deal 'the deal')\".",
    "'We weren't told,' said one; another said: \"They'd rather we didn't know.\"",
    "Costs rose from 1990--2000 and again---sharply---in the last decade.",
    "A `\"quoted\"` config value and **'bold'** claims, (\"bracketed\") and ['listed'].",
    "Plain prose without any of those marks still makes up much of an article here",
]


def document(kb: int) -> str:
    """~kb KB of Markdown: paragraphs of the sentences above, with headings and lists."""
    parts: list[str] = []
    i = 0
    while sum(map(len, parts)) < kb * 1024:
        if i % 9 == 0:
            parts.append(f'## Part {i // 9}: the "harbour" question\n')
        if i % 13 == 0:
            parts.append("".join(f"- {SENTENCES[(i + k) % len(SENTENCES)]}\n" for k in range(4)))
        parts.append(" ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(5)) + "\n")
        i += 1
    return "\n".join(parts)


def renderer(kind: str) -> markdown.Markdown:
    kept = [e for e in DEFAULT_EXTENSIONS if kind != "neither" or e.name != "smarty"]
    chosen = [typography.extension(e.name, e.configs()) if kind == "ours" else e.name for e in kept]
    configs = {e.name: e.configs() for e, c in zip(kept, chosen) if isinstance(c, str)}
    return markdown.Markdown(extensions=chosen, extension_configs=configs, output_format="html")


def median_ms(md: markdown.Markdown, text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        md.reset()
        start = time.perf_counter()
        md.convert(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    text = document(args.kb)
    quotes = sum(text.count(c) for c in "'\"")
    print(f"document: {len(text.encode()):,} bytes, {quotes:,} straight quotes; median of {args.repeat}")
    kinds = {"smarty": "Python-Markdown's smarty", "ours": "our typography pass", "neither": "no typography"}
    outputs = {}
    figures = {}
    for kind in kinds:
        md = renderer(kind)
        md.convert(text)  # warm: compiled patterns, imports
        outputs[kind] = md.reset().convert(text)
        figures[kind] = median_ms(md, text, args.repeat)
    for kind, label in kinds.items():
        extra = f"  (+{figures[kind] - figures['neither']:.1f} ms over none)" if kind != "neither" else ""
        print(f"{label:26} {figures[kind]:8.1f} ms{extra}")
    print(f"same output as smarty: {'yes' if outputs['ours'] == outputs['smarty'] else 'NO'}")


if __name__ == "__main__":
    main()
