"""build(): the stages in order. Only this module knows the order.

Each stage takes plain data and gives plain data. What a rebuild may take from the last
build is asked of `Rebuild` (incremental/rebuild.py); the recipe never looks inside the
build state. ARCHITECTURE.md has the map.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from broadsheet.build import config, output_folder, published, scan, write
from broadsheet.build.collector import cycle_collector_paused
from broadsheet.build.config import Settings
from broadsheet.build.progress import Clock, Progress
from broadsheet.build.request import BuildReport, BuildRequest, Due
from broadsheet.incremental.rebuild import Rebuild
from broadsheet.problems import Problem, errors

# A build with nothing to do stops before the model (Rebuild.nothing_to_do): the stages
# after it, and Jinja, Markdown and Pillow under them, are imported by the functions
# that use them, so such a build does not spend most of its time importing them.
if TYPE_CHECKING:
    import jinja2

    from broadsheet.build import claims, model
    from broadsheet.build.routes import Page
    from broadsheet.incremental.plans import Plan
    from broadsheet.incremental.state import BuildState
    from broadsheet.outputs import images, redirects
    from broadsheet.outputs.assets import StaticFiles


def build(
    request: BuildRequest,
    state: BuildState | None = None,
    progress: Progress | None = None,
    changed: set[str] | None = None,
    model_wanted: bool = False,
) -> BuildReport:
    """Build the site. `state` is what the last build left (the build cache, or the dev
    server's memory); `changed`, when the caller knows it (the watcher does), names the
    input files changed since the last build. `model_wanted`: make the model even when
    nothing changed, if the state keeps none yet (serve's warm-up: its short cuts start
    from the last build's model)."""
    clock, progress = Clock(), progress or Progress()
    rebuild = Rebuild(request, state, changed, model_wanted)
    problems = scan.check_site(request.site_dir) or output_folder.check_output_folder(
        request.site_dir, request.output_dir, request.replace_output
    )
    if problems:
        return _finished(BuildReport(problems), clock)
    with (
        cycle_collector_paused(),
        output_folder.output_lock(request.output_dir) as busy,
        contextlib.closing(rebuild),  # no look at the output outlives the build, nor the lock (LiveLook)
        write.disk_errors() as disk_said_no,
    ):
        if busy is not None:
            return _finished(BuildReport([busy]), clock)
        report = rebuild.body_edits(clock)
        if report is not None:
            return report
        settings, problems = config.load_settings(request.site_dir, request.base_url)
        record, record_problems = published.read_record(request.site_dir)  # read only: publish writes it
        problems += record_problems
        if errors(problems):
            return _finished(BuildReport(problems), clock)
        sources, found = rebuild.scan()
        clock.lap("scan")
        now = request.now or datetime.now(settings.tz)  # one moment for drafts, future articles and the news sitemap
        report = rebuild.nothing_to_do(settings, sources, now)  # before parsing: it needs no article
        if report is not None:
            clock.lap("write")
            return _finished(report, clock)
        from broadsheet.build import render
        from broadsheet.incremental.body_edits import Made
        from broadsheet.outputs import newsletter, redirects

        plan = rebuild.kept_plan(now)  # serve, after an edit of templates alone: the last build's, whole
        if plan is None:
            plan = _plan(request, settings, record, sources, now, rebuild, progress, clock)
        # the templates are read afresh, a kept plan or not: nothing from outside the site folder
        problems += [*plan.checked, *render.template_problems(request.site_dir)]
        if errors(problems):
            return _finished(BuildReport(sorted(set(problems + found + plan.found))), clock)
        articles, site_model, static, pictures = plan.articles, plan.model, plan.static, plan.pictures
        pages, mail_pages = plan.pages, plan.mail_pages
        clock.lap("routes")
        recipe = functools.partial(_environment, request.site_dir, settings, static.fingerprints, pictures.info)
        env = recipe()
        render.keep_compiled(env, rebuild.compiled_templates)
        common = {"sections": site_model.taxonomies["sections"].terms}
        rebuild.start_pages((settings.for_pages(), static.fingerprints, common, pictures.info))
        every_page = pages + mail_pages
        rebuild.bodies_only(
            env, every_page, articles, sorted(set(problems + found + plan.found)), now, site_model.stories
        )
        with write.OutputWriter(request.output_dir, rebuild.on_disk, rebuild.known_names()) as writer:
            writer.keep(rebuild.kept())
            finisher = newsletter.PageFinisher(mail_pages, settings, writer.put)  # inlines their CSS on the way
            skip, advance = rebuild.page_skipper(env, every_page), progress.step("render", len(every_page))
            carried = rebuild.carried(every_page) if skip is not None else set()  # known as they are, in one go
            writer.keep(carried)
            cards = rebuild.carried_cards(env, (settings, static.fingerprints, pictures.info), card_anchors(site_model))
            rendered = render.render_pages(
                every_page, env, request.site_dir, common, skip, advance, finisher.put, recipe,
                write.handing_over(writer, finisher.contexts), writer.told, carried, cards,
            )  # fmt: skip
            rebuild.keep_cards(env, cards)
            writer.reported()
            clock.lap("render")
            if not rebuild.plan_kept:  # else on disk as the last build made them from this model (kept())
                generated = _generated_files(site_model, settings, pages, now, pictures.copies, rebuild, plan.moved)
                problems += write.put_generated(writer, generated, static.files, static.origins)
            clock.lap("feeds")
            problems += found + plan.found + rendered.problems + finisher.problems
            problems = sorted(set(problems))
            report = BuildReport(
                problems,
                len(site_model.entries),
                len(rendered.pages),
                rebuild.parsed,
                rendered.rendered,
                output=request.output_dir,
            )
            report.urls, report.next_due = redirects.site_urls(site_model), _next_due(articles, request, now)
            if errors(problems) or (request.strict and problems):  # a failure writes nothing
                clock.lap("write")
                return _finished(report, clock)
            written = writer.commit()
        report.changed, report.removed, report.base_url = written.changed, written.removed, settings.base_url
        report.opens_from_disk = settings.relative_urls
        if request.explain:  # only check reads them
            _explain(report, pages, static, env, request.site_dir, site_model)
        made = Made(
            settings, env, common, site_model, sources, articles, every_page, problems, frozenset(static.files), now
        )
        rebuild.finish(written, report, made, plan)
        clock.lap("write")
        return _finished(report, clock)
    return _finished(BuildReport(disk_said_no), clock)  # a full disk, a read-only folder: the output is as it was


def _plan(
    request: BuildRequest,
    settings: Settings,
    record: dict[str, tuple[str, int]],
    sources: list,
    now: datetime,
    rebuild: Rebuild,
    progress: Progress,
    clock: Clock,
) -> Plan:
    """What the build works out before it reads a template (incremental/plans.py): the
    articles parsed, the model, the pages, the static files, the photos' copies, the
    redirects, and the problems found on the way."""
    from broadsheet.build import claims, model, routes
    from broadsheet.incremental.plans import Plan
    from broadsheet.outputs import assets, images, newsletter, redirects

    articles, parsed = rebuild.parse(sources, settings, progress)
    clock.lap("parse")
    options, failed = model.BuildOptions(request.drafts, request.future, now), _failed(sources, articles)
    site_model, modelled = model.build_model(
        articles, settings, options, failed, rebuild.last_model(), rebuild.grouping(), rebuild.related()
    )
    clock.lap("model")
    pages = routes.plan(site_model, settings, rebuild.last_pages())  # the last build's pages taken where unchanged
    mail_pages = newsletter.pages(site_model, settings)  # the newsletter's, not in the sitemap
    static = assets.collect(request.site_dir, site_model)
    pictures = images.collect(static.files, images.bundle_paths(site_model), settings.base_path, rebuild.image_copies)
    moved = redirects.plan(site_model, record)
    checked: list[Problem] = []
    # before anything is written: a name no file system (or Windows) takes, a path claimed
    # twice; left out when only bodies changed since a build that reported nothing
    if not rebuild.paths_as_last(articles, now, site_model.stories):
        room = output_folder.room(request.output_dir)
        checked += routes.too_long(pages + mail_pages, room, rebuild.fine_paths(room))
        checked += write.check_names(static.origins, pictures.copies, room)
        claimed = _claims(site_model, settings, pages, mail_pages, static, pictures)
        moved, yielded = _redirects(moved, claimed, request.site_dir)
        checked += claims.check(claimed + redirects.claims_of(moved), request.site_dir) + yielded
    checked += static.problems  # nothing from outside the site folder
    return Plan(articles, site_model, pages, mail_pages, static, pictures, moved, checked, parsed + modelled)


def load_model(
    request: BuildRequest, state: BuildState | None = None
) -> tuple[Settings, model.SiteModel | None, list[Problem]]:
    """The settings and the site model exactly as build() makes them, without rendering:
    for commands that work on the model (the newsletter). None when an error stops it.
    A build's state (the build cache) spares parsing the articles it already parsed."""
    from broadsheet.build import model

    settings, problems = config.load_settings(request.site_dir, request.base_url)
    if errors(problems):
        return settings, None, problems
    rebuild = Rebuild(request, state, None)
    sources, found = rebuild.scan()
    articles, parsed = rebuild.parse(sources, settings, Progress())
    now = request.now or datetime.now(settings.tz)
    options = model.BuildOptions(request.drafts, request.future, now)
    site_model, modelled = model.build_model(
        articles, settings, options, _failed(sources, articles), grouping=rebuild.grouping()
    )
    problems = sorted(set(problems + found + parsed + modelled))
    return settings, (None if errors(problems) else site_model), problems


def _environment(
    site_dir: Path, settings: Settings, fingerprints: dict[str, str], pictures: dict[str, images.ImageInfo]
) -> jinja2.Environment:
    """The templates' environment, made from plain data only: the dev server's render
    workers, which are not forked from it, make theirs with this same call."""
    from broadsheet.build import render
    from broadsheet.outputs import template_helpers

    return render.environment(site_dir, settings, fingerprints, template_helpers.helpers(settings, pictures))


def card_anchors(site_model: model.SiteModel) -> list[object]:
    """What the theme's templates make cards of (render.Cards), for cards to be kept for
    from one serve build to the next: the entries, the editions' places in lists
    (coverage.Card) and the sections the masthead shows (the pages' `common`). A card of
    anything else is made once a build."""
    places = (card for edition in site_model.editions for card in edition.cards)
    return [*site_model.entries, *places, site_model.taxonomies["sections"].terms]


def _generated_files(
    site_model,
    settings: Settings,
    pages: list[Page],
    now: datetime,
    copies: dict[str, bytes],
    rebuild: Rebuild,
    moved: list[redirects.Redirect],
) -> Iterator[Mapping[str, bytes | None]]:
    """The files made from the model rather than from a template, a group at a time:
    sitemaps (from the pages' fingerprints, so before the feeds add theirs), the search
    index, resized images, then the feeds one by one (at 10,000 articles they come to
    100 MB, so none waits in memory for the others)."""
    from broadsheet.outputs import feeds, redirects, search, sitemaps

    remember = rebuild.remember
    if not rebuild.only_bodies:  # no body shows in a sitemap
        yield sitemaps.sitemap_outputs(
            pages,
            site_model,
            settings,
            now,
            remember=remember,
            page_fingerprints=rebuild.page_fingerprints(),
            newest=rebuild.by_context("newest shown", rebuild.newest_shown()),
            element=rebuild.url_elements(),
        )
    yield search.search_outputs(
        site_model,
        settings,
        remember,
        keep=rebuild.search_index.append,
        remember_each=rebuild.remember_each,
        previous=rebuild.last_search_index(),
    )
    yield copies
    yield redirects.outputs(moved, settings)  # a few small pages: made every build, cheaper than fingerprinting them
    yield from feeds.feed_outputs(site_model, settings, remember)


def _redirects(
    moved: list[redirects.Redirect], claimed: list[claims.Claim], site_dir: Path
) -> tuple[list[redirects.Redirect], list[Problem]]:
    """The redirects whose old path no page or file of the site takes; a warning for each other."""
    from broadsheet.build import claims

    kept, yielded = claims.give_way([r.claim() for r in moved], claimed, site_dir)
    paths = {c.path for c in kept}
    return [r for r in moved if r.claim().path in paths], yielded


def _next_due(articles: list, request: BuildRequest, now: datetime) -> Due | None:
    """The next future-dated article this build left out (none with --future): when a
    scheduled build should run next."""
    if request.future:
        return None
    waiting = [(a.date, a.path, a.title) for a in articles if a.date > now and (request.drafts or not a.draft)]
    if not waiting:
        return None
    when, path, title = min(waiting)
    return Due(when, title, path)


def _failed(sources: list, articles: list) -> set[str]:
    """Article files that did not parse: one problem each, not one more per link to them."""
    return {s.rel for s in sources} - {a.path for a in articles}


def _finished(report: BuildReport, clock: Clock) -> BuildReport:
    report.stages, report.seconds = clock.stages, clock.seconds()
    return report


def _claims(
    site_model,
    settings: Settings,
    pages: list[Page],
    mail_pages: list[Page],
    static: StaticFiles,
    pictures: images.Images,
) -> list[claims.Claim]:
    """Every path the build will write, with where it comes from (build/claims.py)."""
    from broadsheet.build import claims
    from broadsheet.outputs import feeds, search, sitemaps

    return [
        *claims.of_pages(pages), *claims.of_pages(mail_pages, newsletter=True), *static.claims, *pictures.claims(static.origins),
        *feeds.claims(site_model, settings), *sitemaps.claims(pages), *search.claims(),
    ]  # fmt: skip


def _explain(
    report: BuildReport, pages: list[Page], static: StaticFiles, env, site_dir: Path, site_model: model.SiteModel
) -> None:
    """What `check` needs to name the file behind a problem: for each output file, an
    article's content file, the template of any other page, a static file's own file;
    and each article's own HTML, to tell which article a flawed element came from."""
    from broadsheet.build import render

    sources = {rel: render.site_relative(path, site_dir) for rel, path in static.files.items()}
    templates = {name: render.template_file(env, name, site_dir) for name in {p.template for p in pages}}
    for page in pages:
        entry = page.context.get("entry")
        sources[page.path] = entry.article.path if entry is not None else templates[page.template]
    report.sources = sources
    report.article_html = {e.article.path: (e.body_html, e.summary_html) for e in site_model.entries}
