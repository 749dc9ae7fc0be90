"""The template environment render.py makes: what its pages cost, with the same bytes."""

import functools
import pickle
import shutil
import stat
import tempfile
from pathlib import Path

import jinja2

from broadsheet.build import config, render
from broadsheet.build.routes import Page

from conftest import article


def environment(site):
    settings, problems = config.load_settings(site, None)
    assert problems == []
    return render.environment(site, settings, {})


def test_templates_share_the_environments_globals_rather_than_a_chain_over_them(make_site):
    """Each page's context copies its template's globals: a dict is copied in C, a ChainMap
    key by key in Python (8% of rendering)."""
    site = make_site({"content/a.md": article("A story", "2025-06-19")})
    env = environment(site)
    for name in ("article.html", "base.html", "_macros.html"):
        assert env.get_template(name).globals is env.globals
    assert type(env.globals) is dict
    assert type(env.cache) is dict  # the templates looked up without an LRU's lock and reordering


def test_a_template_given_globals_of_its_own_keeps_them_to_itself(make_site):
    site = make_site({"content/a.md": article("A story", "2025-06-19")})
    env = environment(site)
    own = env.get_template("404.html", globals={"extra": 1})
    assert own.globals["extra"] == 1 and "extra" not in env.globals
    assert "site" in own.globals  # over the environment's


def travelled(job: render._TravellingJob) -> render._TravellingJob:
    """The job as a worker not forked from here gets it."""
    return pickle.loads(pickle.dumps(job))


def plain_site(make_site):
    site = make_site({
        "templates/plain.html": "{% include 'part.html' %} {{ title }}\n",
        "templates/part.html": "<p>{{ 'part' | upper }}</p>",
    })  # fmt: skip
    settings, _ = config.load_settings(site, None)
    recipe = functools.partial(render.environment, site, settings, {})
    pages = [Page(f"p{i}/", f"/p{i}/", "plain.html", {"title": f"Page {i}"}) for i in range(5)]
    return site, recipe, pages


def test_workers_not_forked_from_here_are_sent_the_templates_compiled_here(make_site, monkeypatch):
    site, recipe, pages = plain_site(make_site)
    env = recipe()
    env.bytecode_cache = render.CompiledTemplates({})
    render.compile_ahead(env)
    job = render._TravellingJob(pages, site, {}, recipe, env, render._compiled(env))
    worker = travelled(job)
    compiled = spied_compiles(monkeypatch)
    _, paths, rendered, _ = worker((0, 5))
    assert compiled == []
    assert paths == [page.path for page in pages]
    assert rendered == [f"<p>PART</p> Page {i}\n".encode() for i in range(5)]


def test_a_template_edited_since_it_was_compiled_here_is_compiled_again_by_the_worker(make_site):
    site, recipe, pages = plain_site(make_site)
    env = recipe()
    env.bytecode_cache = render.CompiledTemplates({})
    render.compile_ahead(env)
    (site / "templates/part.html").write_text("<p>{{ 'edited' | upper }}</p>")
    _, _, rendered, _ = travelled(render._TravellingJob(pages, site, {}, recipe, None, render._compiled(env)))((0, 1))
    assert rendered == [b"<p>EDITED</p> Page 0\n"]


def test_compiling_ahead_leaves_a_broken_template_to_the_render_that_reports_it(make_site):
    site, recipe, pages = plain_site(make_site)
    (site / "templates/part.html").write_text("<p>{% if %}</p>")
    env = recipe()
    render.compile_ahead(env)
    result = render.render_pages(pages[:1], env, site, {})
    assert [(p.path, p.line, p.field) for p in result.problems] == [("templates/part.html", 1, "template")]


def spied_compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from source from now on."""
    compiled: list[str] = []
    compile_source = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment,
        "compile",
        lambda env, source, name=None, *rest: compiled.append(name) or compile_source(env, source, name, *rest),
    )
    return compiled


def rendered_plain(recipe, on_disk) -> str:
    env = recipe()
    env.bytecode_cache = render.CompiledTemplates({}, on_disk)
    return env.get_template("plain.html").render(title="T")


def test_a_template_compiled_by_one_process_is_loaded_by_the_next_from_the_users_cache(
    make_site, tmp_path, monkeypatch
):
    """A command line's build starts with no compiled template in memory: what an earlier
    process compiled comes from the user's cache folder, not compiled again (60 ms for
    article.html), and an edited template is compiled afresh (Jinja's checksum of the source)."""
    site, recipe, _ = plain_site(make_site)
    folder = tmp_path / "compiled"
    folder.mkdir()
    assert rendered_plain(recipe, jinja2.FileSystemBytecodeCache(str(folder))) == "<p>PART</p> T\n"
    assert len(list(folder.iterdir())) == 2  # plain.html and part.html
    compiled = spied_compiles(monkeypatch)
    assert rendered_plain(recipe, jinja2.FileSystemBytecodeCache(str(folder))) == "<p>PART</p> T\n"
    assert compiled == []
    (site / "templates/part.html").write_text("<p>{{ 'edited' | upper }}</p>")
    assert rendered_plain(recipe, jinja2.FileSystemBytecodeCache(str(folder))) == "<p>EDITED</p> T\n"
    assert compiled == ["part.html"]


def test_a_damaged_or_unwritable_cache_of_compiled_templates_is_passed_over(make_site, tmp_path, monkeypatch):
    """Garbage or a folder in place of a compiled template's file, and a cache folder that
    cannot be written: each template is compiled here, the page is right, nothing raises."""
    site, recipe, _ = plain_site(make_site)
    folder = tmp_path / "compiled"
    folder.mkdir()
    rendered_plain(recipe, jinja2.FileSystemBytecodeCache(str(folder)))
    first, second = sorted(folder.iterdir())
    first.write_bytes(b"not compiled code")
    second.unlink()
    second.mkdir()
    compiled = spied_compiles(monkeypatch)
    assert rendered_plain(recipe, jinja2.FileSystemBytecodeCache(str(folder))) == "<p>PART</p> T\n"
    assert sorted(compiled) == ["part.html", "plain.html"]
    gone = tmp_path / "gone"  # a folder removed after the cache was made: no file can be written in it
    assert rendered_plain(recipe, jinja2.FileSystemBytecodeCache(str(gone))) == "<p>PART</p> T\n"


def test_the_users_cache_of_compiled_templates_is_not_taken_from_a_folder_anyone_could_plant(tmp_path, monkeypatch):
    """Compiled code runs when it is loaded: a cache folder that is a link, or open to others,
    is refused, and the build compiles every template itself; nothing is changed on it, nor
    on what a link points at (Jinja's own default folder made a linked folder 0700)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = render.user_compiled_templates()
    assert mine is not None and Path(mine.directory).parent == tmp_path
    shutil.rmtree(mine.directory)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    Path(mine.directory).symlink_to(elsewhere)
    assert render.user_compiled_templates() is None
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    Path(mine.directory).unlink()
    Path(mine.directory).mkdir()
    Path(mine.directory).chmod(0o777)
    assert render.user_compiled_templates() is None
    assert stat.S_IMODE(Path(mine.directory).stat().st_mode) == 0o777


class _OwnHtml(str):
    """A string that says what it is as HTML (as a site's helper may return)."""

    def __html__(self):
        return "<b>" + self + "</b>"


class _MarkupOwnHtml(jinja2.utils.markupsafe.Markup):
    def __html__(self):
        return jinja2.utils.markupsafe.Markup("<i>" + str.__str__(self) + "</i>")


ESCAPED_VALUES = [
    "plain",
    "",
    '<a href="x">Tom & Jerry\'s</a>',
    "Привет <мир> & «кавычки»",
    jinja2.utils.markupsafe.Markup("<p>kept card &amp; all</p>"),
    _OwnHtml("own <html>"),
    _MarkupOwnHtml("marked <up>"),
    3,
    2.5,
    None,
    True,
    ["<list>"],
]


def test_the_templates_escape_gives_what_markupsafes_does_for_every_kind_of_value():
    """render._escape stands in for markupsafe.escape in every template: the same class and
    text for plain strings, Markup, a str or Markup subclass with its own __html__ (which
    must be asked, not taken as a plain string or as Markup), numbers, None, others."""
    for value in ESCAPED_VALUES:
        ours, theirs = render._escape(value), jinja2.utils.markupsafe.escape(value)
        assert (type(ours), str(ours)) == (type(theirs), str(theirs)), value


def test_a_markupsafe_whose_private_escape_changed_is_not_trusted(monkeypatch):
    """_escape uses markupsafe's private `_escape_inner` for plain strings only when it
    escapes a probe as markupsafe.escape does: one that lets text through, takes other
    arguments or is gone falls back to markupsafe.escape, never unescaped text."""
    markupsafe = jinja2.utils.markupsafe
    assert render._text_escaper() is getattr(markupsafe, "_escape_inner", markupsafe.escape)
    for stand_in in (lambda text: text, lambda text, quote: text, lambda text: text.replace("<", "&lt;")):
        monkeypatch.setattr(markupsafe, "_escape_inner", stand_in, raising=False)
        assert render._text_escaper() is markupsafe.escape
    monkeypatch.delattr(markupsafe, "_escape_inner")
    assert render._text_escaper() is markupsafe.escape


def test_every_template_of_the_environment_escapes_with_it_and_the_page_is_the_same(make_site):
    """The environment's templates (the theme's, a site's own, one from a string) output
    through render._escape, byte for byte what Jinja's own escape gives."""
    site = make_site(
        {
            "content/a.md": article("A story", "2025-06-19"),
            "templates/mine.html": "{% for v in values %}[{{ v }}]{% endfor %}",
        }
    )
    env = environment(site)
    for name in ("article.html", "base.html", "_macros.html", "mine.html"):
        assert env.get_template(name).root_render_func.__globals__["escape"] is render._escape
    plain = jinja2.Environment(autoescape=True, loader=env.loader)
    source = "{% for v in values %}[{{ v }}]{% endfor %}"
    assert env.get_template("mine.html").render(values=ESCAPED_VALUES) == plain.from_string(source).render(
        values=ESCAPED_VALUES
    )
    assert env.from_string(source).render(values=ESCAPED_VALUES) == plain.get_template("mine.html").render(
        values=ESCAPED_VALUES
    )


class _WantsContext:
    """A callable object whose __call__ asks for the context (Jinja then calls that)."""

    @jinja2.pass_context
    def __call__(self, context, name):
        return f"ctx:{context.get(name)}"


def _globals_of_every_kind():
    @jinja2.pass_context
    def from_context(context, name):
        return f"ctx:{context.get(name)}"

    @jinja2.pass_eval_context
    def from_eval(eval_ctx, value):
        return f"eval:{eval_ctx.autoescape}:{value}"

    @jinja2.pass_environment
    def from_env(env, value):
        return f"env:{env.trim_blocks}:{value}"

    def stops():
        raise StopIteration

    return {
        "plain": lambda value, suffix="": f"plain:{value}{suffix}",
        "from_context": from_context,
        "from_eval": from_eval,
        "from_env": from_env,
        "wants_context": _WantsContext(),
        "stops": stops,
    }


CALLS = """{% macro m(x, y="d") %}<{{ x }}|{{ y }}|{{ from_eval(x) }}>{% endmacro %}
{{ plain(1) }} {{ from_context("who") }} {{ from_eval(2) }} {{ from_env(3) }} {{ wants_context("who") }} {{ m(4) }}
{% for who in ["a", "b"] %}{{ plain(who, suffix="!") }} {{ from_context("who") }} {{ wants_context("who") }} {{ m(who, y=loop.index) }} {{ from_eval(who) }}
{% endfor %}{% set who = "set" %}{{ from_context("who") }} {{ m(5) }} [{{ stops() is undefined }}]
{% autoescape false %}{{ m("<i>") | e }}{% endautoescape %}
{% block b %}{{ plain(7, suffix="?") }} {% for i in [1] %}{{ plain(i) }} {{ from_context("who") }} {{ from_env(i) }} {{ m(i, "z") }}{% endfor %}{% endblock %}
"""


def test_calls_from_templates_give_what_jinjas_own_context_gives(make_site):
    """render._Context calls the environment's globals and macros knowing once what each
    wants passed (the context, the evaluation context, the environment, nothing), in and
    out of loops and blocks (whose variables Jinja hands a call to take off), a macro where
    autoescaping is off (which it learns from the evaluation context): every kind
    gives what Jinja's own Context.call gives, a StopIteration raised by one an undefined."""
    site = make_site({"content/a.md": article("A story", "2025-06-19"), "templates/calls.html": CALLS})
    env = environment(site)
    kinds = _globals_of_every_kind()
    env.globals.update(kinds)
    plain = jinja2.Environment(autoescape=True, loader=env.loader, trim_blocks=True)
    plain.globals.update(kinds)
    ours = env.get_template("calls.html").render(who="given")
    assert ours == plain.get_template("calls.html").render(who="given")
    assert "ctx:given" in ours and "ctx:set" in ours and "eval:True:4" in ours and "env:True:3" in ours
    assert "<4|d|eval:True:4>" in ours and "<a|1|" in ours and "[True]" in ours and "plain:7?" in ours
    assert "|d|eval:False:" in ours  # the macro told it is called where nothing is escaped
    # the globals were called the short way, the macros too
    assert {id(value) for value in kinds.values()} <= set(env.call_ways)
