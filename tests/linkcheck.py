"""The links of built pages, read and resolved by broadsheet.check.command, as plain strings for tests."""

from __future__ import annotations

from pathlib import Path

from broadsheet.check.command import SiteRoot, scan_output
from broadsheet.check.pagefacts import page_facts


def links_of(html: str) -> list[str]:
    return [reference.url for reference in page_facts(html).references]


def broken_links(output: Path, origin: str, base_path: str) -> list[str]:
    """'page url: url' for every internal URL that does not resolve to a file (or to an id
    in the page it names)."""
    root = SiteRoot(origin, base_path)
    found = scan_output(output, root).findings
    return sorted(f"{root.url_of(f.file)}: {f.reference.url}" for f in found if f.reference is not None)
