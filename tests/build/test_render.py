"""The template environment render.py makes: what its pages cost, with the same bytes."""

import functools
import pickle

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
    compiled: list[str] = []
    compile_source = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment,
        "compile",
        lambda env, source, name=None, *rest: compiled.append(name) or compile_source(env, source, name, *rest),
    )
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
