"""The template environment render.py makes: what its pages cost, with the same bytes."""

from broadsheet.build import config, render

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
