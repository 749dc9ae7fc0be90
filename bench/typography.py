"""Typographic quotes, timed: one long document converted with Python-Markdown's `smarty`,
with our typography pass in its place, and with neither (the other default extensions the same).

    python bench/typography.py [--kb 30] [--repeat 7]

Two documents of ~30 KB (generated, the same bytes every run): one dense with quotes,
apostrophes, dashes, ellipses, inline markup and links (one quote every 20 bytes), and a
typical one with plain sentences between those (one quote every ~200 bytes; the demo's
articles have one every ~380). Prints the median of --repeat
conversions each way (taking turns), and what the quotes cost over converting without them.
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


PLAIN = "The council met on Tuesday to discuss the harbour plan, which residents say has been delayed for years"


def document(kb: int, plain: int = 0) -> str:
    """~kb KB of Markdown: paragraphs of the sentences above, with headings and lists; with
    `plain`, that many sentences without any quote, dash or dots after each of them."""
    parts: list[str] = []
    i = 0
    while sum(map(len, parts)) < kb * 1024:
        if i % 9 == 0:
            parts.append(f'## Part {i // 9}: the "harbour" question\n')
        if i % 13 == 0:
            parts.append("".join(f"- {SENTENCES[(i + k) % len(SENTENCES)]}\n" for k in range(4)))
        sentences = [SENTENCES[(i + k) % len(SENTENCES)] for k in range(5)]
        parts.append(" ".join(s + (". " + ". ".join([PLAIN] * plain) + "." if plain else "") for s in sentences) + "\n")
        i += 1
    return "\n".join(parts)


def renderer(kind: str) -> markdown.Markdown:
    kept = [e for e in DEFAULT_EXTENSIONS if kind != "neither" or e.name != "smarty"]
    chosen = [typography.extension(e.name, e.configs()) if kind == "ours" else e.name for e in kept]
    configs = {e.name: e.configs() for e, c in zip(kept, chosen) if isinstance(c, str)}
    return markdown.Markdown(extensions=chosen, extension_configs=configs, output_format="html")


def medians_ms(renderers: dict[str, markdown.Markdown], text: str, repeat: int) -> dict[str, float]:
    """Median conversion time of each, the renderers taking turns: a shared machine's load
    then weighs on all of them alike."""
    times: dict[str, list[float]] = {kind: [] for kind in renderers}
    for _ in range(repeat):
        for kind, md in renderers.items():
            md.reset()
            start = time.perf_counter()
            md.convert(text)
            times[kind].append(time.perf_counter() - start)
    return {kind: statistics.median(spent) * 1000 for kind, spent in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for plain, name in ((0, "dense"), (6, "typical")):
        run(document(args.kb, plain), name, args.repeat)


def run(text: str, name: str, repeat: int) -> None:
    quotes = sum(text.count(c) for c in "'\"")
    print(f"{name} document: {len(text.encode()):,} bytes, {quotes:,} straight quotes; median of {repeat}")
    kinds = {"smarty": "Python-Markdown's smarty", "ours": "our typography pass", "neither": "no typography"}
    renderers = {kind: renderer(kind) for kind in kinds}
    outputs = {kind: md.convert(text) for kind, md in renderers.items()}  # also warms them up
    figures = medians_ms(renderers, text, repeat)
    for kind, label in kinds.items():
        extra = f"  ({figures[kind] - figures['neither']:+.1f} ms over none)" if kind != "neither" else ""
        print(f"{label:26} {figures[kind]:8.1f} ms{extra}")
    print(f"same output as smarty: {'yes' if outputs['ours'] == outputs['smarty'] else 'NO'}")


if __name__ == "__main__":
    main()
