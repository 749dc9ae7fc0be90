"""The one door between the build's recipe (build/pipeline.py) and what the last build
left: the recipe asks this object what it may skip, and tells it what the build made;
it never looks inside the build state itself.

Four things make a rebuild cheap, each behind one method:

- `body_edits`: after a save in `serve` that changed only articles' bodies, the last
  build's model is patched in place (body_edits.py) and the rest of the build skipped;
- `scan` and `parse`: files the watcher did not report are not walked, files whose stat
  is as the last build saw it are not read, bytes already parsed are not parsed again;
- `nothing_to_do`: a digest of every input equal to the last successful build's, and
  the output as that build left it, means the build has nothing to do;
- `page_skipper` and `remember`: a page, feed, sitemap or index whose fingerprint (what
  it is made of) is that of the file on disk, which nobody touched, is not made again.

`finish` records what reached the disk, for the next build to trust.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import jinja2

from broadsheet.build import write
from broadsheet.build.config import Settings
from broadsheet.build.content import Article
from broadsheet.build.progress import Clock, Progress
from broadsheet.build.request import BuildReport, BuildRequest
from broadsheet.build.routes import Page
from broadsheet.build.scan import SourceFile
from broadsheet.incremental import articles as article_files, body_edits, inputs
from broadsheet.incremental.body_edits import Made
from broadsheet.incremental.fingerprint import ContextHasher, template_digests
from broadsheet.incremental.state import BuildState
from broadsheet.outputs.images import CopyCache
from broadsheet.outputs.search import SearchIndex
from broadsheet.problems import Problem

# remember() results that are {path: bytes} of whole files, each kept on disk as it is
WHOLE_FILES = ("feed", "search index", "sitemap", "news sitemap")


class Rebuild:
    """One build's dealings with the last build's state: made by the recipe at its start,
    asked along the way, told at the end (see above)."""

    def __init__(self, request: BuildRequest, state: BuildState | None, changed: set[str] | None) -> None:
        self.request = request
        self.state = state if state is not None else BuildState()
        # Input files the watcher saw change; None: unknown, look at everything. A build that
        # stopped before its scan (bad settings) took in nothing: whatever the watcher named
        # then is unknown to the state, so this build looks at everything.
        self.changed = None if self.state.unscanned else changed
        self.state.unscanned = True  # until scan() has run
        self.settled_before = self.state.settled_before  # the last build's: parse() sets this build's
        self.previous: tuple[BuildRequest, body_edits.Snapshot] | None = None
        self._keyed: article_files.Keyed | None = None  # every article file's cache key, once looked at
        self.parsed = 0  # article files parsed by this build
        self.on_disk: dict[str, write.Stamp] = {}  # the output as it is now
        self.fingerprints: dict[str, bytes] = {}  # output file -> what this build made it from
        self.search_index: list[SearchIndex] = []  # the index, when this build made it
        self._inputs = b""
        self._hasher = ContextHasher()  # shared, so each entry is digested once per build
        self._site_digest = b""
        self._intact: set[str] = set()
        self._reused: set[str] = set()  # kinds of whole files taken as they are on disk

    @property
    def image_copies(self) -> CopyCache:
        return self.state.image_copies

    # --- before the model ----------------------------------------------------------------

    def body_edits(self, clock: Clock) -> BuildReport | None:
        """The whole build when the watcher's changes are edits of bodies alone; None
        when the full build must run (which then lets the last model go)."""
        state, report = self.state, None
        if self.changed is not None and state.last is not None and state.last[0] == self.request:
            report = _apply_body_edits(self.request, state, state.last[1], self.changed, clock)
        if report is None:
            self.previous, state.last = state.last, None  # let the old model go before a new one is made
        return report

    def scan(self) -> tuple[list[SourceFile], list[Problem]]:
        found = article_files.scan_content(self.request.site_dir, self.state, self.changed)
        self.state.unscanned = False
        return found

    def parse(
        self, sources: list[SourceFile], settings: Settings, progress: Progress
    ) -> tuple[list[Article], list[Problem]]:
        """The articles, once nothing_to_do has said there is work (the cache's part that
        holds them is read only then)."""
        self.state.read_rest()
        keyed = self._keyed or article_files.key_all(sources, settings, self.state, self.changed)
        articles, problems, self.parsed = article_files.parse_all(keyed, self.state, progress)
        return articles, problems

    def nothing_to_do(self, settings: Settings, sources: list[SourceFile], now: datetime) -> BuildReport | None:
        """The last build's report when nothing it read has changed and its output is as it
        left it; else None. Either way every article file is stat-ed (its cache key found)
        and the live output is looked at (its files' stamps)."""
        request, state = self.request, self.state
        output = request.output_dir
        self._keyed = article_files.key_all(sources, settings, state, self.changed)
        parse_keys = [key for _, key in self._keyed.keys]
        bundle_files = [s.path.parent / asset for s in sources for asset in s.bundle_assets]
        request_key = (request.drafts, request.future, request.base_url, str(output))
        self._inputs, newest = inputs.digest(request.site_dir, request_key, settings, parse_keys, bundle_files)
        self.on_disk = state.stamps if self.changed is not None and state.stamps else write.live_stamps(output)
        outcome = state.outcome
        if (
            request.explain
            or not outcome
            or newest >= self.settled_before
            or not outcome.holds(self._inputs, now)
            or self.on_disk != state.stamps
        ):
            return None
        state.last = self.previous  # made from these same inputs, so still good for the serve short cut
        report = BuildReport(
            list(outcome.problems), outcome.articles, outcome.pages, output=output, base_url=settings.base_url
        )
        report.urls, report.next_due = dict(outcome.urls), outcome.next_due
        report.opens_from_disk = settings.relative_urls
        return report

    # --- pages and generated files -----------------------------------------------------

    def start_pages(self, site_wide: Any) -> None:
        """`site_wide`: everything every page may show (settings, asset names, image sizes,
        ...): a change there makes every page again (rare, and safe)."""
        self._site_digest = self._hasher.digest(site_wide)
        self._intact = write.intact(self.on_disk, self.state.stamps)
        self.state.memo.start()

    def page_skipper(self, env: jinja2.Environment, pages: list[Page]) -> Callable[[Page], bool] | None:
        """A test of whether a page is on disk as it would come out; None when a template
        cannot even be read or parsed: then every page is rendered, to report it."""
        try:
            digests = template_digests(env, {p.template for p in pages})
        except (jinja2.TemplateError, OSError):
            return None

        def unchanged(page: Page) -> bool:
            return self._unchanged(
                page.path, self._site_digest + digests[page.template] + self._hasher.digest(page.context)
            )

        return unchanged

    def remember(self, kind: str, records: Any, compute: Callable[[], Any]) -> Any:
        """A generated file (a feed, the index) or a part of one, made at most once for the
        same records: unchanged on disk, or kept in memory from the last build."""
        fingerprint = self._site_digest + self._hasher.digest(records) + kind.encode()
        if kind in WHOLE_FILES:
            return self._whole_files(kind, fingerprint, compute)
        return self.state.memo.get((kind, fingerprint), compute)

    def remember_each(self, kind: str, records: list, compute_each: Callable[[list], list]) -> list:
        """remember() for many records of one kind: those not remembered are made by one
        call, given the list of them (the search index spreads them over the cores)."""
        digest, site, suffix = self._hasher.digest, self._site_digest, kind.encode()
        keys = [(kind, site + digest(record) + suffix) for record in records]
        return self.state.memo.get_each(keys, lambda positions: compute_each([records[n] for n in positions]))

    def page_fingerprints(self) -> tuple:
        """What the pages are made from: all a sitemap of them needs to know."""
        return tuple(sorted(self.fingerprints.items()))

    def _unchanged(self, path: str, fingerprint: bytes) -> bool:
        """Made from the same inputs as the file on disk, which nobody touched since."""
        self.fingerprints[path] = fingerprint
        return self.state.fingerprints.get(path) == fingerprint and path in self._intact

    def _whole_files(
        self, kind: str, fingerprint: bytes, compute: Callable[[], dict[str, bytes]]
    ) -> Mapping[str, bytes | None]:
        """Files made from one set of records: None for each when all of them are on disk as
        they would come out, else made afresh."""
        state = self.state
        paths = state.produced.get(fingerprint)
        if paths and all([self._unchanged(path, fingerprint) for path in paths]):
            self._reused.add(kind)
            return dict.fromkeys(paths)
        files = compute()
        for path in files:
            self.fingerprints[path] = fingerprint
        state.produced[fingerprint] = tuple(files)
        return files

    # --- after the commit ----------------------------------------------------------------

    def finish(self, written: write.WriteResult, report: BuildReport, made: Made) -> None:
        """What a successful build leaves for the next: only what reached the disk may stand in for it."""
        state = self.state
        state.stamps = written.stamps
        state.fingerprints = self.fingerprints
        state.produced = {f: paths for f, paths in state.produced.items() if all(p in self.fingerprints for p in paths)}
        valid_until = body_edits.valid_until(made.articles, made.now)
        state.outcome = inputs.Outcome(
            self._inputs,
            made.now,
            valid_until,
            tuple(report.problems),
            report.articles,
            report.pages,
            report.urls,
            report.next_due,
        )
        if state.keep_last:
            snapshot = body_edits.take(self.request.site_dir, made, self._search_index())
            state.last = (self.request, snapshot) if snapshot else None

    def _search_index(self) -> SearchIndex | None:
        """The index as this build left it: made now, or the last snapshot's when its file was reused."""
        if self.search_index:
            return self.search_index[0]
        return self.previous[1].search if self.previous and "search index" in self._reused else None


def _apply_body_edits(
    request: BuildRequest, state: BuildState, snapshot: body_edits.Snapshot, changed: set[str], clock: Clock
) -> BuildReport | None:
    """The short cut for edits of bodies alone (see body_edits.py); None when it does not apply."""
    edits = body_edits.apply(snapshot, changed, request.now or datetime.now(snapshot.settings.tz))
    if edits is None:
        return None
    clock.lap("bodies")
    writer = write.OutputWriter(request.output_dir, state.stamps)
    writer.keep(state.stamps)  # the rest of the output, as the last build left it
    for path, data in edits.outputs.items():
        writer.put(path, data)
    written = writer.commit()
    state.stamps = written.stamps
    state.outcome = None  # the output is no longer what the last full build's inputs make
    for rel, (key, parsed) in edits.parsed.items():
        state.parsed[key] = parsed
        state.files.pop(rel, None)  # read again by the next full build
    for path in edits.outputs:  # made outside the fingerprints: the next full build makes them again
        state.fingerprints.pop(path, None)
    clock.lap("write")
    site = snapshot.model
    return BuildReport(
        list(snapshot.problems), len(site.entries), snapshot.page_count, len(edits.parsed), edits.rendered,
        written.changed, written.removed, clock.stages, clock.seconds(), request.output_dir,
    )  # fmt: skip
