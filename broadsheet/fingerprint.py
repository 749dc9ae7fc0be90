"""Dependencies as fingerprints: a page is re-rendered only when the hash of what it
is made of changes: its template and the templates that one pulls in, the settings and
other site-wide values, and its own context, each article standing in by its content
hash. No hand-kept dependency lists to go stale."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from datetime import date, datetime
from typing import Any, Callable

import jinja2
from jinja2 import meta

from broadsheet.content import Article


class ContextHasher:
    """Digests of page contexts; shared records are digested once per build.

    A value is turned into plain data (records replaced by their own digests) and that is
    pickled and hashed: pickle walks strings, numbers and tuples in C, several times faster
    than feeding a hash piece by piece from Python, and gives the same bytes for the same data.
    """

    def __init__(self) -> None:
        self._memo: dict[int, bytes] = {}
        self._keep: list[Any] = []  # keeps memoised objects alive so their ids stay unique

    def digest(self, value: Any) -> bytes:
        data = pickle.dumps(self._plain(value), protocol=PROTOCOL)
        return hashlib.blake2b(data, digest_size=16).digest()

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind in PLAIN:
            return value
        if kind is tuple or kind is list:
            return tuple(map(self._plain, value))
        if kind is dict:
            return ("dict", tuple(sorted(((repr(k), self._plain(v)) for k, v in value.items()), key=lambda item: item[0])))
        if isinstance(value, (datetime, date)):
            return ("time", value.isoformat(), str(getattr(value, "tzinfo", "")))
        if dataclasses.is_dataclass(value):
            return self._record(value)
        raise TypeError(f"cannot fingerprint {kind.__name__}: page contexts hold plain records only")

    def _record(self, value: Any) -> bytes:
        key = id(value)
        if key not in self._memo:
            if isinstance(value, Article):  # fully determined by its file: path, bytes, bundle
                parts: Any = (value.path, value.content_hash, value.bundle_assets)
            else:
                parts = tuple(self._plain(getattr(value, f.name)) for f in dataclasses.fields(value))
            data = pickle.dumps((type(value).__name__, parts), protocol=PROTOCOL)
            self._memo[key] = hashlib.blake2b(data, digest_size=16).digest()
            self._keep.append(value)
        return self._memo[key]


PLAIN = (str, int, float, bool, bytes, type(None))
PROTOCOL = 5  # fixed, so digests do not change with the interpreter's default


class Memo:
    """Results of the generated files (feeds, feed items, search documents) kept from one
    build to the next under the fingerprint of the records they were made from: what did
    not change is not laid out again. Only what a build used is kept."""

    def __init__(self) -> None:
        self._previous: dict[tuple, Any] = {}
        self._current: dict[tuple, Any] = {}

    def start(self) -> None:
        self._previous, self._current = self._current, {}

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


def template_digests(env: jinja2.Environment, names: set[str]) -> dict[str, bytes]:
    """Template name -> digest of its source and of every template it extends, includes or imports."""
    sources: dict[str, str] = {}
    references: dict[str, set[str] | None] = {}

    def visit(name: str) -> None:
        if name in sources:
            return
        source, _, _ = env.loader.get_source(env, name)
        sources[name] = source
        found = meta.find_referenced_templates(env.parse(source))
        names_found = set()
        for ref in found:
            if ref is None:  # a name computed at render time: depend on every template
                references[name] = None
                return
            names_found.add(ref)
        references[name] = names_found
        for ref in names_found:
            visit(ref)

    digests = {}
    every = None
    for name in sorted(names):
        visit(name)
        closure = _closure(name, references)
        if closure is None:
            every = every or _all_templates(env)
            closure = every
        h = hashlib.blake2b(digest_size=16)
        for member in sorted(closure):
            h.update(member.encode() + b"\0" + (sources.get(member) or env.loader.get_source(env, member)[0]).encode() + b"\0")
        digests[name] = h.digest()
    return digests


def _closure(name: str, references: dict[str, set[str] | None]) -> set[str] | None:
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        refs = references.get(current, set())
        if refs is None:
            return None
        todo.extend(refs)
    return seen


def _all_templates(env: jinja2.Environment) -> set[str]:
    return set(env.list_templates(filter_func=lambda n: not n.startswith(".")))
