"""Issue 20: a semantic lead measured (WordLlama), not a product change.

    .venv/bin/pip install wordllama                      # in the bench's venv only, no dependency of Broadsheet
    .venv/bin/python bench/stories_semantic.py --spread  # the embeddings' cosine by kind of pair, dev data
    .venv/bin/python bench/stories_semantic.py --cv      # each setting, 43 weeks each judged by the others
    .venv/bin/python bench/stories_semantic.py --blind SETTING  # one setting once on blind-6: figures only
    .venv/bin/python bench/stories_semantic.py --cost    # load time, embedding 10,000 articles, determinism

Each article's title and summary (and optionally its body's opening) is embedded by WordLlama's
256-dimension English model (average of token vectors, unit length). A pair's link is the lexical
method's (build/stories.py as shipped, the seventh round's with 0.82 across languages) with one of
two semantic additions, both only between articles in one language that is English (WordLlama is
English-centred: `--spread` shows its cosine separates nothing between Russian and English, and
Russian reports of two events read 0.75 alike):

- a bar (`bar`): a pair within `hours` whose cosine reaches the bar is linked (its share of the
  link the cosine over the bar), with a shared name or opening word (`named`) or without;
- a backing (`backing`): a pair sharing a name whose cosine reaches the backing needs `one` of the
  threshold and no floor of other words in common (as the eighth round's backed rare names did
  with a figure or a rare word).

Settings are chosen exactly as the seventh and eighth rounds chose theirs (stories_fit.seventh_round:
a week's terms weighed by a table counted on the other weeks, the demo's stories, the near misses
and the written tram crash as guards, `best` on the other weeks: precision >= 0.95, then recall).
Figures and what shipping it would take: bench/README.md, "Issue 20: a semantic lead measured (WordLlama)".
"""

from __future__ import annotations

import hashlib
import math
import statistics
import subprocess
import sys
import time
from bisect import bisect_right
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import stories as bench_stories  # noqa: E402
import stories_fit  # noqa: E402

from broadsheet.build import stories  # noqa: E402
from broadsheet.build.stories import StoryEntry, StoryIndex  # noqa: E402

_MODEL = None
_VECTORS: dict[str, tuple[float, ...]] = {}


def model():
    """WordLlama's 256-dimension model from the wheel itself (no network): its `load` looks for
    the tokenizer under `wordllama/tokenizer/` while the wheel ships `wordllama/tokenizers/`, so the
    package's folder is given as the cache folder, where it looks under `tokenizers/`."""
    global _MODEL
    if _MODEL is None:
        import logging

        import wordllama

        _MODEL = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        logging.getLogger("wordllama").setLevel(logging.WARNING)
    return _MODEL


def text_of(entry: StoryEntry, body: int) -> str:
    return f"{entry.title}. {entry.summary} {entry.body[:body]}".strip()


def vector(entry: StoryEntry, body: int) -> tuple[float, ...]:
    """The unit embedding of an entry's text, memoised by the text (bench entries reuse ids)."""
    text = text_of(entry, body)
    found = _VECTORS.get(text)
    if found is None:
        found = _VECTORS[text] = tuple(float(x) for x in model().embed([text], norm=True)[0])
    return found


def embed_all(entries: list[StoryEntry], body: int) -> None:
    """Every entry's embedding made in batches (as `vector` would one by one, faster)."""
    texts = sorted({text_of(e, body) for e in entries} - _VECTORS.keys())
    for text, row in zip(texts, model().embed(texts, norm=True), strict=True):
        _VECTORS[text] = tuple(float(x) for x in row)


# An exact form for a product: the token table scaled by 2**SCALE_BITS and rounded to integers once,
# an article's vector the integer sum of its tokens' rows (any order gives the same integers), the
# cosine from integer dot products and one square root, so every machine gets the same bits.
SCALE_BITS = 8
_TABLE = None
_SUMS: dict[str, object] = {}


def integer_vector(entry: StoryEntry, body: int):
    global _TABLE
    import numpy as np

    text = text_of(entry, body)
    found = _SUMS.get(text)
    if found is None:
        if _TABLE is None:
            _TABLE = np.rint(model().embedding.astype(np.float64) * 2**SCALE_BITS).astype(np.int64)
        ids = model().tokenizer.encode(text, add_special_tokens=False).ids
        found = _SUMS[text] = _TABLE[np.asarray(ids, dtype=np.int64)].sum(axis=0)
    return found


def integer_cosine(a, b) -> float:
    dot, aa, bb = int(a @ b), int(a @ a), int(b @ b)  # exact: int64 sums far from overflow here
    return dot / math.sqrt(aa * bb) if aa and bb else 0.0


def cosine(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))  # one sum, exactly rounded: any order


def semantic_index(s: Semantic) -> type[StoryIndex]:
    class Semantic(StoryIndex):
        def _cos(self, a: str, b: str) -> float:
            ea, eb = self.entries[a], self.entries[b]
            if ea.language != eb.language or ea.language != "en":
                return -1.0
            if abs(self.times[a] - self.times[b]) > s.hours * 3600.0:
                return -1.0
            if s.exact:
                return integer_cosine(integer_vector(ea, s.body), integer_vector(eb, s.body))
            return cosine(vector(ea, s.body), vector(eb, s.body))

        def _named(self, a: str, b: str) -> bool:
            if s.rare_only:
                return self._rare_names(a, b) > 0
            fa, fb = self.feats[a], self.feats[b]
            return bool(fa.names & fb.names) or stories._opened_with(fa, fb)

        def _factor(self, a: str, b: str) -> float:
            """`blend`: the share of the threshold a pair in English needs, by its cosine."""
            cos = self._cos(a, b)
            if cos < -0.5:
                return 1.0
            return min(1.5, max(0.4, 1.0 - s.blend * (cos - s.centre)))

        def _candidates(self, entry_id: str) -> set[str]:
            found = super()._candidates(entry_id)
            if s.bar and not s.named:  # text alone may link: every later article of the window
                when = self.times[entry_id]
                start = bisect_right(self.order, (when, entry_id))
                end = bisect_right(self.order, (when + self.window, "\U0010ffff"))
                found.update(other for _, other in self.order[start:end])
            return found

        def _backed(self, a: str, b: str) -> bool:
            return bool(s.backing) and self._named(a, b) and self._cos(a, b) >= s.backing

        def _floor(self, a: str, b: str) -> float:
            found = super()._floor(a, b)
            return found * min(1.0, self._factor(a, b)) if s.blend else found

        def _link(self, a: str, b: str) -> None:
            if s.blend:
                score = self._score(a, b)
                needed = self.settings.threshold
                if self.entries[a].language != self.entries[b].language:
                    needed *= self.settings.across_languages
                else:
                    if score and self._rare_names(a, b):
                        needed *= stories.RARE_ONE
                    needed *= self._factor(a, b)
                if score >= needed:
                    self.links[a][b] = self.links[b][a] = score / needed
            else:
                super()._link(a, b)  # (a backed pair: stories.RARE_ONE of the threshold, BACKED_FLOOR)
            if s.backing and s.one != stories.RARE_ONE and self._backed(a, b):
                score = self._score(a, b)
                needed = self.settings.threshold * s.one
                if score >= needed:
                    share = max(score / needed, self.links[a].get(b, 0.0))
                    self.links[a][b] = self.links[b][a] = share
            if s.bar and b not in self.links[a] and (not s.named or self._named(a, b)):
                cos = self._cos(a, b)
                if cos >= s.bar:
                    self.links[a][b] = self.links[b][a] = cos / s.bar

    return Semantic


@dataclass(frozen=True)
class Semantic(stories_fit.Seventh):
    """One setting: the shipped method (the seventh round's, 0.82 across languages) and a semantic
    addition (`bar` or `backing`; 0: off)."""

    across: float = 0.82
    bar: float = 0.0
    named: bool = True
    hours: float = 72.0
    body: int = 0
    backing: float = 0.0
    one: float = stories.RARE_ONE
    backed_floor: float = 0.0
    rare_only: bool = False  # the name a bar or a backing needs is a rare one (stories._rare_names, 12 h)
    blend: float = 0.0  # a pair in English needs 1 - blend x (cos - centre) of the threshold (0.4-1.5)
    centre: float = 0.3
    exact: bool = False  # the cosine of integer sums (`integer_vector`), the same bits on every machine

    def label(self) -> str:
        parts = ["shipped (t 0.2, 0.82 across)"] if (self.threshold, self.floor) == (0.2, 0.09) else [super().label()]
        text = f"cos({'title+summary' + (f'+{self.body} body' if self.body else '')})"
        name = "a rare name" if self.rare_only else "a name"
        within = f" within {self.hours:g} h" if self.hours != 72.0 else ""
        if self.bar:
            parts.append(f"{text} >= {self.bar}{' + ' + name if self.named else ' alone'}{within}")
        if self.backing:
            parts.append(f"{name} + {text} >= {self.backing}{within}: x{self.one} of t, floor {self.backed_floor}")
        if self.blend:
            parts.append(f"English pairs need 1 - {self.blend} x ({text} - {self.centre}) of t and floor")
        return ", ".join(parts) + (", integer vectors" if self.exact else "")

    def applied(self, table):
        from contextlib import ExitStack

        stack = ExitStack()
        stack.enter_context(super().applied(table))
        # `_floor` takes BACKED_FLOOR for a backed pair (stories.BACKED_HOURS only gates the shipped `_backed`)
        stack.enter_context(stories_fit._patched_module(BACKED_FLOOR=self.backed_floor))
        return stack

    def index_class(self) -> type[StoryIndex]:
        if not self.bar and not self.backing and not self.blend:
            return StoryIndex
        return semantic_index(self)


SHIPPED = Semantic()
SETTINGS = (
    SHIPPED,
    # a bar with a shared name or opening word
    *(Semantic(bar=b) for b in (0.5, 0.55, 0.6, 0.65, 0.7)),
    *(Semantic(bar=b, hours=24.0) for b in (0.5, 0.55)),
    *(Semantic(bar=b, body=400) for b in (0.5, 0.55, 0.6)),
    # a bar alone, no name needed
    *(Semantic(bar=b, named=False) for b in (0.6, 0.65, 0.7, 0.75)),
    # a backing: a name and a cosine lower the threshold (x0.7, as a rare name does) and the floor
    *(Semantic(backing=c) for c in (0.4, 0.45, 0.5, 0.55, 0.6)),
    *(Semantic(backing=c, hours=h) for c in (0.4, 0.45, 0.5) for h in (24.0, 12.0)),
    *(Semantic(backing=c, backed_floor=stories.PLAIN_FLOOR) for c in (0.4, 0.5)),  # the threshold alone
    *(Semantic(backing=c, backed_floor=0.05) for c in (0.4, 0.5)),
    *(Semantic(backing=c, one=0.5) for c in (0.5, 0.55)),
    *(Semantic(backing=c, rare_only=True) for c in (0.35, 0.4, 0.45)),
    *(Semantic(backing=c, body=400) for c in (0.45, 0.5, 0.55)),
    # a blend: the threshold (and the floor, never raised) follow the cosine
    *(Semantic(blend=w, centre=c) for w in (0.5, 1.0, 1.5) for c in (0.3, 0.4, 0.5)),
    *(Semantic(blend=w, centre=0.4, body=400) for w in (1.0, 1.5)),
    # the chosen setting with integer vectors (the form a product would need: see `integer_vector`)
    Semantic(backing=0.4, hours=12.0, exact=True),
)


def by_label(label: str) -> Semantic:
    for setting in SETTINGS:
        if setting.label() == label:
            return setting
    sys.exit(f"no setting labelled {label!r}; see --cv")


def cross_validate() -> None:
    entries, labels = bench_stories.development()
    for body in {s.body for s in SETTINGS}:
        embed_all(entries, body)
    bench_stories._round_cv(SETTINGS)


def spread() -> None:
    """The embeddings' cosine for pairs within 72 hours of the development data, by languages and
    whether the pair is one story: where a bar could separate them."""
    entries, labels = bench_stories.development()
    for body in (0, 400):
        embed_all(entries, body)
        kinds: dict[tuple[str, bool], list[float]] = {}
        for n, a in enumerate(entries):
            for b in entries[n + 1 :]:
                if abs((a.date - b.date).total_seconds()) > 72 * 3600:
                    continue
                langs = "-".join(sorted({a.language, b.language}))
                cos = cosine(vector(a, body), vector(b, body))
                kinds.setdefault((langs, labels[a.id] == labels[b.id]), []).append(cos)
        print(f"title + summary{f' + {body} chars of body' if body else ''}: cosine of pairs within 72 h")
        for (langs, same), values in sorted(kinds.items()):
            values.sort()
            n = len(values)
            cut = {q: values[min(n - 1, int(q * n))] for q in (0.1, 0.5, 0.9, 0.99)}
            print(
                f"  {langs:6} {'one story ' if same else 'two events'} {n:5} pairs: mean {statistics.mean(values):.3f}"
                f"  p10 {cut[0.1]:.3f}  p50 {cut[0.5]:.3f}  p90 {cut[0.9]:.3f}  p99 {cut[0.99]:.3f}  max {values[-1]:.3f}"
            )


def blind(label: str, batch: str = "blind-6") -> None:
    """One setting once on an unseen batch, with the shipped table (as `stories.py --blind`):
    the figures only, never an id or a text of it."""
    setting = by_label(label)
    entries, labels = bench_stories.labelled(f"{batch}.yaml")
    embed_all(entries, setting.body)
    for name, chosen in (("shipped method", SHIPPED), ("semantic setting", setting)):
        with chosen.applied(dict(stories._commonness())):  # the shipped table, as `stories.py --blind`
            p, r, got, want, wrong, _ = bench_stories.score(entries, labels, chosen.index_class(), chosen.settings())
        print(
            f"{batch} {name:17} precision {p:.3f} recall {r:.3f} pairs found {got} wrong {len(wrong)} labelled {want}"
        )


# --- cost -----------------------------------------------------------------------------------

ADDED = ("wordllama", "numpy", "numpy.libs", "tokenizers", "safetensors", "pydantic", "pydantic_core")


def corpus_texts(n: int) -> list[str]:
    entries = bench_stories.corpus_entries(n)
    return [text_of(e, 0) for e in entries]


def cost() -> None:
    t0, w0 = time.process_time(), time.perf_counter()
    import numpy  # noqa: F401
    import wordllama  # noqa: F401

    t1, w1 = time.process_time(), time.perf_counter()
    model()
    t2, w2 = time.process_time(), time.perf_counter()
    print(f"import numpy + wordllama: {t1 - t0:.3f} s CPU ({w1 - w0:.3f} s wall)")
    print(f"model load: {t2 - t1:.3f} s CPU ({w2 - w1:.3f} s wall)")
    texts = corpus_texts(10_000)
    runs = []
    for _ in range(3):
        start = time.process_time()
        vectors = model().embed(texts, norm=True)
        runs.append(time.process_time() - start)
    print(f"embed {len(texts)} title+summary texts: {statistics.median(runs):.3f} s CPU (median of 3: {runs})")
    print(f"embeddings digest: {hashlib.sha256(vectors.tobytes()).hexdigest()}")
    alone = model().embed(texts[:200], norm=True, batch_size=1)
    print(f"first 200 embedded one by one equal to in batches of 64: {alone.tobytes() == vectors[:200].tobytes()}")


CHOSEN = "shipped (t 0.2, 0.82 across), a name + cos(title+summary) >= 0.4 within 12 h: x0.7 of t, floor 0.0"


def grouping_cost() -> None:
    """Grouping 10,000 corpus articles with their features (and vectors) made: the shipped method
    against the chosen setting, float and integer vectors (CPU seconds, medians of 3)."""
    entries = bench_stories.corpus_entries(10_000)
    start = time.process_time()
    sums = [integer_vector(e, 0) for e in entries]
    print(f"integer vectors of 10000 title+summary texts: {time.process_time() - start:.3f} s CPU ({len(sums)})")
    embed_all(entries, 0)
    cache = {e.id: stories.features(e) for e in entries}
    chosen = by_label(CHOSEN)
    for name, setting in (
        ("shipped", SHIPPED),
        ("chosen, float", chosen),
        ("chosen, integer", replace(chosen, exact=True)),
    ):
        runs = []
        for _ in range(3):
            with setting.applied(dict(stories._commonness())):
                begin = time.process_time()
                found = setting.index_class()(entries, setting.settings(), cache).stories()
                runs.append(time.process_time() - begin)
        print(f"grouping 10000, features cached, {name}: {statistics.median(runs):.3f} s CPU, {len(found)} stories")


def digest_in_child() -> str:
    out = subprocess.run(
        [sys.executable, __file__, "--digest"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return out.splitlines()[-1]


def digest() -> None:
    texts = corpus_texts(10_000)
    print(hashlib.sha256(model().embed(texts, norm=True).tobytes()).hexdigest())


if __name__ == "__main__":
    if "--spread" in sys.argv:
        spread()
    elif "--cv" in sys.argv:
        cross_validate()
    elif "--blind" in sys.argv:
        blind(sys.argv[sys.argv.index("--blind") + 1])
    elif "--cost" in sys.argv:
        cost()
        print("two other processes' digests:", digest_in_child(), digest_in_child())
        grouping_cost()
    elif "--grouping-cost" in sys.argv:
        grouping_cost()
    elif "--digest" in sys.argv:
        digest()
    else:
        sys.exit(__doc__)
