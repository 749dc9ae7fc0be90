"""A serve session keeps the story cards its render workers made (render.Cards, kept in
incremental/kept_cards.py) and gives them to the next build's workers, but only while
everything a card is made from is as it was: after each kind of edit below, the session's
output is byte for byte a clean build of the same files. Real folders, the real session
and server (so the pages travel to forkserver workers, as in `serve`), real processes."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from broadsheet import theme
from broadsheet.build import render
from broadsheet.build.request import BuildRequest
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite

from conftest import run_cli, stories, tree_bytes

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")

SETTINGS = "title: Kept Cards\nbase_url: https://example.org/digest/\ntimezone: UTC\n"
THEME_MACROS = (theme.TEMPLATES / "_macros.html").read_text()
STORY_OPENS = '<article class="story'
EXTRA_CSS = "p { color: blue }\n"


def own_macros(extra: str, head: str = "") -> str:
    """The theme's _macros.html with `extra` inside every story card (and `head` on top)."""
    assert STORY_OPENS in THEME_MACROS
    return head + THEME_MACROS.replace(STORY_OPENS, extra + STORY_OPENS)


class Session:
    """A serve session of a site of 40 stories, rendered by worker processes."""

    def __init__(self, make_site, monkeypatch, files: dict[str, str]) -> None:
        monkeypatch.setattr(render, "PARALLEL_FROM", 10)
        monkeypatch.setattr(render, "CHUNK", 9)
        self.site = make_site({**stories(40, desks=3), **files}, SETTINGS)
        self.footer = self.site / "templates/_footer.html"
        self.footer.parent.mkdir(exist_ok=True)
        self.footer.write_text("<footer><p>Footer 0</p></footer>\n")
        self.server = DevServer(self.site / "site", "/digest/", "127.0.0.1", 0)
        self.server.start()  # its thread: from here on the pages travel to forkserver workers
        self.live = LiveSite(BuildRequest(self.site), self.server, out=io.StringIO())
        assert self.live.rebuild().ok

    def save(self, rel: str, text: str) -> int:
        """Write a file, rebuild as the watcher would; the cards the build was given."""
        (self.site / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.site / rel).write_text(text)
        report = self.live.rebuild({rel})
        assert report.ok, report.problems
        return self.live.state.memo.cards.given

    def clean_equals(self, output: Path) -> dict[str, bytes]:
        """The session's output is byte for byte a clean build's (into `output`)."""
        monkeypatched = render.PARALLEL_FROM
        render.PARALLEL_FROM = 10**9  # one process, no card kept
        try:
            assert run_cli("build", "--site", self.site, "--no-cache", "--output", output).code == 0
        finally:
            render.PARALLEL_FROM = monkeypatched
        served = tree_bytes(self.site / "site")
        assert served == tree_bytes(output)
        return served


@pytest.fixture
def session(make_site, monkeypatch):
    made: list[Session] = []

    def start(files: dict[str, str] | None = None) -> Session:
        made.append(Session(make_site, monkeypatch, files or {}))
        return made[-1]

    yield start
    for each in made:
        each.server.stop()


def test_a_template_edit_elsewhere_gives_the_cards_again_and_the_pages_are_a_clean_builds(session, tmp_path):
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")  # the cards are made
    given = live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n")
    assert given > 40 * 3, "story cards, bylines and tag lists were made again"
    served = live.clean_equals(tmp_path / "clean")
    assert any(b"Footer 2" in page and b'class="story' in page for page in served.values())


def _contains(served: dict[str, bytes], marker: bytes) -> int:
    return sum(marker in page for page in served.values())


EDITS: dict[str, tuple[dict[str, str], Callable[[Session], int], bytes]] = {
    # the card macro's own template: the site's override of the theme's, created mid-session
    "override created": (
        {},
        lambda live: live.save("templates/_macros.html", own_macros("<i>own story</i>")),
        b"<i>own story</i>",
    ),
    # ... and edited
    "override edited": (
        {"templates/_macros.html": own_macros("<i>first</i>")},
        lambda live: live.save("templates/_macros.html", own_macros("<i>second</i>")),
        b"<i>second</i>",
    ),
    # a template the macro's template imports
    "imported template edited": (
        {
            "templates/_macros.html": own_macros("{{ mark() }}", '{% from "_mark.html" import mark %}\n'),
            "templates/_mark.html": "{% macro mark() %}<i>mark one</i>{% endmacro %}",
        },
        lambda live: live.save("templates/_mark.html", "{% macro mark() %}<i>mark two</i>{% endmacro %}"),
        b"<i>mark two</i>",
    ),
    # a static file whose fingerprinted name a card shows (the settings and entries as they were)
    "asset changed": (
        {
            "templates/_macros.html": own_macros('<link rel="stylesheet" href="{{ asset(\'css/extra.css\') }}">'),
            "static/css/extra.css": "p { color: red }\n",
        },
        lambda live: live.save("static/css/extra.css", EXTRA_CSS),
        b"css/extra." + hashlib.sha256(EXTRA_CSS.encode()).hexdigest()[:10].encode() + b".css",
    ),
    # a setting a card shows (the masthead, made once a build as a card; a change of the
    # settings also gives the model new entries)
    # a setting a card shows (the masthead, made once a build as a card)
    "settings changed": (
        {},
        lambda live: live.save("broadsheet.yaml", SETTINGS.replace("Kept Cards", "Renamed Site")),
        b"Renamed Site",
    ),
    # an entry: the article's title, on every list that shows its card
    "entry changed": (
        {},
        lambda live: live.save(
            "content/s1/a4.md", (live.site / "content/s1/a4.md").read_text().replace("Story 4", "Retitled four")
        ),
        b"Retitled four",
    ),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_cards_are_made_again_when_what_they_are_made_of_changes(session, tmp_path, kind):
    files, edit, marker = EDITS[kind]
    live = session(files)
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")  # the cards are made
    assert live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n") > 0  # ... and given again
    edit(live)
    served = live.clean_equals(tmp_path / "clean")
    assert _contains(served, marker) > 1, "the edit shows on several pages"
    # and the cards made after the edit are given again at the next
    assert live.save("templates/_footer.html", "<footer><p>Footer 3</p></footer>\n") > 0
    assert live.clean_equals(tmp_path / "again")


def test_a_setting_change_drops_every_card(session):
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    assert live.save("broadsheet.yaml", SETTINGS.replace("Kept Cards", "Renamed Site")) == 0


def test_an_edit_of_the_card_macros_template_keeps_only_the_cards_of_other_templates(session):
    live = session({"templates/_macros.html": own_macros("<i>first</i>")})
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    assert live.save("templates/_macros.html", own_macros("<i>second</i>")) == 1  # the masthead's, of _masthead.html
