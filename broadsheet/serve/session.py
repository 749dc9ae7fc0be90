"""A serve session: the build state kept between rebuilds, and what each rebuild tells
the browser (reload, swap the stylesheet, or show the error)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from broadsheet.build import output_folder, pipeline, write
from broadsheet.build.request import BuildReport, BuildRequest
from broadsheet.incremental import body_edits, cache, stored_cards
from broadsheet.incremental.state import BuildState
from broadsheet.problems import Problem, errors, print_problems

SEND_WAIT = 0.25  # seconds the work after a rebuild waits for its event to reach the browsers
# files a build wrote or removed from which the spare tree is levelled after it (_level_spare):
# fewer cost the next build's commit less than a millisecond each
LEVEL_SPARE_FROM = 200
POOL_CHUNK = 500  # pool files the warm-up makes at a time (`_ready_spare`): an edit waits for one chunk at most


class LiveSite:
    def __init__(
        self,
        request: BuildRequest,
        server,
        out: TextIO | None = None,
        build: Callable[..., BuildReport] = pipeline.build,
    ):
        self.request = request
        self.server = server  # a serve.DevServer, or anything with its notify methods
        self.build = build  # the recipe; tests hand in one that fails on demand, as a bug would
        self.out = out or sys.stderr
        # The build cache `broadsheet build` keeps: serve starts where the last build or
        # serve of this output left off, and a cache for anything else is not used. Its
        # head only, as `build` reads it: a start with nothing to do reads no more (0.4 s
        # of 0.9 at 10,000 articles), and the warm-up reads the rest (`_built`).
        self.state, note = cache.load(request.site_dir, request.output_dir, lazy=True)
        self.state.keep_last = True
        if note:
            print(f"note: {note}", file=self.out)
        self._learned = False  # a build since the last save left something the cache lacks
        self._whole = True  # False while a build runs: a build cut short (Ctrl-C) leaves a half-made state
        self.failing = False
        self._unbuilt: set[str] | None = (
            set()
        )  # changed files a failed build did not take in; None: all may have changed
        self._lock = threading.Lock()  # one rebuild at a time
        self._spare_due = False  # the start's build wrote many files: the warm-up levels the spare tree
        self._closed = False  # the session's last save is made: no warm-up after it
        # The warm-up has taken the cards the last session stored (_restore_cards): only then
        # are the session's cards all there are to store (its start's alone would replace them)
        self._cards_whole = False
        self._edited = threading.Event()  # a rebuild was asked for: the warm-up's spare work stops

    def rebuild(self, paths: set[str] | None = None) -> BuildReport:
        """Build, and tell the browser and the terminal how it went. Never raises: the
        watcher's thread runs it, and the next save must rebuild whatever became of this one."""
        if paths is not None:  # a save, not the start
            self._edited.set()
        with self._lock:
            why = _what(paths)
            # A failed build may not have read the files it was told of (another build held
            # the output), and a build trusts that list: the next one is told of them again.
            paths = None if paths is None or self._unbuilt is None else paths | self._unbuilt
            self._whole = False
            try:
                report = self._build(paths, why)
                if paths is not None and report.ok and self._output_touched():
                    report = self._build(None, "a hand edit in the output")
                if paths is None:  # the start: serving waits for this build alone, the warm-up levels
                    self._spare_due = _wrote_many(report)
                elif _wrote_many(report):
                    self._level_spare()
            except Exception as exc:  # a bug in a build: said as such, never a silent end of rebuilding
                return self._crashed(exc, why)
            self._unbuilt = set() if report.ok else paths
            self._whole = True
            return report

    def save_cache(self, last: bool = False) -> None:
        """Leave the build cache as a `build` would: what the builds since the last save
        learned, so the next `build` or `serve` of this output need not learn it again.
        Not during a build (the lock), nor of a build cut short; under the output's lock,
        so no `build` of it runs meanwhile (when one does, it saves its own); written
        atomically (cache.save). A cache not saved only costs the next run time. `last`:
        the session's end, after which a warm-up not yet begun does nothing (its levelling
        would give the output stamps no save records)."""
        with self._lock:
            self._closed |= last
            cards = self.state.memo.cards
            cards_due = cards.unsaved and self._cards_whole
            if not ((self._learned or cards_due) and self._whole):
                return
            request = self.request
            with output_folder.output_lock(request.output_dir, wait=0) as busy:
                if busy is not None:
                    return
                unsaved = cache.save(request.site_dir, request.output_dir, self.state) if self._learned else None
                unstored = None
                if cards_due and not unsaved:
                    unstored = stored_cards.save(
                        request.site_dir, request.output_dir, cards, self.state.memo.hasher.record_digest
                    )
            if unsaved:
                print(f"warning: the build cache was not saved: {unsaved}", file=self.out)
            if unstored:
                print(f"warning: the story cards were not stored: {unstored}", file=self.out)
            self._learned = False

    def _crashed(self, exc: Exception, why: str) -> BuildReport:
        # What the build left in its state may be half-done: the next build starts afresh.
        self.state = BuildState(keep_last=True)
        self._learned, self._whole = False, True  # nothing to save until a build has passed
        self._unbuilt = None
        self.failing = True
        text = " ".join(str(exc).split())[:300]
        message = f"an unexpected error, a bug in Broadsheet (please report it): {type(exc).__name__}{': ' * bool(text)}{text}"
        self.server.notify_error([message])
        print(f"Rebuild failed ({why}): {message}; the next save rebuilds the whole site.", file=self.out)
        return BuildReport([Problem("", 0, "", message)])

    def _build(self, paths: set[str] | None, why: str) -> BuildReport:
        started = time.perf_counter()
        before = self.state.before_build()
        with self.server.rebuilding():
            report = self._built(changed=paths)
        self._tell(report, time.perf_counter() - started, why)
        # What follows (the next edit's maps, the walk of the output) is work for later:
        # the reload event goes out first, as its thread needs this process's interpreter too.
        self.server.wait_sent(SEND_WAIT)
        if self.state.last is not None:
            body_edits.ready(self.state.last[1])
        self._learned |= report.ok and self.state.learned(before, report)  # as `build` saves
        return report

    def _built(self, **options) -> BuildReport:
        """One build of the session's state; run again from nothing when it stopped on an
        article's texts that the build cache, left unread till then, no longer has (it
        wrote nothing: cache.TextsLost, as `build` does). What the cache's rest could not
        give is said, as `build` says it."""
        try:
            report = self.build(self.request, self.state, **options)
        except cache.TextsLost as lost:
            self.state, note = cache.afresh(self.request.site_dir, self.request.output_dir, lost)
            self.state.keep_last = True
            print(f"note: {note}", file=self.out)
            report = self.build(self.request, self.state, **{**options, "changed": None})
        for later in self.state.notes:
            print(f"note: {later}", file=self.out)
        self.state.notes.clear()
        return report

    def warm(self, changed_since_watch: Callable[[set[str]], bool] | None = None) -> None:
        """Once the watcher watches: build what was saved while the start built (see below),
        and after a start answered from the build cache (nothing had changed, so no model was
        made), make the model and page snapshot that serve's short cuts start from, and what
        the first edit would make from nothing (the search index, when a build took its file
        from disk), quietly: the first edit then costs an edit (a body edit at 10,000
        articles: 2-4.5 s before, 0.2 s after). Run on its own thread once serving; a save
        meanwhile waits its turn, as rebuilds wait for each other. Requests are not held
        meanwhile: the output it leaves is the one being served (or, put right where a
        hand changed it, switched to at once, as every build's is). `changed_since_watch`
        (the watcher's `changed`): whether files changed since the watch began, for the
        failures of which the watcher's rebuild speaks (below)."""
        with self._lock:
            if self.failing or not self._whole or self._closed:
                return
            self._whole = False
            started = time.perf_counter()
            before = self.state.before_build()
            one_tree = write.spare_missing(self.request.output_dir)  # as the start's build left it
            try:
                # A build told of no change looks at every input: a file saved while the start
                # built was seen by no watcher (it starts once that build is served, so that
                # build may fork its workers), and is built now; none saved: nothing to do.
                report = self._built(model_wanted=True)
                if self.state.last is not None:
                    body_edits.prepare(self.state.last[1])
                    body_edits.ready(self.state.last[1])
            except Exception as exc:  # a bug: said as any rebuild's would be
                self._crashed(exc, "warm-up")
                return
            if not report.ok:
                self._failed_warming(report, changed_since_watch)
            elif report.parsed or report.changed or report.removed:  # an input saved during the start
                self._tell(report, time.perf_counter() - started, "a change saved during the start")
            self._learned |= report.ok and self.state.learned(before, report)
            if report.ok and (self._spare_due or _wrote_many(report)):
                self._level_spare()
            if report.ok:
                self._restore_cards()
            self._whole = True
        if report.ok and one_tree:
            self._ready_spare()

    def _ready_spare(self) -> None:
        """Where the output had no second tree after the start (a `build`, or the start,
        made it from nothing), that tree made now, in the background, rather than by the
        first edit: linked level with the live one (`_level_spare`, unless the warm-up just
        did), and an empty file put in the output's pool for each page (`write.fill_pool`),
        which the first template edit takes and rewrites rather than make 14,724 files. A
        chunk at a time, each under the session's lock and the output's (a `build` of the
        output running: left to the edit); a rebuild asked for stops it, and the edit makes
        the files still missing, as it did before."""
        output = self.request.output_dir
        with self._lock:
            if self._edited.is_set() or self._closed or self.failing:
                return
            if write.spare_missing(output):
                self._level_spare()
            pages = sorted(rel for rel in self.state.stamps if rel.endswith(".html"))
        for start in range(0, len(pages), POOL_CHUNK):
            with self._lock:
                if self._edited.is_set() or self._closed:
                    return
                with output_folder.output_lock(output, wait=0) as busy:
                    if busy is not None:
                        return
                    made = write.fill_pool(output, pages[start : start + POOL_CHUNK])
                if made == 0:  # a full disk, or a pool already filled
                    return

    def _failed_warming(self, report: BuildReport, changed_since_watch: Callable[[set[str]], bool] | None) -> None:
        """A file saved while the start built is wrong: said, as a rebuild's failure is. But
        a file the warm-up may have read halfway through its save (truncated, not yet
        written), one the watcher saw change, is left to the watcher's rebuild, which waits
        for the save to end, and looks at every input: the browser is not shown an error
        that was never in the file."""
        files = {problem.path for problem in errors(report.problems) if problem.path}
        if changed_since_watch is not None and files and changed_since_watch(files):
            self._unbuilt = None
            return
        self._tell(report, 0.0, "start")

    def _restore_cards(self) -> None:
        """The story cards the last session of this output stored, for the first template
        edit to give rather than make (stored_cards.py), once the model is made: each to
        the record of this model with the digest it was stored under (beside those the
        start made, if it rendered pages)."""
        kept = self.state.plan
        if kept is None:
            return
        stored, note = stored_cards.load(self.request.site_dir, self.request.output_dir)
        if note:
            print(f"note: {note}", file=self.out)
        if stored is not None:
            anchors = pipeline.card_anchors(kept.plan.model)
            try:
                self.state.memo.cards.restore(
                    stored.site, stored.templates, stored.cards, anchors, self.state.memo.hasher.record_digest
                )
            except cache.TextsLost:  # an entry's texts unreadable now (a build replaced the cache): made anew
                self.state.memo.cards.forget()
        self._cards_whole = True

    def _output_touched(self) -> bool:
        """Whether anyone but us changed the output. A build told what changed trusts its
        own record of the output (walking it costs 0.3 s at 10,000 articles), so the walk
        comes here, after the browser was told to reload; a difference gets a full build,
        which puts the output right, as every build does."""
        return write.live_stamps(self.request.output_dir) != self.state.stamps

    def _level_spare(self) -> None:
        """After a build that wrote many files, the spare tree made level now, after the
        reload was sent (write.OutputWriter.level_spare): the next edit, a title's say, would
        otherwise link back every page a template edit wrote (2 s of its 3 at 10,000
        articles), and a build that saves meanwhile waits its turn, as rebuilds wait for each
        other. The live tree's files get new stamps (a link moves a file's ctime): the state
        takes them, so no build takes them for a hand edit. Not while a `build` of the same
        output runs (it levels its own), and an error (a full disk) leaves it to the next build."""
        self._spare_due = False
        names = self.state.known_names()
        with output_folder.output_lock(self.request.output_dir, wait=0) as busy:
            if busy is not None:
                return
            try:
                stamps = write.level_spare(self.request.output_dir, self.state.stamps, names)
            except OSError:
                return
        if stamps is not None:
            # for the next save to record: the start's build may have been saved already
            self.state.stamps, self.state.stamps_names = stamps, (stamps, names)
            self._learned = True

    def _tell(self, report: BuildReport, seconds: float, what: str) -> None:
        print_problems(report.problems, self.request.site_dir, self.out)
        if not report.ok:
            self.failing = True
            messages = [p.format(self.request.site_dir) for p in errors(report.problems)]
            self.server.notify_error(messages)
            print(
                f"Rebuild failed ({what}): {len(messages)} error(s); still serving the last good site.", file=self.out
            )
            return
        changed = list(report.changed + report.removed)
        if changed or self.failing:
            self.server.notify_reload(changed)
        self.failing = False
        print(
            f"Rebuilt ({what}): {report.rendered} of {report.pages} pages rendered, "
            f"{len(report.changed)} file{'s' * (len(report.changed) != 1)} written, {len(report.removed)} removed, "
            f"in {seconds * 1000:.0f} ms "
            f"({', '.join(f'{stage} {t * 1000:.0f}' for stage, t in report.stages.items())})",
            file=self.out,
        )


def _wrote_many(report: BuildReport) -> bool:
    return report.ok and len(report.changed) + len(report.removed) >= LEVEL_SPARE_FROM


def _what(paths: set[str] | None) -> str:
    return f"{len(paths)} changed file{'s' * (len(paths) != 1)}" if paths else "start"
