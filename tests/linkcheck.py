"""Find every link and asset URL in built pages and check it resolves to a file."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

URL_ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        name = URL_ATTRIBUTES.get(tag)
        value = dict(attrs).get(name) if name else None
        if value:
            self.urls.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def page_url(output: Path, page: Path, base_path: str) -> str:
    rel = page.relative_to(output).as_posix()
    return base_path + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def broken_links(output: Path, origin: str, base_path: str) -> list[str]:
    """'page: url' for every internal URL that does not resolve to a file."""
    broken = []
    for page in sorted(output.rglob("*.html")):
        here = page_url(output, page, base_path)
        for url in links_of(page.read_text(encoding="utf-8")):
            target = urlsplit(urljoin(origin + here, url))
            if f"{target.scheme}://{target.netloc}" != origin:
                continue  # another site
            path = unquote(target.path)
            if not path.startswith(base_path):
                broken.append(f"{here}: {url} (outside {base_path})")
                continue
            rel = path[len(base_path) :]
            file = output / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)
            if not file.is_file():
                broken.append(f"{here}: {url}")
    return broken
