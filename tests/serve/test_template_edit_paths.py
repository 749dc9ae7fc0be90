"""A template edit in serve leaves out the whole-site checks of output paths (names too
long or refused, paths claimed twice, redirects giving way): no template names a path, so
after a build whose checks found nothing they would find nothing again. Only while
nothing but templates changed since that build; each rule below has its test. Real
folders, the real session, a real server socket."""

from __future__ import annotations

import io
from datetime import UTC

import pytest

from broadsheet.build import claims
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import plans
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite

from conftest import article, run_cli, tree_bytes

SETTINGS = "title: Paths\nbase_url: https://example.org/\ntimezone: UTC\n"
FILES = {
    "content/a.md": article("Grid strain", "2025-06-19 10:00", tags="[Energy]"),
    "content/b.md": article("Dam levels", "2025-06-18 10:00", tags="[Water]"),
    "templates/_footer.html": "<footer><p>Footer 0</p></footer>\n",
}
CLASH = "writes tags/energy/feed.xml, which the Atom feed of tags/energy/"


@pytest.fixture
def session(make_site, monkeypatch):
    """start(files) -> (site, live session, the number of path checks run so far). Without
    the kept plan (incremental/plans.py), which would take the last build's checks over
    with the rest of its plan: these are the tests of the checks left out without it."""
    monkeypatch.setattr(plans, "usable", lambda *args: None)
    checks = []
    plain = claims.check
    monkeypatch.setattr(claims, "check", lambda *args, **kwargs: checks.append(1) or plain(*args, **kwargs))
    servers = []

    def start(files):
        site = make_site({**FILES, **files}, SETTINGS)
        server = DevServer(site / "site", "/", "127.0.0.1", 0)
        server.listen()
        servers.append(server)
        return site, LiveSite(BuildRequest(site), server, out=io.StringIO()), checks

    yield start
    for server in servers:
        server.stop()


def edit_footer(site, n):
    (site / "templates/_footer.html").write_text(f"<footer><p>Footer {n}</p></footer>\n")


def same_as_clean(site, tmp_path):
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def test_a_template_edit_after_a_build_that_found_nothing_leaves_the_checks_out(session, tmp_path):
    site, live, checks = session({})
    assert live.rebuild().ok and len(checks) == 1
    edit_footer(site, 1)
    report = live.rebuild({"templates/_footer.html"})
    assert report.ok and report.problems == [] and len(checks) == 1
    edit_footer(site, 2)
    assert live.rebuild({"templates/_footer.html"}).problems == [] and len(checks) == 1
    same_as_clean(site, tmp_path)


def test_a_static_file_saved_with_the_template_is_checked(session):
    """The inputs but the templates must be the checked build's: a static file that
    claims a feed's path, saved in the same moment as a template, is reported."""
    site, live, checks = session({})
    assert live.rebuild().ok
    edit_footer(site, 1)
    (site / "static/tags/energy").mkdir(parents=True)
    (site / "static/tags/energy/feed.xml").write_text("<feed/>")
    report = live.rebuild({"templates/_footer.html", "static/tags/energy/feed.xml"})
    assert len(checks) == 2
    assert [p.path for p in report.problems if p.message.startswith(CLASH)] == ["static/tags/energy/feed.xml"]


def test_after_a_build_that_reported_a_problem_a_template_edit_checks_again(session):
    """The checks are left out only after a build that reported nothing: a warning of an
    alias that is a page is said again after a template edit, as a clean build says it."""
    site, live, checks = session({"content/c.md": article("Quiet", "2025-06-17 10:00", aliases="[/tags/energy/]")})
    warned = [p for p in live.rebuild().problems if "/tags/energy/ is not written" in p.message]
    assert len(warned) == 1
    edit_footer(site, 1)
    report = live.rebuild({"templates/_footer.html"})
    assert warned[0] in report.problems and len(checks) == 2


def test_an_article_that_comes_out_since_is_checked(session, make_site):
    """The last build's outcome must still hold now: a build at a later moment, when a
    future article has come out (its pages new paths), checks them."""
    site, live, checks = session({"content/f.md": article("Later", "2025-07-01 10:00")})
    live.request = BuildRequest(site, now=_at("2025-06-20 12:00"))
    assert live.rebuild().ok and len(checks) == 1
    edit_footer(site, 1)
    live.request = BuildRequest(site, now=_at("2025-07-02 12:00"))
    assert live.rebuild({"templates/_footer.html"}).ok and len(checks) == 2


def _at(moment: str):
    from datetime import datetime

    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def test_settings_saved_with_the_template_are_checked(session):
    """The inputs but the templates must be the checked build's: settings that move an
    article onto the search page's path, saved with a template, are reported (a file
    written since the last build is caught by its time besides; the settings are read
    into the digest, not timed)."""
    site, live, checks = session({"content/c.md": article("Where to look", "2025-06-17 10:00", slug="search")})
    assert live.rebuild().ok and len(checks) == 1
    edit_footer(site, 1)
    (site / "broadsheet.yaml").write_text(SETTINGS + "article_url: /{slug}/\n")
    report = live.rebuild({"templates/_footer.html", "broadsheet.yaml"})
    assert len(checks) == 2
    assert any("writes search/index.html, which the search page also writes" in p.message for p in report.problems)
