"""Fetch one URL with limits: a deadline, a size cap, bounded redirects, our own user agent,
and no connection to a private address unless the editor allows it."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import urlsplit

from broadsheet import __version__

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    timeout: float  # seconds from the request to the last byte
    max_bytes: int
    max_redirects: int
    user_agent: str
    allow_private: bool = False  # --allow-private: a newsroom's intranet may be fetched


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # lowercased media type without parameters, '' when not sent
    charset: str
    body: bytes
    peers: tuple[str, ...] = ()  # the checked address of each connection made, redirects included
    status: int = 200  # 304: a conditional request found the copy we have still fresh; body is empty
    etag: str = ""  # validators the server sent, for the next conditional request
    last_modified: str = ""


class FetchError(Exception):
    """Why a URL could not be fetched, in words for the editor."""


class PrivateAddress(FetchError):
    """A host that resolves to a loopback, private, link-local, multicast or reserved address.
    Not an OSError, so that urllib lets it through instead of wrapping it as a network error."""

    def __init__(self, host: str, address: str):
        super().__init__(f"refused: {host} resolves to {address}, a private address; "
                         "pass --allow-private to import from your own network")  # fmt: skip


def user_agent(base_url: str) -> str:
    return f"broadsheet/{__version__} (+{base_url})"


def fetch(url: str, limits: Limits, conditions: dict[str, str] | None = None) -> Fetched:
    """`conditions`: If-None-Match / If-Modified-Since headers; a 304 answer is returned, not raised."""
    peers: list[str] = []
    opener = urllib.request.build_opener(
        _Redirects(limits.max_redirects), *_guarded_handlers(limits.allow_private, peers)
    )
    headers = {"User-Agent": limits.user_agent, "Accept": "*/*", **(conditions or {})}
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + limits.timeout
    try:
        with opener.open(request, timeout=limits.timeout) as response:
            body = _read_capped(response, limits, deadline)
            h = response.headers
            content_type = h.get_content_type() if h.get("Content-Type") else ""
            return Fetched(response.url, content_type, h.get_content_charset() or "", body, tuple(peers),
                           200, h.get("ETag", ""), h.get("Last-Modified", ""))  # fmt: skip
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and conditions:
            exc.close()
            return Fetched(url, "", "", b"", tuple(peers), 304)
        raise FetchError(_http_error(exc, limits)) from None
    except urllib.error.URLError as exc:
        raise FetchError(_reason(exc.reason, limits)) from None
    except TimeoutError:
        raise FetchError(f"no answer within {limits.timeout:g} s (the timeout)") from None
    except (HTTPException, OSError) as exc:
        raise FetchError(f"broken response: {exc or type(exc).__name__}") from None


def _read_capped(response, limits: Limits, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"response of {int(declared):,} bytes is over the {limits.max_bytes:,}-byte size limit")
    chunks, size = [], 0
    while chunk := response.read1(CHUNK):
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchError(f"response is over the {limits.max_bytes:,}-byte size limit; stopped reading")
        if time.monotonic() > deadline:
            raise FetchError(f"the response took longer than {limits.timeout:g} s (the timeout)")
        chunks.append(chunk)
    if declared.isdigit() and size < int(declared):
        raise FetchError(f"broken response: the connection closed after {size:,} of {int(declared):,} bytes")
    return b"".join(chunks)


def _http_error(exc: urllib.error.HTTPError, limits: Limits) -> str:
    if exc.code in (301, 302, 303, 307, 308) and "not allowed" in str(exc.reason):
        return "redirect refused (only http and https are followed)"  # urllib refuses other schemes itself
    if exc.code in (301, 302, 303, 307, 308):
        return f"too many redirects (more than {limits.max_redirects}) or a redirect loop"
    return f"HTTP {exc.code} {exc.reason}"


def _reason(reason, limits: Limits) -> str:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {limits.timeout:g} s (the timeout)"
    if isinstance(reason, str):
        return reason
    return getattr(reason, "strerror", None) or str(reason)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """At most `limit` redirects in all, and only to http(s)."""

    def __init__(self, limit: int):
        # typeshed calls it a ClassVar, but urllib reads it through self, per handler
        self.max_redirections = limit  # type: ignore[misc]
        self.max_repetitions = limit

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to {newurl!r} refused (only http and https are followed)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def is_private(address: str) -> bool:
    """Anything but a public unicast address: loopback, private, link-local, multicast, reserved,
    unspecified (0.0.0.0 reaches this machine), and IPv4 written inside IPv6 (::ffff:127.0.0.1)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)  # fmt: skip


def guarded_connection(
    address: tuple[str, int], timeout=None, source_address=None, *, allow_private: bool = False
) -> socket.socket:
    """socket.create_connection, resolving the host once and checking every address before
    connecting to that same address: a second lookup (DNS rebinding) never gets a say."""
    host, port = address
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # its gaierror is reported as urllib's was
    if not allow_private:
        for *_, sockaddr in found:
            if is_private(str(sockaddr[0])):  # an IP address, as the stream families give
                raise PrivateAddress(host, str(sockaddr[0]))
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in found:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"cannot find {host}")


def _guarded_handlers(allow_private: bool, peers: list[str]) -> list[urllib.request.BaseHandler]:
    """HTTP and HTTPS handlers whose every connection, the first and each redirect's, goes
    through guarded_connection (and is listed in `peers`). No proxy: the target's address must
    be the one checked."""

    def connect(address, timeout=None, source_address=None):
        sock = guarded_connection(address, timeout, source_address, allow_private=allow_private)
        peers.append(sock.getpeername()[0])
        return sock

    class Http(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class Https(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect  # TLS still checks the certificate against the host name

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Http, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(Https, req, context=self._context)

    return [urllib.request.ProxyHandler({}), HttpHandler(), HttpsHandler()]
