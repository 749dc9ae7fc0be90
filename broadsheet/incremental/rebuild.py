"""The one door between the build's recipe (build/pipeline.py) and what the last build
left: the recipe asks this object what it may skip, and tells it what the build made;
it never looks inside the build state itself.

Five things make a rebuild cheap, each behind one method:

- `body_edits`: after a save in `serve` that changed only articles' bodies, the last
  build's model is patched in place (body_edits.py) and the rest of the build skipped;
- `scan` and `parse`: files the watcher did not report are not walked, files whose stat
  is as the last build saw it are not read, bytes already parsed are not parsed again;
- `nothing_to_do`: a digest of every input equal to the last successful build's, and
  the output as that build left it, means the build has nothing to do;
- `bodies_only`: when only articles' bodies changed since the last build (the command
  line's counterpart of `body_edits`, which it cannot use: a new process has no model),
  the model is made but only the edited articles' pages are rendered, and the sitemaps
  and the feeds that carry no edited article kept as they are; `paths_as_last` leaves out
  the whole-site path checks when, besides, the last build reported nothing;
- `page_skipper` and `remember`: a page, feed, sitemap or index whose fingerprint (what
  it is made of) is that of the file on disk, which nobody touched, is not made again.

`finish` records what reached the disk, for the next build to trust.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from broadsheet.build import write
from broadsheet.build.request import BuildReport
from broadsheet.incremental import articles as article_files, inputs
from broadsheet.incremental.fingerprint import LONG, ContextHasher, digest_of, template_digests
from broadsheet.incremental.state import BuildState

if TYPE_CHECKING:  # named in annotations only: a build with nothing to do imports none of them
    import jinja2

    from broadsheet.build.config import Settings
    from broadsheet.build.content import Article
    from broadsheet.build.coverage import Grouping, SiteStory
    from broadsheet.build.model import Previous, RelatedPlaces
    from broadsheet.build.progress import Clock, Progress
    from broadsheet.build.render import CarriedCards
    from broadsheet.build.request import BuildRequest
    from broadsheet.build.routes import Page
    from broadsheet.build.scan import SourceFile
    from broadsheet.incremental import body_edits
    from broadsheet.incremental.body_edits import Made
    from broadsheet.incremental.plans import KeptPlan, Plan
    from broadsheet.incremental.stored_cards import Streamed
    from broadsheet.outputs.images import CopyCache
    from broadsheet.outputs.search import SearchIndex
    from broadsheet.problems import Problem

SEARCH_DOCUMENT = "search document"
# remember() results that are {path: bytes} of whole files, each kept on disk as it is
WHOLE_FILES = ("feed", "search index", "sitemap", "news sitemap")


class Rebuild:
    """One build's dealings with the last build's state: made by the recipe at its start,
    asked along the way, told at the end (see above)."""

    def __init__(
        self, request: BuildRequest, state: BuildState | None, changed: set[str] | None, model_wanted: bool = False
    ) -> None:
        self.request = request
        self.model_wanted = model_wanted  # no "nothing to do" for a state that keeps no model yet
        self.state = state if state is not None else BuildState()
        # Input files the watcher saw change; None: unknown, look at everything. A build that
        # stopped before its scan (bad settings) took in nothing: whatever the watcher named
        # then is unknown to the state, so this build looks at everything.
        self.changed = None if self.state.unscanned else changed
        self.state.unscanned = True  # until scan() has run
        self.settled_before = self.state.settled_before  # the last build's: parse() sets this build's
        self.previous: tuple[BuildRequest, body_edits.Snapshot] | None = None
        self._kept_plan: KeptPlan | None = None  # the last build's plan, taken from the state as `previous`
        self.plan_kept = False  # set by kept_plan(): this build took the last build's plan over whole
        self._keyed: article_files.Keyed | None = None  # every article file's cache key, once looked at
        self.parsed = 0  # article files parsed by this build
        self._on_disk: dict[str, write.Stamp] = {}  # the output as it is now (on_disk)
        self._looking: write.LiveLook | None = None  # the look at it, while its answer is not yet taken
        self.fingerprints: dict[str, bytes] = {}  # output file -> what this build made it from
        self.search_index: list[SearchIndex] = []  # the index, when this build made it
        self._inputs = b""
        self._untemplated = b""  # the inputs' digest but for the templates (_inputs_digest)
        self._racy_untemplated = True
        self._site_digest = b""
        self._intact: set[str] = set()
        self._reused: set[str] = set()  # kinds of whole files taken as they are on disk
        self._racy = True  # an input other than the articles changed in the last build's clock tick
        self._streamed: Streamed | None = None  # a command line's cards as they are stored
        self._cards_steady = False  # the templates were the same after the render as before
        self._before: dict[str, tuple] | None = None  # the last build's article files, when looked at
        self._edited: dict[str, Article] = {}  # article file changed since the last build -> its last article
        self.only_bodies = False  # set by bodies_only(): this build makes only what a body shows in
        self._edited_since_output = b""  # digest of the keys _edited is against
        self._search_keys: tuple[tuple[str, bytes], ...] | None = None  # for state.search_keys, once committed
        self._template_digests: dict[str, bytes] | None = None  # page_skipper's, by template
        self._card_templates: dict[str, bytes] = {}  # every template's digest before the render (carried_cards)

    @property
    def on_disk(self) -> dict[str, write.Stamp]:
        """The live output's files' stamps, looked at from nothing_to_do on: the look's
        answer is taken when first asked for, so a forked child's check of it (write.LiveLook)
        runs beside the work done before (a body edit: the cache's rest, the model)."""
        if self._looking is not None:
            self._on_disk, self._looking = self._looking.stamps(), None
        return self._on_disk

    def _look_at_output(self, later: bool) -> None:
        """The look at the live output (on_disk). `later`: the build has work to do, and
        needs the answer only after the model: its check of the last build's stamps is then
        asked of a forked child (write.LiveLook) that answers meanwhile. A build that may
        have nothing to do needs the answer at once, and looks here as it always did: a
        child it would wait for at once saves nothing, and on a busy machine its scheduling
        made such a build slower."""
        state = self.state
        self._on_disk = state.stamps  # what the watcher did not name is as the last build left it
        if self.changed is not None and state.stamps:
            return
        if later:
            self._looking = write.LiveLook(self.request.output_dir, state.stamps)
        else:
            self._on_disk = write.live_stamps(self.request.output_dir, state.stamps)

    def close(self) -> None:
        """The end of the build (pipeline.build, before the output lock is let go): a look
        at the output whose answer was never asked for is ended, its child not left behind;
        cards a render cut short was storing are not (no half-written file left behind)."""
        looking, self._looking = self._looking, None
        if looking is not None:
            looking.close()
        streamed, self._streamed = self._streamed, None
        if streamed is not None:
            streamed.finish(False)

    @property
    def _hasher(self) -> ContextHasher:
        """Shared, so each record is digested once per build; kept in the state (the cache
        may replace the memo as it reads), so a serve session's next build need not digest
        again the records its model kept."""
        return self.state.memo.hasher

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
            self._kept_plan, state.plan = state.plan, None
        else:  # it took in every file it was told of, each a known one: the last scan stands
            state.unscanned = False
        return report

    def last_model(self) -> Previous | None:
        """The last build's model, for the new one to take over what did not change (serve
        keeps it; the command line does not), when it was built for the same request."""
        if self.previous is None or self.previous[0] != self.request:
            return None
        snapshot = self.previous[1]
        from broadsheet.build.model import Previous  # here: a build with nothing to do makes no model

        return Previous(snapshot.settings, snapshot.model, frozenset(p.path for p in snapshot.problems))

    def last_pages(self) -> dict[str, Page] | None:
        """The last build's pages by path, for routes.plan to take again where a page comes
        out the same (serve keeps them): with the last model only, as only its entries
        can be the same objects."""
        if self.last_model() is None:
            self.state.memo.pages = {}  # no use, and they would keep an old model alive
            return None
        return self.state.memo.pages

    def kept_plan(self, now: datetime) -> Plan | None:
        """The last build's plan, taken over whole (plans.py), when nothing but templates
        changed since (every other input's digest as it was, none of those files changed
        within the last build's clock tick) and the output is as it left it; else None,
        and the build plans afresh."""
        from broadsheet.incremental import plans

        plan = None
        # the plan first: the command line keeps none, and need not wait here for the look at its output
        if self._kept_plan is not None and not self._racy_untemplated and self.on_disk == self.state.stamps:
            plan = plans.usable(self._kept_plan, self.request, self.state.outcome, self._untemplated, now)
        self.plan_kept = plan is not None
        if plan is None:
            self._kept_plan = None  # let it go before a new one is made
        else:  # back in the state at once: a build that fails (a template saved broken) leaves
            # the output, the outcome and the plan as they were, for the fix to take it again
            self.state.plan = self._kept_plan
        return plan

    @property
    def compiled_templates(self) -> dict[str, bytes]:
        """Templates' compiled code, by template, kept between builds (render.CompiledTemplates)."""
        return self.state.memo.compiled

    def carried_cards(self, env: jinja2.Environment, site_wide: Any, anchors: list[object]) -> CarriedCards | None:
        """The cards of a serve session's earlier builds that this one's render workers may
        give again (kept_cards.py), `site_wide` being what the template environment is
        made from and `anchors` the objects cards are kept for; for a command line's build
        that renders every page (no fingerprint of a last build) and keeps a build cache,
        none, but the cards its workers make are stored for serve's next session
        (keep_cards); None for any other (no card outlives it) or when a template cannot
        be read."""
        if not (self.state.keep_last or (self.state.store_cards and not self.state.fingerprints)):
            return None
        digests = self._every_template_digest(env)
        if digests is None:
            self.state.memo.cards.forget()
            return None
        self._card_templates = digests
        if not self.state.keep_last:  # the command line's cold build: stored as they come
            from broadsheet.build.render import CarriedCards
            from broadsheet.incremental import stored_cards  # here: it imports the render (Jinja)

            request, site = self.request, self._hasher.digest(site_wide)
            self._streamed = stored_cards.Streamed(
                request.site_dir, request.output_dir, site, digests, anchors, self._hasher.record_digest
            )
            return CarriedCards(anchors, {}, sink=self._streamed)
        return self.state.memo.cards.for_build(self._hasher.digest(site_wide), digests, anchors)

    def keep_cards(self, env: jinja2.Environment, carried: CarriedCards | None) -> None:
        """After the render: keep the cards its workers made, for the next build."""
        if carried is not None:
            after = self._every_template_digest(env)
            if self._streamed is not None:  # stored once the build succeeded (finish), if no template changed meanwhile
                self._cards_steady = after == self._card_templates
                return
            self.state.memo.cards.take(carried, self._card_templates, after or {})

    def _every_template_digest(self, env: jinja2.Environment) -> dict[str, bytes] | None:
        import jinja2  # here: a build with nothing to do renders no template

        try:
            names = set(env.list_templates(filter_func=lambda name: not name.startswith(".")))
            return template_digests(env, names, self.state.memo.templates)
        except (jinja2.TemplateError, OSError):
            return None

    def fine_paths(self, room: int) -> set[str]:
        """Page paths found fine for an output folder path `room` bytes long (routes.too_long)."""
        known = self.state.memo.fine_paths
        if room not in known:
            known.clear()  # another output folder: what was found for the last one is no use
            known[room] = set()
        return known[room]

    def last_search_index(self) -> SearchIndex | None:
        """The last build's search index (serve keeps it; the command line's build cache
        says where its pieces lie in the live file), for this build's to be made from
        where few documents changed; the same request's only, as last_model."""
        if self.previous is None:
            restore = self.state.search_previous
            return restore() if restore is not None else None
        if self.previous[0] != self.request:
            return None
        return self.previous[1].search

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
        if self._before is not None:  # before parse_all lets the last build's articles go
            self._edited, keys = article_files.edited(keyed, self._before, self.state.parsed, self.state.files)
            self._edited_since_output = _articles_digest(keys)
        cached = self.state.parsed
        articles, problems, self.parsed = article_files.parse_all(keyed, self.state, progress)
        self._restore_grouping(cached, settings)
        return articles, problems

    def _restore_grouping(self, cached: Mapping[str, Any], settings: Settings) -> None:
        """The build cache's story grouping, restored from the articles the cache held
        (the last build's versions of the edited ones too), once: after that the state
        keeps the grouping each model is made with."""
        stored, self.state.stored_grouping = self.state.stored_grouping, None
        if stored is not None and self.state.grouping is None:
            from broadsheet.incremental import groupings  # here: a build with nothing to do groups nothing

            self.state.grouping = groupings.restored(stored, cached, settings.stories)

    def related(self) -> RelatedPlaces | None:
        """The last model's related lists by place (the build cache's), for the model to
        take while they were chosen from the same tags in the same order (model.related_key)."""
        return self.state.stored_related

    def grouping(self) -> Grouping | None:
        """The last build's story grouping (serve's, or the build cache's), for the model
        to update with what changed; None: group afresh."""
        return self.state.grouping

    def nothing_to_do(self, settings: Settings, sources: list[SourceFile], now: datetime) -> BuildReport | None:
        """The last build's report when nothing it read has changed and its output is as it
        left it; else None. Either way every article file is stat-ed (its cache key found)
        and the live output is looked at (its files' stamps)."""
        request, state = self.request, self.state
        output = request.output_dir
        self._before = state.files  # key_all makes a new map
        self._keyed = article_files.key_all(sources, settings, state, self.changed)
        since = min(self.settled_before, state.settled_before)  # the last build's and this one's (key_all's)
        self._inputs, newest, self._untemplated, recent = _inputs_digest(request, settings, sources, self._keyed, since)
        # Files changed since the last build's settled moment: unless it read them as they
        # are, it may have read them in the tick of a change its stamps do not show. Read
        # now, before anything of this build reads them: the files in that build's proof,
        # and those changed too recently for this build's stamps to prove anything (its proof).
        proven = state.racy_reads
        reads = inputs.read(f for f in recent if f.time >= state.settled_before or f.name in proven)
        racy = inputs.unsettled(recent, self.settled_before, proven, reads)
        state.racy_reads = {f.name: reads[f.name] for f in recent if f.time >= state.settled_before and f.name in reads}
        self._racy = bool(racy)
        # as _racy, for the inputs but the templates (an edited template is newer than the last build)
        self._racy_untemplated = any(not f.template for f in racy)
        # racy for the last build but settled for this one (key_all set its settled_before), with
        # the same inputs: saved, or every later build finds it racy again, makes the model and
        # all its fingerprints, learns nothing and saves nothing (a theme installed just before a build)
        state.settled_again |= (
            self._racy
            and newest < state.settled_before
            and state.outcome is not None
            and state.outcome.inputs == self._inputs
        )
        outcome = state.outcome
        inputs_changed = bool(
            request.explain
            or (self.model_wanted and state.keep_last and self.previous is None)
            or not outcome
            or self._racy
            or not outcome.holds(self._inputs, now)
        )
        self._look_at_output(later=inputs_changed)
        if inputs_changed or outcome is None or self.on_disk != state.stamps:
            return None
        state.last = self.previous  # made from these same inputs, so still good for the serve short cut
        state.plan = self._kept_plan
        report = BuildReport(
            list(outcome.problems), outcome.articles, outcome.pages, output=output, base_url=settings.base_url
        )
        report.urls, report.next_due = dict(outcome.urls), outcome.next_due
        report.opens_from_disk = settings.relative_urls
        return report

    def bodies_only(
        self,
        env: jinja2.Environment,
        pages: list[Page],
        articles: list[Article],
        problems: list[Problem],
        now: datetime,
        stories: Sequence[SiteStory],
    ) -> bool:
        """Whether the last build's output differs from this one's only where articles'
        bodies show (their own pages, the feeds, the search index): the inputs other than
        the articles as that build saw them, its output untouched since, the same problems
        so far, the changed articles the same but for their bodies, which the templates
        show on no other page, and the same `stories` (a body's opening feeds grouping, so
        an edit may join or split stories, which shows on many pages). Then the pages are not fingerprinted, and only
        the edited ones rendered (page_skipper), and the sitemaps and the feeds that carry
        no edited article are kept as they are (remember)."""
        outcome = self.state.outcome
        if outcome is None or tuple(problems) != outcome.problems or not self._bodies_alone(articles, now, stories):
            return False
        if not self._bodies_stay_on(env, pages):
            return False
        self.only_bodies = True
        return True

    def paths_as_last(self, articles: list[Article], now: datetime, stories: Sequence[SiteStory]) -> bool:
        """Whether the whole-site checks of output paths (names too long or refused, paths
        claimed twice, redirects giving way) may be left out: the last build reported no
        problem at all, and only articles' bodies changed since (`_bodies_alone`), so this
        build's pages, files and redirects have the last build's paths and sources, and
        the checks would give its answer, none. Asked after the model, before the routes'
        checks; `bodies_only` still decides what is rendered."""
        outcome = self.state.outcome
        return (
            outcome is not None
            and not outcome.problems
            and (self._templates_alone(now, stories) or self._bodies_alone(articles, now, stories))
        )

    def _templates_alone(self, now: datetime, stories: Sequence[SiteStory]) -> bool:
        """Whether only templates changed since the last successful build (no template
        names a path: the routes come from the model, the settings and the static files),
        which was one whose path checks found nothing (state.memo.paths_checked), and
        nothing else: the same inputs but for the templates, output untouched, the same
        stories, its outcome still holding at `now` (no article come out since)."""
        outcome, state = self.state.outcome, self.state
        checked = state.memo.paths_checked
        return (
            checked is not None
            and checked[0] is outcome
            and checked[1] == self._untemplated
            and outcome is not None
            and not self._racy_untemplated
            and not self.request.explain
            and outcome.holds(outcome.inputs, now)
            and self.on_disk == state.stamps
            and stories_digest(stories) == outcome.stories
        )

    def _bodies_alone(self, articles: list[Article], now: datetime, stories: Sequence[SiteStory]) -> bool:
        """bodies_only's conditions that need no page: the inputs other than the articles as
        the last successful build saw them, no failed build between, its output untouched
        since, the changed articles the same but for their bodies, the same stories."""
        from broadsheet.incremental import body_edits  # here: it imports the model, the templates, the feeds

        outcome, state = self.state.outcome, self.state
        if not self._edited or outcome is None or self._racy or self.request.explain:
            return False
        if outcome.inputs[:FRAME] != self._inputs[:FRAME] or not outcome.holds(outcome.inputs, now):
            return False
        if outcome.inputs[FRAME:] != self._edited_since_output:  # a failed build came between
            return False
        if self.on_disk != state.stamps or stories_digest(stories) != outcome.stories:
            return False
        by_path = {a.path: a for a in articles}
        return all(rel in by_path and body_edits.same_but_body(old, by_path[rel]) for rel, old in self._edited.items())

    def _bodies_stay_on(self, env: jinja2.Environment, pages: list[Page]) -> bool:
        """body_edits.bodies_stay, remembered under the digests of the pages' templates (as
        _bodies_stay): the command line's build cache keeps it, and the templates each
        template source names, so a run after a body edit parses no template for it."""
        import jinja2  # here: a build with nothing to do renders no template

        from broadsheet.incremental import body_edits

        entry = {p.template for p in pages if "entry" in p.context}
        other = {p.template for p in pages if "entry" not in p.context}
        try:
            digests = template_digests(env, entry | other, self.state.memo.templates)
        except (jinja2.TemplateError, OSError):
            return False
        key = digest_of(tuple((name, digests[name], name in entry, name in other) for name in sorted(entry | other)))
        return bool(self.state.memo.get(("bodies stay", key), lambda: body_edits.bodies_stay(env, pages)))

    # --- pages and generated files -----------------------------------------------------

    def start_pages(self, site_wide: Any) -> None:
        """`site_wide`: everything every page may show (settings, asset names, image sizes,
        ...): a change there makes every page again (rare, and safe)."""
        self.state.memo.start()  # first: it lets the hasher take over the last build's digests
        self._site_digest = self._hasher.digest(site_wide)
        self._intact = write.intact(self.on_disk, self.state.stamps)

    def page_skipper(self, env: jinja2.Environment, pages: list[Page]) -> Callable[[Page], bool] | None:
        """A test of whether a page is on disk as it would come out; None when a template
        cannot even be read or parsed: then every page is rendered, to report it."""
        import jinja2  # here: a build with nothing to do renders no template

        try:
            digests = template_digests(env, {p.template for p in pages}, self.state.memo.templates)
        except (jinja2.TemplateError, OSError):
            return None
        self._template_digests = digests

        if self.only_bodies:
            return self._edited_pages_only(digests)

        def unchanged(page: Page) -> bool:
            context = self._hasher.context_digest(page.path, page.context)
            return self._unchanged(page.path, self._site_digest + digests[page.template] + context)

        return unchanged

    def carried(self, pages: list[Page]) -> set[str]:
        """The paths of pages on disk as they would come out, known without fingerprinting
        them (after page_skipper): the last full build's very Page objects (routes.plan took
        them over, context and all) with the site-wide and template digests that build's
        fingerprints were made with, nothing changed in place since, and the file as it
        left it. Their fingerprints are carried over as they were (a title edit at 10,000
        articles: 14,700 pages of 14,724, not looked at one by one)."""
        state, hasher = self.state, self._hasher
        made_with = state.memo.fingerprinted_with
        if (
            self.only_bodies
            or made_with is None
            or hasher.deep
            or made_with[0] != self._site_digest
            or made_with[1] != self._template_digests
        ):
            return set()
        last, fingerprints, intact = state.memo.pages, state.fingerprints, self._intact
        carried = {
            page.path
            for page in pages
            if last.get(page.path) is page
            and page.path in intact
            and page.path in fingerprints
            and hasher.carry_context(page.path, page.context)
        }
        self.fingerprints.update((path, fingerprints[path]) for path in carried)
        return carried

    def _edited_pages_only(self, digests: dict[str, bytes]) -> Callable[[Page], bool]:
        """In a build of bodies alone: every page but the edited articles' own is on disk
        as it would come out (bodies_only); those are fingerprinted as usual."""
        edited = self._edited.keys()

        def unchanged(page: Page) -> bool:
            entry = page.context.get("entry")
            if entry is None or entry.article.path not in edited:
                return True
            return self._unchanged(
                page.path, self._site_digest + digests[page.template] + self._hasher.digest(page.context)
            )

        return unchanged

    def known_names(self) -> str | None:
        """The names digest of `on_disk`, when it is the stamps the last write left and that
        write gave it (a serve build told what changed): the writer then neither sorts nor
        hashes 15,000 names again to level its tree and to record the new one's."""
        return self.state.known_names() if self.on_disk is self.state.stamps else None

    def kept(self) -> set[str] | dict[str, write.Stamp]:
        """Output files to keep as they are without being told: in a build of bodies alone,
        all of the last build's (the sitemaps are not made again); in a build that took the
        last one's plan, too (nothing made from the model is made again, and the output is
        as that build left it: kept_plan)."""
        return self.state.stamps if self.only_bodies or self.plan_kept else set()

    def remember(self, kind: str, records: Any, compute: Callable[[], Any]) -> Any:
        """A generated file (a feed, the index) or a part of one, made at most once for the
        same records: unchanged on disk, or kept in memory from the last build."""
        if kind == "search index" and self.only_bodies:
            return compute()  # a body changed, so the index did: not fingerprinted (finish forgets its old one)
        if kind == "feed" and self.only_bodies and not self._carries_edited(records.entries):
            return {}  # on disk as it would come out, and kept (kept()): not fingerprinted, 350 feeds at 10,000
        fingerprint = self._site_digest + self._hasher.digest(records) + kind.encode()
        if kind in WHOLE_FILES:
            return self._whole_files(kind, fingerprint, compute)
        return self.state.memo.get((kind, fingerprint), compute)

    def _carries_edited(self, entries: Iterable[Any]) -> bool:
        """In a build of bodies alone, whether these entries hold an edited article: a feed
        that holds none is made of the very records the last build made it of (the same
        articles, terms and stories: bodies_only), so its files on disk stand."""
        edited = self._edited
        return any(entry.article.path in edited for entry in entries)

    def remember_each(self, kind: str, records: list, compute_each: Callable[[list], list]) -> list:
        """remember() for many records of one kind: those not remembered are made by one
        call, given the list of them (the search index spreads them over the cores)."""
        digest, site, suffix = self._hasher.record_digest, self._site_digest, kind.encode()
        known = self._documents_by_place(records) if kind == SEARCH_DOCUMENT else {}
        keys = [(kind, known.get(n) or site + digest(record) + suffix) for n, record in enumerate(records)]
        if kind == SEARCH_DOCUMENT:
            self._search_keys = tuple(
                (record.article.path, key) for record, (_, key) in zip(records, keys, strict=True)
            )
        return self.state.memo.get_each(keys, lambda positions: compute_each([records[n] for n in positions]))

    def _documents_by_place(self, entries: list) -> dict[int, bytes]:
        """In a build of bodies alone, the entries are the last build's, in its order, and
        all but the edited ones as they were: their search documents are found by place,
        without hashing 10,000 entries again."""
        last = self.state.search_keys
        if not self.only_bodies or [path for path, _ in last] != [e.article.path for e in entries]:
            return {}
        return {n: key for n, (path, key) in enumerate(last) if path not in self._edited}

    def by_context(self, kind: str, compute: Callable[[Page], Any]) -> Callable[[Page], Any]:
        """`compute`, a function of a page's context alone, remembered from one build to the
        next while the context's digest stays the same (when this build took it: page_skipper)."""
        derived_of = self._hasher.derived

        def remembered(page: Page) -> Any:
            derived = derived_of(page.path)
            if derived is None:
                return compute(page)
            if kind not in derived:
                derived[kind] = compute(page)
            return derived[kind]

        return remembered

    def newest_shown(self) -> Callable[[Page], datetime | None]:
        """sitemaps.newest_shown, the newest of each long tuple of entries remembered from the
        last build by the tuple's identity (a term's entries, an edition's: the model keeps
        the tuples that hold the same entries). Dates are never changed in place: serve's body
        short cut gives an entry an article that differs only in its body."""
        from broadsheet.outputs import sitemaps

        memo, last = self.state.memo, self.state.memo.newest
        kept: dict[int, tuple[tuple, datetime | None]] = {}

        def newest_of(entries: tuple) -> datetime | None:
            if len(entries) < LONG:
                return sitemaps.newest_change(entries)
            memo.newest = kept  # only once the sitemap is made: a reused one keeps the last build's
            known = kept.get(id(entries)) or last.get(id(entries))
            if known is None or known[0] is not entries:  # the tuple itself is kept alive with it: its id is its own
                known = (entries, sitemaps.newest_change(entries))
            kept[id(entries)] = known
            return known[1]

        return lambda page: sitemaps.newest_shown(page, newest_of)

    def url_elements(self) -> Callable[[str, datetime | None], bytes]:
        """sitemaps.url_element, remembered from the last build by its arguments."""
        from broadsheet.outputs import sitemaps

        memo, last = self.state.memo, self.state.memo.url_elements
        kept: dict[tuple, bytes] = {}

        def element(loc: str, lastmod: datetime | None) -> bytes:
            memo.url_elements = kept  # only once the sitemap is made: a reused one keeps the last build's
            key = (loc, lastmod, lastmod.utcoffset() if lastmod else None)  # equal instants, other offsets: not one
            made = last.get(key)
            if made is None:
                made = sitemaps.url_element(loc, lastmod)
            kept[key] = made
            return made

        return element

    def page_fingerprints(self) -> tuple:
        """What the pages are made from: all a sitemap of them needs to know. One digest of
        them all (pickled and hashed in C), not 15,000 pairs for the hasher to walk."""
        return (digest_of(tuple(sorted(self.fingerprints.items()))),)

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
            if self.model_wanted:
                # serve's warm-up: made for what making them leaves in memory (the search index
                # and its documents, sitemap elements) for the first edit to start from; not
                # written, as the files on disk are made from these very records.
                compute()
            return dict.fromkeys(paths)
        files = compute()
        for path in files:
            self.fingerprints[path] = fingerprint
        state.produced[fingerprint] = tuple(files)
        return files

    # --- after the commit ----------------------------------------------------------------

    def finish(self, written: write.WriteResult, report: BuildReport, made: Made, plan: Plan) -> None:
        """What a successful build leaves for the next: only what reached the disk may stand in for it."""
        from broadsheet.incremental import body_edits  # here: it imports the model, the templates, the feeds
        from broadsheet.incremental.plans import KeptPlan

        state = self.state
        streamed, self._streamed = self._streamed, None
        if streamed is not None:
            streamed.finish(self._cards_steady)
        if self.plan_kept:  # the generated files' records and parts, not looked at: the next build's as they were
            state.memo.carry_over()
        self._hasher.forget_last()
        state.stamps, state.stamps_names = written.stamps, (written.stamps, written.names)
        state.grouping = made.model.grouping
        state.stored_related = made.model.related_places
        # A build of bodies alone fingerprinted only what it made: the rest stands as the
        # last build made it (a page whose fingerprint is now old is made again next time)
        # (a build that took the last one's plan made no generated file: theirs stand too)
        merged = self.only_bodies or self.plan_kept
        state.fingerprints = {**state.fingerprints, **self.fingerprints} if merged else self.fingerprints
        digests = self._template_digests
        state.memo.fingerprinted_with = (
            None if self.only_bodies or digests is None else (self._site_digest, digests)
        )  # what carried() compares the next build's with
        fingerprints = state.fingerprints
        for path in written.changed if self.only_bodies else ():  # made unfingerprinted: made again next time
            if path not in self.fingerprints:
                fingerprints.pop(path, None)
        if self._search_keys is not None:
            state.search_keys = self._search_keys
        if not state.keep_last:  # the command line's cache: where the index just written lies in its file
            made_index = self.search_index[0] if self.search_index else None
            state.stored_search = made_index.stored() if made_index else state.stored_search
        state.produced = {f: paths for f, paths in state.produced.items() if all(p in fingerprints for p in paths)}
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
            stories_digest(made.model.stories),
        )
        # a build that reported nothing ran the path checks (or was let off them) and they found nothing
        state.memo.paths_checked = None if report.problems else (state.outcome, self._untemplated)
        if state.keep_last:
            state.memo.pages = {page.path: page for page in made.pages}
            search = self._search_index()
            snapshot = body_edits.take(self.request.site_dir, made, search, valid_until, self._bodies_stay(made))
            state.last = (self.request, snapshot) if snapshot else None
            state.plan = KeptPlan(self.request, plan, self._untemplated, state.outcome, search)

    def _bodies_stay(self, made: Made) -> Callable[[], bool] | None:
        """body_edits.bodies_stay of the build's pages, remembered under the digests of their
        templates (each with every template it pulls in), all that answer reads: the
        templates are not parsed again for it while none changed."""
        from broadsheet.incremental import body_edits

        digests = self._template_digests
        entry = {p.template for p in made.pages if "entry" in p.context}
        other = {p.template for p in made.pages if "entry" not in p.context}
        if digests is None or not (entry | other) <= digests.keys():
            return None
        key = digest_of(tuple((name, digests[name], name in entry, name in other) for name in sorted(entry | other)))
        return lambda: bool(
            self.state.memo.get(
                ("bodies stay", key),
                lambda: body_edits.bodies_stay(
                    made.env, made.pages, self.state.memo.body_reads, self.state.memo.templates
                ),
            )
        )

    def _search_index(self) -> SearchIndex | None:
        """The index as this build left it: made now, or the last snapshot's when its file was reused."""
        if self.search_index:
            return self.search_index[0]
        if self.plan_kept and self._kept_plan is not None:
            return self._kept_plan.search
        return self.previous[1].search if self.previous and "search index" in self._reused else None


FRAME = 16  # bytes of an inputs digest that stand for everything but the articles


def _inputs_digest(
    request: BuildRequest, settings: Settings, sources: list[SourceFile], keyed: article_files.Keyed, since: int
) -> tuple[bytes, int, bytes, list[inputs.Recent]]:
    """A digest of every input in two parts: the first FRAME bytes for everything but the
    articles (settings, request, templates, static files, bundles), then the articles'
    cache keys; so that a build can tell that only articles changed. With the newest
    change time among the files, a digest of every input but the templates (so that a
    build can tell that only templates changed), and the files changed at or after `since`."""
    bundle_files = [s.path.parent / asset for s in sources for asset in s.bundle_assets]
    request_key = (request.drafts, request.future, request.base_url, str(request.output_dir))
    frame, newest, untemplated, recent = inputs.digest(request.site_dir, request_key, settings, [], bundle_files, since)
    articles = _articles_digest(key for _, key in keyed.keys)
    return frame + articles, newest, untemplated + articles, recent


def stories_digest(stories: Sequence[SiteStory]) -> bytes:
    """What of the stories shows beyond an article's own page: each one's URL, title,
    lead, key and members, in order."""
    seen = [(s.url, s.title, s.lead.url, s.key, [e.url for e in s.entries]) for s in stories]
    return hashlib.blake2b(repr(seen).encode(), digest_size=16).digest()


def _articles_digest(keys: Iterable[str]) -> bytes:
    articles = hashlib.blake2b(digest_size=16)
    for key in keys:
        articles.update(key.encode())
    return articles.digest()


def _apply_body_edits(
    request: BuildRequest, state: BuildState, snapshot: body_edits.Snapshot, changed: set[str], clock: Clock
) -> BuildReport | None:
    """The short cut for edits of bodies alone (see body_edits.py); None when it does not apply."""
    from broadsheet.incremental import body_edits

    edits = body_edits.apply(snapshot, changed, request.now or datetime.now(snapshot.settings.tz))
    if snapshot.changed_in_place:  # even when the short cut then gave up: the model's entries are changed
        state.memo.hasher.changed_in_place()
        state.memo.cards.forget()  # made from entries as they were
        snapshot.changed_in_place = False
    if edits is None:
        return None
    clock.lap("bodies")
    writer = write.OutputWriter(request.output_dir, state.stamps, state.known_names())
    writer.keep(state.stamps)  # the rest of the output, as the last build left it
    for path, data in edits.outputs.items():
        writer.put(path, data)
    written = writer.commit()
    state.stamps, state.stamps_names = written.stamps, (written.stamps, written.names)
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
