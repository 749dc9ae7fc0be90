"""Pages -> HTML bytes through Jinja. The site's templates/ override the theme's."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
import traceback
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from broadsheet import theme
from broadsheet.build import pool, relative, sitefiles, write
from broadsheet.build.config import Settings
from broadsheet.build.routes import Page
from broadsheet.problems import Problem, not_utf8
from broadsheet.theme.localise import Localiser


class TemplateFiles(jinja2.FileSystemLoader):
    """Jinja's file loader, but a file that is not UTF-8 is a template error at its first
    bad byte (as every caller already reports template errors), not a UnicodeDecodeError."""

    def __init__(self, searchpath: Path, site_dir: Path | None = None):
        super().__init__(searchpath)
        self.site_dir = site_dir  # None for the theme's own templates

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            source = super().get_source(environment, template)
            # template_problems reports it by name
            if self.site_dir is not None and not sitefiles.inside(Path(source[1]), self.site_dir):
                raise jinja2.TemplateNotFound(template, "symlink points outside the site folder")
            return source
        except UnicodeDecodeError as exc:
            filename = next(p for p in (Path(root, template) for root in self.searchpath) if p.is_file())
            problem = not_utf8(str(filename), filename.read_bytes(), exc)
            raise jinja2.TemplateSyntaxError(problem.message, problem.line, template, str(filename)) from None


def template_problems(site_dir: Path) -> list[Problem]:
    """The site's templates/ holds no symlink out of the site folder (a template can
    include any file it can read, and publish it), no pipe, no name that is not UTF-8."""
    _, refused = sitefiles.walk_files(site_dir / "templates", site_dir, lambda name: name.startswith("."))
    return [Problem(rel, 0, "", message) for rel, message in refused]


class Cards:
    """The template global `card(macro, entry, *args)`: macro(entry, *args), made once per
    render job for the same macro, entry and arguments and given again after. A story's card
    is the same HTML on every list that shows it, and rendering it again for each (110,000
    times for 14,000 pages at 10,000 articles) was most of the render stage.

    The same bytes as calling the macro, as long as the macro gives the same HTML for the
    same arguments: a macro imported without context (as the theme's templates import
    `story`) sees only its arguments and the environment's globals, which do not change
    within a job, and the model's entries are frozen. The key holds the macro object itself
    (a site's own `story` in its templates/_macros.html is another macro, another key) and
    the entry by identity, never by equality; the memo keeps each entry alive, so no other
    entry can take its id while its card is kept.

    A job may be given cards made by earlier ones (`carry`, a serve session's: see
    CarriedCards), and then reports the cards it made that a later job may be given."""

    def __init__(self) -> None:
        self._made: dict[tuple, tuple[object, Any]] = {}
        self._lasting: _LastingCards | None = None

    def forget(self) -> None:
        self._made.clear()
        self._lasting = None

    def carry(self, env: jinja2.Environment, carried: CarriedCards) -> None:
        self._lasting = _LastingCards(env, carried)

    def made_since(self) -> list[tuple[LastingKey, bytes]]:
        """The cards made since the last call that a later job may be given."""
        return self._lasting.drain() if self._lasting is not None else []

    def __call__(self, macro: Callable, entry: object, *args: Any, **kwargs: Any) -> Any:
        key = (macro, id(entry), args, tuple(kwargs.items()))
        try:
            made = self._made.get(key)
        except TypeError:  # an argument that cannot be a key (a list): made every time
            return macro(entry, *args, **kwargs)
        if made is None or made[0] is not entry:
            lasting = self._lasting
            html = macro(entry, *args, **kwargs) if lasting is None else lasting.card(macro, entry, args, kwargs)
            made = self._made[key] = (entry, html)
        return made[1]


# A card as jobs in other processes name it: (template, macro, the entry's place in
# CarriedCards.anchors, the other arguments with their types)
LastingKey = tuple[str, str, int, tuple]


@dataclass
class CarriedCards:
    """Cards made by a serve session's earlier builds, for the workers of this one (which
    get the pages pickled) to give again rather than make. Objects do not keep their
    identity from one process to another, so a card names its entry by its place among
    `anchors` (the model's entries and the like, pickled with the pages: the same objects
    the pages hold, there as here); `kept`: the cards still valid, which the caller
    (incremental/kept_cards.py) decides; `made`: what the workers made besides (both
    workers may make one card: kept once), for the caller to keep. A card's HTML as
    UTF-8: a string pickled keeps a UTF-8 copy of itself beside its text (for good, in
    the process that keeps the cards), and takes up to four bytes a character."""

    anchors: list[object]
    kept: dict[LastingKey, bytes]
    made: dict[LastingKey, bytes] = field(default_factory=dict)
    # where the workers' cards go instead of `made`, as they come (a command line's build
    # stores them: incremental/stored_cards.Streamed)
    sink: Callable[[list[tuple[LastingKey, bytes]]], None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "made": {}, "sink": None}  # the workers' own, not this process's

    def arrived(self, made: list[tuple[LastingKey, bytes]]) -> None:
        """Cards a worker made, for the caller."""
        if self.sink is not None:
            self.sink(made)
        else:
            self.made.update(made)


class _LastingCards:
    """A job's dealings with cards that outlast it: only a macro of a template's module as
    an import without context gets it (the one object every page shares, which sees its
    arguments and the globals alone, not a page's variables), only for an entry among the
    anchors, and only with arguments of plain values."""

    def __init__(self, env: jinja2.Environment, carried: CarriedCards) -> None:
        self.env = env
        self.kept = carried.kept
        self.places = {id(anchor): n for n, anchor in enumerate(carried.anchors)}
        self.anchors = carried.anchors  # alive while their ids are keys
        self.macros: dict[int, tuple[Callable, tuple[str, str] | None]] = {}
        self.made: list[tuple[LastingKey, bytes]] = []

    def drain(self) -> list[tuple[LastingKey, bytes]]:
        made, self.made = self.made, []
        return made

    def card(self, macro: Callable, entry: object, args: tuple, kwargs: dict[str, Any]) -> Any:
        key = self._key(macro, entry, args, kwargs)
        if key is None:
            return macro(entry, *args, **kwargs)
        html = self.kept.get(key)
        if html is not None:
            return markupsafe.Markup(html.decode())
        made = macro(entry, *args, **kwargs)
        if type(made) is markupsafe.Markup:
            self.made.append((key, made.encode()))
        return made

    def _key(self, macro: Callable, entry: object, args: tuple, kwargs: dict[str, Any]) -> LastingKey | None:
        place = self.places.get(id(entry))
        if place is None:
            return None
        named = self._named(macro)
        if named is None:
            return None
        arguments = plain_key(args, kwargs)
        return None if arguments is None else (*named, place, arguments)

    def _named(self, macro: Callable) -> tuple[str, str] | None:
        """(template, macro name) of a macro of its template's shared module, else None."""
        known = self.macros.get(id(macro))
        if known is not None and known[0] is macro:
            return known[1]
        named = None
        if isinstance(macro, jinja2.runtime.Macro):
            template = macro._func.__globals__.get("name")  # the template's code names it
            try:
                # Jinja's module of the template, as `{% from ... import %}` gives it (never
                # made here: that would run the template's top level)
                module = self.env.get_template(template)._module if isinstance(template, str) else None
            except Exception:  # a template that does not load now: no card of it lasts
                module = None
            if isinstance(template, str) and module is not None and getattr(module, macro.name, None) is macro:
                named = (template, str(macro.name))
        self.macros[id(macro)] = (macro, named)
        return named


_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain_key(args: tuple, kwargs: dict[str, Any]) -> tuple | None:
    """The arguments with their types, so that an argument True and an argument 1, equal in
    Python, are not the same card; None unless each is a plain scalar (a string, number,
    None): nothing else is compared by value from one build to the next."""
    kinds = tuple(map(type, args))
    if not _SCALARS.issuperset(kinds):
        return None
    if not kwargs:
        return (args, kinds)
    named = tuple(sorted(kwargs.items()))
    named_kinds = tuple(type(value) for _, value in named)
    if not _SCALARS.issuperset(named_kinds):
        return None
    return (args, kinds, named, named_kinds)


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates' compiled code, kept in `store` between builds (a serve session's memo)
    under each template's name, and used only while its source is the one it was compiled
    from (Jinja checks the source's checksum): a build compiles only the templates edited
    since the last, not every template of the theme again. What is not in `store` is asked
    of `on_disk`, the user's own cache of compiled templates (user_compiled_templates),
    which every process shares: a command line's build and each render worker otherwise
    compiled every template it used again (article.html and what it includes: 60 ms)."""

    def __init__(self, store: dict[str, bytes], on_disk: jinja2.BytecodeCache | None = None) -> None:
        self.store, self.on_disk = store, on_disk

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # resets itself when the checksum differs
        if bucket.code is None and self.on_disk is not None:
            with contextlib.suppress(OSError):  # unreadable: compiled here, as without it
                self.on_disk.load_bytecode(bucket)  # Jinja's: a file for another source or Python is not used
            if bucket.code is not None:
                self.store[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()
        if self.on_disk is not None:
            with contextlib.suppress(OSError):  # a full or read-only disk: the next process compiles again
                self.on_disk.dump_bytecode(bucket)


def keep_compiled(env: jinja2.Environment, store: dict[str, bytes]) -> None:
    """Keep the templates env compiles in `store` too (a serve session's memo), beside the
    user's cache its recipe gave it (not looked for again)."""
    on_disk = env.bytecode_cache.on_disk if isinstance(env.bytecode_cache, CompiledTemplates) else None
    env.bytecode_cache = CompiledTemplates(store, on_disk)


def user_compiled_templates() -> jinja2.BytecodeCache | None:
    """Jinja's cache of compiled templates, in a folder of this user's alone in the system's
    temporary folder, never in the site folder: compiled code is run when loaded, and a site
    folder is copied from others, while the build cache there holds only data
    (incremental/cache.py). The folder is made mode 0700 and used only when it is a real
    folder (not a link), this user's, and 0700; nothing is ever changed on one found
    otherwise (Jinja's own default changes the mode of what a link there points at). None
    when no such folder can be had."""
    if not hasattr(os, "getuid"):  # Windows: no owner to check by
        return None
    folder = os.path.join(tempfile.gettempdir(), f"broadsheet-templates-{os.getuid()}")
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        st = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) != 0o700:
        return None
    return jinja2.FileSystemBytecodeCache(folder)


def _escape(value: Any) -> markupsafe.Markup:
    """markupsafe.escape, the same Markup for every value, without its two Python-level steps
    where they change nothing: a plain string escaped is made Markup directly (not through
    Markup's own __new__, which asks again for __html__), and a value that is exactly Markup
    is given back as it is (markupsafe copies it: a kept card, thousands of characters, once
    a page). Every `{{ value }}` of every template goes through it: 900,000 calls at a
    template edit at 10,000 articles."""
    kind = type(value)
    if kind is str:
        return _MAKE_STR(markupsafe.Markup, _ESCAPE_TEXT(value))
    if kind is markupsafe.Markup:
        return value
    return markupsafe.escape(value)


def _text_escaper() -> Callable[[str], str]:
    """markupsafe's own escape of a plain string (`_escape_inner`, markupsafe 3, in C), when
    it escapes a probe of every special character as markupsafe 2 and 3 do; else
    `markupsafe.escape` itself. The name is private: a markupsafe that changed what it does
    falls back here rather than let text through unescaped."""
    inner = getattr(markupsafe, "_escape_inner", None)
    try:  # the expected text written out: markupsafe.escape itself calls _escape_inner
        if inner is not None and inner("<p class=\"a\" title='b'>&amp; é</p>") == ESCAPED_PROBE:
            return inner
    except Exception:  # any other signature: not the function this was written for
        pass
    return markupsafe.escape


ESCAPED_PROBE = "&lt;p class=&#34;a&#34; title=&#39;b&#39;&gt;&amp;amp; é&lt;/p&gt;"
_MAKE_STR = str.__new__
_ESCAPE_TEXT = _text_escaper()


class _Template(jinja2.Template):
    """Jinja's template, its code's `escape` (the one every autoescaped output calls) being
    `_escape`: the same Markup, given faster. Jinja binds the name when it runs the
    template's module code, so it is replaced right after, in that code's own namespace."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Any:
        if namespace.get("escape") is markupsafe.escape:  # Jinja's own, as every template's code imports it
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


def _call_way(obj: Any) -> tuple[Callable, Any]:
    """What Jinja's Context.call calls for `obj` and what it passes first: a callable
    object's __call__ when that asks for something (`jinja_pass_arg`, which pass_context
    and the like set), and the `jinja2.utils._PassArg` asked for, or None."""
    call = getattr(obj, "__call__", None)  # noqa: B004 (Jinja's own test)
    target = call if call is not None and getattr(call, "jinja_pass_arg", None) is not None else obj
    return target, getattr(target, "jinja_pass_arg", None)


_MACRO_CALL = jinja2.runtime.Macro.__call__
# what a macro asks for (its evaluation context, in Jinja 3.1): taken short only while it is that
_MACRO_WANTS_EVAL = getattr(_MACRO_CALL, "jinja_pass_arg", None) is jinja2.utils._PassArg.eval_context


class _Context(jinja2.runtime.Context):
    """Jinja's context, but a call from a template of an environment global (`card`,
    `pgettext`, `url_for`...) or of a macro does not ask the callable again, each time,
    what it wants passed (two getattr tests, and its __call__ looked up): known once for
    the globals (`_Environment.call_ways`), and for a macro by its class. 400,000 calls at
    a template edit at 10,000 articles. Anything else, and a callable that wants the
    context itself (which Jinja derives with the loop's and block's variables), goes
    through Jinja's own `call`."""

    @jinja2.utils.internalcode  # left out of a template error's traceback, as Jinja's own call is
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        env = __self.environment
        known = env.call_ways.get(id(__obj))  # type: ignore[attr-defined]  # only _Environment makes these
        if known is not None and known[0] is __obj:
            target, wants = known[1], known[2]
        elif type(__obj) is jinja2.runtime.Macro and _MACRO_WANTS_EVAL:  # Jinja asks its __call__, the class's
            target, wants = __obj.__call__, jinja2.utils._PassArg.eval_context
        else:
            return super().call(__obj, *args, **kwargs)
        if wants is jinja2.utils._PassArg.eval_context:
            args = (__self.eval_ctx, *args)
        elif wants is jinja2.utils._PassArg.environment:
            args = (env, *args)
        elif wants is not None:  # the context: Jinja's own way
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return target(*args, **kwargs)
        except StopIteration:
            return env.undefined("value was undefined because a callable raised a StopIteration exception")


class _Environment(jinja2.Environment):
    """Jinja's environment, but every template shares the environment's globals (a dict)
    instead of a ChainMap over them: each page's context copies the globals, and a
    ChainMap is copied key by key in Python (24 globals, twice a page: 8% of rendering).
    No template here is given globals of its own, and none are changed once templates
    are loaded, which is all the ChainMap guards against. Its templates are `_Template`s."""

    template_class = _Template
    context_class = _Context

    @functools.cached_property
    def call_ways(self) -> dict[int, tuple[Any, Callable, Any]]:
        """id -> (global, what is called, what it wants passed) for each callable global,
        for `_Context.call`: made at the first call from a template, once the globals are
        all set (they are not changed once templates are loaded); each global is kept by
        the environment, so no other object takes its id."""
        return {id(value): (value, *_call_way(value)) for value in self.globals.values() if callable(value)}

    def make_globals(self, d: Any) -> Any:
        return super().make_globals(d) if d else self.globals


def environment(
    site_dir: Path, settings: Settings, fingerprints: dict[str, str], helpers: dict[str, Callable] | None = None
) -> jinja2.Environment:
    """The site's templates over the theme's, with the site's words and URLs; `helpers`
    are the functions the output formats lend templates (structured data, image sizes)."""
    loader = jinja2.ChoiceLoader([TemplateFiles(site_dir / "templates", site_dir), TemplateFiles(theme.TEMPLATES)])
    env = _Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        # Every build makes its environment afresh (and serve's workers theirs from the
        # same recipe), so a template never changes under one: without this, each page
        # asked the disk whether its four templates had changed (a stat each).
        auto_reload=False,
        # Every template kept, in a plain dict: each page looks up its template and the
        # ones it imports (three or four a page), and Jinja's default, an LRU cache of 400,
        # takes a lock and moves the name along a deque at each look-up. A site has tens of
        # templates, and the environment lasts one build.
        cache_size=-1,
        bytecode_cache=CompiledTemplates({}, user_compiled_templates()),
    )
    base = settings.base_path
    env.globals.update(
        site=settings,
        card=Cards(),
        url_for=lambda path="": base + str(path).lstrip("/"),
        asset=lambda path: base + fingerprints.get(path.lstrip("/"), path.lstrip("/")),
        **(helpers or {}),
    )
    words = Localiser(settings.language, settings.phrases)
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # {% trans %} hands its values to our gettext
    env.globals.update(words.jinja_globals())
    env.filters.update(
        absolute=lambda url: settings.absolute(url),
        long_date=words.long_date,
        full_date=words.full_date,
        month_year=words.month_year,
        short_time=words.short_time,
        isoformat=lambda d: d.isoformat(),
    )
    return env


@dataclass
class RenderResult:
    pages: dict[str, bytes | None]  # None: as the last build wrote it, and still so on disk
    problems: list[Problem]
    rendered: int  # pages actually rendered


PARALLEL_FROM = 400  # pages per worker below which forking costs more than it saves


def render_pages(
    pages: list[Page],
    env: jinja2.Environment,
    site_dir: Path,
    common: dict[str, Any],
    skip: Callable[[Page], bool] | None = None,
    advance: Callable[[int], None] | None = None,
    sink: Callable[[str, bytes | None], None] | None = None,
    recipe: Callable[[], jinja2.Environment] | None = None,
    hand_over: Callable[[], write.Into] | None = None,
    told: Callable[[str, bool], None] | None = None,
    known: Collection[str] = (),
    cards: CarriedCards | None = None,
) -> RenderResult:
    """Render every page but those that `skip` says are on disk as they would come out.
    With a sink, each page's bytes (None when skipped) go there as soon as they are made,
    and the result keeps only their paths (as None), so a big site is never all in memory.
    `recipe`: a picklable function that makes `env` again, which lets workers that were
    not forked from here (the dev server's) render the pages too. `hand_over`, when the
    pages are many enough for workers: the tree being written, where the workers put the
    pages themselves (write.PageWriter), each then `told` (path, whether written) instead
    of given to the sink. `known`: paths of pages the caller knows are on disk as they
    would come out, and has told the writer of: neither asked of `skip` nor sunk. `cards`:
    cards earlier builds made, for workers the pages travel to (their new ones are put in
    its `made`)."""
    result = RenderResult({}, [], 0)
    todo = []
    for page in pages:
        if page.path in known:
            result.pages[page.path] = None
        elif skip is not None and skip(page):
            result.pages[page.path] = None
            if sink:
                sink(page.path, None)
        else:
            todo.append(page)
    problems: set[Problem] = set()
    into = (
        hand_over() if hand_over is not None and told is not None and pool.count(len(todo), PARALLEL_FROM) > 1 else None
    )
    job = _RenderJob(todo, env, site_dir, common, into)
    for html, page in zip(_render_all(job, advance, recipe, cards), todo, strict=True):
        if isinstance(html, Problem):
            problems.add(html)
            continue
        result.rendered += 1
        if isinstance(html, bool):  # put on disk by the worker (or found there): told, not sunk
            assert told is not None  # into says so
            told(page.path, html)
            result.pages[page.path] = None
            continue
        if sink:
            sink(page.path, html)
        result.pages[page.path] = None if sink else html  # a sink has taken it: not held twice
    result.problems = sorted(problems)
    return result


@dataclass
class _RenderJob:
    pages: list[Page]
    env: jinja2.Environment
    site_dir: Path
    common: dict[str, Any]
    into: write.Into | None = None  # where the pages go (write.PageWriter), when the workers write them
    writer: write.PageWriter | None = None  # made in the process that renders

    def __post_init__(self) -> None:
        # Cards are kept for one job: the next (serve's next build) may bring other entries.
        cards = self.env.globals.get("card")
        if isinstance(cards, Cards):
            cards.forget()

    def render(self, bounds: tuple[int, int]) -> list[bytes | bool | Problem]:
        """Each page's bytes; with `into`, True for a page written into the tree, False for
        one the live tree has as it comes out (write.PageWriter.put)."""
        start, stop = bounds
        out: list[bytes | bool | Problem] = []
        if self.into is not None and self.writer is None:
            self.writer = write.PageWriter(self.into)
        for page in self.pages[start:stop]:
            try:
                html = self.env.get_template(page.template).render({**self.common, **page.context})
            except Exception as exc:  # any template error: report it, keep going to find the rest
                out.append(template_problem(exc, page.template, self.site_dir))
                continue
            data = self._finished(html, page).encode("utf-8")
            put = self.writer.put(page.path, data) if self.writer is not None else None
            out.append(data if put is None else put)
        return out

    def _finished(self, html: str, page: Page) -> str:
        """The page as written: with relative_urls, its links made relative here, the one
        place every page of the site comes through (a full build and serve's short cut)."""
        settings: Settings = self.env.globals["site"]  # type: ignore[assignment]
        if settings.relative_urls and relative.wanted(page.path, page.template):
            return relative.relative_page(html, page.path, settings.base_path)
        return html


def _render_all(
    job: _RenderJob,
    advance: Callable[[int], None] | None,
    recipe: Callable[[], jinja2.Environment] | None = None,
    cards: CarriedCards | None = None,
) -> Iterator[bytes | bool | Problem]:
    """Across the cores for a big build (build/pool.py). Forked workers share the pages and
    the template environment without copying them. Where this process may not fork (the
    dev server's threads), a recipe for the environment lets the pages travel instead
    (_TravellingJob); without one they are rendered here. Pages come back a chunk at a
    time, in order."""
    total = len(job.pages)
    chunks = [(i, min(i + CHUNK, total)) for i in range(0, total, CHUNK)]
    workers = pool.count(total, PARALLEL_FROM)
    forks = pool.usable(workers) > 1
    travels = recipe is not None and not forks and pool.usable(workers, picklable=True) > 1
    if forks or travels:
        compile_ahead(job.env)  # once here, not once a worker
    if travels:
        assert recipe is not None  # travels says so
        results = _travelled(job, recipe, chunks, workers, cards)
    elif cards is not None and (forks or cards.sink is not None):
        results = _with_cards(job, chunks, workers, cards)
    else:
        results = pool.run(job.render, chunks, workers)
    # results first: zip then runs the pool to its end, which waits for the workers to exit,
    # rather than leaving them alive (and their memory held) until the build is over
    for rendered, (start, stop) in zip(results, chunks, strict=True):
        yield from rendered
        if advance:
            advance(stop - start)


def _with_cards(
    job: _RenderJob, chunks: list[tuple[int, int]], workers: int, cards: CarriedCards
) -> Iterator[list[bytes | bool | Problem]]:
    """pool.run(job.render), across forked workers (or here, for a command line's cards:
    `cards.sink`) that give the cards they inherit with the job (`cards.kept`: no pickling,
    its anchors the very objects the pages hold) and send back with each chunk the cards
    they made, for the caller (`cards.arrived`)."""
    maker = job.env.globals.get("card")
    if not isinstance(maker, Cards):  # a site's own `card` global: nothing to keep
        yield from pool.run(job.render, chunks, workers)
        return
    maker.carry(job.env, cards)  # before the fork: each worker inherits it
    try:
        for rendered, made in pool.run(_CollectingJob(job), chunks, workers):
            cards.arrived(made)
            yield rendered
    finally:
        maker.forget()


@dataclass
class _CollectingJob:
    """A forked worker's chunk: its pages, with the cards made for them since the last."""

    job: _RenderJob

    def __call__(self, bounds: tuple[int, int]) -> tuple[list[bytes | bool | Problem], list[tuple[LastingKey, bytes]]]:
        rendered = self.job.render(bounds)
        maker = self.job.env.globals.get("card")
        return rendered, maker.made_since() if isinstance(maker, Cards) else []


def _travelled(
    job: _RenderJob,
    recipe: Callable[[], jinja2.Environment],
    chunks: list[tuple[int, int]],
    workers: int,
    cards: CarriedCards | None = None,
) -> Iterator[list[bytes | bool | Problem]]:
    """The chunks rendered by workers that got the pages pickled, once each. A chunk that
    comes back for other pages than this process's (their paths, in order), or from a
    worker running another copy of Broadsheet (one that imported it from elsewhere on
    its path), is rendered here instead: a worker's page is this process's, or unused; so
    are the cards it made. The cards the workers made are put in `cards.made`."""
    travelling = _TravellingJob(
        job.pages, job.site_dir, job.common, recipe, job.env, _compiled(job.env), job.into, cards=cards
    )
    for (code, paths, rendered, made), bounds in zip(
        pool.run(travelling, chunks, workers, picklable=True), chunks, strict=True
    ):
        if code != __file__ or paths != [page.path for page in job.pages[bounds[0] : bounds[1]]]:
            rendered = job.render(bounds)
        elif cards is not None:
            cards.arrived(made)
        yield rendered


@dataclass
class _TravellingJob:
    """_RenderJob for a worker that was not forked from here: pickled without the template
    environment (functions cannot be), which the worker makes from the recipe, the same
    call that made this process's, once for all its chunks. It names the code it ran
    (this module's file) and the pages it rendered."""

    pages: list[Page]
    site_dir: Path
    common: dict[str, Any]
    recipe: Callable[[], jinja2.Environment]
    env: jinja2.Environment | None = None
    compiled: dict[str, bytes] = field(default_factory=dict)  # templates' code, compiled here (CompiledTemplates)
    into: write.Into | None = None  # where the worker puts the pages it renders (write.PageWriter)
    job: _RenderJob | None = None  # made once a worker: its cards last for all its chunks
    cards: CarriedCards | None = None  # cards of earlier builds (a serve session's)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "env": None, "job": None}

    def __call__(
        self, bounds: tuple[int, int]
    ) -> tuple[str, list[str], list[bytes | bool | Problem], list[tuple[LastingKey, bytes]]]:
        """The chunk's pages, with the cards made for them that a later build may be given."""
        if self.job is None:
            env = self.env
            if env is None:
                env = self.recipe()
                env.bytecode_cache = CompiledTemplates(self.compiled)  # only for the sources compiled from
            self.job = _RenderJob(self.pages, env, self.site_dir, self.common, self.into)
            card_maker = env.globals.get("card")
            if self.cards is not None and isinstance(card_maker, Cards):
                card_maker.carry(env, self.cards)
        rendered = self.job.render(bounds)
        card_maker = self.job.env.globals.get("card")
        made = card_maker.made_since() if isinstance(card_maker, Cards) else []
        return __file__, [page.path for page in self.pages[bounds[0] : bounds[1]]], rendered, made


CHUNK = 200  # pages a worker renders at a time


def compile_ahead(env: jinja2.Environment) -> None:
    """Every template the environment finds, compiled here before workers render: forked
    ones inherit them, the others are sent the code (with `env`'s CompiledTemplates, which a
    serve session keeps, only the templates edited since are compiled at all). Without it,
    each worker compiled every template again. One that does not compile is left for the
    render to report (at the page that uses it, as ever), and so is a folder that cannot be
    listed."""
    try:
        names = env.list_templates(filter_func=lambda name: not name.startswith("."))
    except OSError:
        return
    for name in names:
        try:
            env.get_template(name)
        except Exception:  # reported where a page renders it
            continue


def _compiled(env: jinja2.Environment) -> dict[str, bytes]:
    """The templates' code `env` compiled or was given (its CompiledTemplates), by template."""
    cache = env.bytecode_cache
    return dict(cache.store) if isinstance(cache, CompiledTemplates) else {}


def template_problem(exc: Exception, template: str, site_dir: Path) -> Problem:
    """`templates/<file>:<line>: template: <what>` for any error a template raised while
    `template` was rendered: the file and line where it happened, which for a template
    that is missing is the line that includes, imports or extends it."""
    filename, line = getattr(exc, "filename", None), getattr(exc, "lineno", None) or 0
    if not filename:
        filename, line = _template_frame(exc, site_dir)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"{exc.name!r} not found (in templates/ or the theme)"
    else:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return Problem(_template_name(filename, template, site_dir), line, "template", message)


def _template_frame(exc: Exception, site_dir: Path) -> tuple[str | None, int]:
    """The innermost frame in a template file (Jinja puts the templates' own files and
    lines into the traceback), or (None, 0) when no template was running."""
    roots = ((site_dir / "templates").resolve(), theme.TEMPLATES.resolve())
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if any(Path(frame.filename).resolve().is_relative_to(root) for root in roots):
            return frame.filename, frame.lineno or 0
    return None, 0


def _template_name(filename: str | None, fallback: str, site_dir: Path) -> str:
    if not filename:
        return f"templates/{fallback}"
    return site_relative(Path(filename), site_dir)


def site_relative(path: Path, site_dir: Path) -> str:
    """A file as problems name it: relative to the site folder, or in full (a theme file)."""
    path = path.resolve()
    try:
        return path.relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def template_file(env: jinja2.Environment, name: str, site_dir: Path) -> str:
    """The file a template name stands for: the site's override or the theme's own."""
    try:
        filename = env.loader.get_source(env, name)[1] if env.loader else None
    except jinja2.TemplateNotFound:
        filename = None
    return _template_name(filename, name, site_dir)
