"""Bytes of a pasted-text file or a saved page -> text, when no server named the charset.

Our own few lines rather than trafilatura's helper: that helper is not part of trafilatura's
public API, and its signature changed between releases (a TypeError on trafilatura < 2.3).
The order is the browsers': a byte-order mark, valid UTF-8, the page's own <meta> charset,
then charset-normalizer's guess; cp1252 (what browsers assume for "latin-1") at the last.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
SNIFF_BYTES = 4096  # where a page's <meta charset> must stand (HTML says the first 1024; pages stretch it)
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode(data: bytes) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared(data[:SNIFF_BYTES])
    if declared:
        return data.decode(declared, errors="replace")
    guess = charset_normalizer.from_bytes(data).best()
    return str(guess) if guess is not None else data.decode("cp1252", errors="replace")


def _declared(head: bytes) -> str | None:
    """The page's <meta charset>, when Python knows it; a page that claims UTF-8 was not (tried first)."""
    found = META_CHARSET.search(head)
    if not found:
        return None
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None
    return None if name.startswith("utf-") else name
