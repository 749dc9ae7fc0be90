"""A serve build in which nothing but templates changed takes the last build's plan over
whole (incremental/plans.py): no model made, no routes planned, the files made from the
model left on disk. Each build here is compared byte for byte with a clean `build
--output` of the same files at the same moment, and the models made are counted, so a
test sees both that the short cut was taken (or not) and that its output is right. Real
folders, the real session, a real server socket."""

from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from broadsheet.build import model
from broadsheet.build.request import BuildRequest
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite

from conftest import article, run_cli, tree_bytes

NOW = "2025-06-20T12:00:00+00:00"
SETTINGS = "title: Plans\nbase_url: https://example.org/\ntimezone: UTC\nemail:\n  publish: true\n"
FOOTER = "templates/_footer.html"
FILES = {
    "content/a.md": article("Grid strain", "2025-06-19 10:00", tags="[Energy]"),
    "content/b.md": article("Dam levels", "2025-06-18 10:00", tags="[Water, Energy]"),
    "content/c.md": article("Harbour dues", "2025-06-12 09:00", tags="[Ports]", aliases="[/old/harbour/]"),
    "content/later.md": article("Tariff vote", "2025-07-01 10:00", tags="[Energy]"),
    FOOTER: "<footer><p>Footer 0</p></footer>\n",
}  # no static file of the site's: one written within 2 s of a build makes the next build's inputs racy


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


@pytest.fixture
def session(make_site, monkeypatch, tmp_path):
    """start(files) -> (site, live session after its first build, models made so far)."""
    models: list[int] = []
    plain = model.build_model
    monkeypatch.setattr(model, "build_model", lambda *args, **kwargs: models.append(1) or plain(*args, **kwargs))
    servers = []

    def start(files=None, settings=SETTINGS):
        site = make_site({**FILES, **(files or {})}, settings)
        server = DevServer(site / "site", "/", "127.0.0.1", 0)
        server.listen()
        servers.append(server)
        live = LiveSite(BuildRequest(site, now=at(NOW)), server, out=io.StringIO())
        assert live.rebuild().ok and len(models) == 1
        return site, live, models

    yield start
    for server in servers:
        server.stop()


def edit_footer(site: Path, n: int) -> None:
    (site / FOOTER).write_text(f"<footer><p>Footer {n}</p></footer>\n")


def rebuild(live: LiveSite, models: list[int], *paths: str) -> int:
    """A rebuild told of these files: how many models it made (0: it took the plan)."""
    before = len(models)
    report = live.rebuild(set(paths))
    assert report.ok, report.problems
    return len(models) - before


def same_as_clean(site: Path, now: str = NOW) -> None:
    clean = site.parent / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    assert run_cli("build", "--site", site, "--no-cache", "--now", now, "--output", clean).code == 0
    assert tree_bytes(site / "site") == tree_bytes(clean)


def footer_edit(site: Path, live: LiveSite, models: list[int], n: int, *also: str, now: str = NOW) -> int:
    """The footer edited (saved with the files `also`), the session's rebuild compared with
    a clean build at `now`: the models it made."""
    edit_footer(site, n)
    made = rebuild(live, models, *also, FOOTER)
    same_as_clean(site, now)
    return made


def test_template_edits_take_the_plan_and_come_out_as_a_clean_build(session):
    site, live, models = session()
    assert footer_edit(site, live, models, 1) == 0
    assert footer_edit(site, live, models, 2) == 0
    assert "Footer 2" in (site / "site/index.html").read_text()


def test_a_template_saved_broken_then_fixed_takes_the_plan(session):
    """A build that fails leaves the output and the outcome as they were, and the plan it
    took: the fix takes it again."""
    site, live, models = session()
    (site / FOOTER).write_text("<footer>{% if %}</footer>\n")
    before = len(models)
    assert not live.rebuild({FOOTER}).ok and len(models) == before
    assert footer_edit(site, live, models, 1) == 0
    assert "Footer 1" in (site / "site/index.html").read_text()


def test_a_template_edit_after_a_title_edit(session):
    site, live, models = session()
    (site / "content/a.md").write_text(article("Grid strain eases", "2025-06-19 10:00", tags="[Energy]"))
    assert rebuild(live, models, "content/a.md") == 1
    assert footer_edit(site, live, models, 1) == 0  # the title edit's plan, taken


def test_a_template_edit_after_a_body_edit(session):
    """serve's body short cut leaves no outcome: the template edit after it plans afresh,
    and the one after that takes its plan."""
    site, live, models = session()
    (site / "content/a.md").write_text(
        article("Grid strain", "2025-06-19 10:00", "Body text.\n\nA second paragraph.", tags="[Energy]")
    )
    assert rebuild(live, models, "content/a.md") == 0  # the short cut: no model
    assert footer_edit(site, live, models, 1) == 1
    assert footer_edit(site, live, models, 2) == 0


def test_a_template_edit_after_a_new_article(session):
    site, live, models = session()
    (site / "content/n.md").write_text(article("Ferry strike", "2025-06-20 08:00", tags="[Ports]"))
    rebuild(live, models, "content/n.md")
    assert footer_edit(site, live, models, 1) == 0


SAVED_WITH_THE_TEMPLATE = {
    "a new article": ("content/n.md", article("Ferry strike", "2025-06-20 08:00", tags="[Ports]")),
    "a title edit": ("content/b.md", article("Dam levels fall", "2025-06-18 10:00", tags="[Water, Energy]")),
}


@pytest.mark.parametrize("kind", list(SAVED_WITH_THE_TEMPLATE))
def test_an_article_saved_with_a_template_is_planned(session, kind):
    """Every input but the templates must have the digest it had (article files are not
    timed there: their cache keys are digested)."""
    site, live, models = session()
    rel, text = SAVED_WITH_THE_TEMPLATE[kind]
    (site / rel).write_text(text)
    assert footer_edit(site, live, models, 1, rel) == 1


def test_a_stylesheet_saved_with_a_template_is_planned(session):
    """A static file changed: its fingerprinted name is in every page, and its copy in the
    output (both the digest and the time rule catch it, as for the path checks)."""
    site, live, models = session()
    (site / "static/css").mkdir(parents=True)
    (site / "static/css/site.css").write_text("body { margin: 1em; }\n")
    (site / "static/css/broadsheet.css").write_text("body { color: #222; }\n")  # the theme's, overridden
    assert footer_edit(site, live, models, 1, "static/css/site.css", "static/css/broadsheet.css") == 1


def test_settings_saved_with_a_template_are_planned(session):
    """The settings are digested, not timed: the digest rule alone catches them."""
    site, live, models = session()
    (site / "broadsheet.yaml").write_text(SETTINGS.replace("title: Plans", "title: Other Plans"))
    assert footer_edit(site, live, models, 1, "broadsheet.yaml") == 1
    assert "Other Plans" in (site / "site/feed.xml").read_text()


def test_a_template_edit_once_a_future_article_is_due(session):
    """The clock moved past an article's date since the last build: it is published now,
    so the plan is made again (its page, the lists, feeds and sitemaps that show it)."""
    site, live, models = session()
    assert not (site / "site/2025/07/01").exists()
    live.request = BuildRequest(site, now=at("2025-07-02T12:00:00+00:00"))
    edit_footer(site, 1)
    assert rebuild(live, models, FOOTER) == 1
    assert (site / "site/2025/07/01/tariff-vote/index.html").exists()
    same_as_clean(site, "2025-07-02T12:00:00+00:00")


def test_a_template_edit_a_little_later_takes_the_plan(session):
    """The clock moved, but published nothing and moved no article out of the news
    sitemap's window: the plan stands."""
    site, live, models = session()
    live.request = BuildRequest(site, now=at("2025-06-20T13:00:00+00:00"))
    assert footer_edit(site, live, models, 1, now="2025-06-20T13:00:00+00:00") == 0


def test_a_theme_template_overridden_then_the_override_deleted(session):
    site, live, models = session()
    theme = Path(__file__).resolve().parents[2] / "broadsheet/theme/templates"
    own = (
        (theme / "term.html")
        .read_text()
        .replace("{{ pagination(paginator) }}", "<p>Our own list</p>{{ pagination(paginator) }}", 1)
    )
    assert "Our own list" in own
    (site / "templates/term.html").write_text(own)
    assert rebuild(live, models, "templates/term.html") == 0
    assert "Our own list" in (site / "site/tags/energy/index.html").read_text()
    same_as_clean(site)
    (site / "templates/term.html").unlink()
    assert rebuild(live, models, "templates/term.html") == 0
    assert "Our own list" not in (site / "site/tags/energy/index.html").read_text()
    same_as_clean(site)


def test_the_newsletter_template_edited(session):
    """The newsletter's pages are rendered from a template, their CSS inlined from it."""
    site, live, models = session()
    theme = Path(__file__).resolve().parents[2] / "broadsheet/theme/templates/email/edition.html"
    own = theme.read_text().replace("<style>", "<style>\n  p { letter-spacing: 0.01em; }", 1)
    (site / "templates/email").mkdir()
    (site / "templates/email/edition.html").write_text(own)
    assert rebuild(live, models, "templates/email/edition.html") == 0
    pages = sorted((site / "site").rglob("email.html"))
    assert pages and all("letter-spacing" in page.read_text() for page in pages)
    same_as_clean(site)


def test_a_file_made_from_the_model_deleted_by_hand_is_made_again(session):
    """The output must be as the last build left it: a feed deleted by hand is put back
    (the session's walk of the output after the build sends a build told of no change)."""
    site, live, models = session()
    (site / "site/feed.xml").unlink()
    edit_footer(site, 1)
    rebuild(live, models, FOOTER)
    assert (site / "site/feed.xml").exists()
    same_as_clean(site)


def test_a_template_edit_then_a_title_edit(session):
    """After a build that took the plan (its generated files' parts and records' digests
    carried over), the next build plans afresh from it and comes out right."""
    site, live, models = session()
    edit_footer(site, 1)
    rebuild(live, models, FOOTER)
    (site / "content/b.md").write_text(article("Dam levels fall", "2025-06-18 10:00", tags="[Water, Energy]"))
    assert rebuild(live, models, "content/b.md") == 1
    same_as_clean(site)
    (site / "content/b.md").write_text(article("Dam levels fall", "2025-06-18 10:00", "Later body.", tags="[Water]"))
    rebuild(live, models, "content/b.md")
    same_as_clean(site)


def test_the_command_line_plans_every_build(make_site, monkeypatch, tmp_path):
    """`build` keeps no model between runs: a template edit's build plans afresh."""
    models: list[int] = []
    plain = model.build_model
    monkeypatch.setattr(model, "build_model", lambda *args, **kwargs: models.append(1) or plain(*args, **kwargs))
    site = make_site(FILES, SETTINGS)
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    edit_footer(site, 1)
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    assert len(models) == 2
    same_as_clean(site)
