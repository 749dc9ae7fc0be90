"""Story grouping measured: pair precision and recall on the labelled set, and the time at scale.

    python bench/stories.py            # the chosen method on both halves, then the times at 10,000
    python bench/stories.py --compare  # the alternatives measured on the development half
    python bench/stories.py --tried    # the ideas tried and rejected, on the development half and the demo
    python bench/stories.py --quick    # the quality figures only
    python bench/stories.py --site .   # the groups found among a site's own articles (the demo)

The labelled set (bench/stories/labelled-*.yaml) is split by story, by a hash of its label:
no story has articles in both halves. Develop on `dev`; `held-out` is read to report, never to tune.
Times are CPU seconds (time.process_time), the median of three runs.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from broadsheet.build import stories  # noqa: E402
from broadsheet.build.stories import Features, StoryEntry, StoryIndex, StorySettings  # noqa: E402

from corpus import article  # noqa: E402


def labelled() -> tuple[list[StoryEntry], dict[str, str]]:
    entries, labels = [], {}
    for path in sorted((HERE / "stories").glob("labelled-*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            entries.append(
                StoryEntry(
                    id=raw["id"],
                    title=raw["title"],
                    summary=raw["summary"],
                    body=raw["body"],
                    date=datetime.strptime(raw["date"], "%Y-%m-%d %H:%M"),
                    outlet=raw["outlet"],
                    language=raw["lang"],
                )
            )
            labels[raw["id"]] = raw["story"]
    return entries, labels


def halves(entries: list[StoryEntry], labels: dict[str, str]) -> dict[str, str]:
    """Entry id -> its half: by the ISO week of its story's first article (odd weeks dev,
    even held-out). By story, so no story is in both; by week, so the near misses of a
    story (the other central bank that day, the strike's settlement two days later) fall
    in its half and are measured, which a split by a hash of the label would scatter."""
    first: dict[str, datetime] = {}
    for e in entries:
        first[labels[e.id]] = min(first.get(labels[e.id], e.date), e.date)
    return {e.id: "dev" if first[labels[e.id]].isocalendar().week % 2 else "held-out" for e in entries}


def pairs(groups: list[tuple[str, ...]]) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for g in groups for p in itertools.combinations(g, 2)}  # type: ignore[misc]


def score(entries: list[StoryEntry], labels: dict[str, str], index_class: type[StoryIndex], settings: StorySettings):
    truth: dict[str, list[str]] = {}
    for e in entries:
        truth.setdefault(labels[e.id], []).append(e.id)
    want = pairs([tuple(ids) for ids in truth.values()])
    got = pairs([s.ids for s in index_class(entries, settings).stories()])
    right = len(want & got)
    precision = right / len(got) if got else 1.0
    recall = right / len(want) if want else 1.0
    return precision, recall, len(got), len(want), sorted(got - want), sorted(want - got)


def variant(require_names: bool, average_link: bool) -> type[StoryIndex]:
    return type("Variant", (StoryIndex,), {"require_names": require_names, "average_link": average_link})


def compare(dev: list[StoryEntry], labels: dict[str, str]) -> None:
    print("development half: threshold, then precision/recall per variant (the chosen constants otherwise)")
    print(f"{'':9}" + "".join(f"{name:>22}" for name in ("text alone", "+ shared name", "+ names, avg link")))
    kinds = [variant(False, False), variant(True, False), variant(True, True)]
    for threshold in (0.10, 0.14, 0.18, 0.22, 0.26, 0.30, 0.35):
        settings = StorySettings(threshold=threshold)
        cells = [score(dev, labels, kind, settings)[:2] for kind in kinds]
        print(f"{threshold:9.2f}" + "".join(f"{p:>15.3f} {r:.3f}" for p, r in cells))
    sweeps = (
        ("prefix length", "PREFIX", (4, 5, 6, 7, 99)),
        ("decay across the window", "DECAY", (0.0, 0.25, 0.5, 0.75, 0.9)),
        ("weight of a name or figure against a plain word", "NAME_BOOST", (1.0, 1.5, 2.0, 3.0, 4.0)),
        ("floor on the words shared beyond the names, one language", "PLAIN_FLOOR", (0.0, 0.05, 0.07, 0.09, 0.11)),
        ("names or figures a link across languages needs", "CROSS_NAMES", (1, 2, 3)),
        ("average link merges at this share of the threshold", "MERGE_SHARE", (0.3, 0.4, 0.5, 0.7, 1.0)),
    )
    for title, name, values in sweeps:
        chosen = getattr(stories, name)
        print(f"{title} (the chosen method otherwise):")
        for value in values:
            setattr(stories, name, value)
            p, r, *_ = score(dev, labels, StoryIndex, StorySettings())
            print(f"  {value:4}: precision {p:.3f} recall {r:.3f}")
        setattr(stories, name, chosen)
    print("share of the threshold a link across languages needs (the chosen method otherwise):")
    for share in (0.3, 0.5, 0.7, 1.0):
        p, r, *_ = score(dev, labels, StoryIndex, StorySettings(across_languages=share))
        print(f"  {share:4}: precision {p:.3f} recall {r:.3f}")


class WindowRarity(StoryIndex):
    """Tried: each term's weight times log((n + 1) / df), n the articles within a window of
    the article and df those of them carrying the term (an IDF of the window, not the corpus).
    Measured by reweighting after the fact; not kept, so no incremental version was written."""

    def __init__(self, entries, settings: StorySettings | None = None, cache=None):
        super().__init__(entries, settings or StorySettings(), cache)
        stamps = [when for when, _ in self.order]
        carrying: dict[str, list[float]] = {}
        for when, entry_id in self.order:
            for term in self.feats[entry_id].weights:
                carrying.setdefault(term, []).append(when)
        rare = {}
        for when, entry_id in self.order:
            lo, hi = when - self.window, when + self.window
            n = bisect_right(stamps, hi) - bisect_left(stamps, lo)
            weights = {}
            for term, weight in self.feats[entry_id].weights.items():
                df = bisect_right(carrying[term], hi) - bisect_left(carrying[term], lo)
                weights[term] = weight * math.log((n + 1) / df)
            norm = math.sqrt(sum(w * w for w in weights.values()))
            rare[entry_id] = Features(weights, self.feats[entry_id].names, norm)
        self.feats = rare
        self.links = {entry_id: {} for entry_id in self.feats}
        for _, entry_id in self.order:
            self._link_forward(entry_id)


def names_waive_floor(count: int) -> type[StoryIndex]:
    """Tried: `count` names in common waive the floor on shared words, as a long figure does."""

    class NamesWaive(StoryIndex):
        def _score(self, a: str, b: str) -> float:
            if len(self.feats[a].names & self.feats[b].names) < count:
                return super()._score(a, b)
            floor, stories.PLAIN_FLOOR = stories.PLAIN_FLOOR, 0.0
            try:
                return super()._score(a, b)
            finally:
                stories.PLAIN_FLOOR = floor

    return NamesWaive


_RUN = re.compile(r"(?<![.!?:;] )(?<!^)\b[A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)+")


def with_runs(entries: list[StoryEntry]) -> dict[str, Features]:
    """Tried: a run of capitalised words ("Norges Bank", "Bank of England") one more name,
    beside its words, as features handed to the index."""
    out = {}
    for entry in entries:
        plain = stories.features(entry)
        weights, names = dict(plain.weights), set(plain.names)
        for text, weight in ((entry.title, stories.TITLE), (entry.summary, stories.SUMMARY)):
            for run in _RUN.findall(text):
                term = " ".join(stories._key(w.lower()) for w in run.split() if w != "of")
                names.add(term)
                weights[term] = math.sqrt(weights.get(term, 0.0) ** 2 + weight * stories.NAME_BOOST)
        norm = math.sqrt(sum(w * w for w in weights.values()))
        out[entry.id] = Features(weights, frozenset(names), norm)
    return out


def centroid_ranking(index: StoryIndex, labels: dict[str, str] | None) -> list[str]:
    """Tried: an article left out of every story, against each story within its window that
    shares a name with it: the cosine with the story's centroid (its members' unit vectors
    summed, same language). Printed best first with whether the label agrees, to see whether
    a threshold separates the right attachments from the wrong."""
    found = [s.ids for s in index.stories()]
    grouped = {i for ids in found for i in ids}
    rows = []
    for entry_id, mine in index.feats.items():
        if entry_id in grouped:
            continue
        best: tuple[float, tuple[str, ...]] = (0.0, ())
        for ids in found:
            if min(abs(index.times[entry_id] - index.times[m]) for m in ids) > index.window:
                continue
            if not mine.names & set().union(*(index.feats[m].names for m in ids)):
                continue
            centre: dict[str, float] = {}
            for m in ids:
                if index.entries[m].language == index.entries[entry_id].language:
                    for term, weight in index.feats[m].weights.items():
                        centre[term] = centre.get(term, 0.0) + weight / index.feats[m].norm
            norm = math.sqrt(sum(w * w for w in centre.values()))
            if norm and mine.norm:
                cosine = sum(w * centre.get(t, 0.0) for t, w in mine.weights.items()) / (mine.norm * norm)
                best = max(best, (cosine, ids))
        if best[1]:
            verdict = "" if labels is None else (" right" if labels[entry_id] == labels[best[1][0]] else " WRONG")
            rows.append((best[0], f"    {best[0]:.3f} {entry_id} -> story of {best[1][0]}{verdict}"))
    return [line for _, line in sorted(rows, reverse=True)]


def tried(dev: list[StoryEntry], labels: dict[str, str], demo: list[StoryEntry]) -> None:
    def line(title: str, index_class: type[StoryIndex], settings: StorySettings, cache=None, site_cache=None):
        truth: dict[str, list[str]] = {}
        for e in dev:
            truth.setdefault(labels[e.id], []).append(e.id)
        want = pairs([tuple(ids) for ids in truth.values()])
        got = pairs([s.ids for s in index_class(dev, settings, cache).stories()])
        found = index_class(demo, settings, site_cache).stories()
        p = len(want & got) / len(got) if got else 1.0
        print(f"  {title:44} dev {p:.3f} / {len(want & got) / len(want):.3f}   demo: {len(found)} stories")

    print("development half, precision / recall; the demo's stories (it has none to find)")
    line("chosen method", StoryIndex, StorySettings())
    floor = stories.PLAIN_FLOOR
    for threshold in (0.06, 0.07, 0.08, 0.09, 0.10, 0.12):
        for plain_floor in (0.0, 0.09):
            stories.PLAIN_FLOOR = plain_floor
            title = f"window rarity, threshold {threshold}, floor {plain_floor}"
            line(title, WindowRarity, StorySettings(threshold=threshold))
    stories.PLAIN_FLOOR = floor
    for count in (3, 4, 5):
        line(f"{count} shared names waive the floor", names_waive_floor(count), StorySettings())
    line("runs of capitalised words one more name", StoryIndex, StorySettings(), with_runs(dev), with_runs(demo))
    print("articles left alone, their best story by centroid cosine (development half):")
    print("\n".join(centroid_ranking(StoryIndex(dev), labels)))


def quality() -> None:
    entries, labels = labelled()
    half = halves(entries, labels)
    for name in ("dev", "held-out", "all"):
        part = [e for e in entries if name in ("all", half[e.id])]
        p, r, got, want, wrong, missed = score(part, labels, StoryIndex, StorySettings())
        n_stories = len({labels[e.id] for e in part})
        print(
            f"{name:9} {len(part):3} entries, {n_stories} labels: pair precision {p:.3f} ({got} pairs found), "
            f"recall {r:.3f} ({want} pairs labelled)"
        )
        for a, b in wrong:
            print(f"    wrongly joined: {a} + {b}")
        for a, b in missed:
            print(f"    missed: {a} + {b}")


def corpus_entries(n: int) -> list[StoryEntry]:
    """bench/corpus.py's articles as records (its random words: many shared terms, no stories)."""
    rng = random.Random(2025)
    start = datetime(2024, 1, 1)
    out = []
    for i in range(n):
        _, text = article(rng, i, start)
        head, _, body = text[4:].partition("\n---\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines())
        out.append(
            StoryEntry(
                id=f"article-{i:05d}",
                title=fields["title"].strip('"'),
                summary=fields["summary"],
                body=body,
                date=datetime.strptime(fields["date"], "%Y-%m-%d %H:%M"),
                language=fields.get("lang", "en"),
            )
        )
    return out


def cpu(job, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        job()
        times.append(time.process_time() - start)
    return statistics.median(times)


def timing(n: int = 10_000) -> None:
    labelled_entries, _ = labelled()
    entries = corpus_entries(n - 24 * len(labelled_entries))
    # Story-like articles mixed in, so the time includes real links and groups: the labelled
    # set copied into each month of the corpus's two years, dates and ids shifted (4,944 of the 10,000).
    base = min(e.date for e in labelled_entries)
    for month in range(24):
        shift = datetime(2024 + month // 12, month % 12 + 1, 1) - base
        entries += [replace(e, id=f"{e.id}@{month}", date=e.date + shift) for e in labelled_entries]
    cache = {e.id: stories.features(e) for e in entries}
    print(f"{len(entries)} articles, {len(StoryIndex(entries).stories())} stories")
    print(f"  features of every article:        {cpu(lambda: [stories.features(e) for e in entries]):.3f} s")
    print(f"  grouping, features cached:        {cpu(lambda: stories.group(entries, cache=cache)):.3f} s")
    print(f"  cold (features + grouping):       {cpu(lambda: stories.group(entries)):.3f} s")
    index = StoryIndex(entries, cache=cache)
    edited = replace(entries[len(entries) // 2], summary="A changed summary naming Holloway and 4.25%.")
    original = entries[len(entries) // 2]

    def one_edit() -> None:
        index.replace(edited)
        index.stories()
        index.replace(original)
        index.stories()

    print(f"  one edit (replace + stories):     {cpu(one_edit) / 2 * 1000:.1f} ms")
    index.replace(edited)
    assert index.stories() == stories.group([edited if e.id == edited.id else e for e in entries])
    print("  the edited index's stories equal a fresh grouping's")


def site_entries(site_dir: Path) -> list[StoryEntry]:
    """A site's articles as the build parses them (broadsheet's own model), as records."""
    from broadsheet.build.pipeline import load_model
    from broadsheet.build.request import BuildRequest

    _, site_model, problems = load_model(BuildRequest(site_dir.resolve()))
    if site_model is None:
        sys.exit("\n".join(str(p) for p in problems) or f"{site_dir}: no site model")
    return [
        StoryEntry(
            id=e.article.path,
            title=e.article.title,
            summary=e.article.summary_text,
            body=_plain(e.article.body_html),
            date=e.article.date,
            outlet=e.article.source.name if e.article.source else "",
            language=e.article.lang,
        )
        for e in site_model.entries
    ]


def _plain(html: str) -> str:
    """An article body's text, its tags dropped (the build hands grouping the same)."""
    import html as entities
    import re

    return entities.unescape(re.sub(r"<[^>]+>", " ", html)).strip()


def site(site_dir: Path) -> None:
    entries = site_entries(site_dir)
    found = stories.group(entries)
    print(f"{site_dir}: {len(entries)} articles, {len(found)} stories found")
    for story in found:
        print("  story:")
        for entry_id in story.ids:
            print(f"    {entry_id}")


if __name__ == "__main__":
    if "--site" in sys.argv:
        site(Path(sys.argv[sys.argv.index("--site") + 1]))
        sys.exit(0)
    entries, labels = labelled()
    if "--tried" in sys.argv:
        half = halves(entries, labels)
        tried([e for e in entries if half[e.id] == "dev"], labels, site_entries(Path(".")))
        sys.exit(0)
    if "--compare" in sys.argv:
        half = halves(entries, labels)
        compare([e for e in entries if half[e.id] == "dev"], labels)
        sys.exit(0)
    quality()
    if "--quick" not in sys.argv:
        timing()
