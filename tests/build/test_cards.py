"""A story's card is rendered once per render job and given again (render.Cards, the
`card` template global): the same bytes as calling the `story` macro on every list, the
site's own `story` (templates/_macros.html) honoured, one entry's card never another's."""

import re

import jinja2

from broadsheet import theme
from broadsheet.build.render import Cards

from conftest import article, run_cli, tree_bytes

CALLS = re.compile(r"card\((\w+), ([^)]*)\)")


def digest(make_site, extra: dict[str, str] | None = None):
    """Stories over several days, tags, sections, sources, related stories, two languages,
    one with an image: every list the theme has, and cards in every variant."""
    files = {
        f"content/{('world', 'science', 'sport')[i % 3]}/s{i}.md": article(
            f"Story {i} <&>",
            f"2025-06-{10 + i % 6} {8 + i % 9:02d}:00",
            tags=f"[T{i % 4}, T{i % 5}]",
            source=f"{{name: Source {i % 3}, url: 'https://example.org/{i}'}}",
            authors=f"[Author {i % 2}]",
            **({"lang": "de"} if i % 7 == 0 else {}),
            **({"image": "{src: /img/x.png, alt: An image}"} if i % 5 == 0 else {}),
        )
        for i in range(24)
    }
    return make_site({**files, **(extra or {})})


def theme_template(name: str) -> str:
    return (theme.TEMPLATES / name).read_text()


def test_cards_are_the_bytes_the_story_macro_makes_on_every_page(make_site, tmp_path):
    """The theme's templates (cards, bylines and tag lists given again) against the same
    templates calling the macros every time: every page the same bytes."""
    site = digest(make_site)
    assert run_cli("build", "--site", site, "--output", tmp_path / "cards", "--no-cache").code == 0
    direct = {}
    for name in ("term.html", "article.html", "story.html", "_macros.html", "base.html"):
        source = theme_template(name)
        assert CALLS.search(source), name  # the theme's lists (and its story card's parts) use card()
        direct[f"templates/{name}"] = CALLS.sub(r"\1(\2)", source)
    for name in ("index.html", "edition.html"):
        assert "story_list(" in theme_template(name), name  # through _macros.html's card() calls
    site = digest(make_site, direct)
    assert run_cli("build", "--site", site, "--output", tmp_path / "direct", "--no-cache").code == 0
    cards, plain = tree_bytes(tmp_path / "cards"), tree_bytes(tmp_path / "direct")
    assert cards.keys() == plain.keys() and len(cards) > 40
    assert [path for path in cards if cards[path] != plain[path]] == []


def test_a_sites_own_story_macro_shows_in_every_list(make_site):
    macros = theme_template("_macros.html").replace(
        '<article class="story',
        '<p class="own-card" data-heading="{{ heading }}" data-lazy="{{ lazy }}">{{ entry.url }}</p>\n<article class="story',
    )
    site = digest(make_site, {"templates/_macros.html": macros})
    assert run_cli("build", "--site", site, "--no-cache").code == 0
    out = site / "site"
    lists = [out / "index.html", out / "tags/t1/index.html", out / "sections/science/index.html"]
    lists += [out / "sources/source-1/index.html", out / "authors/author-0/index.html"]
    lists += sorted(out.glob("2025/06/1?/index.html"))[:2]
    for page in lists:
        html = page.read_text()
        links = re.findall(r'<h[23] class="story-title"><a href="([^"]+)"', html)
        own = re.findall(r'<p class="own-card" data-heading="h[23]" data-lazy="(?:True|False)">([^<]+)</p>', html)
        assert links and own == links and len(set(own)) == len(own), page  # each card its own entry's
    related = (out / "2025/06/10/story-6/index.html").read_text().split('class="related"')[1]
    assert 'class="own-card" data-heading="h3" data-lazy="True"' in related


def test_a_sites_own_masthead_is_the_top_of_every_page(make_site):
    """The masthead is made once a build (a card, in base.html), from the site's own
    _masthead.html when it has one; the pages' own parts stay their own."""
    masthead = theme_template("_masthead.html").replace('<header class="masthead">', '<header class="masthead own">')
    site = digest(make_site, {"templates/_masthead.html": masthead})
    assert run_cli("build", "--site", site, "--no-cache").code == 0
    pages = [p for p in (site / "site").rglob("*.html") if "newsletter" not in p.parts]
    assert len(pages) > 40
    for page in pages:
        html = page.read_text()
        assert html.count('<header class="masthead own">') == 1 and html.count('<header class="masthead') == 1, page
        assert html.index('<header class="masthead own">') < html.index('<main id="main"'), page
    story = (site / "site/2025/06/10/story-6/index.html").read_text()
    assert "<h1>Story 6 &lt;&amp;&gt;</h1>" in story and '<a class="skip" href="#main">' in story


def test_a_card_is_made_once_per_entry_and_arguments():
    env = jinja2.Environment(autoescape=True)
    made = []
    env.globals["note"] = made.append
    story = env.from_string(
        '{% macro story(entry, heading="h3") %}{{ note(entry.title) or "" }}<{{ heading }}>{{ entry.title }}'
        "</{{ heading }}>{% endmacro %}"
    ).module.story

    class Entry:
        def __init__(self, title: str):
            self.title = title

    cards = Cards()
    one, twin, other = Entry("One"), Entry("One"), Entry("Other")
    assert str(cards(story, one, "h2")) == "<h2>One</h2>"
    assert cards(story, one, "h2") == "<h2>One</h2>" and made == ["One"]  # given again
    assert cards(story, twin, "h2") == "<h2>One</h2>" and made == ["One", "One"]  # by identity, never equality
    assert cards(story, other, "h2") == "<h2>Other</h2>"
    assert cards(story, one) == "<h3>One</h3>" and cards(story, one, heading="h4") == "<h4>One</h4>"
    assert len(made) == 5
    assert cards(story, one, ["h2"]) is not None and len(made) == 6  # an argument that is no key: made again
    cards.forget()
    assert cards(story, one, "h2") == "<h2>One</h2>" and len(made) == 7
