"""An entry's templates read its article's fields off the entry (entry.title): through
properties made from the article's fields (model._read_through), never over the entry's
own fields, and the entry without body or summary of its own still reads its article's."""

import dataclasses
from datetime import UTC, datetime

from broadsheet.build import content, model

from conftest import article, real_articles


def entries_of(site):
    """The entries a build makes, by the stages' own public functions."""
    settings, articles = real_articles(site)
    for a in articles:
        if model.shown_as_written(a):  # as the build cache marks it (incremental/codec.py)
            object.__setattr__(a, "texts_as_written", True)
    built, problems = model.build_model(articles, settings, model.BuildOptions(now=datetime(2025, 7, 1, tzinfo=UTC)))
    assert problems == []
    return {e.title: e for e in built.entries}


def test_an_entry_gives_its_articles_fields_and_its_own_where_it_has_them(make_site):
    site = make_site(
        {
            "content/a.md": article(
                "Linking", "2025-06-19", "See [the other](plain.md).", tags="[Rain, Ветер]", lang="ru"
            ),
            "content/plain.md": article("Plain", "2025-06-18", "Nothing to resolve.", tags="[Rain]"),
        }
    )
    entries = entries_of(site)
    own = {f.name for f in dataclasses.fields(model.Entry)}
    for entry in entries.values():
        for f in dataclasses.fields(content.Article):
            if f.name not in own:
                assert isinstance(vars(model.Entry).get(f.name), property), f.name  # not __getattr__'s
                assert getattr(entry, f.name) == getattr(entry.article, f.name), f.name
    linking, plain = entries["Linking"], entries["Plain"]
    assert linking.lang == "ru" and linking.title == "Linking" and plain.lang == ""
    # the entry's own fields, not the article's that share their names
    assert [t.name for t in linking.tags] == ["Rain", "Ветер"] and linking.article.tags == ("Rain", "Ветер")
    assert all(isinstance(t, model.Term) for t in linking.tags)
    assert linking.path != linking.article.path
    assert 'href="/2025/06/18/plain/"' in linking.body_html and linking.body_html != linking.article.body_html
    # an entry showing its article's texts as written has none of its own: read from the article
    assert "body_html" not in vars(plain) and plain.body_html == plain.article.body_html
    assert plain.summary_html == plain.article.summary_html
