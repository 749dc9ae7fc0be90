"""Which templates keep an article's body on its own page: the condition for serve's
short cut after an edit of a body alone."""

from __future__ import annotations

import jinja2
import pytest

from broadsheet.incremental.fingerprint import bodies_stay_on_their_page

BASE = "<html>{% block main %}{% endblock %}</html>"
LIST = '{% extends "base.html" %}{% block main %}{% for e in entries %}{{ e.title }}{% endfor %}{% endblock %}'
ARTICLE = '{% extends "base.html" %}{% block main %}{{ entry.body_html | safe }} {{ entry.word_count }}{% endblock %}'


def private(**templates: str) -> bool:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"base.html": BASE, "list.html": LIST, "article.html": ARTICLE, **templates})
    )
    return bodies_stay_on_their_page(env, {"article.html"}, {"list.html"})


def test_the_plain_theme_shape_keeps_bodies_on_their_page():
    assert private()


@pytest.mark.parametrize(
    "template",
    [
        "{% for e in entries %}{{ e.body_html }}{% endfor %}",  # a list page shows bodies
        "{% for e in entries %}{{ e.article.word_count }}{% endfor %}",
        "{% for e in entries %}{{ e['content_hash'] }}{% endfor %}",
        "{% for e in entries %}{{ e | attr(name) }}{% endfor %}",  # a name only known at render time
        "{{ news_article(entries[0]) }}",
        "{% include name_of_template %}",  # any template could be pulled in
    ],
)
def test_a_list_template_that_can_read_bodies(template):
    assert not private(**{"list.html": '{% extends "base.html" %}{% block main %}' + template + "{% endblock %}"})


@pytest.mark.parametrize(
    "template",
    [
        "{% for entry in related %}{{ entry.body_html }}{% endfor %}",  # `entry` rebound: another story's body
        "{% macro card(entry) %}{{ entry.word_count }}{% endmacro %}{{ card(entry) }}",
        "{{ older.body_html }}",
        "{{ news_article(older) }}",
    ],
)
def test_an_article_template_that_reads_another_story_s_body(template):
    assert not private(**{"article.html": '{% extends "base.html" %}{% block main %}' + template + "{% endblock %}"})


def test_an_article_template_may_read_its_own_entry_and_call_functions_on_it():
    assert private(
        **{
            "article.html": '{% extends "base.html" %}{% block main %}{{ news_article(entry) }}{{ entry["body_html"] }}{% endblock %}'
        }
    )


def test_verdicts_kept_between_builds_follow_each_template_s_source():
    """serve keeps each template's verdict (Memo.body_reads) so that a template edit parses
    only the edited one: the verdict of a template is its source's, never its name's."""
    reads: dict[tuple[str, bool], bool] = {}
    sources = {"base.html": BASE, "list.html": LIST, "article.html": ARTICLE}
    env = jinja2.Environment(loader=jinja2.DictLoader(sources))
    assert bodies_stay_on_their_page(env, {"article.html"}, {"list.html"}, reads)
    assert (LIST, False) in reads and (ARTICLE, True) in reads
    showing = LIST.replace("e.title", "e.body_html")
    sources["list.html"] = showing  # the list template edited to show bodies: same name, new source
    env = jinja2.Environment(loader=jinja2.DictLoader(sources))
    assert not bodies_stay_on_their_page(env, {"article.html"}, {"list.html"}, reads)
    assert reads[(showing, False)] is True
    assert (LIST, False) not in reads  # a source edited away is not kept
    sources["list.html"] = LIST  # and back
    env = jinja2.Environment(loader=jinja2.DictLoader(sources))
    assert bodies_stay_on_their_page(env, {"article.html"}, {"list.html"}, reads)


def test_a_verdict_kept_is_given_again_without_parsing():
    reads: dict[tuple[str, bool], bool] = {}
    env = jinja2.Environment(loader=jinja2.DictLoader({"base.html": BASE, "list.html": LIST, "article.html": ARTICLE}))
    assert bodies_stay_on_their_page(env, {"article.html"}, {"list.html"}, reads)
    reads[(LIST, False)] = True  # as if list.html's source read bodies: the verdict kept is the one given
    assert not bodies_stay_on_their_page(env, {"article.html"}, {"list.html"}, reads)
