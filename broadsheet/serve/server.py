"""The dev server: serves the output folder, holds requests back during a rebuild,
and tells browsers to reload (or shows the build error) through server-sent events.

The reload script and the error overlay are added to HTML responses as they are
sent, never written to disk, so the output folder stays byte-for-byte what a
build produced. Every request resolves its file afresh, because the build swaps
the whole output folder for a new one at any moment.
"""

from __future__ import annotations

import errno
import html
import json
import mimetypes
import os
import queue
import secrets
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from urllib.parse import parse_qs, quote, unquote_to_bytes

from broadsheet.theme.localise import Localiser

EVENTS = "__broadsheet/events"  # reserved, under the base path
REBUILD_WAIT = 30.0  # seconds a request waits for a rebuild before it is served anyway
SOCKET_TIMEOUT = 10.0  # an idle or stuck connection never holds a thread for longer
STOP_GRACE = 0.5  # seconds in-flight responses get to finish when the server stops

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
}

OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;box-sizing:border-box;padding:2rem;"
    "background:#fffdfa;color:#1a1a1a;border-top:6px solid #b00020;font:15px/1.5 ui-monospace,Menlo,Consolas,monospace"
)
MESSAGES_STYLE = "margin:1rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;color:#b00020"

# One function expression, called with the settings as JSON. Kept in ES5 so that any
# browser an editor tests with runs it.
RELOAD_JS = r"""function (s) {
  "use strict";
  var source = new EventSource(s.events + "?v=" + encodeURIComponent(s.version));
  function hideError() {
    var box = document.getElementById("broadsheet-error");
    if (box) box.remove();
  }
  function showError(messages) {
    hideError();
    var box = document.createElement("div"), title = document.createElement("strong"), text = document.createElement("pre");
    box.id = "broadsheet-error";
    box.setAttribute("role", "alert");
    box.style.cssText = s.overlay;
    title.textContent = s.heading;
    text.style.cssText = s.messages;
    text.textContent = messages.join("\n");
    box.append(title, text);
    document.body.append(box);
  }
  function swapStylesheets() {
    document.querySelectorAll('link[rel~="stylesheet"][href]').forEach(function (link) {
      var url = new URL(link.href, location.href), fresh = link.cloneNode();
      url.searchParams.set("t", Date.now());
      fresh.href = url.href;
      // The old sheet stays until the new one has loaded, so the page never flashes unstyled.
      fresh.onload = fresh.onerror = function () { link.remove(); };
      link.after(fresh);
    });
  }
  source.addEventListener("reload", function () { hideError(); location.reload(); });
  source.addEventListener("css", function () { hideError(); swapStylesheets(); });
  source.addEventListener("error", function (event) {
    // EventSource fires its own "error", without data, when the connection drops.
    if (typeof event.data === "string") showError(JSON.parse(event.data));
  });
}"""


class PortInUse(OSError):
    def __init__(self, port: int):
        super().__init__(f"port {port} is in use; try --port {port + 1}")
        self.errno = errno.EADDRINUSE
        self.port = port


# --- pure helpers -------------------------------------------------------------------------


def url_segments(path: str) -> list[str] | None:
    """The decoded segments of a URL path, or None when one of them could step outside
    the folder it is joined to (.., an encoded slash or backslash, a NUL byte)."""
    try:
        raw = path.encode("latin-1")  # http.server decodes the request line as Latin-1
    except UnicodeEncodeError:
        return None
    segments = []
    for part in raw.split(b"/"):
        if not part:
            continue
        try:
            name = unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            return None
        if name in (".", "..") or any(c in name for c in "/\\\0"):
            return None
        segments.append(name)
    return segments


def resolve(root: str, segments: list[str]) -> str | None:
    """The real path that segments name inside root (itself a real path), or None when
    it does not exist or lies outside root, for instance through a symlink."""
    real = os.path.realpath(os.path.join(root, *segments))
    inside = real == root or real.startswith(root.rstrip(os.sep) + os.sep)
    return real if inside and os.path.exists(real) else None


def content_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def inject(page: bytes, snippet: bytes) -> bytes:
    """snippet just before the last </body>, or at the end when there is none."""
    at = page.lower().rfind(b"</body>")
    return page + snippet if at < 0 else page[:at] + snippet + page[at:]


def error_heading(words: Localiser) -> str:
    """The overlay's heading, which readers of the page see, in the site's language."""
    return words.pgettext(
        "build_failed", "Build failed. This is the last good version of the site; fix the problems below and save."
    )


def error_overlay(messages: tuple[str, ...], heading: str) -> str:
    """The overlay as the script would build it, for pages loaded while a build is broken."""
    return (
        f'<div id="broadsheet-error" role="alert" style="{OVERLAY_STYLE}"><strong>{html.escape(heading)}</strong>'
        f'<pre style="{MESSAGES_STYLE}">{html.escape(chr(10).join(messages))}</pre></div>'
    )


def reload_script(events_url: str, version: str, heading: str) -> str:
    settings = {
        "events": events_url,
        "version": version,
        "heading": heading,
        "overlay": OVERLAY_STYLE,
        "messages": MESSAGES_STYLE,
    }
    # "<" escaped so that nothing in the settings can close the script element.
    return f"<script>({RELOAD_JS})({json.dumps(settings).replace('<', chr(92) + 'u003c')});</script>"


def sse_event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


# --- state shared by the request threads ------------------------------------------------------


class _Gate:
    """Holds requests back while a rebuild runs."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._rebuilds = 0
        self._open_for_good = False

    @contextmanager
    def closed(self) -> Iterator[None]:
        with self._cond:
            self._rebuilds += 1
        try:
            yield
        finally:
            with self._cond:
                self._rebuilds -= 1
                self._cond.notify_all()

    def wait(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._rebuilds == 0 or self._open_for_good, timeout)

    def open_for_good(self) -> None:
        """At stop: let every waiting request through rather than hold the shutdown."""
        with self._cond:
            self._open_for_good = True
            self._cond.notify_all()


class _Stream:
    """One browser's event stream: events queue here and its own thread writes them,
    so a slow or vanished browser never holds up a rebuild or the other browsers."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.unsent = 0  # events broadcast to it and not yet written (under _Streams' lock)

    def put(self, event: bytes) -> None:
        self._queue.put(event)

    def close(self) -> None:
        self._queue.put(None)

    def next(self, timeout: float) -> bytes | None:
        """The next event, b"" when none came within timeout, None once closed."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return b""


class _Streams:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open: set[_Stream] = set()
        self._closed = False
        self.events_sent = 0
        self.last_event_time = 0.0

    def add(self) -> _Stream:
        stream = _Stream()
        with self._cond:
            if self._closed:
                stream.close()  # the server is stopping: end at once
            else:
                self._open.add(stream)
                self._cond.notify_all()
        return stream

    def remove(self, stream: _Stream) -> None:
        with self._cond:
            self._open.discard(stream)
            self._cond.notify_all()  # its unsent events are no longer waited for

    def broadcast(self, event: bytes) -> None:
        with self._cond:
            for stream in self._open:
                stream.put(event)
                stream.unsent += 1

    def sent(self, stream: _Stream) -> None:
        with self._cond:
            self.events_sent += 1
            self.last_event_time = time.perf_counter()
            stream.unsent = max(0, stream.unsent - 1)  # not counted: the reload a stream opens with
            self._cond.notify_all()

    def wait_sent(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not any(stream.unsent for stream in self._open), timeout)

    def wait_for(self, n: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._open) >= n, timeout)

    def close_all(self) -> None:
        with self._cond:
            self._closed = True
            for stream in self._open:
                stream.close()
            self._open.clear()
            self._cond.notify_all()


# --- the server -------------------------------------------------------------------------------


class DevServer:
    def __init__(
        self,
        output: Path,
        base_path: str = "/",
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        log: Callable[[str], None] | None = None,
        keepalive: float = 15.0,
        heading: str | None = None,
    ):
        if not (base_path.startswith("/") and base_path.endswith("/")) or base_path.startswith(("//", "/\\")):
            # '//evil.com/' would make the redirect of '/' send the browser to another site
            raise ValueError(f"base_path must start and end with '/', and not with '//', got {base_path!r}")
        self.output = Path(output)
        self.base_path = base_path
        self.host = host
        self.port = port
        self.log = log
        self.keepalive = keepalive
        self.heading = heading or error_heading(Localiser("en"))  # the error overlay's, in the site's language
        self.events_path = base_path + EVENTS
        self._gate = _Gate()
        self._streams = _Streams()
        self._state_lock = threading.Lock()
        self._instance = secrets.token_hex(4)  # a restarted server has a new one, so pages reload
        self._generation = 0
        self._errors: tuple[str, ...] = ()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.base_path}"

    @property
    def events_sent(self) -> int:
        """Events written to browsers' streams (keep-alive comments not counted)."""
        return self._streams.events_sent

    @property
    def last_event_time(self) -> float:
        """time.perf_counter() when the last event was written to a stream."""
        return self._streams.last_event_time

    def start(self) -> None:
        self.listen()
        self.serve()

    def listen(self) -> None:
        """Take the port (PortInUse when another has it) without answering yet: browsers
        that connect wait in the system's queue until serve(). `broadsheet serve` builds
        in between, while this process has no other thread, so the first build's workers
        can be forked as `build`'s are (build/pool.py)."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        try:
            self._httpd = _HTTPServer((self.host, self.port), self)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(self.port) from exc
            raise
        self.port = self._httpd.server_address[1]

    def serve(self) -> None:
        """Answer requests, on a thread of its own."""
        if self._httpd is None or self._thread is not None:
            raise RuntimeError("the server is not listening, or already serving")
        # A short poll interval keeps stop() quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="broadsheet-serve", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        if thread is None:  # listening, never served: nothing to wait for
            httpd.server_close()
            self._httpd = None
            return
        self._gate.open_for_good()
        httpd.shutdown()
        thread.join()
        httpd.server_close()
        self._streams.close_all()
        httpd.finish_connections(STOP_GRACE)
        self._httpd = self._thread = None

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        with self._gate.closed():
            yield

    def notify_reload(self, changed: list[str] | None = None) -> None:
        css_only = bool(changed) and all(path.endswith(".css") for path in changed or [])
        with self._state_lock:
            self._generation += 1
            self._errors = ()
            self._streams.broadcast(sse_event("css" if css_only else "reload", changed or []))

    def notify_error(self, messages: list[str]) -> None:
        with self._state_lock:
            self._generation += 1
            self._errors = tuple(messages)
            self._streams.broadcast(sse_event("error", list(messages)))

    def wait_for_clients(self, n: int, timeout: float) -> bool:
        return self._streams.wait_for(n, timeout)

    def wait_sent(self, timeout: float) -> bool:
        """Wait until every event broadcast so far is written to the open streams (a browser
        that leaves is not waited for; one that reads slowly at most `timeout` seconds), so
        work after a rebuild does not hold this process while a reload is on its way."""
        return self._streams.wait_sent(timeout)

    # --- used by the request handler ----------------------------------------------------

    def _version(self) -> str:
        return f"{self._instance}-{self._generation}"

    def _page_snippet(self) -> bytes:
        """What every HTML response gets: the overlay while a build is broken, and the script."""
        with self._state_lock:
            version, messages = self._version(), self._errors
        overlay = error_overlay(messages, self.heading) if messages else ""
        return (overlay + reload_script(self.events_path, version, self.heading)).encode("utf-8")

    def _open_stream(self, page_version: str | None) -> _Stream:
        """A new event stream. A page that was served before the latest notification (or by
        an earlier server) missed an event: it is told to reload at once, and the fresh
        page carries the current state, error overlay included."""
        with self._state_lock:
            stream = self._streams.add()
            if page_version is not None and page_version != self._version():
                stream.put(sse_event("reload", []))
        return stream

    def _stream_sent(self, stream: _Stream) -> None:
        self._streams.sent(stream)

    def _close_stream(self, stream: _Stream) -> None:
        self._streams.remove(stream)

    def _wait_for_rebuild(self) -> None:
        self._gate.wait(REBUILD_WAIT)


class _HTTPServer(ThreadingHTTPServer):
    """Keeps its own list of connections so that stop() can join their threads, and
    cut off idle ones (a browser's preconnected socket) instead of waiting for them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], dev: DevServer):
        self.dev = dev
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's full name, which can stall on a
        # machine with slow DNS; the dev server has no use for it.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.socket.getsockname()[:2]

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple) -> None:
        assert isinstance(request, socket.socket)  # a stream server's requests are sockets; the tuple is UDP's
        thread = threading.Thread(target=self._process, args=(request, client_address), daemon=True)
        with self._connections_lock:
            self._connections[thread] = request
        thread.start()

    def _process(self, request: socket.socket, client_address: tuple) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple) -> None:
        # A browser that goes away mid-response is ordinary; anything else is a bug worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def finish_connections(self, grace: float) -> None:
        deadline = time.monotonic() + grace
        with self._connections_lock:
            threads = list(self._connections)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._connections_lock:
            leftover = dict(self._connections)
        for request in leftover.values():
            with suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)
        for thread in leftover:
            thread.join(SOCKET_TIMEOUT)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "broadsheet"
    timeout = SOCKET_TIMEOUT
    send_body = True

    def do_GET(self) -> None:
        self._respond()

    def do_HEAD(self) -> None:
        self.send_body = False
        self._respond()

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD> and answers 501 when it is missing; every
        # method but GET and HEAD gets 405 here instead.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.dev.log is not None:
            self.server.dev.log(f"{self.address_string()} {format % args}")

    # --- routing ----------------------------------------------------------------------------

    def _respond(self) -> None:
        try:
            self._route()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the browser went away; nobody to tell

    def _route(self) -> None:
        dev = self.server.dev
        path, _, query = self.path.partition("?")
        if path == dev.events_path:
            return self._events(query)
        base = dev.base_path
        if base != "/" and path in ("/", base[:-1]):
            return self._redirect(base, query)
        if not path.startswith(base):
            return self._not_found()
        dev._wait_for_rebuild()
        self._serve_site_path(path[len(base) :], query)

    def _serve_site_path(self, site_path: str, query: str) -> None:
        segments = url_segments(site_path)
        if segments is None:
            return self._not_found()
        root = os.path.realpath(self.server.dev.output)  # afresh: the folder may have been swapped
        target = resolve(root, segments)
        if target is None:
            return self._not_found()
        wants_folder = site_path == "" or site_path.endswith("/")
        if os.path.isdir(target):
            if not wants_folder:
                return self._redirect(self.server.dev.base_path + "/".join(quote(s) for s in segments) + "/", query)
            target = resolve(root, [*segments, "index.html"])  # pretty URLs
        elif wants_folder:
            return self._not_found()  # a file asked for as a folder: /style.css/
        if target is None or not os.path.isfile(target):
            return self._not_found()
        self._send_file(target, 200)

    def _not_found(self) -> None:
        root = os.path.realpath(self.server.dev.output)
        page = resolve(root, ["404.html"])
        if page is None or not os.path.isfile(page) or not self._send_file(page, 404):
            self._send_text(404, "404 Not Found\n")

    # --- responses ---------------------------------------------------------------------------

    def _send_file(self, path: str, status: int) -> bool:
        """False when the file vanished before it could be opened (a swap or a rebuild)."""
        ctype = content_type(path)
        try:
            file = open(path, "rb")  # noqa: SIM115 (the with below owns it; opening is the part that may fail)
        except OSError:
            return False
        with file:
            if ctype.startswith("text/html"):
                data = inject(file.read(), self.server.dev._page_snippet())
                self._send_headers(status, ctype, len(data))
                if self.send_body:
                    self.wfile.write(data)
            else:
                self._send_headers(status, ctype, os.fstat(file.fileno()).st_size)
                if self.send_body:
                    shutil.copyfileobj(file, self.wfile)
        return True

    def _send_headers(self, status: int, ctype: str, length: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send_text(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
        data = text.encode("utf-8")
        self._send_headers(status, "text/plain; charset=utf-8", len(data), extra)
        if self.send_body:
            self.wfile.write(data)

    def _redirect(self, location: str, query: str) -> None:
        location += f"?{query}" if query else ""
        self._send_text(302, f"See {location}\n", {"Location": location})

    def _method_not_allowed(self) -> None:
        self.close_connection = True  # whatever body came with it is left unread
        self._send_text(405, f"405 Method Not Allowed: {self.command}\n", {"Allow": "GET, HEAD"})

    def _events(self, query: str) -> None:
        dev = self.server.dev
        if not self.send_body:
            return self._send_headers(200, "text/event-stream", 0)
        page_version = parse_qs(query).get("v", [None])[0]
        stream = dev._open_stream(page_version)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")  # reconnect quickly once a restarted server is back
            while (event := stream.next(dev.keepalive)) is not None:
                self.wfile.write(event or b": keep-alive\n\n")
                if event:
                    dev._stream_sent(stream)
        finally:
            dev._close_stream(stream)
