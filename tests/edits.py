"""Random edits to a little site, and the invariant checked after each: the incremental
rebuild's output is byte-for-byte a clean full build of the same files. Shared by the
incremental tests and by the newsletter's (tests/email/test_email.py), which add edits of
their own."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import strategies as st

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental.state import BuildState
from broadsheet.problems import errors

from conftest import SETTINGS, SettledTrees, article, tree_bytes, write_tree

NOW = datetime(2025, 7, 1, tzinfo=UTC)
NAMES = [f"content/{section}/story-{i}.md" for section in ("world", "business") for i in range(4)] + [
    "content/science/bundle/index.md"
]
WORDS = ["Alpha", "Beta", "Gamma", "Delta", "Эпсилон"]
TAGS = ["NATO", "nato", "Energy", "AI", "Russia"]
BODIES = [
    "Short body.",
    "A longer body.\n\nWith two paragraphs.",
    "Before.\n\n<!--more-->\n\nAfter.",
    "See [the other](story-1.md).",
    "Short body.\n\nAnd a [link](story-2.md).",
    "Short body.\n\nZeppelins in a second paragraph.",
]
APPENDED = [
    "Zeppelins, appended.",
    "An appended [link](story-2.md).",
    "A [link](story-3.md) to a story that may not be there.",
    "<!--more-->",
]
EDITION_WITH_BODIES = '{% extends "base.html" %}{% block main %}{% for e in edition.entries %}{{ e.body_html | safe }}{% endfor %}{% endblock %}\n'


def article_text(draw) -> str:
    title = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)))
    day = draw(st.integers(16, 20))
    hour = draw(st.sampled_from(["00:10", "12:00", "23:30"]))
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=3))
    body = draw(st.sampled_from(BODIES))
    extra = {"featured": "true"} if draw(st.booleans()) else {}
    return article(f'"{title}"', f"2025-06-{day} {hour}", body=body, tags="[" + ", ".join(tags) + "]", **extra)


# Names chosen to collide: with listing pages (under article_url /{slug}/), with each
# other, by punctuation alone (C, C++, C#, c), and over the length a file system takes.
LISTING_TITLES = ["Tags", "Archive", "Search", "Page", "Feed.xml", "Sitemap.xml", "Authors", "404", "Alpha"]
PUNCTUATED = ["C", "C++", "C#", "c", "C.", "Interest Rates", "Interest-Rates", "Aux", "Long " * 60]
LONG_NAMES = ["B" * 325, "B" * 300 + " Jr", "Sources " * 40, "Tags"]
EXPLICIT_SLUGS = [None, None, "tags", "archive", "search", "page", "feed-xml", "alpha", "con", "a" * 300]
URL_PATTERNS = ["/{slug}/", "/{year}/{month}/{day}/{slug}/", "/{section}/{slug}/"]


def _quoted(names: list[str]) -> str:
    return "[" + ", ".join(f"'{name}'" for name in names) + "]"


@st.composite
def naming_operations(draw):
    """Articles whose slugs, tags, authors and sections collide or run long; article_url
    patterns that put articles beside the listing pages."""
    if draw(st.integers(0, 3)) == 0:
        return ("url", draw(st.sampled_from(URL_PATTERNS)))
    keys = {"tags": _quoted(draw(st.lists(st.sampled_from(PUNCTUATED), max_size=3)))}
    if draw(st.booleans()):
        keys["authors"] = _quoted([draw(st.sampled_from(LONG_NAMES + PUNCTUATED))])
    if draw(st.booleans()):
        keys["section"] = _quoted([draw(st.sampled_from(LONG_NAMES + PUNCTUATED))])[1:-1]
    slug = draw(st.sampled_from(EXPLICIT_SLUGS))
    if slug:
        keys["slug"] = slug
    title = draw(st.sampled_from(LISTING_TITLES))
    return (
        "write",
        draw(st.sampled_from(NAMES)),
        article(f'"{title}"', f"2025-06-{draw(st.integers(16, 20))} 12:00", **keys),
    )


@st.composite
def front_matter_operations(draw):
    """One key of an existing article changed, the rest of the file kept: a title (its
    slug, so its URL, moves, and with it its neighbours' links and the lists showing it),
    its tags (related stories) or its date (its neighbours, its edition). What serve's
    next build takes over from the last model must never be one of these, stale."""
    name = draw(st.sampled_from(NAMES))
    key = draw(st.sampled_from(["title", "title", "tags", "date"]))
    if key == "title":
        value = '"' + " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))) + '"'
    elif key == "tags":
        value = "[" + ", ".join(draw(st.lists(st.sampled_from(TAGS), max_size=3))) + "]"
    else:
        value = f"2025-06-{draw(st.integers(16, 20))} {draw(st.sampled_from(['00:10', '12:00', '23:30']))}"
    return ("front", name, key, value)


def _set_key(path: Path, key: str, value: str) -> None:
    """The front matter's `key` line replaced (or added), nothing else of the file changed."""
    if not path.exists() or not path.read_text().startswith("---\n"):
        return
    lines = path.read_text().split("\n")
    end = lines.index("---", 1) if "---" in lines[1:] else 1
    at = next((n for n in range(1, end) if lines[n].startswith(f"{key}: ")), None)
    if at is None:
        lines.insert(1, f"{key}: {value}")
    else:
        lines[at] = f"{key}: {value}"
    path.write_text("\n".join(lines))


@st.composite
def operations(draw):
    kind = draw(
        st.sampled_from(
            ["write", "write", "body", "body", "delete", "rename", "break", "template", "lists", "static", "settings"]
        )
    )
    if kind == "body":  # the same front matter, another body: what serve's short cut takes
        return ("body", draw(st.sampled_from(NAMES)), draw(st.sampled_from(APPENDED)))
    if kind == "lists":  # an edition template that shows whole bodies, or none
        return ("lists", draw(st.booleans()))
    if kind == "write":
        return ("write", draw(st.sampled_from(NAMES)), article_text(draw))
    if kind == "delete":
        return ("delete", draw(st.sampled_from(NAMES)))
    if kind == "rename":
        return ("rename", draw(st.sampled_from(NAMES[:-1])), draw(st.sampled_from(NAMES[:-1])))
    if kind == "break":
        return ("write", draw(st.sampled_from(NAMES)), "---\ntitle: [unclosed\n---\n")
    if kind == "template":
        choice = draw(
            st.sampled_from(
                [None, "<footer>Footer one</footer>\n", "<footer>{{ site.title }} two</footer>\n", "{% if %}"]
            )
        )
        return ("template", choice)
    if kind == "static":
        return (
            "static",
            draw(st.sampled_from(["robots.txt", "css/extra.css", "css/broadsheet.css"])),
            draw(st.sampled_from([None, "a\n", "b { }\n"])),
        )
    return ("settings", draw(st.sampled_from(["day", "week"])), draw(st.sampled_from(["One", "Two"])))


def apply(site: Path, op: tuple) -> set[str]:
    """Make the change; the input files it touched, as the watcher would report them."""
    kind = op[0]
    if kind == "body":
        path = site / op[1]
        if path.exists():
            path.write_text(path.read_text() + "\n" + op[2] + "\n")
        return {op[1]}
    if kind == "lists":
        if op[1]:
            write_tree(site, {"templates/edition.html": EDITION_WITH_BODIES})
        else:
            (site / "templates/edition.html").unlink(missing_ok=True)
        return {"templates/edition.html"}
    if kind == "write":
        write_tree(site, {op[1]: op[2]})
    elif kind == "front":
        _set_key(site / op[1], op[2], op[3])
    elif kind == "delete":
        (site / op[1]).unlink(missing_ok=True)
    elif kind == "rename":
        source, target = site / op[1], site / op[2]
        if source.exists() and source != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    elif kind == "template":
        path = site / "templates/_footer.html"
        if op[1] is None:
            path.unlink(missing_ok=True)
        else:
            write_tree(site, {"templates/_footer.html": op[1]})
    elif kind == "static":
        path = site / "static" / op[1]
        if op[2] is None:
            path.unlink(missing_ok=True)
        else:
            write_tree(site, {f"static/{op[1]}": op[2]})
    elif kind == "url":
        write_tree(site, {"broadsheet.yaml": SETTINGS + f"article_url: {op[1]}\n"})
    else:
        write_tree(site, {"broadsheet.yaml": SETTINGS + f"edition: {op[1]}\ntitle: {op[2]}\n"})
    return {
        "write": lambda: {op[1]}, "front": lambda: {op[1]}, "delete": lambda: {op[1]}, "rename": lambda: {op[1], op[2]},
        "template": lambda: {"templates/_footer.html"}, "static": lambda: {f"static/{op[1]}"},
    }.get(kind, lambda: {"broadsheet.yaml"})()  # fmt: skip


DEVICES = {"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10))}


def check_names(site: Path) -> None:
    """After a build that succeeded: every output name is one any machine takes, and tags
    that differ other than by case each have their own page (C, C++ and C# are three)."""
    for path in (site / "site").rglob("*"):
        name = path.name
        assert len(name.encode()) <= 255 and name.split(".")[0] not in DEVICES and not name.endswith((".", " ")), path
    written = set()
    for file in (site / "content").rglob("*.md"):
        front = yaml.safe_load(file.read_text().split("---\n")[1])
        written.update(" ".join(tag.split()).casefold() for tag in front.get("tags") or [])
    # a tag's folder has the tag's feeds; an article may also live under /tags/ (section "Tags"
    # with url: /{section}/{slug}/, which hypothesis found), and is no tag page
    tag_pages = [p for p in (site / "site/tags").iterdir() if (p / "feed.xml").is_file()]
    assert len(tag_pages) == len(written), written


def check_incremental_equals_clean(
    steps: list[tuple[tuple, bool]],
    settings_text: str = SETTINGS,
    apply_op=apply,
    check_output=None,
    start: dict[str, str] | None = None,
) -> None:
    """Build, then after each operation build incrementally and clean, and compare. Each
    change is built either as serve does (told which files changed, so edits of bodies
    alone take the short cut) or as the command line does (told nothing). Other test
    modules run it with their own settings, operations (apply_op returns the input
    files it touched) and first files (`start`; check_output sees the first build too)."""
    with tempfile.TemporaryDirectory() as tmp:
        if start is None:
            start = {
                name: article(f"Start {n}", f"2025-06-{16 + n % 5} 10:00", tags=f"[{TAGS[n % 5]}]")
                for n, name in enumerate(NAMES)
            }
        site = write_tree(Path(tmp) / "site-src", {"broadsheet.yaml": settings_text, **start})
        state = BuildState(keep_last=True)
        live = BuildRequest(site, now=NOW)
        assert build(live, state).ok
        if check_output:
            check_output(site)
        for step, (op, told) in enumerate(steps):
            touched = apply_op(site, op)
            before = tree_bytes(site / "site")
            report = build(live, state, changed=touched if told else None)
            clean_output = Path(tmp) / f"clean-{step}"  # a new output each time: a clean build
            clean = build(BuildRequest(site, output=clean_output, now=NOW))
            assert report.ok == clean.ok, (op, report.problems, clean.problems)
            if report.ok:
                assert tree_bytes(site / "site") == tree_bytes(clean_output), op
                if check_output:
                    check_output(site)
            else:  # both refuse, for the same reasons, and leave the output as it was
                assert _errors(report) == _errors(clean), op
                assert tree_bytes(site / "site") == before, op
                assert not clean_output.exists(), op


def _errors(report) -> list[str]:
    return sorted(p.format() for p in errors(report.problems))


# --- stories: articles that really do group, and edits that join and split them ----------

# Invented events, three reports each in words of our own: a crane falls on a bridge, and
# pilots strike at an airport. The bridging report names both (it joins one story, and
# must never chain the two into one); the others are alone.
STORY_TEXTS = {
    "bridge": [
        (
            "Crane collapse shuts Valmora harbour bridge",
            "Fourteen workers hurt as a crane falls on the Valmora bridge; mayor Teodor Brisk orders it closed.",
            "A crane fell across the Valmora harbour bridge on Tuesday, injuring 14 workers. Mayor Teodor Brisk closed the span.",
        ),
        (
            "Valmora bridge closed after crane falls, 14 injured",
            "Teodor Brisk says the Valmora harbour bridge stays shut while engineers inspect it.",
            "Engineers began inspecting the Valmora harbour bridge after the crane collapse that injured 14. Teodor Brisk said it stays shut.",
        ),
        (
            "Teodor Brisk: Valmora bridge shut for weeks after crane collapse",
            "The mayor of Valmora expects the harbour bridge to stay closed; 14 workers were hurt.",
            "Valmora mayor Teodor Brisk said the harbour bridge may stay closed for weeks. The crane collapse injured 14 workers.",
        ),
    ],
    "strike": [
        (
            "Kestrel Airways pilots strike at Ostrand, 230 flights cancelled",
            "Pilots' union leader Mirela Vance says the Kestrel Airways walkout will last two days.",
            "Kestrel Airways cancelled 230 flights at Ostrand airport as pilots walked out. Mirela Vance leads the union.",
        ),
        (
            "Ostrand flights grounded as Kestrel Airways pilots walk out",
            "Mirela Vance says 230 cancellations at Ostrand are the airline's doing.",
            "Travellers at Ostrand found 230 Kestrel Airways flights cancelled. Union leader Mirela Vance blamed the airline.",
        ),
        (
            "Kestrel Airways strike: Mirela Vance rejects pay offer",
            "The Ostrand walkout grounds 230 Kestrel Airways flights for a second day.",
            "Mirela Vance rejected Kestrel Airways' pay offer as the strike at Ostrand grounded 230 flights again.",
        ),
    ],
    "bridging": [
        (
            "Valmora bridge closure and Kestrel Airways strike snarl Ostrand travel",
            "Teodor Brisk and Mirela Vance: 14 injured on the bridge, 230 flights cancelled.",
            "With the Valmora harbour bridge shut after the crane collapse injured 14, and Kestrel Airways pilots on "
            "strike at Ostrand grounding 230 flights, Teodor Brisk and Mirela Vance traded blame.",
        )
    ],
    "other": [
        (
            "Orchard growers report early cherry harvest",
            "Growers near Lindqvist say warm spring weather brought the harvest forward.",
            "Cherry growers around Lindqvist began picking early this year after a warm spring.",
        ),
        (
            "Chess club opens in the old library",
            "The Pellham chess club moved into the library's reading room.",
            "Pellham's chess club now meets in the old library reading room every Thursday.",
        ),
        (
            "Fog delays the rowing regatta on Lake Sorn",
            "Organisers moved the races to the afternoon after thick morning fog.",
            "Thick fog over Lake Sorn held the regatta's boats at the jetty until the afternoon.",
        ),
    ],
}
ALL_STORY_TEXTS = [text for texts in STORY_TEXTS.values() for text in texts]
OUTLETS = ["Harbour Post", "Ostrand Daily", "Wire One"]
# Within the 72-hour window of each other, and one a week later (out of it).
STORY_DATES = ["2025-06-17 09:00", "2025-06-18 10:00", "2025-06-18 23:30", "2025-06-19 15:00", "2025-06-25 10:00"]
STORY_KEYS = ["valmora", "kestrel", "false", "7"]  # 7: a number, read as the key "7"
STORY_SUMMARIES = [summary for _, summary, _ in ALL_STORY_TEXTS] + ["A summary that names nobody."]
# Appended to a short body, so inside the opening that grouping reads.
STORY_APPENDED = [
    "Teodor Brisk visited the Valmora harbour bridge, where 14 were hurt.",
    "Mirela Vance spoke at Ostrand about the 230 cancelled Kestrel Airways flights.",
    "Nothing more was said.",
]


def _q(text: str) -> str:
    return '"' + text + '"'


def story_article(title: str, summary: str, body: str, date: str, outlet: str, **keys: str) -> str:
    return article(_q(title), date, body=body, summary=_q(summary), source=f"{{name: {outlet}}}", **keys)


def story_start() -> dict[str, str]:
    """Two stories of three reports each, and three articles alone."""
    bridge, strike, other = STORY_TEXTS["bridge"], STORY_TEXTS["strike"], STORY_TEXTS["other"]
    texts = [*bridge, other[0], *strike, other[1], other[2]]  # in the order of NAMES
    return {
        name: story_article(title, summary, body, STORY_DATES[n % 4], OUTLETS[n % 3])
        for n, (name, (title, summary, body)) in enumerate(zip(NAMES, texts, strict=True))
    }


@st.composite
def story_operations(draw):
    """Edits that join and split stories: a new report (of either event, of both, of
    neither), a changed summary or date, `story:` keys added and removed, `story: false`,
    a lead made featured, a story's title set, a body edit that names an event."""
    name = draw(st.sampled_from(NAMES))
    kind = draw(st.sampled_from(["write", "summary", "date", "story", "unset", "body", "featured", "story_title"]))
    if kind == "write":
        title, summary, body = draw(st.sampled_from(ALL_STORY_TEXTS))
        keys = {}
        if draw(st.integers(0, 3)) == 0:
            keys["story"] = draw(st.sampled_from(STORY_KEYS))
        text = story_article(
            title, summary, body, draw(st.sampled_from(STORY_DATES)), draw(st.sampled_from(OUTLETS)), **keys
        )
        return ("write", name, text)
    if kind == "summary":
        return ("front", name, "summary", _q(draw(st.sampled_from(STORY_SUMMARIES))))
    if kind == "date":
        return ("front", name, "date", draw(st.sampled_from(STORY_DATES)))
    if kind == "story":
        return ("front", name, "story", draw(st.sampled_from(STORY_KEYS)))
    if kind == "unset":
        return ("unset", name, draw(st.sampled_from(["story", "summary", "featured", "story_title"])))
    if kind == "body":
        return ("body", name, draw(st.sampled_from(STORY_APPENDED)))
    if kind == "featured":
        return ("front", name, "featured", "true")
    return ("front", name, "story_title", _q(draw(st.sampled_from(["Bridge shut", "Strike", "Travel chaos"]))))


def apply_story(site: Path, op: tuple) -> set[str]:
    """apply(), and the removal of a front matter key."""
    if op[0] != "unset":
        return apply(site, op)
    path = site / op[1]
    if path.exists() and path.read_text().startswith("---\n"):
        lines = path.read_text().split("\n")
        end = lines.index("---", 1) if "---" in lines[1:] else 1
        path.write_text(
            "\n".join(line for n, line in enumerate(lines) if n >= end or not line.startswith(f"{op[2]}: "))
        )
    return {op[1]}


def story_pages(output: Path) -> list[str]:
    """The stories a build wrote, by their folders' names."""
    folder = output / "stories"
    return (
        sorted(p.name for p in folder.iterdir() if (p / "index.html").is_file() and p.name != "page")
        if folder.is_dir()
        else []
    )


def story_files() -> dict[str, str]:
    return {"broadsheet.yaml": SETTINGS, **story_start()}


def story_site(settled_trees: SettledTrees) -> Path:
    """The stories' first site, its files older than the racy-clean margin, as in real use
    (conftest's pool: one wait serves a batch of tests)."""
    return settled_trees.take(story_files)


def append_paragraph(site: Path, name: str, text: str) -> None:
    with (site / name).open("a", encoding="utf-8") as file:
        file.write("\n" + text + "\n")


def same_as_clean(site: Path, tmp_path: Path, name: str) -> bool:
    """Whether the site's output is, byte for byte, what a clean build into tmp_path/name writes."""
    clean = tmp_path / name
    assert build(BuildRequest(site, output=clean, now=NOW)).ok
    return tree_bytes(site / "site") == tree_bytes(clean)


def serve_like(site: Path) -> tuple[BuildRequest, BuildState]:
    """A first build as `serve` makes it, keeping what its next builds start from."""
    state = BuildState(keep_last=True)
    request = BuildRequest(site, now=NOW)
    assert build(request, state).ok
    return request, state


def clean_equals(site: Path, tmp_path: Path, name: str) -> None:
    """The site's output is byte for byte a clean build of its files (into tmp_path/name)."""
    assert build(BuildRequest(site, output=tmp_path / name, now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / name)
