"""Fetch one URL with limits: a deadline, a size cap, bounded redirects and our own user agent."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # lowercased media type without parameters, '' when not sent
    charset: str
    body: bytes


class FetchError(Exception):
    """Why a URL could not be fetched, in words for the editor."""


def user_agent(base_url: str) -> str:
    return f"broadsheet/{__version__} (+{base_url})"


def fetch(url: str, limits: Limits) -> Fetched:
    opener = urllib.request.build_opener(_Redirects(limits.max_redirects))
    request = urllib.request.Request(url, headers={"User-Agent": limits.user_agent, "Accept": "*/*"})
    deadline = time.monotonic() + limits.timeout
    try:
        with opener.open(request, timeout=limits.timeout) as response:
            body = _read_capped(response, limits, deadline)
            content_type = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
            return Fetched(response.url, content_type, response.headers.get_content_charset() or "", body)
    except urllib.error.HTTPError as exc:
        raise FetchError(_http_error(exc, limits)) from None
    except urllib.error.URLError as exc:
        raise FetchError(_reason(exc.reason, limits)) from None
    except (TimeoutError, socket.timeout):
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
        self.max_redirections = limit
        self.max_repetitions = limit

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to {newurl!r} refused (only http and https are followed)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
