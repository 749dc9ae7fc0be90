"""The search index for /search/, built at build time and searched in the browser.

One JSON file, ``search/index.json``:

    {"version": 1,
     "docs": [{"url", "title", "date", "iso", "source", "text", "lang"?,
               "story"?: {"title", "url"}}, ...],                          newest first
     "terms": {"term": [first doc number, gap, gap, ...], ...}}          sorted by term

``terms`` is an inverted index over the title, summary, body, tags, section and source
of every published entry; each posting list is delta-encoded, which keeps the numbers
short and compresses well. ``text`` is the summary plus the start of the body, only for
showing a snippet; matching never depends on it. ``story`` names the story an article is
one report of (issue 20), for the result to link to its page; it is not searched.

Queries are answered in the browser, by ``theme/static/js/search.js``, and nowhere else.
Its ``normalise`` and ``tokens`` must turn text into the same terms as the ones here, or
a word in the index could never be found: tests/test_browser.py types differently
written words into the real page to check that the two agree.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from broadsheet.build import pool
from broadsheet.build.claims import Claim
from broadsheet.build.config import Settings
from broadsheet.build.html import plain_text
from broadsheet.build.model import Entry, Remember, SiteModel, compute_now
from broadsheet.outputs.search_pieces import StoredIndex
from broadsheet.theme.localise import Localiser

INDEX_PATH = "search/index.json"
INDEX_VERSION = 1
SNIPPET_CHARS = 240  # stored text per document: a snippet's worth (search.js shows 200), not the body
WORD = re.compile(r"[^\W_]+")  # letters and digits of any script; JS: /[\p{L}\p{N}]+/gu
ASCII_BYTES = bytes(range(128))
# For text whose only letters and digits are ASCII: every other byte (UTF-8's bytes of
# any other character among them) -> a space, so that split() finds WORD's runs.
SEPARATE = bytes(c if c < 128 and chr(c).isalnum() else 32 for c in range(256))


PARALLEL_FROM = 500  # documents per worker process below which forking costs more than it saves
CHUNK = 250  # documents a worker indexes at a time

# remember() for many records at once (incremental/rebuild.py): (kind, records,
# compute_each) -> results; compute_each is given the records not remembered.
RememberEach = Callable[[str, list, Callable[[list], list]], list]


def each_now(kind: str, records: list, compute_each: Callable[[list], list]) -> list:
    return compute_each(records)


# --- text -> terms: the same in search.js --------------------------------------------------


def normalise(text: str) -> str:
    """Lowercase, decompose (NFKD) and drop combining marks: "Sánchez" -> "sanchez", "ё" -> "е".

    lower() rather than casefold(), plus the two folds casefold adds that matter ("ß" ->
    "ss", "ς" -> "σ"), so that JavaScript's toLowerCase() gives the same result.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    if decomposed.isascii():
        return decomposed
    # Only non-ASCII characters can be marks: each distinct one is looked at once, and
    # English text (a few curly quotes and dashes) is rarely touched at all.
    marks = [c for c in _non_ascii(decomposed) if unicodedata.category(c).startswith("M")]
    if marks:
        decomposed = re.sub(f"[{re.escape(''.join(sorted(marks)))}]", "", decomposed)
    return decomposed.replace("ß", "ss").replace("ς", "σ")


def tokens(text: str) -> list[str]:
    """WORD's runs of the normalised text: for text whose letters and digits are all ASCII
    (English, even with curly quotes and dashes), found by bytes.translate and split in
    a third of the regular expression's time."""
    folded = normalise(text)
    if folded.isascii() or not any(c.isalnum() for c in _non_ascii(folded)):  # isalnum() is what \w means, less "_"
        return folded.encode("utf-8", "surrogatepass").translate(SEPARATE).decode("ascii").split()
    return WORD.findall(folded)


def _non_ascii(text: str) -> set[str]:
    """The distinct non-ASCII characters of a text (through bytes: a regular expression
    over the whole text costs ten times as much)."""
    rest = text.encode("utf-8", "surrogatepass").translate(None, ASCII_BYTES)
    return set(rest.decode("utf-8", "surrogatepass"))


# --- the index ---------------------------------------------------------------------------


def search_outputs(
    model: SiteModel,
    settings: Settings,
    remember: Remember = compute_now,
    keep: Callable[[SearchIndex], None] | None = None,
    remember_each: RememberEach = each_now,
    previous: SearchIndex | None = None,
) -> dict[str, bytes]:
    """Output path -> bytes of the search index, or None when `remember` knows the file on
    disk is already right; `remember_each` may hand back entries' documents and terms
    from an earlier build when nothing they come from changed. `keep` receives the index
    when it was made, so that a later edit of one body can update it in place. `previous`:
    the last build's index (a serve session keeps it), made over where few documents differ."""

    def make() -> dict[str, bytes]:
        index = SearchIndex.build(model, settings.language, remember_each, previous)
        if keep:
            keep(index)
        return {INDEX_PATH: index.encode(remember_digest=True)}

    # A story change (an article joining, a new title) changes documents whose entries did not.
    return remember("search index", (model.entries, _story_records(model)), make)


def _story_records(model: SiteModel) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """What the documents take from the stories: each one's URL, title and reports."""
    return tuple((story.url, story.title, tuple(e.url for e in story.entries)) for story in model.stories)


def claims() -> list[Claim]:
    return [Claim(INDEX_PATH, "the search index")]


class SearchIndex:
    """The index kept as encoded pieces: a document, or a term's postings, that did not
    change is not encoded again, so replacing one document in 10,000 costs milliseconds.

    The bytes are exactly ``json.dumps(index, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))`` of the structure in this module's docstring.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self.words = Localiser(language)  # dates only: the site's phrase overrides do not reach the index
        self.indexed: list[tuple[dict, Sequence[str]]] = []  # each document and its terms, as made (_indexed)
        self.docs: list[str] = []  # each document's JSON, in model order
        self.stories: list[dict[str, dict[str, str]]] = []  # each document's story field, if any
        # each document's distinct terms, sorted (a list, or the build cache's JoinedTerms)
        self.terms: list[Sequence[str]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.borrowed: set[str] = set()  # terms whose postings list is another index's too: copied before a change
        self.encoded: dict[str, str] = {}  # term -> '"term":[gaps]'
        self.sorted_terms: list[str] = []
        # docs and encoded (in sorted_terms' order) in UTF-8, made at the first encode() and
        # kept in step after: the file is then joined from bytes in one go, never made as one
        # text and encoded again (a body edit at 10,000 articles: 7 MB copied once rather than
        # made, copied and encoded, and no term looked up)
        self.doc_bytes: list[bytes] | None = None
        self.term_bytes: list[bytes] = []
        self.digest: bytes | None = (
            None  # of the bytes encode() last gave, when asked to remember it and unchanged since
        )

    @classmethod
    def build(
        cls,
        model: SiteModel,
        language: str = "en",
        remember_each: RememberEach = each_now,
        previous: SearchIndex | None = None,
    ) -> SearchIndex:
        """The index of the model's entries; made over from `previous` (which is left as it
        is) when its documents differ from these in a few places only."""
        index = cls(language)
        indexed = remember_each("search document", list(model.entries), partial(index_all, words=index.words))
        # The story is added to each remembered document rather than made part of it, so
        # a story's change never makes 10,000 documents and their terms again.
        stories = [_story_field(model, entry.url) for entry in model.entries]
        if previous is not None and previous.language == language:
            made_over = previous._made_over(indexed, stories)
            if made_over is not None:
                return made_over
        index.stories, index.indexed = stories, list(indexed)
        for number, (document, terms) in enumerate(indexed):  # newest first: the order results are shown in
            index.docs.append(_json({**document, **index.stories[number]}))
            index.terms.append(terms)
            for term in terms:
                index.postings[term].append(number)  # numbers ascend, so the gaps are positive
        index.encoded = {term: _encode_term(term, numbers) for term, numbers in index.postings.items()}
        index.sorted_terms = sorted(index.encoded)
        return index

    def _made_over(self, indexed: list[tuple[dict, Sequence[str]]], stories: list[dict]) -> SearchIndex | None:
        """A copy of this index holding `indexed` documents with their `stories`, made by
        replacing the places where they differ from this one's (a title edit: a few);
        None when the number of documents differs, or so many places do that making the
        index afresh costs no more."""
        if len(indexed) != len(self.indexed):
            return None
        differ = [
            n
            for n, (new, old, story, was) in enumerate(zip(indexed, self.indexed, stories, self.stories, strict=True))
            if new != old or story != was
        ]
        if len(differ) > max(len(indexed) // 20, 16):  # below 16, a copy costs about what a new index does
            return None
        index = SearchIndex(self.language)
        index.words, index.indexed, index.stories = self.words, list(indexed), stories
        index.docs, index.terms, index.sorted_terms = list(self.docs), list(self.terms), list(self.sorted_terms)
        index.postings, index.encoded = defaultdict(list, self.postings), dict(self.encoded)
        if self.doc_bytes is not None:
            index.doc_bytes, index.term_bytes = list(self.doc_bytes), list(self.term_bytes)
        index.borrowed = set(self.postings)
        for number in differ:
            index._put(number, *indexed[number])
        return index

    def replace(self, number: int, entry: Entry) -> None:
        """Document `number` now holds `entry` (same place in the order, new text, same story)."""
        document, terms = _indexed(entry, self.words)
        self.indexed[number] = (document, terms)
        self._put(number, document, terms)

    def _put(self, number: int, document: dict, terms: Sequence[str]) -> None:
        """Document `number` is now `document`, with these terms (and its story as it is)."""
        self.digest = None
        self.docs[number] = _json({**document, **self.stories[number]})
        if self.doc_bytes is not None:
            self.doc_bytes[number] = self.docs[number].encode("utf-8")
        old, new = set(self.terms[number]), set(terms)
        self.terms[number] = terms
        for term in old - new:
            self._postings(term).remove(number)
        for term in new - old:
            bisect.insort(self._postings(term), number)
        for term in old ^ new:
            place = bisect.bisect_left(self.sorted_terms, term)
            if not self.postings[term]:
                del self.postings[term], self.encoded[term]
                self.sorted_terms.pop(place)
                if self.doc_bytes is not None:
                    self.term_bytes.pop(place)
                continue
            self.encoded[term] = _encode_term(term, self.postings[term])
            piece = self.encoded[term].encode("utf-8") if self.doc_bytes is not None else b""
            if place == len(self.sorted_terms) or self.sorted_terms[place] != term:  # a new term
                self.sorted_terms.insert(place, term)
                if self.doc_bytes is not None:
                    self.term_bytes.insert(place, piece)
            elif self.doc_bytes is not None:
                self.term_bytes[place] = piece

    def _postings(self, term: str) -> list[int]:
        """The term's postings, to be changed: a list the index this one was made from
        holds too is copied first; one an index restored from the build cache has only
        encoded is read from there (`restored`)."""
        if term in self.borrowed:
            self.borrowed.discard(term)
            self.postings[term] = list(self.postings[term])
        if term not in self.postings:
            self.postings[term] = _numbers(self.encoded[term]) if term in self.encoded else []
        return self.postings[term]

    def encode(self, remember_digest: bool = False) -> bytes:
        if self.doc_bytes is None:
            self.doc_bytes = [doc.encode("utf-8") for doc in self.docs]
            self.term_bytes = [self.encoded[term].encode("utf-8") for term in self.sorted_terms]
        data = _joined(self.doc_bytes, self.term_bytes)
        if remember_digest:  # for stored(), which must describe the very bytes written
            self.digest = _digest(data)
        return data

    def stored(self) -> StoredIndex:
        """Where this index's pieces lie in its file, for the build cache (see StoredIndex)."""
        stories = tuple((s["story"]["title"], s["story"]["url"]) if s else () for s in self.stories)
        return StoredIndex(
            self.language,
            self.digest or _digest(self.encode()),
            stories,
            tuple(map(len, self.docs)),
            tuple(self.sorted_terms),
            tuple(len(self.encoded[term]) for term in self.sorted_terms),
        )

    @classmethod
    def restored(
        cls, stored: StoredIndex, indexed: list[tuple[dict, Sequence[str]]], data: bytes
    ) -> SearchIndex | None:
        """The index `stored` describes, its pieces taken from `data`, the bytes of the file
        it made (the live output's), and `indexed`, the documents it was made of: None
        unless `data` is that file to the byte and every piece lies where it says. Only
        the postings of terms a change touches are ever decoded (`_postings`)."""
        count = len(stored.doc_lengths)
        if _digest(data) != stored.digest or len(indexed) != count or len(stored.stories) != count:
            return None
        text = data.decode("utf-8")
        docs_found = _pieces(text, 0, '{"docs":[', stored.doc_lengths, "]")
        if docs_found is None:
            return None
        docs, after_docs = docs_found
        # `,{"` is found only between documents (quotes within strings are escaped)
        if not all(map(str.startswith, docs, itertools.repeat('{"'))) or not all(
            map(str.endswith, docs, itertools.repeat("}"))
        ):
            return None
        closing = f'}},"version":{INDEX_VERSION}}}\n'
        terms_found = _pieces(text, after_docs, ',"terms":{', stored.term_lengths, closing)
        if terms_found is None or terms_found[1] != len(text) or not _postings_fit(stored.terms, terms_found[0]):
            return None
        pieces = terms_found[0]
        stories: list[dict[str, dict[str, str]]] = [
            {"story": {"title": s[0], "url": s[1]}} if s else {} for s in stored.stories
        ]
        if not _stories_fit(docs, stories):
            return None
        index = cls(stored.language)
        index.indexed, index.stories, index.docs = list(indexed), stories, docs
        index.terms = [document_terms for _, document_terms in indexed]
        index.sorted_terms, index.encoded = list(stored.terms), dict(zip(stored.terms, pieces, strict=True))
        return index


def _joined(docs: list[bytes], terms: list[bytes]) -> bytes:
    """The index file from its pieces, in one join where there are two of each (one 7 MB
    buffer made, not three)."""
    end = b'},"version":%d}\n' % INDEX_VERSION
    if len(docs) < 2 or len(terms) < 2:
        return b"".join((b'{"docs":[', b",".join(docs), b'],"terms":{', b",".join(terms), end))
    return b",".join([
        b'{"docs":[' + docs[0], *docs[1:-1], docs[-1] + b'],"terms":{' + terms[0], *terms[1:-1], terms[-1] + end
    ])  # fmt: skip


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _pieces(
    text: str, start: int, opening: str, lengths: tuple[int, ...], closing: str
) -> tuple[list[str], int] | None:
    """The pieces of `text` of these lengths after `opening` (at `start`), separated by
    commas and followed by `closing`, with where `closing` ends; None when the text is not
    laid out so. (Maps rather than a loop: 10,000 pieces at a time.)"""
    if not text.startswith(opening, start):
        return None
    first = start + len(opening)
    ends = list(itertools.accumulate(map(operator.add, lengths, itertools.repeat(1)), initial=first - 1))[1:]
    last = ends[-1] if ends else first
    if last > len(text) or not text.startswith(closing, last):
        return None
    if "".join(map(text.__getitem__, ends[:-1])) != "," * (len(ends) - 1):
        return None
    starts = [first, *map(operator.add, ends[:-1], itertools.repeat(1))]
    return list(map(text.__getitem__, map(slice, starts, ends))), last + len(closing)


def _postings_fit(terms: tuple[str, ...], pieces: list[str]) -> bool:
    """Each piece is its term's, as _encode_term writes it (a term, being letters and
    digits, is its own JSON string), with gaps that are numbers, so that _numbers can read
    any of them; and the terms in order. The pieces lie in the file's terms, where
    quotes, brackets and colons are only those of its keys and lists: pieces that each
    start with their own key, end with "]" and hold as many quotes and brackets as that
    between them hold nothing but digits and commas after their key."""
    count = len(terms)
    names = "\0".join(terms)
    if '"' in names or "\\" in names or len(pieces) != count or not all(map(operator.lt, terms, terms[1:])):
        return False
    within = "".join(pieces)
    if within.count('"') != 2 * count or within.count("[") != count or within.count("]") != count:
        return False
    keys = [f'"{term}":[' for term in terms]
    # a key followed by "]": no number at all
    return (
        all(map(str.startswith, pieces, keys))
        and all(map(str.endswith, pieces, itertools.repeat("]")))
        and (within.count(":[]") == 0)
    )


def _stories_fit(docs: list[str], stories: list[dict[str, dict[str, str]]]) -> bool:
    """Each document's JSON names its story, or none (a quote inside a string is escaped,
    so `"story":{` can only be the field)."""
    spelled: dict[tuple[str, str], str] = {}
    named, plain = [], []
    for doc, story in zip(docs, stories, strict=True):
        if story:
            key = (story["story"]["title"], story["story"]["url"])
            if key not in spelled:
                spelled[key] = f'"story":{_json(story["story"])},'
            named.append((doc, spelled[key]))
        else:
            plain.append(doc)
    return all(field in doc for doc, field in named) and not any(
        map(str.__contains__, plain, itertools.repeat('"story":{'))
    )


def _numbers(piece: str) -> list[int]:
    """A term's document numbers back from its encoded piece (checked by _postings_fit)."""
    return list(itertools.accumulate(map(int, piece[piece.index('":[') + 3 : -1].split(","))))


def _story_field(model: SiteModel, url: str) -> dict[str, dict[str, str]]:
    story = model.story_of.get(url)
    return {"story": {"title": story.title, "url": story.url}} if story is not None else {}


# One encoder for every document: json.dumps with these options makes a new one per call,
# which was a fifth of the index's cost at 10,000 documents.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _json(value: Any) -> str:
    return _ENCODER.encode(value)


def _encode_term(term: str, numbers: list[int]) -> str:
    # json.dumps' own bytes for a string and a list of integers, without its per-call set-up
    # (tens of thousands of terms): the string through the encoder's C function, the gaps joined.
    return f"{_ENCODER.encode(term)}:[{','.join(map(str, _gaps(numbers)))}]"


def index_all(entries: list[Entry], words: Localiser, per_worker: int = PARALLEL_FROM) -> list[tuple[dict, list]]:
    """Each entry's document and sorted terms (_indexed), in order: across the cores for
    many (build/pool.py), as they cost 150 us each of pure Python (1.5 s at 10,000
    articles) and the main process would make them on one core while the other waits."""
    workers = pool.count(len(entries), per_worker)
    if pool.usable(workers) == 1:
        return [_indexed(entry, words) for entry in entries]
    chunks = [(start, min(start + CHUNK, len(entries))) for start in range(0, len(entries), CHUNK)]
    indexed = []
    for part in pool.run(partial(_index_chunk, entries, words), chunks, workers):
        indexed += [(document, terms.split("\n") if terms else []) for document, terms in part]
    return indexed


def _index_chunk(entries: list[Entry], words: Localiser, bounds: tuple[int, int]) -> list[tuple[dict, str]]:
    """In a worker: a chunk's documents, each one's terms as one string (a term never holds
    a line end), which crosses back to the main process many times faster than a list."""
    return [
        (document, "\n".join(terms)) for document, terms in map(partial(_indexed, words=words), entries[slice(*bounds)])
    ]


def _indexed(entry: Entry, words: Localiser) -> tuple[dict[str, str], list[str]]:
    """One entry's document and its sorted distinct terms."""
    body = plain_text(entry.body_html)
    return _document(entry, body, words), sorted(set(tokens(_searchable(entry, body))))


def _document(entry: Entry, body: str, words: Localiser) -> dict[str, str]:
    summary = entry.summary_text
    rest = body.removeprefix(summary).strip() if summary else body  # the summary is often the first paragraph
    lang = {"lang": entry.lang} if entry.lang and entry.lang != words.language else {}  # for screen readers' voices
    return {
        **lang,
        "url": entry.url,
        "title": entry.title,
        "date": words.long_date(entry.local_date, entry.lang or None),
        "iso": entry.date.isoformat(),
        "source": entry.source.name if entry.source else "",
        "text": _trim(f"{summary} {rest}".strip(), SNIPPET_CHARS),
    }


def _searchable(entry: Entry, body: str) -> str:
    names = [t.name for t in entry.tags]
    names += [term.name for term in (entry.section, entry.source) if term]
    return "\n".join([entry.title, entry.summary_text, body, *names])


def _trim(text: str, limit: int) -> str:
    """Cut at a word boundary, so a snippet never ends in half a word."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit] + " …"


def _gaps(numbers: list[int]) -> list[int]:
    return [n - previous for previous, n in zip([0, *numbers], numbers)]
