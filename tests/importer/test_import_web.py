"""broadsheet import of feeds and of pages and feeds served over HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from broadsheet import __version__

from conftest import SETTINGS, copy_demo, run_cli
from test_import_text import SAMPLES, import_one, imported, split

FAST = SETTINGS + "import:\n  timeout: 0.5\n  max_bytes: 200000\n  max_redirects: 3\n"


class Handler(BaseHTTPRequestHandler):
    seen_agents: list[str] = []

    def do_GET(self):
        Handler.seen_agents.append(self.headers.get("User-Agent", ""))
        route = ROUTES.get(self.path)
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, *args):  # keep the test output quiet
        pass

    def reply(self, body: bytes, content_type: str, status: int = 200, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _slow(h: Handler) -> None:
    time.sleep(1.5)  # past the 0.5 s timeout the test site sets
    try:
        h.reply(b"<html><body><p>too late</p></body></html>", "text/html")
    except OSError:
        pass


def _drip(h: Handler) -> None:
    """Each byte well within the socket timeout, the whole far past the deadline."""
    try:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "40")
        h.end_headers()
        for _ in range(40):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass


def _oversized(h: Handler, length: bool) -> None:
    try:
        h.reply(
            b"<html><body>" + b"<p>The same long sentence about the harbour repeats.</p>" * 10_000 + b"</body></html>",
            "text/html",
            length=length,
        )
    except OSError:
        pass  # the client stopped reading at its size cap


def _broken(h: Handler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nContent-Type: text/html\r\n\r\n<html><body><p>cut")
    h.close_connection = True


ROUTES = {
    "/page": lambda h: h.reply((SAMPLES / "harbour-page.html").read_bytes(), "text/html; charset=utf-8"),
    "/feed": lambda h: h.reply((SAMPLES / "ledger.rss").read_bytes(), "application/rss+xml"),
    "/text": lambda h: h.reply((SAMPLES / "ferry.txt").read_bytes(), "text/plain; charset=utf-8"),
    "/moved": lambda h: h.redirect("/moved-again"),
    "/moved-again": lambda h: h.redirect("/page"),
    "/loop": lambda h: h.redirect("/loop"),
    "/chain": lambda h: h.redirect("/chain1"),
    **{f"/chain{i}": (lambda n: lambda h: h.redirect(f"/chain{n + 1}"))(i) for i in range(1, 6)},
    "/to-file": lambda h: h.redirect("file:///etc/passwd"),
    "/slow": _slow,
    "/drip": _drip,
    "/big": lambda h: _oversized(h, True),
    "/big-unannounced": lambda h: _oversized(h, False),
    "/error": lambda h: h.reply(b"oops", "text/plain", status=500),
    "/garbage-feed": lambda h: h.reply(b"<rss><channel><item><title>broken", "application/rss+xml"),
    "/broken": _broken,
}


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_rss_feed_entries_become_drafts(make_site):
    site = make_site({})
    result = run_cli("import", "--site", site, SAMPLES / "ledger.rss", "--section", "islands")
    assert result.code == 0, result.err
    assert result.out.strip().endswith("Imported 2 articles, skipped 0, failed 0.")
    first, second = (split(p) for p in imported(site))
    fm, body = first if first[0]["title"].startswith("Island") else second
    assert fm["title"] == "Island school wins national science prize"
    assert fm["date"] == "2025-06-18 15:00"
    assert (
        body.strip()
        == "Pupils at the island's only school won the national young scientists' prize for a study of seaweed growth."
    )
    fm, body = second if fm is first[0] else first
    assert fm["title"] == "Lifeboat crew rescues two kayakers off the point"
    assert fm["source"] == {"name": "The Coastal Ledger", "url": "https://ledger.example/"}
    assert fm["url"] == "https://ledger.example/2025/06/19/lifeboat-kayakers"
    assert fm["date"] == "2025-06-19 07:30"
    assert fm["authors"] == ["Mara Quill"]
    assert fm["image"] == {"src": "https://ledger.example/img/lifeboat.jpg", "alt": fm["title"]}
    assert (
        "Both were brought ashore **cold but unhurt**, the station said. [Safety advice](https://rnli.example/safety) is on its website."
        in body
    )
    assert "Crews urged paddlers to carry a radio." in body
    assert "Tap here for the tide tables." in body
    for danger in ("onclick", "<script", "alert", "javascript:"):
        assert danger not in body


def test_atom_feed_and_a_folder_of_sources(make_site, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("valley.atom", "ferry.txt"):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / ".half-pasted.txt").write_text("Share\n", encoding="utf-8")  # hidden files are not sources
    (folder / "notes.md").write_text("# my notes\n", encoding="utf-8")
    (tmp_path / "nothing").mkdir()
    assert (
        "nothing: error: no .txt, .html or feed files in this folder"
        in run_cli("import", "--site", tmp_path, tmp_path / "nothing").err
    )
    site = make_site({})
    result = run_cli("import", "--site", site, folder)
    assert result.code == 0, result.err
    titles = {split(p)[0]["title"]: split(p) for p in imported(site)}
    fm, body = titles["Mill road to close for resurfacing in April"]
    assert fm["date"] == "2025-03-05 09:00"
    assert fm["authors"] == ["Priya Okafor"]
    assert fm["source"] == {"name": "Valley Herald", "url": "https://valleyherald.example/"}
    assert "- diversion via the bypass" in body
    assert "Harbour ferry returns to service after six weeks of repairs" in titles
    again = run_cli("import", "--site", site, folder)
    assert again.out.strip().endswith("Imported 0 articles, skipped 2, failed 0.")


def test_page_feed_and_text_over_http_with_redirects(make_site, server):
    site = make_site({}, settings=FAST)
    Handler.seen_agents.clear()
    result = run_cli("import", "--site", site, "--allow-private", f"{server}/moved", f"{server}/feed", f"{server}/text")
    assert result.code == 0, result.err
    assert result.out.strip().endswith("Imported 4 articles, skipped 0, failed 0.")
    titles = {split(p)[0]["title"] for p in imported(site)}
    assert titles == {
        "Night buses return to the harbour route",
        "Lifeboat crew rescues two kayakers off the point",
        "Island school wins national science prize",
        "Harbour ferry returns to service after six weeks of repairs",
    }
    assert set(Handler.seen_agents) == {f"broadsheet/{__version__} (+https://example.org/)"}
    again = run_cli("import", "--site", site, "--allow-private", f"{server}/page")
    assert "already imported" in again.out  # the page's canonical URL is the key, whatever the path


def test_each_failing_url_is_reported_and_the_others_imported(make_site, server):
    site = make_site({}, settings=FAST)
    bad = {
        "/slow": "(the timeout)",
        "/drip": "took longer than 0.5 s (the timeout)",
        "/loop": "redirect loop",
        "/chain": "too many redirects (more than 3)",
        "/to-file": "only http and https are followed",
        "/big": "over the 200,000-byte size limit",
        "/big-unannounced": "over the 200,000-byte size limit; stopped reading",
        "/error": "HTTP 500",
        "/garbage-feed": "malformed feed",
        "/broken": "broken response",
        "/nowhere": "HTTP 404",
    }
    result = run_cli("import", "--site", site, "--allow-private", *(server + path for path in bad), f"{server}/page")
    assert result.code == 1
    for path, message in bad.items():
        [line] = [ln for ln in result.err.splitlines() if ln.startswith(f"{server}{path}: error:")]
        assert message in line, line
    assert result.out.strip().endswith("Imported 1 article, skipped 0, failed 11.")
    assert [split(p)[0]["title"] for p in imported(site)] == ["Night buses return to the harbour route"]


def test_imported_articles_build_into_the_demo_as_drafts(tmp_path):
    site = copy_demo(tmp_path / "demo")
    result = run_cli(
        "import",
        "--site",
        site,
        SAMPLES / "ferry.txt",
        SAMPLES / "harbour-page.html",
        SAMPLES / "ledger.rss",
        "--section",
        "world",
    )
    assert result.code == 0, result.err
    without = run_cli("build", "--site", site, "--output", tmp_path / "public", "--now", "2025-06-20T12:00:00+00:00")
    assert without.code == 0, without.err
    assert not (tmp_path / "public/2025/06/18/night-buses-return-to-the-harbour-route").exists()
    built = run_cli(
        "build", "--site", site, "--drafts", "--output", tmp_path / "drafts", "--now", "2025-06-20T12:00:00+00:00"
    )
    assert built.code == 0, built.err
    page = (tmp_path / "drafts/2025/06/18/night-buses-return-to-the-harbour-route/index.html").read_text(
        encoding="utf-8"
    )
    assert "Night buses return to the harbour route" in page
    assert "https://ledger.example/2025/06/18/night-buses-return" in page
    assert (
        tmp_path / "drafts/2025/06/17/harbour-ferry-returns-to-service-after-six-weeks-of-repairs/index.html"
    ).is_file()
    assert (tmp_path / "drafts/2025/06/19/lifeboat-crew-rescues-two-kayakers-off-the-point/index.html").is_file()
    assert "<script>alert" not in page


def test_json_feed(make_site):
    fm, body = import_one(make_site, SAMPLES / "pier.json")
    assert fm["title"] == "Pier reopens after storm repairs"
    assert fm["date"] == "2025-06-01 10:00"
    assert fm["authors"] == ["Lee Moss"]
    assert fm["source"] == {"name": "Pier Post", "url": "https://pier.example/"}
    assert fm["image"]["src"] == "https://pier.example/img/pier.jpg"
    assert (
        body.split("\n\n")[0]
        == "The pier reopened to walkers on Sunday, eight months after a winter storm tore away its end section."
    )
    assert "Anglers will have to wait until July." in body
    assert "evil.example" not in body and "onload" not in body


def test_same_sources_give_the_same_bytes(make_site, tmp_path):
    sources = [SAMPLES / name for name in ("ferry.txt", "harbour-page.html", "ledger.rss", "valley.atom", "pier.json")]
    outputs = []
    for name in ("one", "two"):
        site = tmp_path / name
        site.mkdir()
        (site / "broadsheet.yaml").write_text(SETTINGS, encoding="utf-8")
        assert run_cli("import", "--site", site, *sources).code == 0
        outputs.append({p.relative_to(site).as_posix(): p.read_bytes() for p in imported(site)})
    assert len(outputs[0]) == 6
    assert outputs[0] == outputs[1]
