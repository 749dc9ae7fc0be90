"""`broadsheet import --subscriptions`: the feeds listed under `import: subscriptions:` are
fetched with conditional requests from a real server on 127.0.0.1 that honours and checks
If-None-Match / If-Modified-Since; only entries not seen before become drafts."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SETTINGS, run_cli
from test_import_text import SAMPLES, imported, split

ETAG = '"ledger-v1"'
MODIFIED = "Thu, 19 Jun 2025 08:00:00 GMT"
EXTRA_ITEM = """<item>
<title>Harbour wall repairs begin next week</title>
<link>https://ledger.example/2025/06/20/harbour-wall</link>
<pubDate>Fri, 20 Jun 2025 09:00:00 +0100</pubDate>
<description>Contractors will close the outer wall for a month while the storm damage is mended.</description>
</item>
"""


class Feeds(BaseHTTPRequestHandler):
    """/ledger.rss with an ETag (changed when the feed grows), /dated.rss with only a
    Last-Modified, anything else 500. Every request's conditional headers are recorded."""

    seen: list[tuple[str, str | None, str | None, int]] = []
    grown = False

    def do_GET(self):
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if self.path not in ("/ledger.rss", "/dated.rss"):
            return self._answer(500, inm, ims)
        body = (SAMPLES / "ledger.rss").read_bytes()
        if Feeds.grown and self.path == "/ledger.rss":
            body = body.replace(b"<item>", EXTRA_ITEM.encode() + b"<item>", 1)
        etag = '"ledger-v2"' if Feeds.grown else ETAG
        fresh = inm == etag if self.path == "/ledger.rss" else ims == MODIFIED
        if fresh:
            return self._answer(304, inm, ims)
        self._answer(200, inm, ims, body, etag if self.path == "/ledger.rss" else None)

    def _answer(self, code, inm, ims, body=b"", etag=None):
        Feeds.seen.append((self.path, inm, ims, code))
        self.send_response(code)
        self.send_header("Content-Type", "application/rss+xml")
        if etag:
            self.send_header("ETag", etag)
        if self.path == "/dated.rss":
            self.send_header("Last-Modified", MODIFIED)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Feeds.seen, Feeds.grown = [], False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def settings(port: int, *paths: str) -> str:
    feeds = "".join(f"    - {{url: 'http://127.0.0.1:{port}{p}', section: Local, tags: [Harbour]}}\n" for p in paths)
    return SETTINGS + f"import:\n  allow_private: true\n  subscriptions:\n{feeds}"


def titles(site) -> list[str]:
    return sorted(split(p)[0]["title"] for p in imported(site))


def test_a_second_run_is_conditional_and_a_third_imports_only_the_new_entry(make_site, server):
    site = make_site({}, settings=settings(server, "/ledger.rss", "/dated.rss"))
    url = f"http://127.0.0.1:{server}"

    first = run_cli("import", "--site", site, "--subscriptions")
    assert first.code == 0, first.err
    assert f"{url}/ledger.rss: 2 new" in first.out
    assert f"{url}/dated.rss: 0 new" in first.out  # the same two stories, already drafted from the first feed
    assert len(imported(site)) == 2
    assert all(p.parent.name == "local" or "local" in str(p.parent).lower() for p in imported(site))
    assert split(imported(site)[0])[0]["tags"] == ["Harbour"]
    assert (site / ".broadsheet" / "subscriptions.json").is_file()

    before = {p: p.read_bytes() for p in imported(site)}
    Feeds.seen = []
    second = run_cli("import", "--site", site, "--subscriptions")
    assert second.code == 0, second.err
    assert f"{url}/ledger.rss: unchanged (304)" in second.out
    assert f"{url}/dated.rss: unchanged (304)" in second.out
    assert sorted(Feeds.seen) == [("/dated.rss", None, MODIFIED, 304), ("/ledger.rss", ETAG, None, 304)]
    assert {p: p.read_bytes() for p in imported(site)} == before  # nothing written twice

    rejected = imported(site)[0]
    rejected.unlink()  # the editor turned this draft down: a seen entry must not come back
    Feeds.grown = True
    third = run_cli("import", "--site", site, "--subscriptions")
    assert third.code == 0, third.err
    assert f"{url}/ledger.rss: 1 new" in third.out
    assert len(imported(site)) == 2
    assert "Harbour wall repairs begin next week" in titles(site)
    assert {p: p.read_bytes() for p in imported(site) if p in before} == {
        p: b for p, b in before.items() if p != rejected
    }


def test_a_failing_feed_never_stops_the_others(make_site, server):
    site = make_site({}, settings=settings(server, "/broken.rss", "/ledger.rss"))
    result = run_cli("import", "--site", site, "--subscriptions")
    assert result.code == 1
    assert f"http://127.0.0.1:{server}/broken.rss: failed: HTTP 500" in result.out
    assert f"http://127.0.0.1:{server}/ledger.rss: 2 new" in result.out
    assert len(imported(site)) == 2
    assert "Traceback" not in result.err


def test_private_feeds_are_refused_without_allow_private(make_site, server):
    site = make_site({}, settings=settings(server, "/ledger.rss").replace("  allow_private: true\n", ""))
    result = run_cli("import", "--site", site, "--subscriptions")
    assert result.code == 1
    assert "failed: refused" in result.out
    assert imported(site) == []
    assert run_cli("import", "--site", site, "--subscriptions", "--allow-private").code == 0


@pytest.mark.parametrize(
    "subscriptions, key, message",
    [
        ("[{section: Local}]", "import.subscriptions[0].url", "expected an http(s) URL"),
        ("[{url: 'ftp://x.example/feed'}]", "import.subscriptions[0].url", "expected an http(s) URL"),
        (
            "[{url: 'https://x.example/feed', tags: Harbour}]",
            "import.subscriptions[0].tags",
            "expected a list of strings",
        ),
        ("[{url: 'https://x.example/feed', colour: red}]", "import.subscriptions[0].colour", "unknown key"),
        ("https://x.example/feed", "import.subscriptions", "expected a list"),
    ],
)
def test_a_wrong_subscription_names_file_line_and_key(make_site, subscriptions, key, message):
    site = make_site({}, settings=SETTINGS + f"import:\n  subscriptions: {subscriptions}\n")
    result = run_cli("import", "--site", site, "--subscriptions")
    assert result.code == 1
    assert f"broadsheet.yaml:5: {key}: {message}" in result.err
    assert "Traceback" not in result.err


def test_subscriptions_without_any_listed_is_an_error(make_site):
    site = make_site({})
    result = run_cli("import", "--site", site, "--subscriptions")
    assert result.code == 2
    assert "no subscriptions" in result.err
