"""Where the search index's pieces lie in the file it made (`search/index.json`): what the
build cache keeps of the index between runs of the command line (incremental/cache.py),
so that a build can make the index over from the last one (outputs/search.py's
`SearchIndex.restored`) instead of from 10,000 documents. Plain data, importing nothing,
so that the cache's codec can name it without importing the search index's module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload


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


class JoinedTerms(Sequence[str]):
    """A search document's sorted terms as the build cache keeps them, one string of lines,
    split only when first read. After one edit the index is made over from the last one,
    which reads the terms of the changed documents alone; the rest are only handed on
    (splitting all 10,000 was 0.07 s of a body edit). Equal to a list of the same terms."""

    __slots__ = ("joined", "_split")

    def __init__(self, joined: str) -> None:
        self.joined = joined  # no term holds a line end (search.WORD)
        self._split: list[str] | None = None

    def _terms(self) -> list[str]:
        if self._split is None:
            self._split = self.joined.split("\n") if self.joined else []
        return self._split

    @overload
    def __getitem__(self, place: int) -> str: ...
    @overload
    def __getitem__(self, place: slice) -> list[str]: ...
    def __getitem__(self, place: int | slice) -> str | list[str]:
        return self._terms()[place]

    def __len__(self) -> int:
        return len(self._terms())

    def __iter__(self) -> Iterator[str]:
        return iter(self._terms())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JoinedTerms):
            return self.joined == other.joined
        if isinstance(other, (list, tuple)):
            return self._terms() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which have none

    def __repr__(self) -> str:
        return f"JoinedTerms({self._terms()!r})"
