"""Bad input to `broadsheet import`: each bad source gets a one-line reason and nothing
written for it, the good sources beside it are imported, and the exit code is 1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SETTINGS, run_cli

GOOD = "A bridge opens after years of delay\n\nThe minister said on Tuesday that the new bridge would open in spring after years of delay.\n\nOfficials said the cost had doubled since work began.\n"
BAD = {
    "empty": (b"", "empty file"),
    "blank": (b"  \n\n\t\n", "empty file"),
    "navigation": (b"Skip to content\nHome\nMenu\nShare\n", "no story found"),
    "binary": (bytes(range(256)) * 8, "binary file"),
    "cp1252": (
        "Caf\u00e9 reopens on the quay\nThe caf\u00e9 on the quay reopened on Tuesday after a winter of repairs.\n".encode(
            "cp1252"
        ),
        "line 1: not UTF-8 (byte 0xE9 at column 4; save the file as UTF-8)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_source_is_refused_in_one_line_and_the_others_imported(make_site, tmp_path, name):
    data, reason = BAD[name]
    site = make_site({}, settings=SETTINGS)
    bad, good = tmp_path / f"{name}.txt", tmp_path / "good.txt"
    bad.write_bytes(data)
    good.write_text(GOOD, encoding="utf-8")
    result = run_cli("import", "--site", site, bad, good)
    assert result.code == 1
    [line] = [x for x in result.err.splitlines() if x.startswith(str(bad))]
    assert reason in line and ": error: " in line
    assert "Traceback" not in result.err
    written = sorted(p.name for p in (site / "content").rglob("*.md"))
    assert written == ["a-bridge-opens-after-years-of-delay.md"]
    assert "Imported 1 article, skipped 0, failed 1." in result.out


def test_a_page_over_the_size_cap_is_refused(make_site, tmp_path):
    site = make_site({}, settings=SETTINGS)
    big, good = tmp_path / "big.txt", tmp_path / "good.txt"
    big.write_text("A headline\n\n" + "A sentence of the story goes here. " * 400_000, encoding="utf-8")  # 14 MB
    good.write_text(GOOD, encoding="utf-8")
    result = run_cli("import", "--site", site, big, good)
    assert result.code == 1
    assert f"{big}: error: file is over the 10 MiB limit" in result.err.splitlines()
    assert sorted(p.name for p in (site / "content").rglob("*.md")) == ["a-bridge-opens-after-years-of-delay.md"]


class _Pages(BaseHTTPRequestHandler):
    """Bad pages over HTTP: an empty body, a binary body, a page of navigation only."""

    BODIES = {
        "/empty": (b"", "text/html; charset=utf-8"),
        "/binary": (bytes(range(256)) * 8, "text/plain"),
        "/nav": (b"Skip to content\nHome\nMenu\nShare\n", "text/plain; charset=utf-8"),
        "/good": (GOOD.encode(), "text/plain; charset=utf-8"),
    }

    def do_GET(self):
        body, kind = self.BODIES[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


def test_bad_pages_over_http_are_refused_and_the_good_one_imported(make_site):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        site = make_site({}, settings=SETTINGS)
        result = run_cli(
            "import",
            "--site",
            site,
            "--allow-private",
            f"{base}/empty",
            f"{base}/binary",
            f"{base}/nav",
            f"{base}/good",
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.code == 1
    for path, reason in {"/empty": "empty page", "/binary": "binary page", "/nav": "no story found"}.items():
        [line] = [x for x in result.err.splitlines() if x.startswith(f"{base}{path}: error: ")]
        assert reason in line, line
    assert "Traceback" not in result.err
    assert sorted(p.name for p in (site / "content").rglob("*.md")) == ["a-bridge-opens-after-years-of-delay.md"]


def test_utf16_text_with_its_byte_order_mark_is_not_taken_for_binary(make_site, tmp_path):
    site = make_site({}, settings=SETTINGS)
    pasted = tmp_path / "windows.txt"
    pasted.write_bytes(GOOD.encode("utf-16"))  # NUL bytes throughout, after a byte order mark
    result = run_cli("import", "--site", site, pasted)
    assert result.code == 0, result.err
    assert sorted(p.name for p in (site / "content").rglob("*.md")) == ["a-bridge-opens-after-years-of-delay.md"]
