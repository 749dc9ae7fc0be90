"""Stories: articles about the same event grouped, whatever outlet filed them.

A pure function over plain records (`StoryEntry` -> `Story`), so the model can call it and
the tests and `bench/stories.py` can measure it without a site. The method was chosen on the
labelled set in `bench/stories/` (figures in bench/README.md's "Stories" section):

- each article becomes a bag of weighted terms (`features`): words of title, summary and
  body (the title counts most), transliterated to Latin and cut to a short prefix so
  Russian and English coverage, and a word's inflections, meet; names (capitalised words
  not opening a sentence, acronyms, "G7") and figures ("4.25%", Russian "4,25%") weigh more.
  Offices, days and months ("President", "Committee", "June") are plain words, not names.
  A capitalised word that opens a sentence is no name ("Traders said"), but headlines often
  open with the place or the person ("Lisbon metro shut"): such a word, unless the article
  also writes it in lower case, is kept among its `openers`, a name in common with an article
  of the same language that names it mid-sentence (not between languages, where a link rests
  on names alone: "Лена Краузе" opening a title met "Finance minister Lena Krause" in another
  event). A word that only opens sentences in both names no one and is no name in common.
  A headline in capitals ("FUREY'S FINISHED") names no one by the acronym rule (its words
  may be kept among the openers, `SHOUTED`: off, see below).
  A term weighs less the more events use it ("officials", "minister" against "tram",
  "derail"): its weight is multiplied by an inverse frequency over the events of a fixed
  table (`common_terms.txt`, counted over the development data, `_commonness`), never over
  the corpus or the window at hand, so a pair's score depends on the pair alone, which is
  what lets an edit recompute only the window around it (`StoryIndex`);
- two articles are linked when they were published within the window (72 hours) of each
  other, share a name or figure (text alone linked two central banks' decisions on one day),
  and their cosine, less a share growing with the time between them (the strike and, two
  days later, the deal that ended it), reaches the threshold. In one language the words
  they share beyond the names must reach a floor (`PLAIN_FLOOR`): the same cast in another
  scene (Putin at one forum on NATO, then on the economy) is another event. A shared figure
  of two digits or more ("2.50%", "900") waives the floor: it marks one event by itself, so
  the headline sharing it and little else stays with its story ("5%" is too common to).
  A name few events use (`RARE_NAME` of its weight kept: in at most two of the table's
  events, or in none, as most of a site's are), shared by reports within 12 hours, lowers the
  threshold to `RARE_ONE` of itself, and two such names lower the floor to `RARE_FLOOR`:
  paraphrased coverage of one event shares its cast and place and few other words. One such
  name never lowers the floor by itself (a city's budget the morning of its tram crash), and
  past 12 hours names alone count for nothing (one man at one forum on two days). (A rare
  name backed by a specific that is no name, within 24 hours, `BACKED_HOURS`: off, see below.)
  Between languages only names and figures can match, so such a link needs 0.82 of the
  threshold and two names or figures in common (`CROSS_NAMES`), one a name of both. There
  names are also matched loosely (`_loose`: the first letter and the consonants, c/k and
  z/s one), as transliteration spells them apart ("Porto" / "Порту" -> "porto" / "portu");
- a country is one term however it is written (`countries.txt`, read from the package):
  "Dutch", "Holland", "нидерландский" and "Netherlands" all read "netherlands". Across
  languages a country counts as a name in common but adds nothing to the cosine (every
  Russian report names Russia, and a cosine of the country alone joined two events);
- linked articles form groups by average link, never by chaining through a weak neighbour:
  two groups merge only when their links average half a link's threshold (`MERGE_SHARE`,
  a missing link counting 0), so a tabloid headline linked to half its coverage stays in.

The method and its constants were chosen on the development half of the labelled set; the
demo site's own articles (`bench/stories.py --site .`) are the check that it does not join
unrelated events that share an institution, a summit or a rate. Ideas measured and rejected
there (`bench/stories.py --tried`, figures in bench/README.md): weights by rarity in the window,
runs of capitalised words as names, titles that each name what the other lacks, a share of
names in common, a word in both titles, capped links between languages, a penalty for missing
links in average link, and links learned by logistic regression. A third round's change (offices,
days and months out of the floor, constants retuned by cross-validation) was measured on a blind
batch, did not generalise and was reverted. The fourth round added the openers (above), chosen by
cross-validation over the weeks of the labelled set and blind-1 (`bench/stories.py --openers`:
0.934 / 0.843 against 0.932 / 0.822) and measured once on a second blind batch (`--blind`:
0.887 / 0.635 against 0.870 / 0.541 for the method before). The fifth round added the countries
and the loose spellings across languages, with 0.7 of the threshold there, chosen by cross-validation
over the weeks of the labelled set and both blind batches (`bench/stories.py --names`: 0.945 /
0.825 against 0.927 / 0.810). The sixth round weighed terms by how many events use them, with
0.8 of the threshold across languages, chosen by cross-validation over the weeks of all the
development data, blind-3 included (`bench/stories.py --paraphrase`: chosen on the other weeks
0.950 / 0.801 against 0.949 / 0.778). The seventh round added the rare names (a lower
threshold for one, a lower floor for two, within 12 hours), chosen the same way over all the
development data, blind-4 included (`bench/stories.py --seventh`: 0.950 / 0.834 against 0.947 /
0.777 on all weeks; chosen on the other weeks 0.941-0.949 / 0.770-0.805 by the list of
candidates, as the precision sits on the target); a lower threshold or floor for every pair,
one rare name lowering the floor, Snowball stems, and other weights of figures or the summary
each joined a near miss or lost recall. The eighth round (blind-5 read) added the backed rare
names within 24 hours, the shouted headlines' words, 0.6 of the threshold for a rare name and
0.82 across languages (the table counted again joined Volkov's remark and speech at 0.8),
chosen the same way over 43 weeks (`bench/stories.py --eighth`: 0.957 / 0.839 on all weeks,
chosen on the other weeks 0.957 / 0.836, against 0.955 / 0.803 for the seventh round's method);
a second rare name as backing past 12 hours, 36 hours or more, single link for strong links and
a long figure alone each joined a near miss or gained too little. Measured once on blind-6,
unseen, that choice joined 7 wrong pairs of 61 (precision 0.885, recall 0.607: a city's two
stories of one day, a country's rate cut and its inflation figures) where the seventh round's
joined none (1.000 / 0.506), so its backed names and shouted headlines are switched off
(`BACKED_HOURS` 0, `SHOUTED` False, `RARE_ONE` 0.7 again); the table counted with blind-5 and
0.82 across languages stay. Issue 20's targets (precision 0.95, recall 0.85) are not met:
precision is, on every unseen batch; recall is 0.5-0.6 there.

Tags are never read: a shared tag never makes a story. The editor has the last word: a
`story: <key>` joins articles by hand (and takes them out of automatic grouping), `story:
false` keeps an article alone, and `auto=False` in `StorySettings` turns automatic grouping off.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class StoryEntry:
    """What grouping reads of one article. `story` is the front matter's `story:`: None
    (automatic), False (always alone) or a key (joined by hand with the key's other articles)."""

    id: str
    title: str
    summary: str
    body: str
    date: datetime
    outlet: str = ""
    language: str = ""
    story: str | bool | None = None


@dataclass(frozen=True)
class StorySettings:
    """`stories:` in settings. `threshold` is the cosine one link needs between articles in
    one language; `across_languages` the share of it a link between languages needs, as
    only names and figures can be shared there (measured, see above)."""

    auto: bool = True
    window_hours: float = 72.0
    threshold: float = 0.20
    across_languages: float = 0.82


@dataclass(frozen=True)
class Story:
    """Two or more articles of one event, in time order (date, then id). `key` is the
    editor's `story:` key, or None for a story found automatically."""

    ids: tuple[str, ...]
    key: str | None = None


@dataclass(frozen=True)
class Features:
    """An article's terms and weights, a function of its text alone: cacheable by content.
    `openers`: capitalised words found only where they open a sentence ("Lisbon metro shut"),
    no names here but a name in common with an article that names them mid-sentence."""

    weights: Mapping[str, float]
    names: frozenset[str]
    norm: float
    openers: frozenset[str] = frozenset()


# The shape of `features`' answer: raised when it changes, as articles are cached with their features.
# 2: G7 one name, offices and months plain words; 3: openers; 4: countries one term; 5: common terms weigh less;
# 6: common_terms.txt counted again with blind-4 (a term's weight follows the table), and rare names link more;
# 7: common_terms.txt counted again with blind-5, and the words of a headline in capitals among the openers;
# 8: those words not among the openers again (SHOUTED off)
VERSION = 8

# How much one occurrence counts by where it is, and by what it is.
TITLE, SUMMARY, BODY = 3.0, 2.0, 1.0
NAME_BOOST = 3.0
BODY_CHARS = 400  # the opening of a body says what happened; the rest adds cost, not signal
PREFIX = 5  # words cut to five letters: "decisions"/"decision", "Газпрома"/"Газпром"
# A term shared by more articles than this within one window finds no candidates: it
# says nothing of the event ("government" on a busy day), and it bounds the work.
DISCOVERY_LIMIT = 40
# Coverage of one event comes within hours; the next event in the same place, days later.
# A link's cosine loses this share of itself across the whole window (measured: bench/stories.py).
DECAY = 0.75
# Within one language a link needs words in common beyond the shared names: this share of
# the cosine's denominator (the same cast in another scene is another event), unless the two
# share a figure of two digits or more.
PLAIN_FLOOR = 0.09
# Across languages only names and figures meet, so a link needs two of them, not one place.
CROSS_NAMES = 2
# Average link merges two groups while their links average this share of the threshold (a
# missing link counting 0): a tabloid headline linked to half its story's coverage stays in it.
MERGE_SHARE = 0.5
# A term of every event still keeps this share of its weight (`_commonness`).
RARITY_FLOOR = 0.1
# Names few events use mark their event as a long figure does. A pair in one language published
# within RARE_HOURS of each other that shares a name keeping RARE_NAME of its weight or more (in
# at most two of the table's events, or in none, as most names of a site are; a name one report
# opens a sentence with counts, "Tsubaki Motors to cut" and "... at Tsubaki") needs RARE_ONE of
# the threshold; sharing RARE_COUNT such names, it also needs only RARE_FLOOR of other words in
# common (paraphrased reports of one event share its cast and place and few other words). One
# name never lowers the floor: a city's name is rare, and its budget the morning of its tram
# crash shares it. Within hours: the same cast's next scene (a forum's second day) comes later.
RARE_NAME = 0.8
RARE_HOURS = 12.0
RARE_ONE = 0.7
RARE_COUNT = 2
RARE_FLOOR = 0.05
# A rare name backed by a specific other than a name (a figure of two digits or more, or a plain
# word of PREFIX letters few events use) marks one event over a longer span than RARE_HOURS:
# within BACKED_HOURS such a pair needs RARE_ONE of the threshold and BACKED_FLOOR of other
# words in common (a carmaker's job cuts and the next morning's analysis of its trade, sharing
# its name and a word few events use). A second rare name is no such backing: the same cast in another
# scene shares its names (a leader at a forum on two days). A country is no rare name here.
# Off (0): the eighth round chose it (24 hours, RARE_ONE 0.6) on the development data, and on
# blind-6, unseen, it joined a city's two stories of one day and a country's rate cut to its
# inflation figures (precision 0.885); bench/stories_fit.py's `eighth_method` measures it.
BACKED_HOURS = 0.0
BACKED_MORE = 1
BACKED_FLOOR = 0.0
# Words of a headline in capitals ("FUREY'S FINISHED") are read as words opening a sentence:
# a name in common with a report that names them mid-sentence (tabloids shout their names).
# Off with the backed names (it came with them in the eighth round, measured with them).
SHOUTED = False
MAX_GROUP = 400  # average link is quadratic in a group's size; a larger group keeps its links as they are

# "G7", "G20", "F16" are one word (a name), not a letter and a figure.
_WORD = re.compile(r"[^\W\d_]\d+\b|\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# Words that say nothing of an event, English and Russian (matched before transliteration).
_STOP_WORDS = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just last me more most my new
no nor not now of off on once only or other our out over own s same says said she should so some
such than that the their them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your year years week day
days one two three first after per cent percent mr ms и в во не что он на я с со как а то все она
так его но да ты к у же вы за бы по только её мне было вот от меня ещё нет о из ему теперь когда
даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего
ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под
будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее
сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через
эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть
том нельзя такой им более всегда конечно всю между год года году также заявил заявила сообщил
сообщила
"""
_STOP = frozenset(_STOP_WORDS.split())
# Capitalised words that name no one in particular: offices, institutions' common words, days and
# months. Counted as plain words, so "President", "Committee" or "June" is no shared name (two
# central banks' committees in one June are two events).
_GENERIC_WORDS = """
president prime minister ministers secretary general chair chairman chairwoman governor committee
council bank central national union party government parliament summit forum
leader leaders spokesman spokeswoman chief executive king queen mr mrs dr state states
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december
"""
_GENERIC = frozenset(_GENERIC_WORDS.split())


def features(entry: StoryEntry, memo: dict[str, tuple[str, int]] | None = None) -> Features:
    """The weighted terms of one article (see the module's note). `memo`: words already
    read, shared by the calls of one build (a word's term and kind are the same everywhere)."""
    memo = {} if memo is None else memo
    weights: dict[str, float] = {}
    names: set[str] = set()
    openers: set[str] = set()
    lowered: set[str] = set()
    for text, weight in ((entry.title, TITLE), (entry.summary, SUMMARY), (entry.body[:BODY_CHARS], BODY)):
        for term, is_name in _terms(text, memo, openers, lowered):
            if is_name:
                names.add(term)
                weights[term] = weights.get(term, 0.0) + weight * NAME_BOOST
            else:
                weights[term] = weights.get(term, 0.0) + weight
    # Repetition counts less than presence (sublinear), so a long body cannot outweigh the title;
    # a term many events share counts less than one few do ("officials", "rate" against "tram").
    common = _commonness()
    weights = {term: math.sqrt(w) * common.get(term, 1.0) for term, w in weights.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return Features(weights, frozenset(names), norm, _opening_names(openers, names, lowered))


def _opening_names(openers: set[str], names: set[str], lowered: set[str]) -> frozenset[str]:
    """The words that open a sentence and may be names: never a name elsewhere in the article
    (then they are one already), and never written in lower case there ("Traders said ... the
    traders" names no one)."""
    return frozenset(openers - names - lowered)


# What a word is: nothing to count (a stop word), a plain word, a capitalised word, all
# capitals, a figure.
_STOPPED, _PLAIN, _CAPITAL, _CAPS, _FIGURE = range(5)
_SENTENCES = re.compile(r"[.!?:;](?:\s|$)")


def _terms(
    text: str,
    memo: dict[str, tuple[str, int]],
    openers: set[str] | None = None,
    lowered: set[str] | None = None,
) -> list[tuple[str, bool]]:
    """(term, is it a name or a figure) for each word of a text that is not a stop word. A
    capitalised word opening a sentence is no name: "Traders said" is not "Holloway said".
    Such words are added to `openers` (a name to an article that has them mid-sentence), words
    in lower case to `lowered`."""
    out = []
    for sentence in _SENTENCES.split(unicodedata.normalize("NFKC", text)):
        words = _WORD.findall(sentence)
        kinds = [memo.get(word) or _read(word, memo) for word in words]
        for n, (term, kind) in enumerate(kinds):
            if kind == _STOPPED:
                continue
            if kind == _CAPS:
                # An acronym (ECB, CNPC, ФРС), unless a headline shouts ("REYES THE HERO!"): then
                # each word may be a name, as one opening a sentence may (`openers`, SHOUTED).
                name = len(term) <= 5 and not (
                    (n > 0 and kinds[n - 1][1] == _CAPS) or (n + 1 < len(kinds) and kinds[n + 1][1] == _CAPS)
                )
                if not name and SHOUTED and openers is not None:
                    openers.add(term)
            else:
                name = kind == _FIGURE or (kind == _CAPITAL and n > 0)
                if kind == _CAPITAL and n == 0 and openers is not None:
                    openers.add(term)
                elif kind == _PLAIN and lowered is not None:
                    lowered.add(term)
            out.append((term, name))
    return out


def _read(word: str, memo: dict[str, tuple[str, int]]) -> tuple[str, int]:
    lower = word.lower()
    if word[0].isdigit():
        found = (word.replace(",", "."), _FIGURE)  # "4,25%" is "4.25%"
    elif lower in _STOP or len(lower) < 2:
        found = ("", _STOPPED)
    elif lower in _GENERIC:
        found = (_key(lower), _PLAIN)
    elif word[0].isupper() or not lower.isascii():  # (a country is capitalised in English)
        term = _country(lower, word[0].isupper()) or _key(lower)
        found = (term, _CAPS if word.isupper() else _CAPITAL if word[0].isupper() else _PLAIN)
    else:
        found = (_key(lower), _PLAIN)
    memo[word] = found
    return found


@functools.cache
def _commonness() -> dict[str, float]:
    """Each term's share of the weight it keeps for how many events use it (`common_terms.txt`,
    read once a process; a term not in the table keeps all of it): log((E + 1) / (e + 1)) /
    log(E + 1) for a term in e of the table's E events, never under RARITY_FLOOR (an inverse
    document frequency over events). The table is counted over the development data's events
    (`bench/stories.py --commonness` writes it: our own text, 310 events standing for news at
    large), never over the window at hand, so a pair's score still depends on the pair alone."""
    from importlib.resources import files

    lines = files("broadsheet.build").joinpath("common_terms.txt").read_text(encoding="utf-8").splitlines()
    counts = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    events = int(counts[0][1])  # the first row: "events E"
    top = math.log(events + 1)
    return {term: max(RARITY_FLOOR, math.log((events + 1) / (int(n) + 1)) / top) for term, n in counts[1:]}


@functools.lru_cache(maxsize=1 << 16)
def _country(lower: str, capitalised: bool) -> str | None:
    """The country a word names, if it names one ("dutch", "нидерландский" -> "netherlands"):
    English words when capitalised, Russian ones by their stem (countries.txt)."""
    english, whole, stems = _countries()
    if lower.isascii():
        if not capitalised:
            return None
        bare = lower[:-2] if lower.endswith(("'s", "’s")) else lower
        return english.get(bare) or (english.get(bare[:-1]) if bare.endswith("s") else None)
    found = whole.get(lower)
    for end in _stem_lengths():  # the longest stem first
        if found is not None:
            break
        found = stems.get(lower[:end]) if end <= len(lower) else None
    return found


@functools.cache
def _stem_lengths() -> tuple[int, ...]:
    return tuple(sorted({len(stem) for stem in _countries()[2]}, reverse=True))


@functools.cache
def _country_terms() -> frozenset[str]:
    """The terms countries are read as ("netherlands")."""
    return frozenset(_countries()[0].values())


@functools.cache
def _loose_countries() -> frozenset[str]:
    return frozenset(map(_loose, _country_terms()))


@functools.cache
def _countries() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """countries.txt, read once a process: (English word, Russian word, Russian stem) -> the
    country's term."""
    from importlib.resources import files

    english: dict[str, str] = {}
    whole: dict[str, str] = {}
    stems: dict[str, str] = {}
    for line in files("broadsheet.build").joinpath("countries.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, words, russian = (part.strip() for part in line.split("|"))
        for word in [term, *words.split(",")]:
            if word.strip():
                english[word.strip()] = term
        for stem in russian.split(","):
            stem = stem.strip()
            (whole if stem.startswith("=") else stems)[stem.lstrip("=")] = term
    return english, whole, stems


def _key(word: str) -> str:
    """A word's comparable form: Latin letters, a few spellings made one, cut to a prefix."""
    if not word.isascii():
        from text_unidecode import unidecode  # here: its table takes 25 ms to load, and settings import this module

        word = unidecode(word)
    word = word.replace("'", "").replace("’", "").replace("kh", "h").replace("y", "i").replace("w", "v")
    return word[:PREFIX]


def _timestamp(when: datetime) -> float:
    # Naive dates are read as UTC, so naive and aware dates compare without raising.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class SavedIndex:
    """A `StoryIndex` as plain data, for a build cache (`StoryIndex.saved`, `restored`):
    what the index worked out, not what it was given. The entries and their features are
    the caller's to keep (the build cache holds them with the articles), the postings are
    remade from the features; the links, the costly part, are kept as they were."""

    version: int  # VERSION when saved: features of another version link otherwise
    settings: StorySettings
    ids: tuple[str, ...]  # every article the index held, the automatic ones first, in time order
    times: tuple[float, ...]  # the automatic ones' times (as many as they are)
    pairs: tuple[int, ...]  # the links, two places in `ids` each, the earlier article first
    shares: tuple[float, ...]  # each link's share of its threshold


class NotRestorable(ValueError):
    """A `SavedIndex` that is not the index of the entries at hand: grouping starts afresh."""


def group(
    entries: Iterable[StoryEntry],
    settings: StorySettings = StorySettings(),
    cache: Mapping[str, Features] | None = None,
) -> tuple[Story, ...]:
    """Entries -> the stories of two or more of them, ordered by their first article.
    `cache`: features already made for some ids (from a previous build), used as they are."""
    return StoryIndex(entries, settings, cache).stories()


class StoryIndex:
    """What grouping knows between builds: every article's features, the terms' postings in
    time order and the links. `replace`/`remove` recompute only the links of articles
    within one window of the edited one, so an edit costs a window, not the whole site,
    and the stories come out exactly as a fresh `group()` of the same entries. `saved`
    gives it as plain data for a build cache and `restored` takes it back, reading the
    articles again only where an edit reaches (see `restored`)."""

    # The method's two choices, here so bench/stories.py can measure the alternatives.
    require_names = True  # a link needs a shared name or figure, not text alone
    average_link = True  # groups by average link, not every connected component

    def __init__(
        self,
        entries: Iterable[StoryEntry] = (),
        settings: StorySettings = StorySettings(),
        cache: Mapping[str, Features] | None = None,
    ) -> None:
        self.settings = settings
        self.entries: dict[str, StoryEntry] = {}
        self.feats: dict[str, Features] = {}
        self.times: dict[str, float] = {}
        self.order: list[tuple[float, str]] = []  # automatic articles, by time
        self.postings: dict[str, list[tuple[float, str]]] = {}  # name -> its articles, by time
        self.languages: set[str] = set()  # of the articles posted: where a name's loose spelling is looked up
        self._spellings: dict[str, tuple[Features, dict[str, tuple[float, int]]]] = {}
        self.links: dict[str, dict[str, float]] = {}  # article -> linked article -> share of the threshold
        self.memo: dict[str, tuple[str, int]] = {}  # word -> (term, kind), for `features`
        # A restored index reads its automatic articles only when an edit comes near them
        # (`restored`): those not read yet, by time, and where they are read from.
        self._unread: list[tuple[float, str]] = []
        self._source: Callable[[str], tuple[StoryEntry, Features]] | None = None
        for entry in entries:
            if entry.id in self.entries:
                raise ValueError(f"{entry.id}: two articles with one id")
            self.entries[entry.id] = entry
            self.times[entry.id] = _timestamp(entry.date)
            if self._automatic(entry):
                known = cache.get(entry.id) if cache else None
                self.feats[entry.id] = known if known is not None else features(entry, self.memo)
        for entry_id in sorted(self.feats, key=lambda i: (self.times[i], i)):
            self._post(entry_id)
        for entry_id in self.feats:
            self.links[entry_id] = {}
        for _, entry_id in self.order:
            self._link_forward(entry_id)

    def saved(self) -> SavedIndex:
        """This index as plain data (see SavedIndex)."""
        automatic = [entry_id for _, entry_id in self.order]
        ids = (*automatic, *(i for i in self.entries if i not in self.feats))
        place = {entry_id: n for n, entry_id in enumerate(automatic)}
        pairs: list[int] = []
        shares: list[float] = []
        for n, entry_id in enumerate(automatic):
            for other, share in self.links[entry_id].items():
                if place[other] > n:
                    pairs += (n, place[other])
                    shares.append(share)
        times = tuple(when for when, _ in self.order)
        return SavedIndex(VERSION, self.settings, ids, times, tuple(pairs), tuple(shares))

    @classmethod
    def restored(
        cls, saved: SavedIndex, source: Callable[[str], tuple[StoryEntry, Features]], settings: StorySettings
    ) -> StoryIndex:
        """The index `saved` was made from. `source` gives an id's entry and features as
        they were then; it is asked only for the articles an edit reaches (those within
        two windows of it: what relinking reads) and for those grouped by hand, so a
        restore costs the links, not the articles. The stories, and those after any
        edit, are a fresh `group()`'s. Raises NotRestorable when `saved` cannot be an
        index (another version, other settings, links no index makes), and later, from
        `replace` or `remove`, when an article `source` gives is not the one saved (its
        time or whether it is grouped automatically): the caller then groups afresh.
        Well-formed links between the right articles are taken as they are: recomputing
        them is what this spares."""
        if saved.version != VERSION or saved.settings != settings:
            raise NotRestorable("saved by another version or with other settings")
        ids, times = saved.ids, saved.times
        if len(set(ids)) != len(ids) or len(times) > len(ids):
            raise NotRestorable("saved for other articles")
        index = cls((), settings)
        index._source = source
        index.order = list(zip(times, ids, strict=False))  # the automatic articles: as many as times
        if any(map(math.isnan, times)) or index.order != sorted(index.order):  # (ids are one each)
            raise NotRestorable("articles out of time order")
        index._unread = list(index.order)
        index.times = dict(zip(ids, times, strict=False))
        index.links = {entry_id: {} for entry_id in ids[: len(times)]}
        index._restore_links(saved.pairs, saved.shares)
        for entry_id in ids[len(times) :]:  # grouped by hand or not at all: read now, for stories()
            entry, _ = source(entry_id)
            if entry.id != entry_id or index._automatic(entry):
                raise NotRestorable(f"{entry_id}: not the article saved")
            index.entries[entry_id] = entry
            index.times[entry_id] = _timestamp(entry.date)
        return index

    def _restore_links(self, pairs: tuple[int, ...], shares: tuple[float, ...]) -> None:
        if len(pairs) != 2 * len(shares):
            raise NotRestorable("links cut short")
        automatic, links = self.order, self.links
        for (n, m), share in zip(zip(pairs[::2], pairs[1::2], strict=True), shares, strict=True):
            if not 0 <= n < m < len(automatic) or not share >= 1.0:  # a link reaches its threshold: 1 or more
                raise NotRestorable("a link no index makes")
            (when, a), (then, b) = automatic[n], automatic[m]
            if b in links[a] or then > when + self.window:  # as _candidates reads the window
                raise NotRestorable("a link no index makes")
            links[a][b] = links[b][a] = share

    def _read_around(self, when: float) -> None:
        """A restored index's articles within two windows of `when`, read from its source:
        all that relinking the window around `when` reads (the candidates of an article
        within a window of it, and the postings within a window of those). Checked before
        anything changes, so an article that is not the one saved leaves the index as it was."""
        reach = 2 * self.window + 1.0  # a second more: never short of a window by a rounding
        lo = bisect_left(self._unread, (when - reach, ""))
        hi = bisect_right(self._unread, (when + reach, "\U0010ffff"))
        if lo == hi or self._source is None:
            return
        stamps = self._unread[lo:hi]
        read = [self._source(entry_id) for _, entry_id in stamps]
        for (then, entry_id), (entry, _) in zip(stamps, read, strict=True):
            if entry.id != entry_id or _timestamp(entry.date) != then or not self._automatic(entry):
                raise NotRestorable(f"{entry_id}: not the article saved")
        del self._unread[lo:hi]
        for stamp, (entry, feats) in zip(stamps, read, strict=True):
            self.entries[stamp[1]] = entry
            self.feats[stamp[1]] = feats
            self.languages.add(entry.language)
            for term in self._discovering(stamp[1]):
                insort(self.postings.setdefault(term, []), stamp)

    @property
    def window(self) -> float:
        return self.settings.window_hours * 3600.0

    def _automatic(self, entry: StoryEntry) -> bool:
        return self.settings.auto and entry.story is None

    def _discovering(self, entry_id: str) -> Iterable[str]:
        """The terms that find an article's candidates: its names and figures (a link needs one)."""
        mine = self.feats[entry_id]
        if not self.require_names:
            return mine.weights
        # and each name loosely spelt, to find its reports in another language ("Porto" / "Порту")
        language = self.entries[entry_id].language
        return mine.names | mine.openers | {f"{_LOOSE}{language}{_LOOSE}{key}" for key in self._sought(entry_id)}

    def _searching(self, entry_id: str) -> Iterable[str]:
        """The postings that hold an article's candidates: its own terms' and, for each of its
        names, that name's loose spelling among the articles of every other language."""
        mine = self.feats[entry_id]
        if not self.require_names:
            return mine.weights
        own = self.entries[entry_id].language
        sought = self._sought(entry_id)
        others = [language for language in self.languages if language != own]
        return mine.names | mine.openers | {f"{_LOOSE}{o}{_LOOSE}{key}" for o in others for key in sought}

    def _post(self, entry_id: str) -> None:
        stamp = (self.times[entry_id], entry_id)
        insort(self.order, stamp)
        self.languages.add(self.entries[entry_id].language)
        for term in self._discovering(entry_id):
            insort(self.postings.setdefault(term, []), stamp)

    def _unpost(self, entry_id: str) -> None:
        stamp = (self.times[entry_id], entry_id)
        self.order.pop(bisect_left(self.order, stamp))
        for term in self._discovering(entry_id):
            posting = self.postings[term]
            posting.pop(bisect_left(posting, stamp))
            if not posting:
                del self.postings[term]

    def _candidates(self, entry_id: str) -> set[str]:
        """Later articles within the window sharing a name or figure that few articles of the
        window around this one have. Counted around the earlier article of a pair, so an
        edit changes the links of the articles within one window of it and no others."""
        when, found = self.times[entry_id], set[str]()
        for term in self._searching(entry_id):
            posting = self.postings.get(term)
            if posting is None:  # (a loose spelling no article of another language has)
                continue
            lo = bisect_left(posting, (when - self.window, ""))
            hi = bisect_right(posting, (when + self.window, "\U0010ffff"))
            if hi - lo - 1 > DISCOVERY_LIMIT:
                continue
            start = bisect_right(posting, (when, entry_id))
            found.update(other for _, other in posting[start:hi])
        return found

    def _score(self, a: str, b: str) -> float:
        """The pair's cosine less the decay, or 0 when the pair lacks the evidence one event
        leaves: a shared name or figure (two across languages, where names are all that can
        meet), and within one language words beyond the names (the same cast in another
        scene, Putin at one forum on NATO and on the economy, is another event): `_floor`."""
        fa, fb = self.feats[a], self.feats[b]
        if self.entries[a].language != self.entries[b].language:
            return self._score_across(fa, fb, a, b)
        shared = fa.names & fb.names
        if (self.require_names and not (shared or _opened_with(fa, fb))) or not fa.norm or not fb.norm:
            return 0.0
        small, large = (fa, fb) if len(fa.weights) <= len(fb.weights) else (fb, fa)
        dot = plain = 0.0
        for term, weight in small.weights.items():
            product = weight * large.weights.get(term, 0.0)
            dot += product
            if term not in shared:
                plain += product
        # A figure of two digits or more in common ("2.50%", "900") marks one event by itself:
        # the headline that shares it and little else ("Euro edges up as Frankfurt holds at
        # 2.50%") needs no floor. A one-digit figure ("5%") is too common to.
        specific = any(term[0].isdigit() and sum(c.isdigit() for c in term) >= 2 for term in shared)
        # (`_floor` is never above PLAIN_FLOOR: a pair reaching that needs no look at its names)
        scale = fa.norm * fb.norm
        if not specific and plain < PLAIN_FLOOR * scale and plain < self._floor(a, b) * scale:
            return 0.0
        return dot / (fa.norm * fb.norm) * self._kept(a, b)

    def _kept(self, a: str, b: str) -> float:
        """The share of a pair's cosine its time apart leaves (DECAY across the whole window)."""
        apart = abs(self.times[a] - self.times[b]) / self.window if self.window else 0.0
        return 1.0 - DECAY * apart

    def _score_across(self, fa: Features, fb: Features, a: str, b: str) -> float:
        """A pair in two languages: only names and figures meet, so it needs two in common
        (`CROSS_NAMES`), one of them a name of both. Names are also matched loosely here, as
        transliteration spells them apart ("Porto" / "Порту", "Etna" / "Этны": `_loose`): a
        name of one and a capitalised word of the other of one loose spelling count, their
        weights added to the cosine. Countries count as names but not in the cosine: every
        Russian report names Russia, and a cosine of the country alone linked two events."""
        if not fa.norm or not fb.norm:
            return 0.0
        both = _named_in_both(fa, fb)
        named = bool(fa.names & fb.names)
        loose = []
        spelt_a, spelt_b = self._spelt(a), self._spelt(b)
        common = spelt_a.keys() & spelt_b.keys()
        if common:  # less those spelt alike in both, counted above
            common -= {_loose(t) for t in (fa.names | fa.openers) & fb.weights.keys()}
            common -= {_loose(t) for t in (fb.names | fb.openers) & fa.weights.keys()}
        for key in common:
            (weight_a, kind_a), (weight_b, kind_b) = spelt_a[key], spelt_b[key]
            if _NAMED not in (kind_a, kind_b):  # a name in one, a name or an opening word in the other
                continue
            both.add(_LOOSE + key)
            named = named or kind_a == kind_b
            loose.append((key, weight_a * weight_b))
        if (self.require_names and not named) or len(both) < CROSS_NAMES:
            return 0.0
        countries = _country_terms()
        dot = sum(w * fb.weights.get(t, 0.0) for t, w in fa.weights.items() if t not in countries)
        dot += sum(product for key, product in loose if key not in _loose_countries())
        return dot / (fa.norm * fb.norm) * self._kept(a, b)

    def _spelt(self, entry_id: str) -> dict[str, tuple[float, int]]:
        """An article's names and opening words by loose spelling (`_loosely`), kept with the
        features they were made from (asked for the articles of pairs in two languages only)."""
        feats = self.feats[entry_id]
        kept = self._spellings.get(entry_id)
        if kept is None or kept[0] is not feats:
            kept = self._spellings[entry_id] = (feats, _loosely(feats))
        return kept[1]

    def _sought(self, entry_id: str) -> set[str]:
        """The loose spellings of an article's names that it is posted and looked up under:
        of three letters or more (two, "ln", name too many)."""
        return {key for key in map(_loose, self.feats[entry_id].names) if len(key) >= 3 and not key[0].isdigit()}

    def _link_forward(self, entry_id: str) -> None:
        for other in self._candidates(entry_id):
            self._link(entry_id, other)

    def _link(self, a: str, b: str) -> None:
        score = self._score(a, b)
        # Links are kept as a share of the threshold their pair needs, so average link can
        # weigh links within and across languages alike: a group needs an average of MERGE_SHARE.
        needed = self.settings.threshold
        if self.entries[a].language != self.entries[b].language:
            needed *= self.settings.across_languages
        elif score and (self._rare_names(a, b) or self._backed(a, b)):
            needed *= RARE_ONE
        if score >= needed:
            self.links[a][b] = self.links[b][a] = score / needed if needed else math.inf

    def _floor(self, a: str, b: str) -> float:
        """The share of words in common beyond the names a pair in one language needs:
        PLAIN_FLOOR, or RARE_FLOOR for one sharing RARE_COUNT names few events use."""
        if self._rare_names(a, b) >= RARE_COUNT:
            return min(RARE_FLOOR, PLAIN_FLOOR)
        return min(BACKED_FLOOR, PLAIN_FLOOR) if self._backed(a, b) else PLAIN_FLOOR

    def _backed(self, a: str, b: str) -> bool:
        """Whether a pair in one language within BACKED_HOURS shares a rare name (no country)
        and BACKED_MORE other specifics, none of them a name: figures of two digits or more,
        plain words of PREFIX letters few events use. Never while BACKED_HOURS is 0 (off)."""
        if BACKED_HOURS <= 0 or abs(self.times[a] - self.times[b]) > BACKED_HOURS * 3600.0:
            return False
        fa, fb = self.feats[a], self.feats[b]
        named = _names_in_common(fa, fb)
        common, countries = _commonness(), _country_terms()
        if not any(not t[0].isdigit() and t not in countries and common.get(t, 1.0) >= RARE_NAME for t in named):
            return False
        more = 0
        for term in fa.weights.keys() & fb.weights.keys():
            if term[0].isdigit():
                more += term in named and sum(c.isdigit() for c in term) >= 2
            elif term not in named and len(term) >= PREFIX and common.get(term, 1.0) >= RARE_NAME:
                more += 1
        return more >= BACKED_MORE

    def _rare_names(self, a: str, b: str) -> int:
        """How many names few events use (`RARE_NAME`; a figure is no such name) a pair in one
        language within RARE_HOURS shares, a name of one that the other opens a sentence with
        among them."""
        if abs(self.times[a] - self.times[b]) > RARE_HOURS * 3600.0:
            return 0
        shared = _names_in_common(self.feats[a], self.feats[b])
        common = _commonness()
        return sum(1 for term in shared if not term[0].isdigit() and common.get(term, 1.0) >= RARE_NAME)

    def _relink_around(self, when: float) -> None:
        """The links whose earlier article lies within a window of `when` made again."""
        lo = bisect_left(self.order, (when - self.window, ""))
        hi = bisect_right(self.order, (when + self.window, "\U0010ffff"))
        near = self.order[lo:hi]
        for stamp in near:
            entry_id = stamp[1]
            for other in [o for o in self.links[entry_id] if (self.times[o], o) > stamp]:
                del self.links[entry_id][other], self.links[other][entry_id]
        for _, entry_id in near:
            self._link_forward(entry_id)

    def remove(self, entry_id: str) -> None:
        when = self.times[entry_id]
        self._read_around(when)
        if entry_id in self.feats:
            self._unpost(entry_id)  # (reads the entry's language: before it goes)
            del self.entries[entry_id]
            for other in self.links.pop(entry_id):
                del self.links[other][entry_id]
            del self.feats[entry_id]
            self._spellings.pop(entry_id, None)
            self._relink_around(when)
        else:
            del self.entries[entry_id]
        del self.times[entry_id]

    def replace(self, entry: StoryEntry, known: Features | None = None) -> None:
        """An article added or changed (its old version, if any, taken out first)."""
        if self._automatic(entry):
            self._read_around(_timestamp(entry.date))  # first: it may find the index is not what was saved
        if entry.id in self.times:  # every article the index holds, read or not
            self.remove(entry.id)
        self.entries[entry.id] = entry
        self.times[entry.id] = _timestamp(entry.date)
        if self._automatic(entry):
            self.feats[entry.id] = known if known is not None else features(entry, self.memo)
            self.links[entry.id] = {}
            self._post(entry.id)
            self._relink_around(self.times[entry.id])

    def stories(self) -> tuple[Story, ...]:
        found = [Story(self._in_time_order(ids), key) for key, ids in self._manual().items() if len(ids) > 1]
        return self._sorted(found + self._grouped(self._components()))

    def reach(self, entry: StoryEntry) -> set[str]:
        """The articles whose links an edit of `entry` makes again (`_relink_around`'s
        window), with every article linked to them, directly or not: every link an edit
        there adds or takes away has an end in the window, so the components of the
        articles outside what this gives before and after the edit are not changed by it."""
        when = _timestamp(entry.date)
        lo = bisect_left(self.order, (when - self.window, ""))
        hi = bisect_right(self.order, (when + self.window, "\U0010ffff"))
        seen = {entry_id for _, entry_id in self.order[lo:hi]}
        stack = list(seen)
        while stack:
            for other in self.links[stack.pop()]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen

    def stories_among(self, ids: set[str]) -> tuple[Story, ...]:
        """The stories grouped automatically whose articles are among `ids`, as stories()
        finds them, when `ids` holds whole components (what `reach` gives, before and after
        an edit): a component's groups depend on its own links alone."""
        return self._sorted(self._grouped(self._components(sorted(ids, key=lambda i: (self.times[i], i)))))

    def _grouped(self, components: list[tuple[str, ...]]) -> list[Story]:
        found = []
        for component in components:
            if not self.average_link:
                found.append(Story(component))
                continue
            found += [Story(ids) for ids in _average_link(component, self.links, MERGE_SHARE)]
        return found

    def _sorted(self, found: list[Story]) -> tuple[Story, ...]:
        return tuple(sorted(found, key=lambda s: (self.times[s.ids[0]], s.ids)))

    def keyed(self) -> dict[str, list[str]]:
        """Each `story:` key with the ids of the articles that have it."""
        return self._manual()

    def _manual(self) -> dict[str, list[str]]:
        keyed: dict[str, list[str]] = {}
        for entry in self.entries.values():
            if isinstance(entry.story, str):
                keyed.setdefault(entry.story, []).append(entry.id)
        return keyed

    def _in_time_order(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(ids, key=lambda i: (self.times[i], i)))

    def _components(self, starts: Iterable[str] | None = None) -> list[tuple[str, ...]]:
        """The linked components, each in time order, found from `starts` (every automatic
        article by default) in time order."""
        seen: set[str] = set()
        out = []
        for start in (entry_id for _, entry_id in self.order) if starts is None else starts:
            if start in seen or not self.links[start]:
                continue
            seen.add(start)
            stack, members = [start], [start]
            while stack:
                for other in self.links[stack.pop()]:
                    if other not in seen:
                        seen.add(other)
                        stack.append(other)
                        members.append(other)
            out.append(self._in_time_order(members))
        return out


_LOOSE = "~"  # a loose spelling's posting, apart from the terms (no term starts with it)


_NAMED, _OPENING = 2, 1


@functools.lru_cache(maxsize=1 << 16)
def _loose(term: str) -> str:
    """A name's spelling loosened for matching across scripts, where transliteration differs
    in vowels and a few consonants: "porto" and "portu" (Порту), "etna" and "etni" (Этны),
    "catan" and "katan" (Катании), "ermes" and "ermez" (Эрмезинде) each become one. The first
    letter, then the consonants, c/k/q one, z/s one, doubled letters single."""
    if term[0].isdigit():
        return term
    spelt = term[0].translate(_LOOSE_FIRST) + term[1:].replace("ph", "f").translate(_LOOSE_REST)
    return "".join(letter for letter, _ in itertools.groupby(spelt))


_LOOSE_FIRST = str.maketrans({"c": "k", "q": "k", "z": "s", "x": "ks", "j": "i"})
_LOOSE_REST = str.maketrans({"c": "k", "q": "k", "z": "s", "x": "ks", "j": None, **dict.fromkeys("aeiou")})


def _loosely(f: Features) -> dict[str, tuple[float, int]]:
    """An article's names and opening words by loose spelling: (the larger weight, _NAMED if
    one is a name else _OPENING)."""
    out: dict[str, tuple[float, int]] = {}
    for term in f.names | f.openers:
        if not term[0].isdigit():
            key = _loose(term)
            weight, kind = out.get(key, (0.0, 0))
            out[key] = (max(weight, f.weights[term]), max(kind, _NAMED if term in f.names else _OPENING))
    return out


def _opened_with(fa: Features, fb: Features) -> bool:
    """Whether one names what the other opens a sentence with ("strike in Lisbon" and "Lisbon
    metro shut"): a name in common for the link's need of one, though the floor still counts the
    word as a plain word in common (it is one in the article that opens with it). A word that
    only opens sentences in both ("Traders said") is no name: nothing says it names anyone."""
    return bool(fa.names & fb.openers or fa.openers & fb.names)


def _named_in_both(fa: Features, fb: Features) -> set[str]:
    """The names of either article found in the other, even where a sentence opens with it
    there and so it reads as no name ("Holloway's Fed moved")."""
    return {t for t in fa.names if t in fb.weights} | {t for t in fb.names if t in fa.weights}


def _average_link(
    members: tuple[str, ...], links: Mapping[str, Mapping[str, float]], threshold: float
) -> list[tuple[str, ...]]:
    """One component of links -> its groups: the closest two groups merged while their
    average link (a missing link counting 0) reaches the threshold. Members come in time
    order and ties go to the earlier pair, so the result does not depend on input order."""
    if len(members) == 2 or len(members) > MAX_GROUP:
        return [members]
    position = {m: i for i, m in enumerate(members)}
    groups: dict[int, list[str]] = {i: [m] for i, m in enumerate(members)}
    total: dict[tuple[int, int], float] = {}
    for a in members:
        for b in sorted(links[a], key=position.__getitem__):  # sums in one order, whatever built the links
            i, j = position[a], position[b]
            if i < j:
                total[(i, j)] = links[a][b]
    while True:
        best, pair = threshold, None
        for i, j in sorted(total):  # ties go to the earlier pair
            mean = total[(i, j)] / (len(groups[i]) * len(groups[j]))
            if mean >= best and (pair is None or mean > best):
                best, pair = mean, (i, j)
        if pair is None:
            break
        i, j = pair
        groups[i] += groups.pop(j)
        merged: dict[tuple[int, int], float] = {}
        for (x, y), score in sorted(total.items()):
            x2, y2 = (i if x == j else x), (i if y == j else y)
            if x2 == y2:
                continue
            key = (min(x2, y2), max(x2, y2))
            merged[key] = merged.get(key, 0.0) + score
        total = merged
    return [
        tuple(g)
        for g in sorted((sorted(g, key=position.__getitem__) for g in groups.values()), key=lambda g: position[g[0]])
        if len(g) > 1
    ]


def _names_in_common(fa: Features, fb: Features) -> frozenset[str]:
    """The names two articles share, a word one opens a sentence with and the other names
    among them (`_opened_with`)."""
    return (fa.names & fb.names) | (fa.names & fb.openers) | (fa.openers & fb.names)
