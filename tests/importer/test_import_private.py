"""`broadsheet import` refuses loopback and private addresses unless --allow-private says the
editor means it: checked for every connection, the first and each redirect's, with real
servers and sockets on 127.0.0.1."""

from __future__ import annotations

import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from broadsheet.importer.fetch import Limits, PrivateAddress, fetch, guarded_connection, is_private

from conftest import run_cli
from test_import_text import SAMPLES, imported, split

REFUSAL = "a private address; pass --allow-private to import from your own network"


class Counting(BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self):
        Counting.paths.append(self.path)
        if self.path == "/page":
            body = (SAMPLES / "harbour-page.html").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:  # /moved -> /moved-again -> /page, each on a new connection
            self.send_response(302)
            self.send_header("Location", "/page" if self.path == "/moved-again" else "/moved-again")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Counting.paths = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0.0.0.0", "[::ffff:127.0.0.1]"])
def test_a_private_address_is_refused_before_any_request(make_site, server, host):
    site = make_site({})
    url = f"http://{host}:{server}/page"
    result = run_cli("import", "--site", site, url)
    assert result.code == 1
    [line] = result.err.splitlines()
    assert line.startswith(f"{url}: error: refused: {host.strip('[]')} resolves to ")
    assert line.endswith(REFUSAL)
    assert Counting.paths == []  # refused before connecting, not after asking
    assert imported(site) == []


def test_allow_private_imports_from_the_own_network(make_site, server):
    site = make_site({})
    result = run_cli("import", "--site", site, "--allow-private", f"http://127.0.0.1:{server}/moved")
    assert result.code == 0, result.err
    assert [split(p)[0]["title"] for p in imported(site)] == ["Night buses return to the harbour route"]
    assert Counting.paths == ["/moved", "/moved-again", "/page"]


def test_every_redirect_connects_through_the_guard(server):
    """The guard sits in the connection, not in a look at the first URL: each of the three
    connections of a redirect chain was checked (and refused, below, without the flag)."""
    limits = Limits(5, 1_000_000, 5, "test", allow_private=True)
    fetched = fetch(f"http://127.0.0.1:{server}/moved", limits)
    assert fetched.url.endswith("/page")
    assert len(fetched.peers) == 3 and all(is_private(peer) for peer in fetched.peers)
    with pytest.raises(PrivateAddress):
        fetch(f"http://127.0.0.1:{server}/moved", Limits(5, 1_000_000, 5, "test"))
    assert Counting.paths == ["/moved", "/moved-again", "/page"]  # the refused fetch asked nothing


def test_the_guard_refuses_before_connecting_and_connects_to_the_checked_address():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(PrivateAddress, match=f"refused: 127.0.0.1 resolves to 127.0.0.1, {REFUSAL}"):
            guarded_connection(("127.0.0.1", port), 2)
        assert select.select([listener], [], [], 0.2)[0] == []  # no connection reached the listener
        with guarded_connection(("127.0.0.1", port), 2, allow_private=True) as sock:
            accepted, peer = listener.accept()
            accepted.close()
            assert sock.getpeername() == ("127.0.0.1", port)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                                     "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1%1", "fc00::1", "::ffff:10.0.0.1", "::"])  # fmt: skip
def test_private_ranges(address):
    assert is_private(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert not is_private(address)
