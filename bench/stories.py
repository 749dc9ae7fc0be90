"""Story grouping measured: pair precision and recall on the labelled set, and the time at scale.

    python bench/stories.py            # the chosen method on both halves, then the times at 10,000
    python bench/stories.py --compare  # the alternatives measured on the development half
    python bench/stories.py --tried    # the ideas tried and rejected: both halves and the demo
    python bench/stories.py --quick    # the quality figures only
    python bench/stories.py --site .   # the groups found among a site's own articles (the demo)
    python bench/stories.py --cv       # the third round's candidates, each week judged by the others (stories_fit.py)
    python bench/stories.py --openers  # the fourth round's: rules for words that open a sentence, the same way
    python bench/stories.py --names    # the fifth round's: countries and loose spellings, the same way over every development entry
    python bench/stories.py --seventh  # the seventh round's: the threshold, stems, weights, rare names, the same way
    python bench/stories.py --blind    # every blind batch (bench/stories/blind-*.yaml): this method and the ones before

The labelled set (bench/stories/labelled-*.yaml) is split into halves by the ISO week of a
story's first article. Since the third round (2026-12-01) both halves are development data,
judged by cross-validation over the weeks (`--cv`, `--openers`); each blind batch is a round's
test, read once at its end (blind-1 is development data since the fourth round).
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


def labelled(pattern: str = "labelled-*.yaml") -> tuple[list[StoryEntry], dict[str, str]]:
    entries, labels = [], {}
    for path in sorted((HERE / "stories").glob(pattern)):
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


# Tried 2026-12-01 (second round, issue 20's targets): negative evidence and linkage changes.
# Each is a subclass or a patch measured on the development half; none was kept.


def _title_marks(title: str) -> frozenset[str]:
    """The names and figures of a title as `features` reads them (a sentence's opening word is none)."""
    return frozenset(term for term, is_name in stories._terms(title, {}) if is_name)


def title_conflict(kind: str) -> type[StoryIndex]:
    """Tried: negative evidence. Within one language, no link when each title names something
    (`kind`: "names", "figures" or "both") found nowhere in the other article: two different
    institutions, or two different rates, each named prominently."""

    def keep(term: str) -> bool:
        return kind == "both" or (term[0].isdigit()) == (kind == "figures")

    class TitleConflict(StoryIndex):
        def _score(self, a: str, b: str) -> float:
            found = super()._score(a, b)
            ea, eb = self.entries[a], self.entries[b]
            if not found or ea.language != eb.language:
                return found
            fa, fb = self.feats[a], self.feats[b]
            only_a = {t for t in _title_marks(ea.title) if t not in fb.weights and keep(t)}
            only_b = {t for t in _title_marks(eb.title) if t not in fa.weights and keep(t)}
            return 0.0 if only_a and only_b else found

    return TitleConflict


def name_share(share: float, across_only: bool = False) -> type[StoryIndex]:
    """Tried: a distinct-name ratio. A link needs this share of the names of the article with
    fewer names found in the other (`across_only`: only between languages)."""

    class NameShare(StoryIndex):
        def _score(self, a: str, b: str) -> float:
            found = super()._score(a, b)
            fa, fb = self.feats[a], self.feats[b]
            if not found or (across_only and self.entries[a].language == self.entries[b].language):
                return found
            both = stories._named_in_both(fa, fb)
            return found if len(both) >= share * min(len(fa.names), len(fb.names)) else 0.0

    return NameShare


class TitleOverlap(StoryIndex):
    """Tried: within one language a link needs a word or name in both titles."""

    def _score(self, a: str, b: str) -> float:
        found = super()._score(a, b)
        ea, eb = self.entries[a], self.entries[b]
        if not found or ea.language != eb.language:
            return found
        words = [{term for term, _ in stories._terms(e.title, {})} for e in (ea, eb)]
        return found if words[0] & words[1] else 0.0


def lead_floor(floor: float) -> type[StoryIndex]:
    """Tried: the floor on shared plain words counted on title and summary alone (a body's
    context, "on the eve of his forum speech", is not what the article reports)."""

    class LeadFloor(StoryIndex):
        def _score(self, a: str, b: str) -> float:
            found = super()._score(a, b)
            ea, eb = self.entries[a], self.entries[b]
            if not found or ea.language != eb.language:
                return found
            shared = self.feats[a].names & self.feats[b].names
            if any(t[0].isdigit() and sum(c.isdigit() for c in t) >= 2 for t in shared):
                return found  # the figure's waiver, as in the method
            la, lb = (stories.features(replace(e, body="")) for e in (ea, eb))
            plain = sum(w * lb.weights.get(t, 0.0) for t, w in la.weights.items() if t not in la.names | lb.names)
            return found if plain >= floor * la.norm * lb.norm else 0.0

    return LeadFloor


_GENERIC_TERMS = frozenset(stories._key(word) for word in stories._GENERIC)


def generic_out_of_floor(floor: float) -> type[StoryIndex]:
    """Tried: offices, days and months ("President", "Friday") not counted among the plain words
    the floor needs (they are already no names; here they are no evidence either)."""
    import stories_fit

    return stories_fit.generic_out(StoryIndex, floor)


def cross_capped(cap: float) -> type[StoryIndex]:
    """Tried: a link between languages (its score over half the threshold) counts at most `cap`
    times the threshold in average link, so it cannot carry a merge alone."""

    class CrossCapped(StoryIndex):
        def _link(self, a: str, b: str) -> None:
            super()._link(a, b)
            if b in self.links[a] and self.entries[a].language != self.entries[b].language:
                self.links[a][b] = self.links[b][a] = min(cap, self.links[a][b])

    return CrossCapped


def missing_link_penalty(penalty: float) -> type[StoryIndex]:
    """Tried: average link with a missing link counting -`penalty` instead of 0 (towards
    complete link): every link and the merge share raised by `penalty`."""

    class Penalised(StoryIndex):
        def stories(self):
            plain = stories._average_link

            def shifted(members, links, threshold):
                raised = {m: {o: v + penalty for o, v in links[m].items()} for m in members}
                return plain(members, raised, threshold + penalty)

            stories._average_link = shifted
            try:
                return super().stories()
            finally:
                stories._average_link = plain

    return Penalised


def possessive_stripped(word: str, memo: dict[str, tuple[str, int]], _read=stories._read) -> tuple[str, int]:
    """Tried: "NATO's" read as "NATO" (an acronym, a name) and "Friday's" as "Friday" (generic)."""
    bare = word[:-2] if len(word) > 3 and word[-2:].lower() in ("'s", "’s") else word
    memo[word] = found = _read(bare, memo)
    return found


def figure_waiver(kind: str) -> type[StoryIndex]:
    """Tried: a narrower waiver of the floor by a shared figure of two digits or more: `kind`
    "none" (no waiver), "a title" (the figure in either title), "both titles", or "two" (two
    such figures, or three names or figures in common)."""

    class Waiver(StoryIndex):
        def _score(self, a: str, b: str) -> float:
            found = super()._score(a, b)
            ea, eb = self.entries[a], self.entries[b]
            if not found or ea.language != eb.language:
                return found
            fa, fb = self.feats[a], self.feats[b]
            shared = fa.names & fb.names
            plain = sum(w * fb.weights.get(t, 0.0) for t, w in fa.weights.items() if t not in shared)
            if plain >= stories.PLAIN_FLOOR * fa.norm * fb.norm:
                return found  # no waiver was needed
            figures = [t for t in shared if t[0].isdigit() and sum(c.isdigit() for c in t) >= 2]
            ta, tb = _title_marks(ea.title), _title_marks(eb.title)
            keep = {
                "none": False,
                "a title": any(f in ta or f in tb for f in figures),
                "both titles": any(f in ta and f in tb for f in figures),
                "two": len(figures) >= 2 or len(shared) >= 3,
            }[kind]
            return found if keep else 0.0

    return Waiver


def _pair_signals(index: StoryIndex, a: str, b: str) -> list[float] | None:
    """What a learned link reads of a pair: cosine, its plain and named parts, names in both,
    a long figure in both, time apart, languages, title overlap and conflict, name share."""
    fa, fb = index.feats[a], index.feats[b]
    ea, eb = index.entries[a], index.entries[b]
    both = stories._named_in_both(fa, fb)
    if not fa.norm or not fb.norm or not both:
        return None
    shared = fa.names & fb.names
    dot = sum(w * fb.weights.get(t, 0.0) for t, w in fa.weights.items())
    plain = sum(w * fb.weights.get(t, 0.0) for t, w in fa.weights.items() if t not in shared)
    norms = fa.norm * fb.norm
    apart = abs(index.times[a] - index.times[b]) / index.window
    titles = [{term for term, _ in stories._terms(e.title, {})} for e in (ea, eb)]
    only_a = _title_marks(ea.title) - set(fb.weights)
    only_b = _title_marks(eb.title) - set(fa.weights)
    return [
        dot / norms,
        plain / norms,
        (dot - plain) / norms,
        math.log1p(len(both)),
        float(any(t[0].isdigit() and sum(c.isdigit() for c in t) >= 2 for t in both)),
        apart,
        float(ea.language != eb.language),
        math.log1p(len(titles[0] & titles[1])),
        float(bool(only_a and only_b)),
        len(both) / max(1, min(len(fa.names), len(fb.names))),
        dot / norms * apart,
    ]


def fit_links(part: list[StoryEntry], labels: dict[str, str], steps: int = 2000):
    """Tried: a logistic regression over `_pair_signals`, fitted on the candidate pairs (a name
    in common, within the window) of `part`, classes weighted alike, L2 0.01; pure Python."""
    index = StoryIndex(part)
    rows, ys = [], []
    for _, a in index.order:
        for b in sorted(index._candidates(a)):
            signals = _pair_signals(index, a, b)
            if signals is not None:
                rows.append(signals)
                ys.append(int(labels[a] == labels[b]))
    d = len(rows[0])
    mean = [sum(r[i] for r in rows) / len(rows) for i in range(d)]
    spread = [math.sqrt(sum((r[i] - mean[i]) ** 2 for r in rows) / len(rows)) or 1.0 for i in range(d)]
    z = [[(r[i] - mean[i]) / spread[i] for i in range(d)] for r in rows]
    weigh = {1: len(ys) / (2 * sum(ys)), 0: len(ys) / (2 * (len(ys) - sum(ys)))}
    w, bias = [0.0] * d, 0.0
    for _ in range(steps):
        grad, grad_bias = [0.0] * d, 0.0
        for zi, y in zip(z, ys):
            g = (1 / (1 + math.exp(-(sum(wj * xj for wj, xj in zip(w, zi)) + bias))) - y) * weigh[y]
            grad = [gj + g * xj for gj, xj in zip(grad, zi)]
            grad_bias += g
        w = [wj - 0.5 * (gj / len(z) + 0.01 * wj) for wj, gj in zip(w, grad)]
        bias -= 0.5 * grad_bias / len(z)

    def probability(x: list[float]) -> float:
        return 1 / (1 + math.exp(-(sum(wj * (xj - m) / s for wj, xj, m, s in zip(w, x, mean, spread)) + bias)))

    return probability


def learned_links(probability, cut: float) -> type[StoryIndex]:
    """A link where the fitted probability reaches `cut`, kept as probability / cut (so average
    link's half share reads as in the method)."""

    class Learned(StoryIndex):
        def _link(self, a: str, b: str) -> None:
            signals = _pair_signals(self, a, b)
            if signals is not None and (p := probability(signals)) >= cut:
                self.links[a][b] = self.links[b][a] = p / cut

    return Learned


def learned_by_week(dev: list[StoryEntry], labels: dict[str, str], cut: float) -> str:
    """The learned links judged on dev without being fitted on what they judge: fitted on all of
    dev's weeks but one, then grouping that week, for each week (by a story's first article)."""
    first: dict[str, tuple[int, int]] = {}
    for e in sorted(dev, key=lambda e: e.date):
        first.setdefault(labels[e.id], e.date.isocalendar()[:2])
    got, want = set(), set()
    for week in sorted(set(first.values())):
        inside = [e for e in dev if first[labels[e.id]] == week]
        outside = [e for e in dev if first[labels[e.id]] != week]
        model = learned_links(fit_links(outside, labels, steps=1000), cut)
        got |= pairs([s.ids for s in model(inside).stories()])
        truth: dict[str, list[str]] = {}
        for e in inside:
            truth.setdefault(labels[e.id], []).append(e.id)
        want |= pairs([tuple(ids) for ids in truth.values()])
    return f"{len(got & want) / len(got):.3f} / {len(got & want) / len(want):.3f}"


def tried(halves_: dict[str, list[StoryEntry]], labels: dict[str, str], demo: list[StoryEntry]) -> None:
    """Each idea beside the chosen method: decided on the development half and the demo, held-out's
    figures printed to report (bench/README.md says when each was read). The demo column counts
    the stories found that the chosen method does not find (+) and those it finds that are lost (-)."""

    def figures(part: list[StoryEntry], index_class: type[StoryIndex], settings: StorySettings, cache) -> str:
        truth: dict[str, list[str]] = {}
        for e in part:
            truth.setdefault(labels[e.id], []).append(e.id)
        want = pairs([tuple(ids) for ids in truth.values()])
        got = pairs([s.ids for s in index_class(part, settings, cache).stories()])
        return f"{len(want & got) / len(got) if got else 1.0:.3f} / {len(want & got) / len(want):.3f}"

    def line(
        title: str, index_class: type[StoryIndex], settings: StorySettings | None = None, caches=(None, None, None)
    ):
        settings = settings or StorySettings()
        dev, held = (figures(halves_[name], index_class, settings, cache) for name, cache in zip(HALVES, caches))
        found = set(index_class(demo, settings, caches[2]).stories())
        print(f"  {title:52} dev {dev}   held-out {held}   demo: +{len(found - chosen)} -{len(chosen - found)}")

    chosen = set(StoryIndex(demo).stories())
    print(f"precision / recall on each half; the demo: the chosen method finds {len(chosen)} stories there")
    line("chosen method", StoryIndex)
    floor = stories.PLAIN_FLOOR
    for threshold in (0.06, 0.07, 0.08, 0.09, 0.10, 0.12):
        for plain_floor in (0.0, 0.09):
            stories.PLAIN_FLOOR = plain_floor
            title = f"window rarity, threshold {threshold}, floor {plain_floor}"
            line(title, WindowRarity, StorySettings(threshold=threshold))
    stories.PLAIN_FLOOR = floor
    for count in (3, 4, 5):
        line(f"{count} shared names waive the floor", names_waive_floor(count))
    runs = (with_runs(halves_["dev"]), with_runs(halves_["held-out"]), with_runs(demo))
    line("runs of capitalised words one more name", StoryIndex, caches=runs)
    print("second round (2026-12-01): negative evidence, name ratios, linkage, learned links")
    for kind in ("both", "names", "figures"):
        line(f"titles each naming what the other lacks ({kind})", title_conflict(kind))
    for share in (0.3, 0.4, 0.5):
        line(f"a link needs {share} of the fewer names in common", name_share(share))
        line("  the same, between languages only", name_share(share, across_only=True))
    line("a word or name in both titles (one language)", TitleOverlap)
    for lead in (0.05, 0.07, 0.09):
        line(f"floor counted on title and summary, {lead}", lead_floor(lead))
    stories.PLAIN_FLOOR = 0.0  # the subclass applies its own floor instead
    for generic in (0.05, 0.07, 0.09):
        line(f"offices, days, months out of the floor, floor {generic}", generic_out_of_floor(generic))
    stories.PLAIN_FLOOR = floor
    for kind in ("none", "a title", "both titles", "two"):
        line(f"a long figure waives the floor: {kind}", figure_waiver(kind))
    for cap in (1.0, 1.5):
        line(f"a link between languages counts at most {cap}", cross_capped(cap))
    for penalty in (0.25, 0.5):
        line(f"average link, a missing link counting -{penalty}", missing_link_penalty(penalty))
    read = stories._read
    stories._read = possessive_stripped
    try:
        for threshold in (0.19, 0.20):
            line(f"possessive 's stripped, threshold {threshold}", StoryIndex, StorySettings(threshold=threshold))
        stories.PLAIN_FLOOR = 0.0
        for threshold in (0.19, 0.20):
            settings = StorySettings(threshold=threshold)
            line(
                f"  and offices etc. out of the floor 0.07, threshold {threshold}", generic_out_of_floor(0.07), settings
            )
    finally:
        stories._read = read
        stories.PLAIN_FLOOR = floor
    probability = fit_links(halves_["dev"], labels)
    for cut in (0.5, 0.6, 0.7, 0.8):
        line(f"logistic links fitted on dev, p >= {cut}", learned_links(probability, cut))
        print(
            f"    {'the same, each dev week fitted on the others':50} dev {learned_by_week(halves_['dev'], labels, cut)}"
        )
    print("articles left alone, their best story by centroid cosine (development half):")
    print("\n".join(centroid_ranking(StoryIndex(halves_["dev"]), labels)))


HALVES = ("dev", "held-out")


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


def demo_as_tested() -> list[StoryEntry]:
    """The demo's articles as tests/build/test_stories.py reads them: ids the file names,
    bodies with their tags dropped and entities left as they are."""
    return [
        replace(e, id=e.id.rsplit("/", 1)[-1], body=re.sub(r"<[^>]+>", " ", body))
        for e, body in zip(site_entries(Path(".")), _bodies_html(Path(".")), strict=True)
    ]


def _bodies_html(site_dir: Path) -> list[str]:
    from broadsheet.build.pipeline import load_model
    from broadsheet.build.request import BuildRequest

    _, site_model, _ = load_model(BuildRequest(site_dir.resolve()))
    assert site_model is not None
    return [e.article.body_html for e in site_model.entries]


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


def _print_rows(rows) -> None:
    """Cross-validation rows (bench/stories_fit.py), one line each with its note under it."""
    import stories_fit

    for row in rows:
        p, r = stories_fit.figures(row.total)
        print(
            f"  {row.name:66} {p:.3f} / {r:.3f}  ({row.total[0]} right of {row.total[1]} found, {row.total[2]} labelled)"
        )
        if row.note:
            print(f"      {row.note}")


def cv() -> None:
    import stories_fit

    entries, labels = labelled()
    print(f"{len(entries)} labelled entries, each of 13 weeks judged by what the other 12 choose or fit")
    # the third round's table, against the method of that round (no openers, no fifth round)
    with stories_fit.ruled(stories_fit.NO_RULE), stories_fit.unnamed():
        rows = stories_fit.cross_validate(entries, labels, site_entries(Path(".")))
    _print_rows(rows)


def openers_cv() -> None:
    """The fourth round: rules for names that open a sentence, each week of the 327 labelled
    entries and blind-1 (development data since it was read) judged by the other weeks."""
    import stories_fit

    entries, labels = labelled()
    more, more_labels = labelled("blind-1.yaml")
    entries, labels = entries + more, labels | more_labels
    weeks = len(set(stories_fit.weeks_of(entries, labels).values()))
    print(f"{len(entries)} entries (labelled-*.yaml and blind-1.yaml), {weeks} weeks, each judged by the others")
    with stories_fit.unnamed():  # the fourth round's table, without the fifth round's names
        _print_rows(stories_fit.fourth_round(entries, labels, site_entries(Path("."))))


def development() -> tuple[list[StoryEntry], dict[str, str]]:
    """Every development entry: the labelled set and the blind batches read so far
    (`READ_BATCHES`), a batch's ids and labels prefixed with its name (batches reuse ids)."""
    entries, labels = labelled()
    for name in READ_BATCHES:
        more, more_labels = labelled(f"{name}.yaml")
        entries += [replace(e, id=f"{name}:{e.id}") for e in more]
        labels |= {f"{name}:{k}": f"{name}:{v}" for k, v in more_labels.items()}
    return entries, labels


# The blind batches read, development data since; any other bench/stories/blind-*.yaml is unseen
# until its measure.
READ_BATCHES = ("blind-1", "blind-2", "blind-3", "blind-4", "blind-5")
# Measured once at the end of the round it was written for, not yet read for tuning: the next
# round may read it (then it joins READ_BATCHES, and `--commonness` counts it).
MEASURED_BATCHES: dict[str, str] = {
    "blind-6": "measured once at the eighth round's end and once with WordLlama (stories_semantic.py), not yet read"
}


def development_before(batches: tuple[str, ...]) -> tuple[list[StoryEntry], dict[str, str]]:
    """`development()` as a round saw it, with only these blind batches read."""
    entries, labels = development()
    keep = [e for e in entries if ":" not in e.id or e.id.split(":")[0] in batches]
    return keep, {e.id: labels[e.id] for e in keep}


def paraphrase_cv() -> None:
    """The sixth round: terms weighed by how many events use them, and the other ideas for
    reports that paraphrase each other, each week of every development entry judged by the others."""
    import stories_fit

    entries, labels = development()
    weeks = len(set(stories_fit.weeks_of(entries, labels).values()))
    print(
        f"{len(entries)} entries (labelled-*.yaml, {', '.join(READ_BATCHES)}), {weeks} weeks, each judged by the others"
    )
    only_labelled = [e for e in entries if ":" not in e.id]
    _print_rows(stories_fit.sixth_round(entries, labels, only_labelled, site_entries(Path("."))))


def seventh_cv() -> None:
    """The seventh round: the threshold against recall, stems, figures' and the summary's weights,
    and two rare names lowering the floor, each week of every development entry judged by the others."""
    _round_cv(stories_fit_settings("SEVENTH_SETTINGS"))


def eighth_cv() -> None:
    """The eighth round: a rare name backed by one more specific over a longer span, and single
    link for strong links, each week of every development entry (blind-5 now among it) judged by
    the others, with the seventh round's guards."""
    _round_cv(stories_fit_settings("EIGHTH_SETTINGS"))


def stories_fit_settings(name: str) -> tuple:
    import stories_fit

    return getattr(stories_fit, name)


def _round_cv(settings: tuple) -> None:
    import importlib.util

    import stories_fit

    entries, labels = development()
    weeks = len(set(stories_fit.weeks_of(entries, labels).values()))
    print(
        f"{len(entries)} entries (labelled-*.yaml, {', '.join(READ_BATCHES)}), {weeks} weeks, each judged by the others"
    )
    only_labelled = [e for e in entries if ":" not in e.id]
    # the written case of tests/build/test_stories.py a rare city's name must not join
    spec = importlib.util.spec_from_file_location("test_stories", HERE.parent / "tests" / "build" / "test_stories.py")
    assert spec is not None and spec.loader is not None
    tests = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(HERE.parent / "tests"))
    spec.loader.exec_module(tests)
    written = ((tests.TRAM_CRASH, {("tram-1", "tram-2")}),)
    rows = stories_fit.seventh_round(
        entries, labels, only_labelled, site_entries(Path(".")), settings, demo_as_tested(), written
    )
    _print_rows(rows)


COMMON_TERMS = HERE.parent / "broadsheet" / "build" / "common_terms.txt"


def write_commonness() -> None:
    """broadsheet/build/common_terms.txt: each term of the development data with how many of its
    events use it (`stories._commonness` reads it)."""
    import stories_fit

    entries, labels = development()
    events, used = stories_fit.event_counts(entries, labels)
    lines = [
        "# Terms of story grouping (build/stories.py, `_commonness`) and how many events use them,",
        f"# counted by `bench/stories.py --commonness` over the development data ({', '.join(('labelled-*', *READ_BATCHES))}),",
        "# written for Broadsheet. A term is a word as `features` reads it (transliterated, cut to a prefix).",
        f"events {events}",
        *(f"{term} {n}" for term, n in sorted(used.items())),
    ]
    COMMON_TERMS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{COMMON_TERMS}: {len(used)} terms of {events} events")


def names_cv() -> None:
    """The fifth round: names that mean the same place (countries, loose spellings across
    languages), each week of every development entry judged by the other weeks."""
    import stories_fit

    entries, labels = development_before(("blind-1", "blind-2"))  # what the fifth round saw
    weeks = len(set(stories_fit.weeks_of(entries, labels).values()))
    print(f"{len(entries)} entries (labelled-*.yaml, blind-1, blind-2), {weeks} weeks, each judged by the others")
    only_labelled = [e for e in entries if ":" not in e.id]
    _print_rows(stories_fit.fifth_round(entries, labels, only_labelled, site_entries(Path("."))))


SEVENTH = StorySettings(across_languages=0.8)  # the sixth and seventh rounds' share across languages


def blind() -> None:
    """Every blind batch present (bench/stories/blind-*.yaml), each written before a round's
    tuning and measured once at its end: blind-1 (third round), blind-2 (fourth), blind-3 (fifth), blind-4 (sixth) and blind-5 (seventh) have been
    read and are development data since; blind-6 (eighth) was measured once; any other is unseen
    until its measure."""
    import stories_fit

    demo = site_entries(Path("."))
    methods = (
        ("stories.py now (the seventh's, 0.82 across)", stories_fit.nothing, stories_fit.CHOSEN_RULE, StorySettings()),
        ("the eighth round's (switched off)", stories_fit.eighth_method, stories_fit.CHOSEN_RULE, StorySettings()),
        ("the seventh round's (today's table)", stories_fit.nothing, stories_fit.CHOSEN_RULE, SEVENTH),
        ("the sixth round's", stories_fit.no_rare_names, stories_fit.CHOSEN_RULE, SEVENTH),
        ("the fifth round's", stories_fit.plain_weights, stories_fit.CHOSEN_RULE, StorySettings(across_languages=0.7)),
        ("the fourth round's", stories_fit.unnamed, stories_fit.CHOSEN_RULE, StorySettings(across_languages=0.5)),
        ("main's method before it", stories_fit.unnamed, stories_fit.NO_RULE, StorySettings(across_languages=0.5)),
    )
    for path in sorted((HERE / "stories").glob("blind-*.yaml")):
        name = path.stem
        note = (
            "read, development data since"
            if name in READ_BATCHES
            else MEASURED_BATCHES.get(name, "unseen until its measure")
        )
        entries, labels = labelled(path.name)
        n_stories = sum(1 for label in set(labels.values()) if list(labels.values()).count(label) > 1)
        print(f"{path.name}: {len(entries)} entries, {n_stories} stories of two or more ({note})")
        for title, context, rule, settings in methods:
            # the rows after the second without the eighth round's changes (stories.py is without them)
            with context(), stories_fit.ruled(rule), stories_fit.patched(stories_fit.TODAY):
                p, r, got, want, wrong, missed = score(entries, labels, StoryIndex, settings)
                found = StoryIndex(demo, settings).stories()
            print(
                f"  {title:44} pair precision {p:.3f} ({got} pairs found), recall {r:.3f} ({want} pairs labelled); demo: {len(found)} stories"
            )
            for a, b in wrong:
                print(f"      wrongly joined: {a} + {b}")
            for a, b in missed:
                print(f"      missed: {a} + {b}")


if __name__ == "__main__":
    # the options that each print one table and end
    for option, table in (
        ("--cv", cv),
        ("--openers", openers_cv),
        ("--paraphrase", paraphrase_cv),
        ("--seventh", seventh_cv),
        ("--eighth", eighth_cv),
        ("--commonness", write_commonness),
        ("--names", names_cv),
        ("--blind", blind),
    ):
        if option in sys.argv:
            table()
            sys.exit(0)
    if "--site" in sys.argv:
        site(Path(sys.argv[sys.argv.index("--site") + 1]))
        sys.exit(0)
    entries, labels = labelled()
    if "--tried" in sys.argv:
        half = halves(entries, labels)
        parts = {name: [e for e in entries if half[e.id] == name] for name in HALVES}
        import stories_fit

        # the ideas were measured against the method of their round
        with stories_fit.ruled(stories_fit.NO_RULE), stories_fit.patched(stories_fit.TODAY), stories_fit.unnamed():
            tried(parts, labels, site_entries(Path(".")))
        sys.exit(0)
    if "--compare" in sys.argv:
        half = halves(entries, labels)
        compare([e for e in entries if half[e.id] == "dev"], labels)
        sys.exit(0)
    quality()
    if "--quick" not in sys.argv:
        timing()
