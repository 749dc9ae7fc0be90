"""Dependencies as fingerprints: a page is re-rendered only when the hash of what it
is made of changes: its template and the templates that one pulls in, the settings and
other site-wide values, and its own context, each article standing in by its content
hash. No hand-kept dependency lists to go stale."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import operator
import pickle
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from broadsheet.build.content import Article
from broadsheet.incremental.kept_cards import KeptCards

if TYPE_CHECKING:  # Jinja is imported where templates are read: a build with nothing to do reads none
    import jinja2
    from jinja2 import nodes


class ContextHasher:
    """Digests of page contexts; shared records are digested once per build, and a record
    the last build digested is not digested again (a serve session keeps its hasher, and
    its model keeps the entries that did not change: see model.build_model's `previous`).

    A value is turned into plain data (records replaced by their own digests) and that is
    pickled and hashed: pickle walks strings, numbers and tuples in C, several times faster
    than feeding a hash piece by piece from Python, and gives the same bytes for the same data.

    Records are remembered by identity, each kept alive with its digest so its id stays
    unique. Within a build nothing changes a record; between builds one may be changed in
    place (model.put_body, serve's short cut for body edits, which says so: `changed_in_place`),
    so a digest is taken over from the last build as it is while nothing was changed in
    place since; after a change in place, only while every field is still the very object
    it was made from and every record within it has the digest it had. What a build did
    not use is forgotten at the next `start`.

    Page contexts are remembered the same way, by page (`context_digest`): a context made
    of the very objects the last build's was made of (new tuples of them, equal plain
    values) has that context's digest, unless something was changed in place since.
    """

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, tuple, bytes]] = {}  # id -> (record, its fields, digest)
        self._previous: dict[int, tuple[Any, tuple, bytes]] = {}
        # page -> (its context, digest, what was worked out from the context: derived()), this build's
        self._contexts: dict[str, tuple[dict, bytes, dict[str, Any]]] = {}
        self._previous_contexts: dict[str, tuple[dict, bytes, dict[str, Any]]] = {}
        self._changed_in_place = False  # since the last start
        self._getters: dict[type, Callable[[Any], tuple]] = {}  # record class -> its fields' getter
        self._deep = False  # this build: a record taken over must have every record within it unchanged

    def start(self) -> None:
        """A new build: what the last one digested may be taken over, once checked."""
        self._previous, self._memo = self._memo, {}
        self._previous_contexts, self._contexts = self._contexts, {}
        self._deep, self._changed_in_place = self._changed_in_place, False

    def forget_last(self) -> None:
        """The build is over: what the last one digested is no more use (nor kept alive)."""
        self._previous, self._previous_contexts = {}, {}

    def carry_over(self) -> None:
        """Before forget_last: keep what the last build digested and this one did not look
        at (a build that took the last one's plan made no generated file, whose records
        the next build digests), while nothing was changed in place since."""
        if not self._deep:
            self._memo = {**self._previous, **self._memo}

    def changed_in_place(self) -> None:
        """Records the last build digested have been changed in place (model.put_body): the
        next build takes over a digest only after looking at every record within, and no
        page context's."""
        self._changed_in_place = True

    @property
    def deep(self) -> bool:
        """This build looks into every record it takes over (something was changed in place)."""
        return self._deep

    def carry_context(self, page: str, context: dict) -> bool:
        """context_digest(page, context) taken over without a look, for the very context
        the last build digested for this page, while nothing was changed in place; False
        (nothing taken) otherwise. What the caller worked out from it is kept too."""
        earlier = self._previous_contexts.get(page)
        if self._deep or earlier is None or earlier[0] is not context:
            return False
        self._contexts[page] = earlier
        return True

    def context_digest(self, page: str, context: dict) -> bytes:
        """digest(context), taken over from the last build's context of the same page when
        it holds the same objects (see _same), or is the very context it was (routes.plan
        never changes a context once made). Without a change in place, a record that is
        the very object it was has the digest it had: nothing in it can have changed."""
        earlier = self._previous_contexts.get(page)
        # The very context (routes.plan took the last build's page again): never changed
        # once made, so only a change in place within its records can tell it apart.
        if earlier is not None and not self._deep and (context is earlier[0] or _same(context, earlier[0])):
            digest = earlier[1]
        else:
            digest = self.digest(context)
        derived = earlier[2] if earlier is not None and earlier[1] == digest else {}
        self._contexts[page] = (context, digest, derived)
        return digest

    def digest(self, value: Any) -> bytes:
        return digest_of(self._plain(value))

    def record_digest(self, value: Any) -> bytes:
        """A digest of a record (a dataclass) as it stands within other values: its own,
        remembered by identity, not hashed again; digest() of anything else."""
        known = self._known(value)
        if known is not None and type(known[0]) is not tuple:  # a record's own (a long tuple's is its items')
            return known[2]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            plain = self._plain(value)
            if type(plain) is bytes:
                return plain
        return self.digest(value)

    def derived(self, page: str) -> dict[str, Any] | None:
        """What callers worked out from this page's context alone (by kind), kept while the
        context's digest stays the same; None when context_digest was not asked this build."""
        known = self._contexts.get(page)
        return known[2] if known is not None else None

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind in PLAIN:
            return value
        known = self._known(value)
        if known is not None:
            return known[2]
        if kind is tuple and len(value) >= LONG:
            return self._long(value)
        if kind is tuple or kind is list:
            return tuple(map(self._plain, value))
        if kind is dict:
            return (
                "dict",
                tuple(sorted(((repr(k), self._plain(v)) for k, v in value.items()), key=lambda item: item[0])),
            )
        if isinstance(value, (datetime, date)):
            return ("time", value.isoformat(), str(getattr(value, "tzinfo", "")))
        if dataclasses.is_dataclass(value):
            return self._record(value)
        raise TypeError(f"cannot fingerprint {kind.__name__}: page contexts hold plain records only")

    def _known(self, value: Any) -> tuple[Any, tuple, bytes] | None:
        """What this build, or else the last one (`_taken_over`), remembered of this very
        object (a live object's id is no other live object's)."""
        known = self._memo.get(id(value))
        if known is None and not self._deep:
            known = self._taken_over(value)
        return known

    def _taken_over(self, value: Any) -> tuple[Any, tuple, bytes] | None:
        """What the last build remembered of this very record or long tuple, taken over as
        _record and _long would take it while nothing was changed in place (not an
        Article's: _record looks at its parts); None when it remembered nothing of it. In
        one step, as every kept entry of 10,000 comes through here each build."""
        earlier = self._previous.get(id(value))
        if earlier is None or isinstance(value, Article):
            return None
        self._memo[id(value)] = earlier
        return earlier

    def _fields_of(self, value: Any) -> tuple:
        """A record's fields, in order, read at once (a getter made once per class: this
        runs for every record of a page, 10,000 entries among them)."""
        kind = type(value)
        getter = self._getters.get(kind)
        if getter is None:
            names = [f.name for f in dataclasses.fields(value)]
            single = operator.attrgetter(*names) if names else None
            getter = self._getters[kind] = (
                (lambda v: ()) if single is None else (lambda v: (single(v),)) if len(names) == 1 else single
            )
        return getter(value)

    def _long(self, value: tuple) -> bytes:
        """A long tuple (a taxonomy's entries of one term, the model's entries) stands in by
        its digest, remembered as a record's is: a model keeps the tuples that did not
        change (model._Kept), so a page holding a whole taxonomy is not walked entry by entry."""
        earlier = self._previous.get(id(value))
        if earlier is not None and (not self._deep or self._unchanged(value)):
            digest = earlier[2]
        else:
            digest = digest_of(("tuple", tuple(map(self._plain, value))))
        self._memo[id(value)] = (value, (), digest)
        return digest

    def _record(self, value: Any) -> bytes:
        earlier = self._previous.get(id(value))
        if isinstance(value, Article):  # fully determined by its file: path, bytes, bundle
            parts = (value.path, value.content_hash, value.bundle_assets)
            if earlier is not None and all(map(operator.is_, earlier[1], parts)):
                digest = earlier[2]
            else:
                digest = digest_of(("Article", parts))  # a cached one (codec._CachedArticle) too: the same article
            self._memo[id(value)] = (value, parts, digest)
            return digest
        if earlier is not None and not self._deep:
            # Nothing was changed in place since the last build (the one way a frozen record
            # changes: changed_in_place says so), so this very record is as it was then.
            self._memo[id(value)] = earlier
            return earlier[2]
        fields = self._fields_of(value)
        if earlier is not None and all(map(operator.is_, earlier[1], fields)) and self._unchanged(fields):
            digest = earlier[2]
        else:
            digest = digest_of((type(value).__name__, tuple(map(self._plain, fields))))
        self._memo[id(value)] = (value, fields, digest)
        return digest

    def _unchanged(self, value: Any) -> bool:
        """Whether every record within `value` has the digest it had in the last build
        (the records themselves may have been changed in place since)."""
        kind = type(value)
        if kind in PLAIN or isinstance(value, (datetime, date)):
            return True
        if kind is tuple or kind is list:
            return all(map(self._unchanged, value))
        if kind is dict:  # keys are plain: the digest takes their repr
            return all(map(self._unchanged, value.values()))
        if dataclasses.is_dataclass(value):
            known = self._memo.get(id(value))
            now = known[2] if known is not None else self._record(value)
            earlier = self._previous.get(id(value))
            return earlier is not None and earlier[2] == now
        return False


# Values equal to one another only when their digests are equal too (no 1 == 1.0 == True)
EQUAL_MEANS_SAME = (str, int, bool, bytes, type(None))


def _same(new: Any, old: Any) -> bool:
    """Whether `new` has the digest `old` had, with nothing changed in place since `old`
    was digested: the very object, equal plain values of one type, containers of such,
    records (new ones too: a paginator) whose fields are all such. A list or dict that is
    the very one it was may have been changed since: never the same (it is digested)."""
    kind = type(new)
    if new is old:
        return kind is not list and kind is not dict
    if kind is not type(old):
        return False
    if kind in EQUAL_MEANS_SAME:
        return bool(new == old)
    if kind is tuple or kind is list:
        return len(new) == len(old) and all(map(_same, new, old))
    if kind is dict:  # a page's context: most values the very objects they were
        if new.keys() != old.keys() or not all(type(key) is str for key in new):
            return False
        for key, value in new.items():
            was = old[key]
            if value is was or (type(value) is str and type(was) is str and value == was):
                continue
            if _same_items(value, was):  # a new tuple of the same records: related stories, a list page's
                continue
            if not _same(value, was):
                return False
        return True
    if dataclasses.is_dataclass(new) and kind is not Article:
        return all(_same(getattr(new, f.name), getattr(old, f.name)) for f in dataclasses.fields(new))
    return False


def _same_items(new: Any, old: Any) -> bool:
    return type(new) is tuple and type(old) is tuple and len(new) == len(old) and all(map(operator.is_, new, old))


def digest_of(plain: Any) -> bytes:
    """The digest of plain data (strings, numbers, bytes, tuples of them): the same for
    equal data in every process, however its objects are shared. pickle.dumps writes an
    object met twice as a reference to the first (its memo), so a title two fields hold
    as one string gave other bytes than two equal strings, as another process (or one
    whose caches had handed out the same string before) may hold them: the page's
    fingerprint, or a stored card's, did not match. Fast mode keeps no memo (plain data
    holds no cycle)."""
    file = io.BytesIO()
    pickler = pickle.Pickler(file, protocol=PROTOCOL)
    pickler.fast = True
    pickler.dump(plain)
    return hashlib.blake2b(file.getbuffer(), digest_size=16).digest()


PLAIN = (str, int, float, bool, bytes, type(None))
LONG = 32  # items from which a tuple is digested once and remembered by identity (ContextHasher._long)
PROTOCOL = 5  # fixed, so digests do not change with the interpreter's default


class Memo:
    """Results of the generated files (feeds, feed items, search documents) kept from one
    build to the next under the fingerprint of the records they were made from: what did
    not change is not laid out again. Only what a build used is kept."""

    def __init__(self) -> None:
        self._previous: dict[tuple, Any] = {}
        self._current: dict[tuple, Any] = {}
        # The records' digests, kept as long as the results: a serve session's next build
        # takes over those of the records its model kept (a build cache never holds it).
        self.hasher = ContextHasher()
        self.templates: dict[str, set[str] | None] = {}  # a template's source -> the templates it names
        # (a template's source, whether its `entry` is the page's own) -> whether it reads bodies
        # (bodies_stay_on_their_page)
        self.body_reads: dict[tuple[str, bool], bool] = {}
        # (the last build's outcome, its inputs' digest but for the templates), when its path
        # checks found nothing: a template edit's build leaves them out (Rebuild.paths_as_last)
        self.paths_checked: tuple[Any, bytes] | None = None
        self.compiled: dict[str, bytes] = {}  # templates' compiled code (render.CompiledTemplates)
        self.cards = KeptCards()  # a serve session's cards, for its next build's workers
        # a sitemap's <url> elements (sitemaps.url_element), the last build's
        self.url_elements: dict[tuple, bytes] = {}
        # the newest of each long tuple of entries (sitemaps.newest_shown), by the tuple's id, the last build's
        self.newest: dict[int, tuple[tuple, Any]] = {}
        self.fine_paths: dict[int, set[str]] = {}  # output folder's length -> page paths found fine (routes.too_long)
        # the last full build's pages by path (a serve session's), for routes.plan to take again
        self.pages: dict[str, Any] = {}
        # article files' cache keys by (digest, path, bundle files), the last build's, and the
        # parse settings they were made with (incremental/articles.py)
        self.cache_keys: dict[tuple[str, str, tuple[str, ...]], str] = {}
        self.cache_keys_settings = ""
        # What the last full build's page fingerprints were made with: the site-wide digest
        # and each template's (None after a build of bodies alone, or none yet)
        self.fingerprinted_with: tuple[bytes, dict[str, bytes]] | None = None

    def start(self) -> None:
        self._previous, self._current = self._current, {}
        self.hasher.start()

    def carry_over(self) -> None:
        """Keep for the next build what the last one used and this one did not ask for (a
        build that took the last one's plan made no generated file), and the records'
        digests likewise."""
        self._current = {**self._previous, **self._current}
        self.hasher.carry_over()

    def kept(self, kinds: tuple[str, ...]) -> dict[tuple, Any]:
        """What the last build used, of these kinds, for the build cache to carry over; a
        kind the build never asked for (its file was reused whole) keeps what it had."""
        used = {key[0] for key in self._current}
        return {
            key: value
            for source in (self._previous, self._current)
            for key, value in source.items()
            if key[0] in kinds and (source is self._current or key[0] not in used)
        }

    def seed(self, items: dict[tuple, Any]) -> None:
        self._current.update(items)

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._current:
            self._current[key] = self._previous[key] if key in self._previous else compute()
        return self._current[key]

    def get_each(self, keys: list[tuple], compute_each: Callable[[list[int]], list]) -> list:
        """get() of many keys at once: the values known neither to this build nor to the
        last are made by one call, given the positions of their keys (so that it can
        spread them over the cores), in that order."""
        current, previous = self._current, self._previous
        missing = [n for n, key in enumerate(keys) if key not in current and key not in previous]
        made = dict(zip(missing, compute_each(missing), strict=True))
        for n, key in enumerate(keys):
            if key not in current:
                current[key] = made[n] if n in made else previous[key]
        return [current[key] for key in keys]


def template_digests(
    env: jinja2.Environment, names: set[str], known: dict[str, set[str] | None] | None = None
) -> dict[str, bytes]:
    """Template name -> digest of its source and of every template it extends, includes or
    imports. `known`: the templates each source names, kept between builds by the caller
    (Memo.templates), so an unchanged template is not parsed again."""
    graph = _TemplateGraph(env, known)
    digests = {}
    for name in sorted(names):
        h = hashlib.blake2b(digest_size=16)
        for member in sorted(graph.closure(name)):
            h.update(member.encode() + b"\0" + graph.source(member).encode() + b"\0")
        digests[name] = h.digest()
    return digests


# Fields of an article that only its body decides: when no list page can read them, an
# edit of a body changes the article's own page, its feeds and the search index, nothing else.
BODY_FIELDS = frozenset({"body_html", "word_count", "content_hash", "link_lines"})
BODY_READING_GLOBALS = frozenset({"news_article"})  # template functions that read their entry's body fields


def bodies_stay_on_their_page(
    env: jinja2.Environment,
    entry_templates: set[str],
    other_templates: set[str],
    reads: dict[tuple[str, bool], bool] | None = None,
    known: dict[str, set[str] | None] | None = None,
) -> bool:
    """True when, as far as the templates' code shows, an article's body is read only by
    its own page: templates of other pages never name a body field, and article templates
    only as `entry.<field>` of the page's own `entry`, never rebound. Anything these
    rules cannot see through (attribute names computed at render time, templates chosen
    at render time) counts as reading bodies. `reads`: each verdict by the template's
    source (and which rule), kept between builds by the caller (Memo.body_reads), so a
    template edit parses the edited template alone, not every one (0.2-0.3 s at each);
    left holding the verdicts this call used. `known`: as template_digests'."""
    graph = _TemplateGraph(env, known)
    verdicts = reads if reads is not None else {}
    used: dict[tuple[str, bool], bool] = {}

    def reads_bodies(name: str, own_entry: bool) -> bool:
        key = (graph.source(name), own_entry)  # the verdict is a function of the source alone
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = _reads_bodies(graph.tree(name), own_entry)
        used[key] = verdict
        return verdict

    others = set().union(*(graph.closure(name) for name in other_templates))
    entries = set().union(*(graph.closure(name) for name in entry_templates)) - others
    stay = not any(reads_bodies(n, own_entry=False) for n in others) and not any(
        reads_bodies(n, own_entry=True) for n in entries
    )
    if reads is not None:  # no more than one verdict a template is kept: sources edited away go
        reads.clear()
        reads.update(used)
    return stay


def _reads_bodies(tree: nodes.Template, own_entry: bool) -> bool:
    """Whether a template may read a body field of an entry other than the page's own.

    A subscript with a key computed at render time (`x[kind]`) is taken not to name a
    body field: the keys templates compute are slugs and kinds, never field names."""
    from jinja2 import nodes

    rebinds = any(n.name == "entry" for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param"))

    def on_own_entry(node: nodes.Node) -> bool:
        return own_entry and not rebinds and isinstance(node, nodes.Name) and node.name == "entry"

    for item in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call)):
        if isinstance(item, nodes.Getattr) and item.attr in BODY_FIELDS and not on_own_entry(item.node):
            return True
        if (
            isinstance(item, nodes.Getitem)
            and isinstance(item.arg, nodes.Const)
            and item.arg.value in BODY_FIELDS
            and not on_own_entry(item.node)
        ):
            return True
        if isinstance(item, nodes.Filter) and item.name == "attr":
            return True
        if (
            isinstance(item, nodes.Call)
            and isinstance(item.node, nodes.Name)
            and item.node.name in BODY_READING_GLOBALS
            and not (item.args and on_own_entry(item.args[0]))
        ):
            return True
    return False


class _TemplateGraph:
    """Templates' sources, parse trees and references, each read once."""

    def __init__(self, env: jinja2.Environment, known: dict[str, set[str] | None] | None = None) -> None:
        self.env = env
        self._sources: dict[str, str] = {}
        self._trees: dict[str, nodes.Template] = {}
        self._references: dict[str, set[str] | None] = {}
        self._known = known if known is not None else {}  # source -> the templates it names

    def source(self, name: str) -> str:
        if name not in self._sources:
            loader = self.env.loader
            assert loader is not None  # the theme's environment always has its loader chain
            self._sources[name] = loader.get_source(self.env, name)[0]
        return self._sources[name]

    def tree(self, name: str) -> nodes.Template:
        if name not in self._trees:
            self._trees[name] = self.env.parse(self.source(name))
        return self._trees[name]

    def references(self, name: str) -> set[str] | None:
        """The templates this one names; None when it computes a name at render time."""
        if name not in self._references:
            source = self.source(name)
            if source not in self._known:
                from jinja2 import meta

                found = set(meta.find_referenced_templates(self.tree(name)))
                self._known[source] = None if None in found else {n for n in found if n is not None}
            self._references[name] = self._known[source]
        return self._references[name]

    def closure(self, name: str) -> set[str]:
        """The template and every template it pulls in; every template there is when
        one of them names a template only at render time."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            refs = self.references(current)
            if refs is None:
                return set(self.env.list_templates(filter_func=lambda n: not n.startswith(".")))
            todo.extend(refs)
        return seen
