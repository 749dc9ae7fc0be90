"""The built output -> what a reader would trip over: links and assets that lead nowhere,
images without alt text, pages without a title or a description.

It reads the output as a browser would, not the records that made it, so it also catches
what a template override or raw HTML in an article brings in. Each page is parsed once
(see pagefacts.py), and every link is then a set lookup, so the check grows linearly with
the site.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from broadsheet.build import pool
from broadsheet.build.config import Settings
from broadsheet.build.markup import link_line
from broadsheet.build.request import BuildReport
from broadsheet.check.pagefacts import Flaw, Reference, fragment_urls, page_facts, stylesheet_references
from broadsheet.problems import Problem, display_path, errors, print_problems

PAGE_SUFFIXES = (".html", ".htm")
READABLE = (*PAGE_SUFFIXES, ".css")  # the files whose references are checked
SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class SiteRoot:
    """Where the output is published: URLs on this origin under base_path are the site's own."""

    origin: str  # "https://example.org"
    base_path: str  # "/digest/"

    @classmethod
    def of(cls, base_url: str) -> SiteRoot:
        settings = Settings(base_url=base_url)
        return cls(settings.origin.lower(), settings.base_path)

    def url_of(self, rel: str) -> str:
        """The URL of an output file, as pages link to it (pretty: "a/index.html" -> "a/")."""
        return self.base_path + (
            rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel
        )


class Finding(NamedTuple):
    file: str  # the output file it is in
    flaw: Flaw
    reference: Reference | None = None  # the link or asset that leads nowhere, if that is the flaw


@dataclass(frozen=True)
class Scan:
    """Everything found wrong in an output folder, before naming the source files."""

    pages: int
    stylesheets: int
    findings: set[Finding]
    workers: int = 1  # processes that read the files


@dataclass(frozen=True)
class CheckReport:
    pages: int
    stylesheets: int
    problems: list[Problem]


def check_output(
    output: Path,
    base_url: str,
    sources: dict[str, str],
    articles: Mapping[str, tuple[str, ...]] | None = None,
    site_dir: Path | None = None,
) -> CheckReport:
    """Every problem of every page and stylesheet, each naming the page and the file to fix:
    from `sources` (output file -> the content file, template or static file it came from),
    unless the element is in the HTML of an article shown on the page (`articles`: content
    file -> its body and summary HTML), as its summary on a list page or a related story.
    With `site_dir`, an article's problem names the line of its Markdown file too."""
    scan = scan_output(output, SiteRoot.of(base_url))
    written_in = _written_in({f.flaw.url for f in scan.findings if f.flaw.url}, articles or {})
    lines = _MarkdownLines(site_dir, articles or {})
    problems = set()
    for finding in scan.findings:
        source = sources.get(finding.file, "")
        owners = written_in.get(finding.flaw.url, ())
        for owner in owners if owners and source not in owners else (source,):
            line = lines.of(owner, finding.flaw.url)
            problems.add(
                Problem(owner, line, display_path(output / finding.file), finding.flaw.message, finding.flaw.warning)
            )
    return CheckReport(scan.pages, scan.stylesheets, sorted(problems))


class _MarkdownLines:
    """The line of an article's Markdown file where a URL is written; each file read once,
    and only when something in it was found wrong."""

    def __init__(self, site_dir: Path | None, articles: Mapping[str, tuple[str, ...]]):
        self.site_dir, self.articles = site_dir, articles
        self._texts: dict[str, str] = {}

    def of(self, owner: str, url: str) -> int:
        if self.site_dir is None or owner not in self.articles or not url:
            return 0
        if owner not in self._texts:
            try:
                self._texts[owner] = (self.site_dir / owner).read_bytes().decode("utf-8", errors="replace")
            except OSError:
                self._texts[owner] = ""
        text = self._texts[owner]
        # A link to another article is written as its file (b.md#part) and comes out as its URL.
        fragment = urlsplit(url).fragment
        return link_line(text, url) or (link_line(text, "#" + fragment) if fragment else 0)


def _written_in(urls: set[str], articles: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """URL -> the content files whose own HTML has an element with it. Read only when
    something was found, so a clean site costs nothing here."""
    found: dict[str, list[str]] = {}
    for path, texts in sorted(articles.items()) if urls else ():
        for url in set().union(*(fragment_urls(text) for text in texts)) & urls:
            found.setdefault(url, []).append(path)
    return found


def scan_output(output: Path, root: SiteRoot, workers: int | None = None) -> Scan:
    """Read each page and stylesheet once, resolving its references as it goes; only the
    ids of pages and the references with a #fragment are kept until the end, as a fragment
    may point at a page not read yet. So memory stays small at 10,000 articles. A big
    output is read across all cores (or `workers` processes)."""
    files = _files(output)
    readable = sorted(rel for rel in files if rel.endswith(READABLE))
    parts, workers = _read_all(_Reader(output, files, root), readable, workers)
    ids = {rel: found for part in parts for rel, found in part.ids.items()}
    findings = set().union(*(part.findings for part in parts))
    for part in parts:
        for rel, reference, anchor in part.anchors:
            if anchor.page in ids and not _has_anchor(ids[anchor.page], anchor.fragment):
                message = f'{reference} does not resolve: {anchor.page} has no element with id="{anchor.fragment}"'
                findings.add(Finding(rel, Flaw(message, url=reference.url), reference))
    return Scan(len(ids), sum(part.stylesheets for part in parts), findings, workers)


@dataclass
class _Part:
    """What reading some of the output's files found."""

    ids: dict[str, frozenset[str]] = field(default_factory=dict)
    anchors: list[tuple[str, Reference, Anchor]] = field(default_factory=list)
    findings: set[Finding] = field(default_factory=set)
    stylesheets: int = 0


class _Reader:
    """Reads output files; one per process, so its resolver remembers what it resolved."""

    def __init__(self, output: Path, files: frozenset[str], root: SiteRoot):
        self.output = output
        self.resolver = Resolver(files, root)

    def read(self, rels: list[str]) -> _Part:
        part = _Part()
        for rel in rels:
            if rel.endswith(PAGE_SUFFIXES):
                facts = page_facts(_read_text(self.output / rel))
                part.ids[rel] = facts.ids
                part.findings.update(Finding(rel, flaw) for flaw in facts.flaws)
                references = facts.references
            else:
                part.stylesheets += 1
                references = stylesheet_references(_read_text(self.output / rel))
            for reference in references:
                reason = self.resolver.reason(rel, reference)
                if isinstance(reason, Anchor):
                    part.anchors.append((rel, reference, reason))
                elif reason is not None:
                    flaw = Flaw(f"{reference} {reason}", url=reference.url if rel in part.ids else "")
                    part.findings.add(Finding(rel, flaw, reference))
        return part


PARALLEL_FROM = 500  # files per worker below which forking costs more than it saves


def _read_all(reader: _Reader, rels: list[str], workers: int | None) -> tuple[list[_Part], int]:
    """Across the cores for a big output (build/pool.py): forked workers share the reader
    and the list of files without copying them."""
    workers = pool.usable(pool.count(len(rels), PARALLEL_FROM) if workers is None else workers)
    size = max(1, len(rels) // (workers * 4)) if workers > 1 else len(rels)
    return list(pool.run(reader.read, pool.chunked(rels, size) or [[]], workers)), workers


def _files(output: Path) -> frozenset[str]:
    files = []
    for folder, _, names in os.walk(output):
        prefix = Path(folder).relative_to(output).as_posix()
        files += [name if prefix == "." else f"{prefix}/{name}" for name in names]
    return frozenset(files)


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def command(report: BuildReport, site_dir: Path, quiet: bool = False, strict: bool = False) -> int:
    """`broadsheet check` after a good build: print every problem and (unless quiet) a
    summary line; the exit code is 1 when any problem is an error (any at all if strict)."""
    checked = check_output(
        report.output or site_dir / "site", report.base_url, report.sources, report.article_html, site_dir
    )
    print_problems(checked.problems, site_dir)
    if not quiet:
        print(summary_line(checked))
    return 1 if (checked.problems if strict else errors(checked.problems)) else 0


def summary_line(checked: CheckReport) -> str:
    problems = errors(checked.problems)
    warnings = len(checked.problems) - len(problems)
    line = f"Checked {checked.pages} page{'s' * (checked.pages != 1)}"
    if checked.stylesheets:
        line += f" and {checked.stylesheets} stylesheet{'s' * (checked.stylesheets != 1)}"
    line += f": {len(problems)} problem{'s' * (len(problems) != 1)}"
    return line + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else "")


# --- resolving --------------------------------------------------------------------------


class Anchor(NamedTuple):
    """A reference to an id in a page: it resolves once that page is known to have it."""

    page: str
    fragment: str


class Resolver:
    """Tells why a reference leads nowhere. Most links (the masthead, tags, feeds) repeat
    on every page, so each URL is resolved once per page it can differ on."""

    def __init__(self, files: frozenset[str], root: SiteRoot):
        self.files, self.root = files, root
        self._reasons: dict[tuple[str, str, bool], str | Anchor | None] = {}

    def reason(self, referrer: str, reference: Reference) -> str | Anchor | None:
        """Why the reference from the output file `referrer` leads nowhere; an Anchor when
        that depends on an id in a page; None when it resolves or is not the site's to check
        (another host, mailto:, data:, ...)."""
        url, css = reference.url, reference.tag == "css"
        if url.startswith("#"):  # this very page, which is being read
            return (
                Anchor(referrer, unquote(url[1:]))
                if len(url) > 1 and not css and referrer.endswith(PAGE_SUFFIXES)
                else None
            )
        key = ("" if url.startswith("/") or SCHEME.match(url) else referrer, url, css)
        if key not in self._reasons:
            self._reasons[key] = self._resolve(self.root.url_of(referrer), url, css)
        return self._reasons[key]

    def _resolve(self, base: str, url: str, css: bool) -> str | Anchor | None:
        root = self.root
        if url[: len(root.origin) + 1].lower() == root.origin + "/":
            url = url[len(root.origin) :]  # an absolute URL of the site's own, such as the canonical link
        if url.startswith("/") and not url.startswith("//") and "/." not in url:
            rest, _, fragment = url.partition("#")  # the common case, without urljoin's cost
            path = unquote(rest.partition("?")[0])
        else:
            target = urlsplit(urljoin(root.origin + base, url))
            if target.scheme not in ("http", "https") or f"{target.scheme}://{target.netloc}".lower() != root.origin:
                return None
            path, fragment = unquote(target.path), target.fragment
        if not (path + "/").startswith(root.base_path):
            return f"leads outside the site: its path is not under {root.base_path}"
        rel = path[len(root.base_path) :]
        file = _file_for(self.files, rel)
        if file is None:
            wanted = rel + "index.html" if rel == "" or rel.endswith("/") else rel
            return f"does not resolve: no {wanted} in the output"
        if fragment and not css and file.endswith(PAGE_SUFFIXES):
            return Anchor(file, unquote(fragment))
        return None


def _file_for(files: frozenset[str], rel: str) -> str | None:
    """The output file a site path serves: "a/" and "a" (hosts redirect a folder to its
    slash) are "a/index.html"."""
    if rel == "" or rel.endswith("/"):
        candidates: tuple[str, ...] = (rel + "index.html",)
    else:
        candidates = (rel, rel + "/index.html")
    return next((c for c in candidates if c in files), None)


def _has_anchor(ids: frozenset[str], fragment: str) -> bool:
    return fragment in ids or fragment.lower() == "top"  # "#top" scrolls to the top in every browser
