"""Random hostile front matter and Markdown: control characters, dates at and past the ends
of the calendar, broken URLs, runs of brackets and emphasis, symlinks out of the site. Whatever
comes, `broadsheet build` exits 0 or 1, never with a traceback, within its time budget;
writes nothing outside its output and cache; and publishes nothing from outside the site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import SETTINGS, examples

SECRET = "secret-3f9c1d7e"  # what a file outside the site folder holds: it must never be published
BUDGET = 1  # seconds per article (markdown.timeout), so that slow input is cut short quickly

CONTROL = st.sampled_from(
    ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\u202e", "\u2066", "\r", "\n", "\t", "\ufeff", "שלום", "مرحبا"]
)
DATES = st.sampled_from(
    [
        "2025-06-19",
        "0001-01-01T00:00+05:00",
        "9999-12-30",
        "1899-12-31",
        "2200-01-01",
        "2025-02-30",
        "June 19th",
        "'2025-06-19T25:00'",
        "-1",
        "1e400",
    ]
)
URLS = st.sampled_from(
    [
        "https://example.org/a",
        "http://[::1/x",
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "//evil.example/",
        "http://user:pw@example.org:99999/",
        "mailto:x@example.org",
        "file:///etc/passwd",
        "https://example.org/\x00",
    ]
)
RUNS = st.sampled_from(["[", "]", "*", "_", "`", "> ", "- ", "<", "&", "\\\\", "](", "[a](", "|", "#"])


@st.composite
def hostile_article(draw) -> str:
    title = draw(st.lists(st.one_of(CONTROL, st.text(min_size=1, max_size=8)), min_size=1, max_size=5).map("".join))
    lines = [f"title: {title!r}" if draw(st.booleans()) else f'title: "{title}"', f"date: {draw(DATES)}"]
    if draw(st.booleans()):
        lines.append(f"url: {draw(URLS)!r}")
    if draw(st.booleans()):
        lines.append(f"image: {{src: {draw(URLS)!r}, alt: picture}}")
    body = "".join(draw(RUNS) * draw(st.integers(1, 3000)) for _ in range(draw(st.integers(1, 3))))
    body += f"\n\n[a link]({draw(URLS)})\n"
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def snapshot(root: Path, skip: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Every file below root but those under the named parts, with its size and time."""
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if rel.parts and rel.parts[0] in skip:
            continue
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            found[rel.as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    articles=st.lists(hostile_article(), min_size=1, max_size=3),
    link_out=st.sampled_from(["", "static", "bundle", "content"]),
)
def test_hostile_input_never_crashes_hangs_leaks_or_writes_outside(tmp_path_factory, articles, link_out):
    root = tmp_path_factory.mktemp("hostile")
    (root / "outside.txt").write_text(SECRET)
    site = root / "site-src"
    (site / "content/news").mkdir(parents=True)
    (site / "broadsheet.yaml").write_text(SETTINGS + f"markdown:\n  timeout: {BUDGET}\n")
    for n, text in enumerate(articles):
        (site / f"content/news/a{n}.md").write_text(text, encoding="utf-8", errors="surrogatepass")
    if link_out == "static":
        (site / "static").mkdir()
        (site / "static/leak.txt").symlink_to(root / "outside.txt")
    elif link_out == "bundle":
        (site / "content/b").mkdir()
        (site / "content/b/index.md").write_text("---\ntitle: B\ndate: 2025-06-19\n---\n[notes](leak.txt)\n")
        (site / "content/b/leak.txt").symlink_to(root / "outside.txt")
    elif link_out == "content":
        (site / "content/leak.md").symlink_to(root / "outside.txt")
    before = snapshot(root, ("site-src",)), snapshot(site, ("site", ".site.trees", ".broadsheet"))

    command = [sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"]
    limit = 60 + BUDGET * (len(articles) + 1)  # far past the budget: a hang, not a slow machine
    result = subprocess.run(command, capture_output=True, text=True, timeout=limit, cwd=root)

    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert (snapshot(root, ("site-src",)), snapshot(site, ("site", ".site.trees", ".broadsheet"))) == before
    if (site / "site").exists():
        published = [p for p in (site / "site").rglob("*") if p.is_file()]
        assert not any(SECRET.encode() in p.read_bytes() for p in published)
        assert not any(p.is_symlink() for p in (site / "site").rglob("*"))
