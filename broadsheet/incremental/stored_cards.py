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

import importlib.metadata
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import msgpack

from broadsheet import __version__
from broadsheet.build.render import plain_key
from broadsheet.incremental import cache, codec
from broadsheet.incremental.kept_cards import KeptCards, StoredCard
from broadsheet.problems import display_path

FILE = "cards.msgpack"
MAGIC = "broadsheet story cards"
FORMAT = 1
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
        cache.write_atomically(path, lambda file: _write(file, output, kept, cards))
    except codec.TextsLost as exc:  # an entry's texts, digested here first, unreadable now
        return f"the story cards were not stored ({exc})"
    except (OSError, TypeError, ValueError, OverflowError) as exc:
        return cache.unsaved_reason(exc, path)
    kept.unsaved = False
    return None


def load(site_dir: Path, output: Path) -> tuple[Stored | None, str | None]:
    """The cards the last session of this output stored, or None; with a one-line note
    when a file is there and cannot be used."""
    path = path_of(site_dir, output)
    try:
        with open(path, "rb") as file:
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


def _write(file: IO[bytes], output: Path, kept: KeptCards, cards: list[tuple[str, str, bytes, tuple, bytes]]) -> None:
    packer = msgpack.Packer(use_bin_type=True)
    file.write(packer.pack(_label(output)))
    file.write(packer.pack(kept.site))
    file.write(packer.pack(kept.templates))
    packable = [card for card in cards if _packable(card[3])]
    file.write(packer.pack(len(packable)))
    for template, macro, digest, arguments, html in packable:
        args, named = arguments[0], arguments[2] if len(arguments) == 4 else ()
        file.write(packer.pack((template, macro, digest, args, named, html)))


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
    site, templates, count = reader.unpack(), reader.unpack(), reader.unpack()
    if not _digest(site) or type(templates) is not dict or not all(map(_named_digest, templates.items())):
        raise Unusable("damaged")
    if type(count) is not int or count < 0:
        raise Unusable("damaged")
    cards: dict[bytes, list[StoredCard]] = {}
    for record in _records(reader, count):
        template, macro, digest, args, named, html = record
        arguments = plain_key(args, dict(named))
        if arguments is None:
            raise Unusable("damaged")
        cards.setdefault(digest, []).append((template, macro, arguments, html))
    return Stored(site, templates, cards)


def _records(reader: msgpack.Unpacker, count: int) -> Iterator[tuple]:
    for _ in range(count):
        record = reader.unpack()
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
