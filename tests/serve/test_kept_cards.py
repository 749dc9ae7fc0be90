"""A serve session keeps the story cards its render workers made (render.Cards, kept in
incremental/kept_cards.py) and gives them to the next build's workers, and leaves them to
the next session of the output (incremental/stored_cards.py), but only while everything
a card is made from is as it was: after each kind of edit below, within a session or
between two, the session's output is byte for byte a clean build of the same files. Real
folders, the real session and server (so the pages travel to forkserver workers, as in
`serve`), real processes."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import broadsheet
from broadsheet import theme
from broadsheet.build import pool, render
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache, stored_cards
from broadsheet.incremental.kept_cards import KeptCards
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

    def __init__(self, make_site, monkeypatch, files: dict[str, str], built: tuple[str, ...] = ()) -> None:
        """`built`: the site first built by `broadsheet build` with these options (before
        any thread starts, so its workers are forked, as on the command line)."""
        monkeypatch.setattr(render, "PARALLEL_FROM", 10)
        monkeypatch.setattr(render, "CHUNK", 9)
        self.site = make_site({**stories(40, desks=3), **files}, SETTINGS)
        self.footer = self.site / "templates/_footer.html"
        self.footer.parent.mkdir(exist_ok=True)
        self.footer.write_text("<footer><p>Footer 0</p></footer>\n")
        if built:
            assert run_cli("build", "--site", self.site, *built[1:]).code == 0
        self.server = DevServer(self.site / "site", "/digest/", "127.0.0.1", 0)
        self.server.start()  # its thread: from here on the pages travel to forkserver workers
        self.live = LiveSite(BuildRequest(self.site), self.server, out=io.StringIO())
        assert self.live.rebuild().ok
        self.live.warm()  # as serve does once serving

    def save(self, rel: str, text: str) -> int:
        """Write a file, rebuild as the watcher would; the cards the build was given."""
        (self.site / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.site / rel).write_text(text)
        report = self.live.rebuild({rel})
        assert report.ok, report.problems
        return self.live.state.memo.cards.given

    def restart(self, warm: bool = True) -> str:
        """Stop the session as `serve` does (its last save), start another on the same
        output as `serve` does (its first build, the cache saved, then the warm-up); what
        it printed."""
        self.live.save_cache(last=True)
        out = io.StringIO()
        self.live = LiveSite(BuildRequest(self.site), self.server, out=out)
        assert self.live.rebuild().ok
        self.live.save_cache()
        if warm:
            self.live.warm()
        return out.getvalue()

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

    def start(files: dict[str, str] | None = None, built: tuple[str, ...] = ()) -> Session:
        made.append(Session(make_site, monkeypatch, files or {}, built))
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


# --- cards left for the next session (incremental/stored_cards.py) ---------------------------


def cards_file(live: Session) -> Path:
    return stored_cards.path_of(live.site, live.site / "site")


class Offline:
    """A session's site edited while no session runs: EDITS' edits, the files alone."""

    def __init__(self, live: Session) -> None:
        self.site = live.site

    def save(self, rel: str, text: str) -> int:
        (self.site / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.site / rel).write_text(text)
        return 0


def test_the_next_session_gives_the_cards_the_last_one_made(session, tmp_path):
    live = session()  # its first build made the cards
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    assert not cards_file(live).exists(), "stored only when the session saves its cache"
    printed = live.restart()
    assert "Rebuilt (start): 0 of 69 pages rendered" in printed and "note" not in printed, printed
    assert cards_file(live).exists()
    assert live.live.state.memo.cards.cards, "the warm-up restored them"
    given = live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n")
    assert given > 40 * 3, "the new session's first template edit made the cards again"
    served = live.clean_equals(tmp_path / "clean")
    assert _contains(served, b"Footer 2") > 40


def test_a_session_that_made_no_card_leaves_the_stored_ones_as_they_are(session):
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    live.restart()
    stored = cards_file(live).stat()
    live.restart()  # nothing edited: no card made, none stored again
    after = cards_file(live).stat()
    assert (after.st_ino, after.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)


RESTORED = {"entry changed": True, "settings changed": False, "asset changed": False}


@pytest.mark.parametrize("kind", list(EDITS))
def test_cards_stored_are_made_again_when_what_they_are_made_of_changed_between_sessions(session, tmp_path, kind):
    files, edit, marker = EDITS[kind]
    live = session(files)
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")  # the cards are made
    live.live.save_cache(last=True)
    edit(Offline(live))  # while no session runs
    live.restart()
    # the stored cards still good, beside those the start made (it rendered the pages the
    # edit changed); none where what every card shows changed (a setting, an asset's name)
    restored = live.live.state.memo.cards.restored
    if kind in RESTORED:  # (an edited card template: the start rendered every page and made them all)
        assert (restored > 0) == RESTORED[kind], restored
    assert live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n") > 40 * 3
    served = live.clean_equals(tmp_path / "clean")
    assert _contains(served, marker) > 1, "the edit shows on several pages"


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "cut short": lambda data: data[: len(data) // 2],
    "not MessagePack": lambda data: b"\xc1" * 64,
    "empty": lambda data: b"",
    "another version": lambda data: data.replace(broadsheet.__version__.encode(), b"0.0.0-other", 1),
    # the last card's digest a byte short: the file's records are checked one by one
    "a record damaged": lambda data: (lambda at: data[:at] + b"\xc4\x0f" + data[at + 2 :])(data.rindex(b"\xc4\x10")),
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_cards_file_is_said_and_the_cards_made_again(session, tmp_path, kind):
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    live.restart()
    path = cards_file(live)
    path.write_bytes(DAMAGE[kind](path.read_bytes()))
    printed = live.restart()
    notes = [line for line in printed.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and notes[0].startswith("note: story cards at ") and "not used" in notes[0], printed
    assert "Traceback" not in printed
    assert live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n") == 0  # made again
    assert live.clean_equals(tmp_path / "clean")
    live.restart()  # the next stop stores them whole again
    assert live.live.state.memo.cards.cards
    assert live.save("templates/_footer.html", "<footer><p>Footer 3</p></footer>\n") > 40 * 3


def test_a_cards_file_of_another_output_is_not_used(session, tmp_path):
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    live.restart()
    other = stored_cards.path_of(live.site, tmp_path / "elsewhere")
    other.parent.mkdir(parents=True)
    other.write_bytes(cards_file(live).read_bytes())  # copied to where another output's would be
    kept, note = stored_cards.load(live.site, tmp_path / "elsewhere")
    assert kept is None and "made with output" in note


def test_arguments_keep_their_types_and_an_int_no_file_holds_is_left_out(tmp_path):
    """Cards stored and loaded by hand: True and 1 stay apart, and a card whose argument
    is an int beyond MessagePack's range is not stored (the rest are)."""
    kept = KeptCards()
    kept.site, kept.templates = b"s" * 16, {"_macros.html": b"t" * 16}
    anchor = object()
    for arguments, html in (((True,), b"<b>true</b>"), ((1,), b"<b>one</b>"), ((1 << 70,), b"<b>huge</b>")):
        key = render.plain_key(arguments, {"lazy": 2.5})
        kept.cards[("_macros.html", "story", id(anchor), key)] = (anchor, html)
    site = tmp_path / "site"
    assert stored_cards.save(site, site / "site", kept, lambda record: b"d" * 16) is None
    loaded, note = stored_cards.load(site, site / "site")
    assert note is None
    restored = KeptCards()
    assert restored.restore(loaded.site, loaded.templates, loaded.cards, [anchor], lambda record: b"d" * 16) == 2
    by_arguments = {key[3]: html for key, (_, html) in restored.cards.items()}
    assert by_arguments == {
        render.plain_key((True,), {"lazy": 2.5}): b"<b>true</b>",
        render.plain_key((1,), {"lazy": 2.5}): b"<b>one</b>",
    }
    assert restored.site == b"s" * 16 and restored.templates == {"_macros.html": b"t" * 16}


def test_stored_cards_join_a_sessions_own_only_when_made_with_the_same_site_wide_values():
    """The start rendered some pages and made their cards: the stored ones join them, its
    own staying, a stored card of a template whose digest is not its own's left out."""
    anchors = [object(), object()]
    stored = {
        b"a" * 16: [("_macros.html", "story", ("x",), b"<stored a>"), ("_other.html", "tag", ("x",), b"<other a>")],
        b"b" * 16: [("_macros.html", "story", ("x",), b"<stored b>")],
    }
    digests = dict(zip(map(id, anchors), (b"a" * 16, b"b" * 16), strict=True))

    def session_with_own_card(site: bytes) -> KeptCards:
        kept = KeptCards()
        kept.site, kept.templates = site, {"_macros.html": b"m" * 16}
        kept.cards[("_macros.html", "story", id(anchors[0]), ("x",))] = (anchors[0], b"<own a>")
        return kept

    kept = session_with_own_card(b"s" * 16)
    templates = {"_macros.html": b"m" * 16, "_other.html": b"o" * 16}
    assert kept.restore(b"s" * 16, templates, stored, anchors, lambda a: digests[id(a)]) == 2
    assert {html for _, html in kept.cards.values()} == {b"<own a>", b"<other a>", b"<stored b>"}
    assert kept.templates == templates

    kept = session_with_own_card(b"s" * 16)  # its card template changed since they were stored
    changed = {"_macros.html": b"M" * 16, "_other.html": b"o" * 16}
    assert kept.restore(b"s" * 16, changed, stored, anchors, lambda a: digests[id(a)]) == 1
    assert {html for _, html in kept.cards.values()} == {b"<own a>", b"<other a>"}

    kept = session_with_own_card(b"t" * 16)  # other settings than the stored cards'
    assert kept.restore(b"s" * 16, templates, stored, anchors, lambda a: digests[id(a)]) == 0
    assert len(kept.cards) == 1


@pytest.mark.parametrize("options", [(), ("--no-cache",), ("in one process",)])
def test_a_cold_build_leaves_its_cards_for_the_first_serve_session(session, tmp_path, monkeypatch, options):
    """`broadsheet build` of a site never built (no page fingerprints) stores the cards
    its forked workers made, with the build cache (`--no-cache`: neither); the serve
    session after it gives them at its first template edit."""
    with monkeypatch.context() as patched:
        if options == ("in one process",):  # a small site: the build renders its pages itself
            patched.setattr(pool, "count", lambda items, per_worker: 1)
            options = ()
        live = session(built=("build", *options))
    assert cards_file(live).exists() == (not options)
    if not options:  # (without a cache, serve's start renders every page and makes them)
        assert live.live.state.memo.cards.restored == len(live.live.state.memo.cards.cards) > 40 * 3
    assert live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n") > 40 * 3
    assert live.clean_equals(tmp_path / "clean")


def test_a_build_that_renders_some_pages_leaves_the_stored_cards_as_they_are(session):
    live = session(built=("build",))
    stored = cards_file(live).stat()
    live.live.save_cache(last=True)
    (live.site / "content/s1/a4.md").write_text(
        (live.site / "content/s1/a4.md").read_text().replace("Story 4", "Retitled four")
    )
    assert run_cli("build", "--site", live.site).code == 0  # some pages, in forked workers: none stored
    after = cards_file(live).stat()
    assert (after.st_ino, after.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)


def stored_count(live: Session) -> int:
    stored, note = stored_cards.load(live.site, live.site / "site")
    assert stored is not None, note
    return sum(map(len, stored.cards.values()))


def test_the_save_after_a_start_that_made_some_cards_keeps_the_stored_ones(session, monkeypatch):
    """serve saves its cache after its first build, before the warm-up has taken the
    stored cards: the few cards that build made must not replace them."""
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    live.restart()
    every = stored_count(live)
    retitled = (live.site / "content/s1/a4.md").read_text().replace("Story 4", "Retitled four")
    (live.site / "content/s1/a4.md").write_text(retitled)  # while no session runs: the start renders some pages
    monkeypatch.setattr(render, "PARALLEL_FROM", 2)  # its few pages rendered by workers too
    live.restart(warm=False)
    assert live.live.state.memo.cards.unsaved, "the start made cards"
    assert stored_count(live) == every
    live.live.warm()
    live.live.save_cache(last=True)  # now the session's cards are all there are
    assert stored_count(live) >= every - 10


@pytest.mark.parametrize("end", ["kept", "a template changed during the render", "a build stopped", "none came"])
def test_cards_stored_as_they_come_leave_one_whole_file_or_none(tmp_path, end):
    """A command line's cards go to the file as its workers send them back (none held in
    its process): stored whole at the end, or, when a template changed during the render,
    the build stopped or no card came, nothing left behind (the last stored file as it was)."""
    site, anchors = tmp_path / "site", [object(), object()]
    folder = stored_cards.path_of(site, site / "site").parent
    folder.mkdir(parents=True)
    (folder / stored_cards.FILE).write_bytes(b"the last one")
    lost = end == "a build stopped"

    def digest_of(anchor: object) -> bytes:
        if lost and anchor is anchors[1]:
            raise cache.TextsLost("an article's texts are gone")
        return bytes([anchors.index(anchor)]) * 16

    streamed = stored_cards.Streamed(site, site / "site", b"s" * 16, {"_macros.html": b"m" * 16}, anchors, digest_of)
    key = render.plain_key(("h2",), {})
    if end != "none came":
        streamed([(("_macros.html", "story", 0, key), b"<zero>")])
        try:
            streamed([(("_macros.html", "story", 1, key), b"<one>")])
        except cache.TextsLost:
            assert lost
    streamed.finish(end in ("kept", "none came"))
    names = [path.name for path in folder.iterdir()]
    assert names == [stored_cards.FILE], names
    if end == "kept":
        stored, note = stored_cards.load(site, site / "site")
        assert note is None and stored.cards == {
            b"\0" * 16: [("_macros.html", "story", key, b"<zero>")],
            b"\1" * 16: [("_macros.html", "story", key, b"<one>")],
        }
    else:
        assert (folder / stored_cards.FILE).read_bytes() == b"the last one"


def test_a_pipe_where_the_cards_go_is_noted_never_waited_on_and_replaced(session):
    live = session()
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    live.restart()
    cards_file(live).unlink()
    os.mkfifo(cards_file(live))
    printed: list[str] = []
    restarting = threading.Thread(target=lambda: printed.append(live.restart()), daemon=True)
    restarting.start()
    restarting.join(60)
    assert not restarting.is_alive(), "the warm-up waited on the pipe"
    assert "note: story cards at " in printed[0] and "regular file" in printed[0], printed
    live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n")  # the cards made again
    live.restart()
    assert stored_count(live) > 40 * 3


def test_a_folder_where_the_cards_go_is_said_at_the_stop_and_at_the_next_start(session, tmp_path):
    live = session()
    cards_file(live).parent.mkdir(parents=True, exist_ok=True)
    cards_file(live).mkdir()
    (cards_file(live) / "kept.txt").write_text("a user's file")
    live.save("templates/_footer.html", "<footer><p>Footer 1</p></footer>\n")
    out = live.live.out
    live.live.save_cache(last=True)
    assert "warning: the story cards were not stored: " in out.getvalue(), out.getvalue()
    printed = live.restart()
    assert "note: story cards at " in printed and "not used" in printed, printed
    assert (cards_file(live) / "kept.txt").read_text() == "a user's file"
    live.save("templates/_footer.html", "<footer><p>Footer 2</p></footer>\n")
    assert live.clean_equals(tmp_path / "clean")
