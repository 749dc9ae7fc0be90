"""A serve session's story cards (kept_cards.py) left for the next session of the same
output: without them, the first template edit of every session made all the cards again
(at 10,000 articles 61,585 cards, 2.6 s of the render workers' CPU, a second and more of
the edit's wait).

Beside the build cache, in a file of its own (`cards.msgpack`), as only serve reads it:
`build` neither reads nor writes it (a command line's build keeps no card). Written when a
session saves its cache and its cards changed since it read them; read by the warm-up,
once the model is made, into a session that has no card yet.

A card names its entry (or the edition's place, or the sections the masthead shows) by
the digest of everything in it (fingerprint.ContextHasher.record_digest, the page
fingerprints' own), not by identity, which no other process shares: the warm-up gives a
stored card to the record of the new model with that digest, so an article edited
between sessions has none. The rest of what a card is made of is checked as within a
session (KeptCards.for_build): the digest of the settings and asset names, and each
template's. Broadsheet's code, Jinja's and MarkupSafe's, by their versions in the label:
another version's file is not used.

Plain MessagePack, read without an ext_hook, every value checked: loading runs no code.
The file is only a short cut: one that cannot be read or used is said in one line and
left to the next save to replace.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from broadsheet import __version__
from broadsheet.build import sitefiles
from broadsheet.build.render import plain_key
from broadsheet.incremental import cache, codec
from broadsheet.incremental.kept_cards import KeptCards, StoredCard
from broadsheet.problems import display_path

FILE = "cards.msgpack"
MAGIC = "broadsheet story cards"
FORMAT = 2
DIGEST_SIZE = 16  # fingerprint.digest_of's
_INT_RANGE = (-(1 << 63), (1 << 64) - 1)  # what MessagePack holds


@dataclass(frozen=True)
class Stored:
    """A stored session's cards: the digest of the site-wide values they were made with,
    each template's digest, and the cards by their anchor's digest."""

    site: bytes
    templates: dict[str, bytes]
    cards: dict[bytes, list[StoredCard]]


def path_of(site_dir: Path, output: Path) -> Path:
    return cache.folder(site_dir, output) / FILE


def save(site_dir: Path, output: Path, kept: KeptCards, digest_of: Callable[[object], bytes]) -> str | None:
    """Store the session's cards (atomically: a killed save leaves the old file or the
    new one); None, or why they were not stored (a full disk: only a short cut lost)."""
    path = path_of(site_dir, output)
    try:
        cards = kept.stored(digest_of)
        with Writer(site_dir, output, kept.site, kept.templates) as writer:
            for card in cards:
                writer.put(*card)
            writer.commit()
    except codec.TextsLost as exc:  # an entry's texts, digested here first, unreadable now
        return f"the story cards were not stored ({exc})"
    except (OSError, TypeError, ValueError, OverflowError) as exc:
        return cache.unsaved_reason(exc, path)
    kept.unsaved = False
    return None


class Writer:
    """A cards file written a card at a time (none need be held in memory), made the
    stored one by `commit`; removed when the `with` block ends without it."""

    def __init__(self, site_dir: Path, output: Path, site: bytes, templates: dict[str, bytes]) -> None:
        self._atomic = cache.AtomicFile(path_of(site_dir, output))
        self._pack = msgpack.Packer(use_bin_type=True).pack
        try:
            for value in (_label(output), site, templates):
                self._atomic.file.write(self._pack(value))
        except BaseException:
            self._atomic.abort()
            raise

    def put(self, template: str, macro: str, digest: bytes, arguments: tuple, html: bytes) -> None:
        if _packable(arguments):
            named = arguments[2] if len(arguments) == 4 else ()
            self._atomic.file.write(self._pack((template, macro, digest, arguments[0], named, html)))

    def commit(self) -> None:
        self._atomic.file.write(self._pack(None))  # the end: a file without it was cut short
        self._atomic.commit()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._atomic.__exit__(*exc_info)


class Streamed:
    """The cards a command line's build makes, written to a new file as its workers send
    them back (render.CarriedCards.sink), so its process never holds them all (its peak
    memory): for serve's next session, which would otherwise make them at its first
    template edit. Each card named by its anchor's digest, worked out once an anchor. The
    file (and the cache's folder) is made with the first card, and is the stored one only
    once the build has succeeded (`finish`): a failed build leaves nothing in the site
    folder. A failure to write (a full disk) stores none and is no failure of the build."""

    def __init__(
        self,
        site_dir: Path,
        output: Path,
        site: bytes,
        templates: dict[str, bytes],
        anchors: list[object],
        digest_of: Callable[[object], bytes],
    ) -> None:
        self.site_dir, self.output, self.site, self.templates = site_dir, output, site, templates
        self.anchors, self.digest_of = anchors, digest_of
        self.digests: dict[int, bytes] = {}
        self.count = 0  # cards written: none, and the last stored file stays (a build that made none)
        self.writer: Writer | None = None
        self.broken = False  # a write failed: none stored

    def __call__(self, made: list[tuple[tuple[str, str, int, tuple], bytes]]) -> None:
        if self.broken or not made:
            return
        try:
            if self.writer is None:
                self.writer = Writer(self.site_dir, self.output, self.site, self.templates)
            for (template, macro, place, arguments), html in made:
                digest = self.digests.get(place)
                if digest is None:
                    digest = self.digests[place] = self.digest_of(self.anchors[place])
                self.writer.put(template, macro, digest, arguments, html)
                self.count += 1
        except BaseException as exc:  # none stored; Ctrl-C or a build stopped (TextsLost) goes on
            self.finish(False)
            self.broken = True
            if not isinstance(exc, (OSError, TypeError, ValueError, OverflowError)):
                raise

    def finish(self, keep: bool) -> None:
        """Stored (`keep`: the build succeeded, and the templates the cards were made of
        are as they were when the render began), or removed."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        with writer:
            if keep and self.count:
                with contextlib.suppress(OSError):
                    writer.commit()


def load(site_dir: Path, output: Path) -> tuple[Stored | None, str | None]:
    """The cards the last session of this output stored, or None; with a one-line note
    when a file is there and cannot be used."""
    path = path_of(site_dir, output)
    try:
        with sitefiles.open_regular(path) as file:  # never a FIFO's wait for a writer
            size = os.fstat(file.fileno()).st_size
            reader = cache.unpacker(file, size)
            with cache.unpacking("story cards file"):
                return _read(reader, output), None
    except FileNotFoundError:
        return None, None
    except Exception as exc:  # anything at all in bytes from outside: never a reason to fail
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)[:200]
        return None, f"story cards at {display_path(path)} not used ({reason}); the first template edit makes them"


def _label(output: Path) -> dict[str, Any]:
    return {
        "magic": MAGIC, "format": FORMAT, "broadsheet": __version__, **_LIBRARIES,
        "output": str(cache.output_key(output)),
    }  # fmt: skip


# the libraries a card's HTML comes out of, as installed (their own __version__ is going)
_LIBRARIES = {name: importlib.metadata.version(name) for name in ("jinja2", "markupsafe")}


def _packable(arguments: tuple) -> bool:
    """Every int within MessagePack's range (the other scalars always are)."""
    values = [*arguments[0], *(value for _, value in (arguments[2] if len(arguments) == 4 else ()))]
    return all(type(v) is not int or _INT_RANGE[0] <= v <= _INT_RANGE[1] for v in values)


class Unusable(codec.Unreadable):
    """The file is not cards this session may use, in a few words."""


def _read(reader: msgpack.Unpacker, output: Path) -> Stored:
    label = reader.unpack()
    expected = _label(output)
    if type(label) is not dict or label.get("magic") != MAGIC:
        raise Unusable("not a story cards file")
    for name in ("format", "broadsheet", "jinja2", "markupsafe", "output"):
        if label.get(name) != expected[name]:
            raise Unusable(f"made with {name} {label.get(name)}")
    site, templates = reader.unpack(), reader.unpack()
    if not _digest(site) or type(templates) is not dict or not all(map(_named_digest, templates.items())):
        raise Unusable("damaged")
    cards: dict[bytes, list[StoredCard]] = {}
    for record in _records(reader):
        template, macro, digest, args, named, html = record
        arguments = plain_key(args, dict(named))
        if arguments is None:
            raise Unusable("damaged")
        cards.setdefault(digest, []).append((template, macro, arguments, html))
    return Stored(site, templates, cards)


def _records(reader: msgpack.Unpacker) -> Iterator[tuple]:
    """The cards up to the end mark (None): without it, the file was cut short."""
    while (record := reader.unpack()) is not None:
        if not (
            type(record) is tuple
            and len(record) == 6
            and type(record[0]) is str
            and type(record[1]) is str
            and _digest(record[2])
            and type(record[3]) is tuple
            and type(record[4]) is tuple
            and all(type(pair) is tuple and len(pair) == 2 and type(pair[0]) is str for pair in record[4])
            and type(record[5]) is bytes
        ):
            raise Unusable("damaged")
        yield record


def _digest(value: Any) -> bool:
    return type(value) is bytes and len(value) == DIGEST_SIZE


def _named_digest(item: tuple[Any, Any]) -> bool:
    return type(item[0]) is str and _digest(item[1])
