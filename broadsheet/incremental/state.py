"""What one build leaves for the next: owned by whoever runs builds (the command line,
which keeps it in the build cache, or the dev server, which keeps it in memory).

Nothing here decides what the output is: parsed articles are keyed by their bytes,
rendered pages by the fingerprint of everything they were made from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from broadsheet.incremental.fingerprint import Memo
from broadsheet.outputs.images import CopyCache

if TYPE_CHECKING:  # named in annotations only: a build with nothing to do imports none of them
    from broadsheet.build.content import Article
    from broadsheet.build.coverage import Grouping
    from broadsheet.build.request import BuildReport, BuildRequest
    from broadsheet.build.scan import SourceFile
    from broadsheet.build.write import Stamp
    from broadsheet.incremental.body_edits import Snapshot
    from broadsheet.incremental.groupings import StoredGrouping
    from broadsheet.incremental.inputs import Outcome
    from broadsheet.incremental.plans import KeptPlan
    from broadsheet.outputs.search import SearchIndex
    from broadsheet.outputs.search_pieces import StoredIndex
    from broadsheet.problems import Problem


@dataclass(frozen=True)
class Before:
    """The inputs digest and output stamps a build started from (BuildState.before_build)."""

    inputs: bytes | None
    stamps: dict[str, Stamp]


@dataclass
class BuildState:
    parsed: dict[str, tuple[Article | None, list[Problem]]] = field(default_factory=dict)
    fingerprints: dict[str, bytes] = field(default_factory=dict)  # output file -> what it was made from
    stamps: dict[str, Stamp] = field(default_factory=dict)  # the output as the last build left it
    # The digest of those stamps' names the write that left them gave (write.WriteResult.names),
    # held with the very dict it describes (`known_names`): a body edit's writer takes it
    stamps_names: tuple[dict[str, Stamp], str | None] | None = None
    files: dict[str, tuple] = field(default_factory=dict)  # content file -> (stat, digest) when last read
    settled_before: int = 0  # ns: files last changed before this were read after their change
    # This build read files again (touched, or changed just before the last build began),
    # found the same bytes, and they are settled now: worth saving, or every later build
    # reads them again (not saved).
    settled_again: bool = False
    # Inputs other than articles changed too recently for their stamps to prove anything to
    # the next build, read by this one before it used them (inputs.read): the next build
    # takes those still with the same stamp and bytes as settled (rebuild.nothing_to_do)
    racy_reads: dict[bytes, tuple[bytes, bytes]] = field(default_factory=dict)
    memo: Memo = field(default_factory=Memo)  # feed items and search documents, by fingerprint
    produced: dict[bytes, tuple[str, ...]] = field(default_factory=dict)  # fingerprint -> generated files
    # The search documents' fingerprints in the index's order, with each one's article
    # file: a build of bodies alone takes the others' documents by place, unhashed.
    search_keys: tuple[tuple[str, bytes], ...] = ()
    scanned: tuple[list[SourceFile], list[Problem]] | None = None  # the last scan of content/
    unscanned: bool = False  # a build stopped before its scan: what changed meanwhile is not known
    outcome: Outcome | None = None  # what the last successful build was made from
    keep_last: bool = False  # keep a snapshot of each build for edits of bodies alone (serve does)
    # the state of a build cache (cache.load): a command line's build that renders every page
    # stores the story cards its workers make there, for serve's next session (stored_cards.py)
    store_cards: bool = False
    last: tuple[BuildRequest, Snapshot] | None = None
    plan: KeptPlan | None = None  # serve's last build's plan, for a build in which only templates changed
    image_copies: CopyCache = field(default_factory=CopyCache)  # resized bundle images
    # Story grouping between builds: the last model's (kept up to date in place by serve's
    # short cut), and the build cache's, as read, until a build with work restores it.
    grouping: Grouping | None = None
    stored_grouping: StoredGrouping | None = None
    # The command line's search index between runs: where its pieces lie in the file it
    # made (saved in the build cache), and, once the cache is read, the last index made
    # from that file and the documents, or None when the file is not that one.
    stored_search: StoredIndex | None = None
    search_previous: Callable[[], SearchIndex | None] | None = None
    # The last model's related lists by place, with the key of the tags they were chosen
    # from (model.RelatedPlaces): the command line's next model takes them while it is its key.
    stored_related: tuple[bytes, tuple[tuple[int, ...], ...]] | None = None
    # The build cache's larger part (parsed articles, page fingerprints, search documents, grouping),
    # left unread by cache.load(lazy=True) until a build has work to do; it fills those
    # fields, or leaves them empty and says why in a note.
    unread: Callable[[BuildState], str | None] | None = None
    notes: list[str] = field(default_factory=list)  # why the cache's unread part was not used
    # Where in the build cache file each parsed article was read from (cache.Spans): the
    # next save copies the bytes of those still the same objects instead of encoding them.
    spans: Any = None

    def known_names(self) -> str | None:
        """The names digest of `stamps`, when the write that left these very stamps gave it."""
        known = self.stamps_names
        return known[1] if known is not None and known[0] is self.stamps else None

    def before_build(self) -> Before:
        """What a save would record of the inputs and the output now: `learned` compares with it."""
        return Before(self.outcome.inputs if self.outcome else None, self.stamps)

    def learned(self, before: Before, report: BuildReport, settled: bool = True) -> bool:
        """Whether a build since `before` (that passed) left something the build cache lacks:
        articles parsed, files written or removed, other inputs, files found settled again
        (`settled`: unless the caller leaves those unsaved), or the output's files with
        other stamps. A build that wrote nothing may still leave other stamps: linking a file
        into the tree a build writes moves its ctime, and so does anyone's hard link (serve
        levelling its spare tree, `cp -al`), and a build that found the output not as it left
        it looks at every page. Not saved, every later build found them so again and rendered
        the whole site for nothing (5 s at 10,000 articles instead of 0.4 s)."""
        return bool(
            report.parsed
            or report.changed
            or report.removed
            or (settled and self.settled_again)
            or (self.outcome and self.outcome.inputs != before.inputs)
            or (self.stamps is not before.stamps and self.stamps != before.stamps)
        )

    def read_rest(self) -> None:
        """Read what the build cache left unread (nothing when all of it was read)."""
        unread, self.unread = self.unread, None
        note = unread(self) if unread is not None else None
        if note:
            self.notes.append(note)
