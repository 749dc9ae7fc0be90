"""build(): the stages in order. Only this module knows the order."""

from __future__ import annotations

import gc
import itertools
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from broadsheet.outputs import assets, feeds, images, newsletter, search, sitemaps
from broadsheet.incremental import body_edits, inputs
from broadsheet.build import config, content, model, render, routes, scan, write
from broadsheet.incremental.fingerprint import ContextHasher, Memo
from broadsheet.problems import Problem, errors


SETTLE_NS = 2_000_000_000  # file systems with coarse timestamps tick every 1-2 s


@dataclass(frozen=True)
class BuildRequest:
    site_dir: Path
    output: Path | None = None  # default: <site>/site
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    now: datetime | None = None
    explain: bool = False  # fill the report's sources and article HTML (for check): never skips the work

    @property
    def output_dir(self) -> Path:
        return (self.output or self.site_dir / "site").absolute()


@dataclass
class BuildReport:
    problems: list[Problem]
    articles: int = 0
    pages: int = 0
    parsed: int = 0  # article files parsed by this build; the others came from the cache
    rendered: int = 0  # pages rendered by this build; the others were unchanged
    changed: tuple[str, ...] = ()  # output files whose bytes changed
    removed: tuple[str, ...] = ()  # output files that are gone
    stages: dict[str, float] = field(default_factory=dict)  # seconds each stage took
    seconds: float = 0.0
    output: Path | None = None
    base_url: str = ""  # as built, after --base-url
    sources: dict[str, str] = field(default_factory=dict)  # output file -> the file it came from, for `check`
    article_html: dict[str, tuple[str, str]] = field(default_factory=dict)  # content file -> its body and summary HTML, for `check`

    @property
    def written(self) -> int:
        return len(self.changed)

    @property
    def ok(self) -> bool:
        return not errors(self.problems)


@dataclass
class BuildState:
    """What one build leaves for the next: owned by whoever runs builds (the CLI or the server).

    Nothing here decides what the output is: parsed articles are keyed by their bytes,
    rendered pages by the fingerprint of everything they were made from.
    """

    parsed: dict[str, tuple[content.Article | None, list[Problem]]] = field(default_factory=dict)
    fingerprints: dict[str, bytes] = field(default_factory=dict)  # output file -> what it was made from
    stamps: dict[str, write.Stamp] = field(default_factory=dict)  # the output as the last build left it
    files: dict[str, tuple] = field(default_factory=dict)  # content file -> (stat, digest) when last read
    settled_before: int = 0  # ns: files last changed before this were read after their change
    memo: Memo = field(default_factory=Memo)  # feed items and search documents, by fingerprint
    produced: dict[bytes, tuple[str, ...]] = field(default_factory=dict)  # fingerprint -> generated files
    scanned: tuple[list[scan.SourceFile], list[Problem]] | None = None  # the last scan of content/
    outcome: inputs.Outcome | None = None  # what the last successful build was made from
    keep_last: bool = False  # keep a snapshot of each build for edits of bodies alone (serve does)
    last: tuple[BuildRequest, body_edits.Snapshot] | None = None
    image_copies: images.CopyCache = field(default_factory=images.CopyCache)  # resized bundle images


class _Clock:
    """Seconds per stage, for the benchmark and for --verbose."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = now - self._last
        self._last = now


class Progress:
    """Tells whoever runs the build how far it is: report(stage, done, total). The CLI
    draws a bar from it; by default nobody listens."""

    def __init__(self, report: Callable[[str, int, int], None] | None = None):
        self.report = report

    def step(self, stage: str, total: int) -> Callable[[int], None] | None:
        if self.report is None or total == 0:
            return None
        done = 0
        self.report(stage, 0, total)

        def advance(count: int) -> None:
            nonlocal done
            done += count
            self.report(stage, done, total)

        return advance


def build(
    request: BuildRequest, state: BuildState | None = None, progress: Progress | None = None, changed: set[str] | None = None
) -> BuildReport:
    """Build the site. `changed`, when the caller knows it (the watcher does), names the
    input files changed since the last build: edits of bodies alone then take a short cut."""
    with _cycle_collector_paused():
        return _build(request, state, progress, changed)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A build makes hundreds of thousands of objects that live until its end, and
    Python's cycle collector walks all of them again and again while it does: a quarter of
    a rebuild at 10,000 articles. A build's records hold no reference cycles worth
    collecting early; the collector runs again as usual once the build is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(request: BuildRequest, state: BuildState | None, progress: Progress | None, changed: set[str] | None) -> BuildReport:
    started = time.perf_counter()
    state = state if state is not None else BuildState()
    if changed is not None and state.last is not None:
        report = _apply_body_edits(request, state, changed, started)
        if report is not None:
            return report
    previous, state.last = state.last, None  # let the old model go before a new one is made
    progress = progress or Progress()
    clock = _Clock()
    site_dir = request.site_dir
    output = request.output_dir

    settings, problems = config.load_settings(site_dir, request.base_url)
    problems += _check_output(site_dir, output)
    if errors(problems):
        return BuildReport(problems, seconds=time.perf_counter() - started)

    sources, found = _scan(site_dir, state, changed)
    problems += found
    clock.lap("scan")
    settled_before = state.settled_before  # the last build's: _parse_all sets this build's
    articles, parsed, parsed_count = _parse_all(sources, settings, state, progress, changed)
    problems += parsed
    clock.lap("parse")
    now = request.now or datetime.now(settings.tz)  # one moment for drafts, future articles and the news sitemap
    bundle_files = [s.path.parent / asset for s in sources for asset in s.bundle_assets]
    request_key = (request.drafts, request.future, request.base_url, str(output))
    read, newest = inputs.digest(site_dir, request_key, settings, state.parsed, bundle_files)
    write.recover(output)  # a build killed after its commit point is finished first
    on_disk = state.stamps if changed is not None and state.stamps else write.disk_stamps(output)
    if not request.explain and state.outcome and newest < settled_before and state.outcome.holds(read, now) and on_disk == state.stamps:
        state.last = previous  # made from these same inputs, so still good for the serve short cut
        return _nothing_to_do(state.outcome, output, clock, started)
    options = model.BuildOptions(request.drafts, request.future, now)
    site_model, modelled = model.build_model(articles, settings, options)
    problems += modelled
    clock.lap("model")

    pages = routes.plan(site_model, settings)
    mail_pages = newsletter.pages(site_model, settings)  # each edition's newsletter, when published; not in the sitemap
    static = assets.collect(site_dir, site_model)
    bundle_images = {e.path + name for e in site_model.entries for name in e.article.bundle_assets}
    pictures = images.collect(static.files, bundle_images, settings.base_path, state.image_copies)
    clock.lap("routes")
    env = render.environment(site_dir, settings, static.fingerprints, pictures.info)
    common = {"sections": site_model.taxonomies["sections"].terms}
    hasher = ContextHasher()  # shared, so each entry is digested once per build
    # Image sizes are in the site digest: a changed image re-renders every page (rare, and safe).
    site_digest = hasher.digest((settings.for_pages(), static.fingerprints, common, pictures.info))
    intact = write.intact(on_disk, state.stamps)
    fingerprints: dict[str, bytes] = {}

    def unchanged(path: str, fingerprint: bytes) -> bool:
        """Made from the same inputs as the file on disk, which nobody touched since."""
        fingerprints[path] = fingerprint
        return state.fingerprints.get(path) == fingerprint and path in intact

    writer = write.OutputWriter(output, on_disk)  # takes each file as it is made; commits at the end
    try:
        advance = progress.step("render", len(pages) + len(mail_pages))
        result = render.render_pages(pages, env, site_dir, common, unchanged, site_digest, hasher, advance, sink=writer.put)
        mail = render.render_pages(mail_pages, env, site_dir, common, unchanged, site_digest, hasher, advance)
        problems += result.problems + mail.problems + newsletter.finish_pages(mail_pages, mail.pages, settings)
        for path, html in mail.pages.items():
            writer.put(path, html)
        result.pages.update(mail.pages)
        result.rendered += mail.rendered
        clock.lap("render")
        state.memo.start()
        kept: list[search.SearchIndex] = []

        def remember(kind: str, records, compute):
            """A generated file (a feed, the index) or a part of one, made at most once for the
            same records: unchanged on disk, or kept in memory from the last build."""
            fingerprint = site_digest + hasher.digest(records) + kind.encode()
            if kind in WHOLE_FILES:
                return _whole_files(fingerprint, compute, unchanged, state, fingerprints)
            return state.memo.get((kind, fingerprint), compute)

        generated = {
            **sitemaps.sitemap_outputs(pages, site_model, settings, now, remember=remember, page_fingerprints=tuple(sorted(fingerprints.items()))),
            **search.search_outputs(site_model, settings, remember, keep=kept.append),
            **pictures.copies,
        }
        made = _put_generated(writer, static.files, itertools.chain(feeds.feed_outputs(site_model, settings, remember), [generated]))
        problems += _clashes(made, result.pages)
        clock.lap("feeds")
        page_sources = {p.path: p.context["entry"].article.path for p in pages if "entry" in p.context}
        problems += write.check_paths({**result.pages, **dict.fromkeys(made)}, static.files, static.origins, page_sources)
        problems = sorted(set(problems))
        report = BuildReport(problems, len(site_model.entries), len(result.pages), parsed_count, result.rendered, output=output)
        if errors(problems):  # a failure writes nothing
            writer.abort()
        else:
            report.base_url = settings.base_url
            if request.explain:  # only check reads them
                report.sources = _sources(pages, static, env, site_dir)
                report.article_html = {e.article.path: (e.body_html, e.summary_html) for e in site_model.entries}
            written = writer.commit()
            report.changed, report.removed = written.changed, written.removed
            _remember(state, written, fingerprints, inputs.Outcome(read, now, body_edits.valid_until(articles, now), tuple(problems), report.articles, report.pages))
            if state.keep_last:
                index = kept[0] if kept else previous[1].search if previous and generated.get(search.INDEX_PATH, b"") is None else None
                snapshot = body_edits.take(
                    site_dir, settings, env, common, site_model, {s.rel: s for s in sources}, articles, pages + mail_pages, problems,
                    frozenset(static.files), index, now,
                )  # fmt: skip
                state.last = (request, snapshot) if snapshot else None
    except BaseException:
        writer.abort()
        raise
    clock.lap("write")
    report.stages = clock.stages
    report.seconds = time.perf_counter() - started
    return report


def _put_generated(writer: write.OutputWriter, static_files: dict[str, Path], generated: Iterable[dict[str, bytes | None]]) -> set[str]:
    """Generated files, then static files, to the writer as they come; the generated paths.
    A file of the same name in static/ (a hand-written robots.txt, say) overrides a generated one."""
    made: set[str] = set()
    for files in generated:
        for path, data in files.items():
            if path not in static_files:
                writer.put(path, data)
                made.add(path)
    for rel, source in static_files.items():
        writer.put(rel, source.read_bytes())
    return made


def _remember(state: BuildState, written: write.WriteResult, fingerprints: dict[str, bytes], outcome: inputs.Outcome) -> None:
    """What a successful build leaves for the next: only what reached the disk may stand in for it."""
    state.stamps = written.stamps
    state.fingerprints = fingerprints
    state.produced = {f: paths for f, paths in state.produced.items() if all(p in fingerprints for p in paths)}
    state.outcome = outcome


def _nothing_to_do(outcome: inputs.Outcome, output: Path, clock: _Clock, started: float) -> BuildReport:
    """Nothing the last build read has changed, and its output is as it left it."""
    clock.lap("write")
    return BuildReport(list(outcome.problems), outcome.articles, outcome.pages, stages=clock.stages, seconds=time.perf_counter() - started, output=output)


def _apply_body_edits(request: BuildRequest, state: BuildState, changed: set[str], started: float) -> BuildReport | None:
    """The short cut for edits of bodies alone (see body_edits); None when it does not apply."""
    last_request, snapshot = state.last
    if last_request != request:
        return None
    clock = _Clock()
    edits = body_edits.apply(snapshot, changed, request.now or datetime.now(snapshot.settings.tz))
    if edits is None:
        return None
    clock.lap("bodies")
    output = request.output_dir
    writer = write.OutputWriter(output, state.stamps)
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
        written.changed, written.removed, clock.stages, time.perf_counter() - started, output,
    )  # fmt: skip


def _scan(site_dir: Path, state: BuildState, changed: set[str] | None) -> tuple[list[scan.SourceFile], list[Problem]]:
    """The article files; the last scan's when the watcher says only known articles changed
    (walking 10,000 files takes a quarter of a second)."""
    if changed is not None and state.scanned is not None:
        known = {source.rel for source in state.scanned[0]}
        content_changes = {path for path in changed if path.startswith("content/")}
        if content_changes <= known and all((site_dir / path).is_file() for path in content_changes):
            return state.scanned
    state.scanned = scan.scan_content(site_dir)
    return state.scanned


def load_model(request: BuildRequest, state: BuildState | None = None) -> tuple[config.Settings, model.SiteModel | None, list[Problem]]:
    """The settings and the site model exactly as build() makes them, without rendering:
    for commands that work on the model (the newsletter). None when an error stops it.
    A build's state (the build cache) spares parsing the articles it already parsed."""
    settings, problems = config.load_settings(request.site_dir, request.base_url)
    if errors(problems):
        return settings, None, problems
    sources, found = scan.scan_content(request.site_dir)
    articles, parsed, _ = _parse_all(sources, settings, state if state is not None else BuildState(), Progress())
    now = request.now or datetime.now(settings.tz)
    site_model, modelled = model.build_model(articles, settings, model.BuildOptions(request.drafts, request.future, now))
    problems = sorted(set(problems + found + parsed + modelled))
    return settings, (None if errors(problems) else site_model), problems


def _parse_all(
    sources, settings, state: BuildState, progress: Progress, changed: set[str] | None = None
) -> tuple[list[content.Article], list[Problem], int]:
    """Every source's article, from the cache when its bytes, path and settings are known.
    Files the watcher did not report (`changed` given) are taken as the last build read them."""
    parse_settings = content.ParseSettings(settings.timezone, settings.words_per_minute)
    cache, state.parsed = state.parsed, {}  # keep only what this build used
    known, state.files = state.files, {}
    settled_before, state.settled_before = state.settled_before, time.time_ns() - SETTLE_NS
    problems: list[Problem] = []
    keys: list[str] = []
    missing: dict[str, tuple[scan.SourceFile, bytes]] = {}
    for source in sources:
        before = known.get(source.rel)
        if changed is not None and before and source.rel not in changed:
            raw, file_digest = None, before[1]
        else:
            raw, file_digest = _read_if_changed(source, before, settled_before)
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
        key = content.cache_key(source, file_digest, parse_settings)
        if key not in cache and key not in missing:
            raw = raw if raw is not None else content.read_bytes(source)  # known bytes, new settings
            if isinstance(raw, Problem):
                problems.append(raw)
                continue
            missing[key] = (source, raw)
        state.files[source.rel] = (_stat_stamp(source.path), file_digest) if raw is not None or not before else before
        keys.append(key)
    parsed = content.parse_many(list(missing.values()), parse_settings, progress.step("parse", len(missing)))
    cache.update(zip(missing, parsed))
    articles = []
    for key in keys:
        state.parsed[key] = article, found = cache[key]
        problems += found
        if article is not None:
            articles.append(article)
    return articles, problems, len(missing)


def _read_if_changed(source, known, settled_before: int):
    """(bytes or None, digest): a file whose stat is as the last build saw it, and whose
    last change is well before that build began, is not read again. A change in the
    same clock tick as that read would not show in the stat, hence the margin (the
    "racy clean" rule of git's index)."""
    stamp = _stat_stamp(source.path)
    if known and stamp and known[0] == stamp and stamp[3] < settled_before:
        return None, known[1]
    raw = content.read_bytes(source)
    if isinstance(raw, Problem):
        return raw, ""
    return raw, content.digest(raw)


def _stat_stamp(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


WHOLE_FILES = ("feed", "search index", "sitemap", "news sitemap")  # remember() results that are {path: bytes} of whole files


def _whole_files(fingerprint: bytes, compute, unchanged, state: BuildState, fingerprints: dict[str, bytes]) -> dict[str, bytes | None]:
    """Files made from one set of records: None for each when all of them are on disk as
    they would come out, else made afresh."""
    paths = state.produced.get(fingerprint)
    if paths and all([unchanged(path, fingerprint) for path in paths]):
        return dict.fromkeys(paths)
    files = compute()
    for path in files:
        fingerprints[path] = fingerprint
    state.produced[fingerprint] = tuple(files)
    return files


def _sources(pages: list[routes.Page], static: assets.StaticFiles, env, site_dir: Path) -> dict[str, str]:
    """Output file -> the file a reader of a problem report should open: an article's
    content file, the template of any other page, a static file's own file."""
    sources = {rel: render.site_relative(path, site_dir) for rel, path in static.files.items()}
    templates = {name: render.template_file(env, name, site_dir) for name in {p.template for p in pages}}
    for page in pages:
        entry = page.context.get("entry")
        sources[page.path] = entry.article.path if entry is not None else templates[page.template]
    return sources


def _clashes(generated: set[str], pages: dict[str, bytes | None]) -> list[Problem]:
    return [Problem("", 0, "", f"{path} is both a page and a generated file (feed, sitemap or index)") for path in sorted(set(generated) & set(pages))]


def _check_output(site_dir: Path, output: Path) -> list[Problem]:
    """The output folder is deleted and replaced: never let it be a folder of inputs."""
    site = site_dir.resolve()
    out = output.resolve()
    inputs = [site / name for name in ("content", "templates", "static")]
    if out == site or out in site.parents or any(out == p or p in out.parents for p in inputs):
        return [Problem("", 0, "output", f"{output} holds the site's own files; choose a separate output folder")]
    return []
