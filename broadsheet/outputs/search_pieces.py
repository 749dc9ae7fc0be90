"""Where the search index's pieces lie in the file it made (`search/index.json`): what the
build cache keeps of the index between runs of the command line (incremental/cache.py),
so that a build can make the index over from the last one (outputs/search.py's
`SearchIndex.restored`) instead of from 10,000 documents. Plain data, importing nothing,
so that the cache's codec can name it without importing the search index's module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredIndex:
    """A SearchIndex as the build cache keeps it: not its pieces, which the file it made
    holds, but where they lie in that file (each document's length, each term with the
    length of its postings), the file's digest, and each document's story ((title, URL),
    or () for none). Restored (SearchIndex.restored) only against that very file."""

    language: str
    digest: bytes
    stories: tuple[tuple[str, ...], ...]
    doc_lengths: tuple[int, ...]
    terms: tuple[str, ...]
    term_lengths: tuple[int, ...]
