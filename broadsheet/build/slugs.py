"""Names -> slugs, the parts of URLs and file names: one set of rules for every caller,
the same on every machine; and which names no file system (or Windows) takes.

- Transliteration is text-unidecode's, chosen by name: python-slugify otherwise uses
  `unidecode` whenever it happens to be installed, which spells Japanese and other
  scripts differently, so one site would get other URLs on another machine.
- A title's slug is cut at a word boundary (the URLs of existing articles stay as they
  were; two titles that cut alike are an error asking for a `slug:`, never a merge).
- A term (tag, author, section, source) is one term per name up to case, Unicode
  normalisation (NFKC) and runs of spaces (`term_key`). Other names get other slugs,
  decided by the names alone, never by file order: `+` and a `#` after a letter are
  spelled out (C++ -> c-plus-plus, C# -> c-sharp), and names that still make one slug
  are told apart by a short hash of the name (`term_slugs`).
- No slug is longer than its budget or a name Windows keeps for a device (`con`,
  `aux`, `com1`...): those take a hash of the full name, so they stay distinct.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

MAX_SLUG = 60  # a slug made from a title; an explicit `slug:` may be longer
MAX_TERM_SLUG = 100  # a slug made from a tag, author, section or source
MAX_NAME_BYTES = 255  # one file or folder name, on every common file system
MAX_PATH_BYTES = 4095  # a whole path: Linux's PATH_MAX is 4,096 with the closing NUL
HASH = 6  # hex digits of the hash that tells apart names making one slug
WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)
SHARP = re.compile(r"(?<=[^\W_])#")  # C#, F#: a sharp; a '#' that starts a word (#MeToo) is dropped
TITLE_QUOTES = [["'", ""], ["\u2019", ""]]  # "NATO's" -> "natos", not "nato-s"


def _ascii_slug(text: str, replacements: list[list[str]] | None = None) -> str:
    from slugify import slugify  # here: a build with nothing to do makes no slug

    return slugify(text, replacements=replacements or [], backend="text-unidecode")


def _hash(text: str, size: int = HASH) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def _cut(slug: str, budget: int) -> str:
    """At most `budget` characters (slugs are ASCII: bytes), at a word boundary when one is near."""
    cut = slug[: budget + 1].rsplit("-", 1)[0]
    return cut if 0 < len(cut) <= budget else slug[:budget].rstrip("-")


def make_slug(title: str) -> str:
    """ASCII slug of a title; other scripts are transliterated ("Путин" -> "putin")."""
    slug = _ascii_slug(title, TITLE_QUOTES)
    if len(slug) > MAX_SLUG:
        slug = slug[: MAX_SLUG + 1].rsplit("-", 1)[0]  # cut at a word boundary, as it always was
    return f"{slug}-{_hash(slug)}" if is_reserved(slug) else slug


def has_letters(name: str) -> bool:
    """True when a name has letters or digits to make a readable URL from."""
    return bool(_readable(term_key(name)))


def term_key(name: str) -> str:
    """What makes two names one term: equal up to case, Unicode normalisation (NFKC,
    so "ﬁ" is "fi" and a no-break space a space) and runs of spaces."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def _readable(key: str) -> str:
    return _ascii_slug(SHARP.sub(" sharp ", key).replace("+", " plus "))


def term_slug(name: str) -> str:
    """A term's slug from its own name alone: readable, at most MAX_TERM_SLUG bytes, never
    a device name. `term_slugs` tells apart the rare names that make one slug."""
    key = term_key(name)
    readable = _readable(key)
    if not readable:  # no letters or digits ("!!!", an emoji): the name's hash is its slug
        return _hash(key, 8)
    if len(readable) > MAX_TERM_SLUG:  # an imported author of 325 characters
        return f"{_cut(readable, MAX_TERM_SLUG - HASH - 1)}-{_hash(key)}"
    return f"{readable}-{_hash(key)}" if is_reserved(readable) else readable


def term_slugs(names: Iterable[str]) -> dict[str, str]:
    """Each name -> the slug of its term; names of different terms never share one.

    Where different terms make one slug ("C." and "C"), the name spelled like the slug
    (hyphens read as spaces) keeps it, else the first by code point; the others add a
    hash of their own name. Who keeps it depends on those names only, never on file order."""
    own = {name: term_slug(name) for name in names}
    keys = {name: term_key(name) for name in own}
    claimants: dict[str, set[str]] = {}
    for name, slug in own.items():
        claimants.setdefault(slug, set()).add(keys[name])
    chosen: dict[str, str] = {}
    hashed: set[str] = set()
    for slug, group in claimants.items():
        ranked = sorted(group, key=lambda key: (key.replace(" ", "-") != slug, key))
        chosen[ranked[0]] = slug
        chosen.update({key: f"{slug}-{_hash(key)}" for key in ranked[1:]})
        hashed.update(ranked[1:])
    taken = Counter(chosen.values())  # a hashed slug that is another term's own: one in millions
    for key in sorted(hashed):
        if taken[chosen[key]] > 1:
            chosen[key] = f"{chosen[key][: -HASH - 1]}-{_hash(key, 16)}"
    return {name: chosen[keys[name]] for name in own}


def is_reserved(part: str) -> bool:
    """A name Windows keeps for a device, with or without an extension (`con`, `aux.html`)."""
    return part.split(".")[0].rstrip(" ").upper() in WINDOWS_DEVICES


def name_flaw(part: str) -> str | None:
    """Why one file or folder name cannot be written on every machine, or None."""
    size = len(part.encode("utf-8"))
    if part in ("", ".", ".."):
        return f"has a folder named {part!r}"
    if size > MAX_NAME_BYTES:
        return f"has a name of {size} bytes ({part[:40]}...), over the file system's limit of {MAX_NAME_BYTES}"
    if is_reserved(part):
        return f"has a name Windows keeps for a device ({part!r})"
    if part.endswith((".", " ")):
        return f"has a name ending in a dot or a space ({part!r}), which Windows drops"
    return None


def path_flaw(path: str, room: int) -> str | None:
    """Why a site-relative output path cannot be written on every machine, or None;
    `room` is the length in bytes of the output folder's own path, which comes first."""
    for part in path.split("/"):
        flaw = name_flaw(part)
        if flaw:
            return flaw
    size = room + 1 + len(path.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        return f"is {size} bytes long inside the output folder, over the file system's limit of {MAX_PATH_BYTES}"
    return None
