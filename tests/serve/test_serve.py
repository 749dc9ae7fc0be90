"""The dev server, tested against a real server on 127.0.0.1 and a hand-made output folder."""

from __future__ import annotations

import http.client
import os
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from broadsheet.serve.server import DevServer, PortInUse

SECRET = "top secret, outside the output"
INDEX = "<!doctype html><html><head><title>Front</title></head><body><h1>Front page</h1></body></html>\n"
ARTICLE = "<!doctype html><html><body><p>An article</p></body></html>\n"
NOT_FOUND = "<!doctype html><html><body><p>No such page</p></body></html>\n"

FILES: dict[str, bytes] = {
    "index.html": INDEX.encode(),
    "a/b/index.html": ARTICLE.encode(),
    "404.html": NOT_FOUND.encode(),
    "style.css": b"body { color: #111 }\n",
    "feed.xml": b'<?xml version="1.0" encoding="utf-8"?><feed/>\n',
    "data.json": b'{"ok": true}\n',
    "img.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "font.woff2": b"wOF2\x00\x01\x00\x00fontdata",
    "x.webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "robots.txt": "User-agent: *\nDisallow: /café/\n".encode(),
    "app.js": b"console.log(1);\n",
    "fragment.html": b"<p>no body element here</p>",
    "caf\u00e9/index.html": b"<html><body>accents</body></html>",
}


@pytest.fixture
def output(tmp_path: Path) -> Path:
    out = tmp_path / "site"
    for rel, data in FILES.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "index.html").write_text(SECRET, encoding="utf-8")
    (out / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (out / "leakdir").symlink_to(tmp_path / "private")
    (out / "alias.css").symlink_to("style.css")  # a symlink that stays inside is fine
    return out


@pytest.fixture
def serve(output: Path):
    """Start a server on a free port; every one started is stopped after the test."""
    servers: list[DevServer] = []

    def start(base_path: str = "/", **options) -> DevServer:
        server = DevServer(output, base_path, port=0, **options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def request(server: DevServer, path: str, method: str = "GET") -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def raw(server: DevServer, request_line: bytes) -> Reply:
    """Send a request byte for byte (http.client refuses or rewrites some of these) and
    read everything the server sends until it closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_line + b"\r\nHost: localhost\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return Reply(int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body)


class EventStream:
    """A browser's EventSource, read off a raw socket."""

    def __init__(self, server: DevServer, query: str = ""):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.sock.sendall(
            f"GET {server.events_path}{query} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        self.buffer = b""
        head = self._until(b"\r\n\r\n").decode("latin-1")
        self.status_line, *header_lines = head.split("\r\n")
        self.headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in header_lines)}

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError(self.buffer)
            self.buffer += chunk
        block, _, self.buffer = self.buffer.partition(marker)
        return block

    def block(self) -> str:
        """The next blank-line-separated block: an event, a comment or a retry line."""
        return self._until(b"\n\n").decode("utf-8")

    def event(self, timeout: float = 3.0) -> tuple[str, str]:
        """The next event, skipping comments; keep-alives must not make a missing event hang."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fields = dict(line.split(": ", 1) for line in self.block().splitlines() if not line.startswith(":"))
            if "event" in fields:
                return fields["event"], fields["data"]
        raise TimeoutError("no event came")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def streams():
    opened: list[EventStream] = []

    def open_stream(server: DevServer, query: str = "") -> EventStream:
        opened.append(EventStream(server, query))
        return opened[-1]

    yield open_stream
    for stream in opened:
        stream.close()


# --- files, types, headers ----------------------------------------------------------------------

TYPES = {
    "/style.css": "text/css; charset=utf-8",
    "/feed.xml": "application/xml",
    "/data.json": "application/json",
    "/img.svg": "image/svg+xml",
    "/font.woff2": "font/woff2",
    "/x.webp": "image/webp",
    "/robots.txt": "text/plain; charset=utf-8",
    "/app.js": "text/javascript; charset=utf-8",
}


@pytest.mark.parametrize("path", sorted(TYPES))
def test_files_are_served_as_they_are_with_their_types(serve, path):
    reply = request(serve(), path)
    assert reply.status == 200
    assert reply.headers["content-type"] == TYPES[path]
    assert reply.body == FILES[path[1:]]
    assert reply.headers["content-length"] == str(len(reply.body))
    assert reply.headers["cache-control"] == "no-store"


def test_html_is_utf8_html(serve):
    reply = request(serve(), "/index.html")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["cache-control"] == "no-store"


def test_head_sends_the_headers_of_get_and_no_body(serve):
    server = serve()
    for path in ("/", "/style.css", "/nowhere/"):
        got, head = request(server, path), raw(server, f"HEAD {path} HTTP/1.0".encode())
        assert head.status == got.status
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == str(len(got.body))
        assert head.body == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
def test_only_get_and_head(serve, method):
    reply = raw(serve(), f"{method} /index.html HTTP/1.0".encode())
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"


def test_a_symlink_that_stays_inside_is_served(serve):
    assert request(serve(), "/alias.css").body == FILES["style.css"]


def test_percent_encoded_names(serve):
    reply = request(serve(), "/" + quote("café") + "/")
    assert reply.status == 200
    assert b"accents" in reply.body


def test_files_are_looked_up_per_request_so_a_swapped_folder_is_seen(serve, output):
    server = serve()
    assert b"Front page" in request(server, "/").body
    fresh = output.with_name("site.new")
    fresh.mkdir()
    (fresh / "index.html").write_text("<html><body>Second edition</body></html>", encoding="utf-8")
    output.rename(output.with_name("site.old"))
    fresh.rename(output)
    assert b"Second edition" in request(server, "/").body


# --- only what is inside the output folder --------------------------------------------------------

ESCAPES = [
    b"/../secret.txt",
    b"/a/../../secret.txt",
    b"/a/b/../../../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/%2e%2e/secret.txt",
    b"/a/%2e%2e%2f%2e%2e%2fsecret.txt",
    b"/..%2fsecret.txt",
    b"/..%5csecret.txt",
    b"/..\\secret.txt",
    b"/a\\..\\..\\secret.txt",
    b"/leak.txt",
    b"/leakdir/",
    b"/leakdir/index.html",
    b"/style.css%00.html",
    b"/style.css\x00",
    b"/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 for "."
]


@pytest.mark.parametrize("path", ESCAPES, ids=lambda p: p.decode("latin-1"))
def test_nothing_outside_the_output_is_served(serve, path):
    reply = raw(serve(), b"GET " + path + b" HTTP/1.0")
    assert reply.status in (403, 404)
    assert SECRET.encode() not in reply.body


def test_absolute_paths_are_not_followed(serve, tmp_path):
    secret = str(tmp_path / "secret.txt")
    server = serve()
    for path in ("/" + quote(secret, safe=""), "//" + secret.lstrip("/"), "/%2F" + quote(secret.lstrip("/"))):
        reply = raw(server, f"GET {path} HTTP/1.0".encode())
        assert reply.status in (403, 404), path
        assert SECRET.encode() not in reply.body


# --- pretty URLs, redirects, 404 ---------------------------------------------------------------------


def test_pretty_urls(serve):
    server = serve()
    assert b"Front page" in request(server, "/").body
    reply = request(server, "/a/b/")
    assert reply.status == 200
    assert b"An article" in reply.body


def test_a_folder_without_its_slash_redirects_keeping_the_query(serve):
    server = serve()
    reply = request(server, "/a/b?utm=x&y=1")
    assert reply.status in (301, 302)
    assert reply.headers["location"] == "/a/b/?utm=x&y=1"
    assert request(server, "/a").headers["location"] == "/a/"


def test_a_file_asked_for_as_a_folder_is_not_found(serve):
    assert request(serve(), "/style.css/").status == 404


def test_a_missing_page_gets_the_sites_404_page(serve):
    reply = request(serve(), "/2025/01/01/nothing/")
    assert reply.status == 404
    assert b"No such page" in reply.body
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-length"] == str(len(reply.body))


def test_a_folder_without_index_is_not_listed(serve, output):
    (output / "empty").mkdir()
    reply = request(serve(), "/empty/")
    assert reply.status == 404
    assert b"No such page" in reply.body


def test_a_plain_404_without_a_404_page(serve, output):
    (output / "404.html").unlink()
    reply = request(serve(), "/nothing/")
    assert reply.status == 404
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.body == b"404 Not Found\n"


# --- base path -----------------------------------------------------------------------------------------


def test_the_site_is_served_under_its_base_path(serve):
    server = serve("/digest/")
    assert server.url == f"http://127.0.0.1:{server.port}/digest/"
    assert b"Front page" in request(server, "/digest/").body
    assert b"An article" in request(server, "/digest/a/b/").body
    assert request(server, "/digest/style.css").body == FILES["style.css"]
    assert request(server, "/digest/a/b").headers["location"] == "/digest/a/b/"


def test_the_root_redirects_to_the_base_path(serve):
    server = serve("/digest/")
    for path, location in (("/", "/digest/"), ("/?q=1", "/digest/?q=1"), ("/digest", "/digest/")):
        reply = request(server, path)
        assert reply.status in (301, 302), path
        assert reply.headers["location"] == location


def test_paths_outside_the_base_path_are_not_found(serve):
    server = serve("/digest/")
    for path in ("/a/b/", "/style.css", "/digestive/", "/../digest/"):
        assert request(server, path).status == 404, path


def test_base_path_must_start_and_end_with_a_slash(output):
    with pytest.raises(ValueError):
        DevServer(output, "digest")
    for off_site in ("//evil.com/", "/\\evil.com/"):  # the redirect of / would leave the site
        with pytest.raises(ValueError):
            DevServer(output, off_site)


# --- the reload script -----------------------------------------------------------------------------------


def test_the_script_is_injected_at_serve_time_only(serve, output):
    reply = request(serve(), "/a/b/")
    assert reply.headers["content-length"] == str(len(reply.body))
    page = reply.body.decode()
    assert page.startswith(ARTICLE.split("</body>")[0])
    assert page.endswith("</script></body></html>\n")
    assert "new EventSource(" in page
    assert '"/__broadsheet/events"' in page
    assert (output / "a/b/index.html").read_bytes() == FILES["a/b/index.html"]


def test_the_script_goes_at_the_end_when_there_is_no_body_element(serve):
    page = request(serve(), "/fragment.html").body.decode()
    assert page.startswith("<p>no body element here</p><script>")
    assert page.endswith("</script>")


def test_the_script_listens_under_the_base_path(serve):
    page = request(serve("/digest/"), "/digest/").body.decode()
    assert '"/digest/__broadsheet/events"' in page


def test_other_files_are_left_alone(serve):
    server = serve()
    for path in ("/style.css", "/img.svg", "/feed.xml"):
        assert b"<script" not in request(server, path).body


# --- events -----------------------------------------------------------------------------------------------


def test_reload_event(serve, streams):
    server = serve()
    stream = streams(server)
    assert stream.status_line.split()[1] == "200"
    assert stream.headers["content-type"] == "text/event-stream"
    assert server.wait_for_clients(1, timeout=2)
    server.notify_reload(["a/b/index.html", "style.css"])
    assert stream.event() == ("reload", '["a/b/index.html", "style.css"]')
    server.notify_reload()
    assert stream.event() == ("reload", "[]")


def test_css_event_when_only_stylesheets_changed(serve, streams):
    server = serve()
    stream = streams(server)
    assert server.wait_for_clients(1, timeout=2)
    server.notify_reload(["style.css", "theme/print.css"])
    assert stream.event()[0] == "css"
    page = request(server, "/").body.decode()
    assert 'link[rel~="stylesheet"]' in page and 'searchParams.set("t"' in page


def test_every_browser_hears_and_the_events_are_counted(serve, streams):
    server = serve()
    first, second = streams(server), streams(server)
    assert server.wait_for_clients(2, timeout=2)
    before = time.perf_counter()
    server.notify_reload(["index.html"])
    assert first.event()[0] == second.event()[0] == "reload"
    deadline = time.monotonic() + 2
    while server.events_sent < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.events_sent == 2
    assert server.last_event_time >= before


def test_wait_sent_returns_once_every_open_stream_has_written_the_event(serve, streams):
    server = serve()
    assert server.wait_sent(timeout=0)  # no browser: nothing to wait for
    first, second = streams(server), streams(server)
    assert server.wait_for_clients(2, timeout=2)
    server.notify_reload(["index.html"])
    assert server.wait_sent(timeout=5)
    assert server.events_sent == 2  # both written, not merely queued
    assert first.event()[0] == second.event()[0] == "reload"
    abort(first.sock)  # a browser that leaves is not waited for
    server.notify_reload(["index.html"])
    assert second.event()[0] == "reload"
    assert server.wait_sent(timeout=5)


def test_error_event_and_overlay_until_the_next_reload(serve, streams):
    server = serve()
    stream = streams(server)
    assert server.wait_for_clients(1, timeout=2)
    messages = ["content/a.md:3: date: is missing", "content/b.md:1: title: <script>alert(1)</script> & more"]
    server.notify_error(messages)
    event, data = stream.event()
    assert event == "error"
    assert "content/a.md:3: date: is missing" in data

    reply = request(server, "/a/b/")
    page = reply.body.decode()
    assert reply.headers["content-length"] == str(len(reply.body))
    assert '<div id="broadsheet-error"' in page
    assert "content/a.md:3: date: is missing" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<script>alert(1)" not in page
    assert "z-index:2147483647" in page
    assert page.index('id="broadsheet-error"') < page.index("</body>")
    assert request(server, "/style.css").body == FILES["style.css"]

    server.notify_reload(["a/b/index.html"])
    assert stream.event()[0] == "reload"
    assert "broadsheet-error" not in request(server, "/a/b/").body.decode().split("<script>")[0]
    assert '<div id="broadsheet-error"' not in request(server, "/a/b/").body.decode()


def test_a_css_reload_also_clears_the_error(serve, streams):
    server = serve()
    server.notify_error(["content/a.md:3: date: is missing"])
    server.notify_reload(["style.css"])
    assert '<div id="broadsheet-error"' not in request(server, "/").body.decode()


def test_a_page_that_missed_an_event_reloads_as_soon_as_it_listens(serve, streams):
    server = serve(keepalive=0.1)
    version = re.search(r'"version": "([^"]+)"', request(server, "/").body.decode()).group(1)
    stream = streams(server, f"?v={version}")
    assert stream.block() == "retry: 1000"
    assert stream.block() == ": keep-alive"  # up to date: nothing to catch up on

    server.notify_reload(["index.html"])  # the page above was served before this
    late = streams(server, f"?v={version}")
    assert late.event()[0] == "reload"
    assert stream.event()[0] == "reload"


def test_keepalive_comments(serve, streams):
    server = serve(keepalive=0.05)
    stream = streams(server)
    assert stream.block() == "retry: 1000"
    assert stream.block() == ": keep-alive"
    assert stream.block() == ": keep-alive"
    assert server.events_sent == 0


def test_stop_closes_the_event_streams(output, streams):
    server = DevServer(output, port=0)
    server.start()
    stream = streams(server)
    assert server.wait_for_clients(1, timeout=2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    stream.sock.settimeout(2)
    with pytest.raises(EOFError):
        stream.event()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1)


# --- rebuilds, disconnects, ports, logging ---------------------------------------------------------------


def test_requests_wait_while_a_rebuild_runs(serve, output):
    server = serve()
    answered = threading.Event()
    replies: list[Reply] = []

    def fetch() -> None:
        replies.append(request(server, "/"))
        answered.set()

    with server.rebuilding():
        (output / "index.html").write_text("<html><body>half", encoding="utf-8")
        thread = threading.Thread(target=fetch)
        thread.start()
        assert not answered.wait(0.3)
        (output / "index.html").write_text("<html><body>Rebuilt</body></html>", encoding="utf-8")
    assert answered.wait(3)
    thread.join()
    assert b"Rebuilt" in replies[0].body


def test_event_streams_do_not_wait_for_a_rebuild(serve, streams):
    server = serve()
    with server.rebuilding():
        stream = streams(server)
        assert server.wait_for_clients(1, timeout=2)
        assert stream.block() == "retry: 1000"


def abort(sock: socket.socket) -> None:
    """Close with a reset, as a browser tab that is killed does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_that_leaves_mid_response_does_not_disturb_the_server(serve, output, capfd):
    (output / "big.bin").write_bytes(os.urandom(8 << 20))
    server = serve()
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.0 200")
        abort(sock)
    half = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    half.sendall(b"GET /ind")
    abort(half)
    assert b"Front page" in request(server, "/").body
    time.sleep(0.2)  # give the handler threads time to notice
    assert request(server, "/style.css").status == 200
    assert capfd.readouterr().err == ""


def test_a_browser_that_goes_away_does_not_disturb_the_others(serve, streams, capfd):
    server = serve()
    gone, staying = streams(server), streams(server)
    assert server.wait_for_clients(2, timeout=2)
    abort(gone.sock)
    for _ in range(3):
        server.notify_reload()
        assert staying.event()[0] == "reload"
    assert request(server, "/").status == 200
    assert capfd.readouterr().err == ""


def test_a_busy_port(serve, output):
    first = serve()
    second = DevServer(output, port=first.port)
    with pytest.raises(PortInUse) as caught:
        second.start()
    assert isinstance(caught.value, OSError)
    assert str(caught.value) == f"port {first.port} is in use; try --port {first.port + 1}"


def test_quiet_unless_given_a_log(serve, capfd):
    server = serve()
    request(server, "/")
    request(server, "/nothing/")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/x.y\r\n\r\n")  # malformed: http.server answers with an error page
        assert b"Bad request version" in sock.recv(4096)
    assert capfd.readouterr().err == ""

    lines: list[str] = []
    logged = serve(log=lines.append)
    request(logged, "/a/b/")
    assert any('"GET /a/b/ HTTP/1.1" 200' in line for line in lines), lines
    assert capfd.readouterr().err == ""
