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
