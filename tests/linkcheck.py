"""The links of built pages, read and resolved by broadsheet.check, as plain strings for tests."""

from __future__ import annotations

from pathlib import Path

from broadsheet.check import Resolver, SiteRoot, read_output
from broadsheet.pagefacts import page_facts


def links_of(html: str) -> list[str]:
    return [reference.url for reference in page_facts(html).references]


def broken_links(output: Path, origin: str, base_path: str) -> list[str]:
    """'page url: url' for every internal URL that does not resolve to a file (or to an id
    in the page it names)."""
    site = read_output(output)
    root = SiteRoot(origin, base_path)
    resolver = Resolver(site, root)
    return [
        f"{root.url_of(rel)}: {reference.url}"
        for rel, facts in site.pages.items()
        for reference in facts.references
        if resolver.problem(rel, reference) is not None
    ]
